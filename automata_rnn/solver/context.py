"""One z3 context per thread: creating a context costs about 5 ms, and one question can build dozens of
solvers.  Solvers and terms of different questions share it but never each other's assertions."""

from __future__ import annotations

import threading

import z3

_LOCAL = threading.local()


def context() -> z3.Context:
    """This thread's z3 context, made on first use."""
    ctx = getattr(_LOCAL, "ctx", None)
    if ctx is None:
        ctx = _LOCAL.ctx = z3.Context()
    return ctx
