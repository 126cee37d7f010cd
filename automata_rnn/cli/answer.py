"""How a command's answer leaves: printed as text or (``--json``) as JSON, or captured by an in-process caller."""

from __future__ import annotations

import json
import sys
from typing import Callable

from automata_rnn.interop.files import dumps


def emit(args, text: str, obj) -> None:
    """Print the answer as text or (``--json``) as JSON; an in-process caller that asked for both (it set
    ``args.capture`` to a dict, see :func:`automata_rnn.cli.main.run_command`) gets both from the one
    computation, as ``capture["text"]`` and ``capture["json"]`` (a JSON round trip of ``obj``)."""
    capture = getattr(args, "capture", None)
    if capture is not None:
        capture["text"], capture["json"] = text, json.loads(json.dumps(obj))
    elif getattr(args, "json", False):
        sys.stdout.write(dumps(obj))
    else:
        print(text)


def progress(units: str) -> Callable[[int, int, dict], None] | None:
    """A line on stderr as each (automaton, cell) entry of a sweep is known, its size read from the entry's key
    ``units`` (None: unknown), when stderr is a terminal; None otherwise."""
    if not sys.stderr.isatty():
        return None

    def show(k: int, n: int, entry: dict) -> None:
        found = "unknown" if entry[units] is None else f"{entry[units]} unit(s)"
        print(f"[{k}/{n}] {entry['automaton']} on {entry['cell']}: {found}", file=sys.stderr, flush=True)
    return show
