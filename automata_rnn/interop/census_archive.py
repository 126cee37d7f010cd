"""A census folder packed into three files small enough to publish, and unpacked again.

A census folder (:mod:`automata_rnn.questions.census`) holds ``census.jsonl``, ``census.csv`` and one
gzip-compressed certificate per file.  Every minimal DFA with up to 4 states gives about 110,000 records and
as many certificates: gzip compresses each file alone, while xz over all of them at once finds what they
share (the same automata, the same clauses), about five times smaller again.  The archive is:

* ``census.jsonl.xz`` and ``census.csv.xz``: the dataset and its table, xz-compressed;
* ``certificates.tar.xz``: a tar of the certificates as plain JSON, each member named as the records name
  it without ``.gz`` (``cert-<hash>.json``), sorted by name, with no time stamps, so that packing the same
  census twice gives the same bytes.

Unpacking writes each certificate as the census writes it (``cert-<hash>.json.gz``, gzip without a time
stamp: byte for byte the census's file), and the dataset and table; a census run on the folder then resumes
from it.  Standard library only.
"""

from __future__ import annotations

import gzip
import io
import lzma
import os
import tarfile

from automata_rnn.interop.files import write_atomic
from automata_rnn.verdicts import BadInput

DATASET = "census.jsonl"
TABLE = "census.csv"
CERTIFICATES = "certificates.tar.xz"
PREFIX, SUFFIX = "cert-", ".json.gz"


def archived(folder: str) -> bool:
    """Whether ``folder`` holds a packed census (its dataset, ``census.jsonl.xz``)."""
    return os.path.exists(os.path.join(folder, DATASET + ".xz"))


def pack(folder: str, certificates: list[str]) -> list[str]:
    """Write the archive of the census in ``folder`` beside it: its dataset and table xz-compressed, and the
    certificates named in ``certificates`` (file names in the folder) in one tar.xz.  Returns the paths
    written; each file is written whole or not at all."""
    out = []
    for name in (DATASET, TABLE):
        with open(os.path.join(folder, name), "rb") as f:
            out.append(write_atomic(os.path.join(folder, name + ".xz"), lzma.compress(f.read(), preset=6)))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:xz", preset=6, format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(set(certificates)):
            with gzip.open(os.path.join(folder, name), "rb") as f:
                data = f.read()
            info = tarfile.TarInfo(name[: -len(".gz")])
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    out.append(write_atomic(os.path.join(folder, CERTIFICATES), buffer.getvalue()))
    return out


def unpack(folder: str) -> int:
    """Write the census packed in ``folder`` back into it (the dataset, the table and every certificate
    that is not there yet); returns how many certificates were written.  BadInput when a member is not a
    certificate file or an archive is damaged."""
    path = os.path.join(folder, CERTIFICATES)
    written = 0
    try:
        with tarfile.open(path, mode="r:xz") as tar:
            for member in tar:
                name = member.name + ".gz"
                if (not member.isfile() or os.path.basename(name) != name or not name.startswith(PREFIX)
                        or not name.endswith(SUFFIX)):
                    raise BadInput(f"{path}: member {member.name!r} is not a census certificate")
                target = os.path.join(folder, name)
                if os.path.exists(target):
                    continue
                data = tar.extractfile(member).read()  # type: ignore[union-attr]
                write_atomic(target, gzip.compress(data, mtime=0))
                written += 1
        for name in (TABLE, DATASET):  # the dataset last: once it is there, the census is whole
            packed = os.path.join(folder, name + ".xz")
            if os.path.exists(packed):
                with open(packed, "rb") as f:
                    write_atomic(os.path.join(folder, name), lzma.decompress(f.read()))
    except (tarfile.TarError, lzma.LZMAError, EOFError) as err:
        raise BadInput(f"{folder}: a damaged census archive ({err})") from None
    except FileNotFoundError as err:
        raise BadInput(f"{folder}: the census archive is incomplete ({err.filename} is missing)") from None
    return written
