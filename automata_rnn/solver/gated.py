"""The decomposed search for a GRU threshold network with the reset gate open: upper bounds for ``gru-after``.

The question is about a GRU (a cell of :data:`~automata_rnn.solver.construction.ELMAN_INSIDE`: ``gru``,
``gru-chung``, ``gru-after``) of ``n`` units, one layer, under the indicator semantics with a threshold
read-out.  With the reset gate open (r = 1; for ``gru-after`` also b_hn = 0) the three cells take the same
step, unit j's next bit its candidate ``[x U_h + h W_h + b_h > 0]`` where it takes it and its old bit where
it keeps it: the clauses of :class:`~automata_rnn.exact.gru_labelling.GruLabelling` with every reset bit
true.  :func:`search` runs the decomposition's CEGAR loop (:class:`~automata_rnn.solver.decompose.Search`)
under that restriction, first also asking for one code per state (which the SAT core meets several times
faster where codes outnumber states) and, only when that finds no network, without it.

Contract: a network found is returned only once the exhaustive exact run has verified it (reset gate: bias
1, other weights 0).  This search is for upper bounds only: the reset gate open is a restriction, so when
its clauses become unsatisfiable (verdict ``unsat`` of :class:`Gated`) that says nothing about the size; no
certificate is made and the caller must go on to a search that can refute.  For ``gru`` and ``gru-chung``,
:func:`~automata_rnn.solver.decompose.decide` searches without the restriction, and is the faster at finding
networks too (random automata of 16 states at 4 units: 0.7-16 s, where this search finds one of three in a
minute); this search is what ``gru-after`` has.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction

from automata_rnn.model.problem import Problem
from automata_rnn.solver.construction import ELMAN_INSIDE
from automata_rnn.solver.context import one_question
from automata_rnn.solver.decompose import MAX_UNITS, Search, speaks_of
from automata_rnn.verdicts import Unsupported, Verdict


def applies(problem: Problem) -> bool:
    """Whether the gated search speaks of the problem: a GRU cell (:data:`ELMAN_INSIDE`), one layer of at
    most :data:`~automata_rnn.solver.decompose.MAX_UNITS` units, a threshold read-out, the indicator
    semantics without margin, no fixed weights and no weight bound."""
    return problem.cell.name in ELMAN_INSIDE and speaks_of(problem)


@dataclass
class Gated:
    """What the gated search says at one size: ``sat`` with the cell's weights (verified by an exact run),
    ``unsat`` when no network with the reset gate open exists (which excludes nothing: see the module
    docstring), or ``unknown`` with the reason; ``rounds`` SAT calls, ``lemmas`` Farkas lemmas learnt."""

    verdict: Verdict
    weights: dict[str, Fraction] | None = None
    reason: str = ""
    rounds: int = 0
    lemmas: int = 0


@one_question
def search(problem: Problem, timeout: float | None = None) -> Gated:
    """The gated search at the problem's size within ``timeout`` seconds (see the module docstring: its
    ``unsat`` excludes nothing): first with one code per state; when that finds no network, without that
    restriction in the time left.  Unsupported for a problem it does not speak of (:func:`applies`)."""
    if not applies(problem):
        raise Unsupported("the gated search is for one layer of at most "
                          f"{MAX_UNITS} GRU units with a threshold read-out under the indicator semantics, "
                          "without margin, fixed weights or weight bound")
    deadline = None if timeout is None else time.monotonic() + timeout
    rounds = lemmas = 0
    for one_code in (True, False):
        s = Search(problem, one_code=one_code, reset_open=True)
        given = len(s.lemmas)
        found = s.run(deadline)
        rounds, lemmas = rounds + found.rounds, lemmas + len(found.lemmas) - given
        if found.verdict != Verdict.UNSAT:
            return Gated(found.verdict, found.weights, found.reason, rounds, lemmas)
    return Gated(Verdict.UNSAT, None, "no network with the reset gate open", rounds, lemmas)
