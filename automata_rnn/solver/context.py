"""z3 contexts: one per question.

Creating a context costs about 5 ms and one question builds dozens of solvers, so the solvers of a question
share one.  Two questions never share one: z3's answers (which model it finds) depend on what its context
has seen, so a question asked twice, in one process or two, gets the same answer.
"""

from __future__ import annotations

import contextlib
import functools
import threading

import z3

_LOCAL = threading.local()


def context() -> z3.Context:
    """The context of the question running in this thread; a fresh one outside any question."""
    ctx = getattr(_LOCAL, "ctx", None)
    return ctx if ctx is not None else z3.Context()


@contextlib.contextmanager
def question_scope():
    """Solvers made inside share one fresh context; an inner scope joins the outer one."""
    if getattr(_LOCAL, "ctx", None) is not None:
        yield
        return
    _LOCAL.ctx = z3.Context()
    try:
        yield
    finally:
        _LOCAL.ctx = None


def one_question(function):
    """Run ``function`` in a :func:`question_scope`."""
    @functools.wraps(function)
    def run(*args, **kwargs):
        with question_scope():
            return function(*args, **kwargs)
    return run
