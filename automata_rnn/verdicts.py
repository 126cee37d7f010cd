"""One vocabulary for answers and errors, shared by every question and by the command line.

An answer's :class:`Verdict` is ``sat`` (the network implements, or weights exist: re-verified by exact
simulation), ``unsat`` (it does not, or none exist: a counterexample or a certificate the independent
checker accepts), or ``unknown`` (with the reason).

Errors say whose they are, so that a bug is never reported as the user's mistake:

* :class:`BadInput`: the user's input (a file, a flag, a weight, an automaton) is wrong; one line, exit 2;
* :class:`NoAnswer`: the question gets "unknown" and exit 3: a :class:`ResourceLimit` (time, size,
  memory) or a question outside what the method decides (:class:`Unsupported`);
* :class:`InternalCheckFailed`: an answer failed its own exact check and was withheld; exit 70.

Anything else that escapes is a bug, reported as one.  Standard library only.
"""

from __future__ import annotations

from enum import Enum


class Verdict(str, Enum):
    """sat / unsat / unknown; equal to (and written in JSON as) its string."""

    SAT = "sat"
    UNSAT = "unsat"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


class Error(Exception):
    """Every error automata_rnn raises on purpose."""


class BadInput(Error, ValueError):
    """The user's input is wrong; the message says what, in one line."""


class NoAnswer(Error):
    """No answer can be given: the verdict is unknown, for the reason in the message."""


class ResourceLimit(NoAnswer):
    """A time, size or memory limit was reached before an answer."""


class Unsupported(NoAnswer):
    """A question outside what the method decides; the message says why."""


class InternalCheckFailed(Error, RuntimeError):
    """An answer failed its own exact check: it is never printed as a result."""
