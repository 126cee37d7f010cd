"""Files written whole or not at all, and the JSON spelling shared by every output."""

from __future__ import annotations

import gzip
import json
import os
from fractions import Fraction

from automata_rnn.arithmetic.exact import format_rational
from automata_rnn.verdicts import BadInput


def json_number(q: Fraction):
    """An exact value in JSON: an integer, or the string "p/q"."""
    return int(q) if q.denominator == 1 else format_rational(q)


def dumps(obj) -> str:
    """Canonical JSON: sorted keys where order is not meaningful is left to the caller; two-space indent."""
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def writable_path(path: str | os.PathLike) -> str:
    """``path`` as a file that :func:`write_atomic` can write: its folder exists and takes new files and the
    path is not a folder; BadInput saying why not otherwise.  A command checks its output files with it
    before it works, so that it never writes one file and then fails on the next."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise BadInput(f"cannot write {path!r}: the folder {folder!r} does not exist")
    if os.path.isdir(path):
        raise BadInput(f"cannot write {path!r}: it is a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BadInput(f"cannot write {path!r}: the folder {folder!r} is not writable")
    return path


def write_atomic(path: str | os.PathLike, data: str | bytes) -> str:
    """Write a file whole or not at all (text as UTF-8): a new temporary file in the same folder, then a
    rename onto ``path``; the file's permissions follow the umask.  Returns ``path``.  The folder must exist
    (BadInput otherwise: a mistyped folder is not created)."""
    path = writable_path(path)
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".tmp-{os.getpid()}-{os.urandom(4).hex()}-{os.path.basename(path)}")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        with open(tmp, "xb") as f:
            f.write(payload)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def gzipped_json(obj) -> bytes:
    """``obj`` as compact JSON, gzip-compressed with no time stamp (equal objects give equal bytes)."""
    return gzip.compress(json.dumps(obj, separators=(",", ":")).encode("utf-8"), mtime=0)


def read_json(path: str | os.PathLike):
    """The JSON in a file, gzip-compressed when its name ends in ``.gz``; OSError if it cannot be read,
    ValueError if it is not JSON (or not gzip where the name says it is)."""
    try:
        if os.fspath(path).endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8") as f:
                return json.load(f)
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (gzip.BadGzipFile, EOFError) as e:
        raise ValueError(f"not a gzip file: {e}") from None
