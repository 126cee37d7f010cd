"""The decomposed search for a GRU threshold network through its own gates, the reset gate open: upper bounds.

The question is about a GRU (a cell of :data:`~automata_rnn.solver.construction.ELMAN_INSIDE`: ``gru``,
``gru-chung``, ``gru-after``) of ``n`` units, one layer, under the indicator semantics (every sigma and tanh
is ``[v > 0]``, so the gates and the candidate are bits and the codes are {0,1}^n, h(0) = 0) with a
threshold read-out.  With the reset gate open (r = 1; for ``gru-after`` also b_hn = 0) the three cells take
the same step: unit j's candidate is ``C_j = [x U_h + h W_h + b_h > 0]`` and its next bit is

    T_j(c, a) = C_j(c, a)   where the update gate selects the candidate,
    T_j(c, a) = bit j of c  where it keeps the state,

the update gate ``z_j = [x U_z + h W_z + b_z > 0]`` selecting the candidate at z = 1 under Chung et al.'s
convention (``keeps`` 0) and at z = 0 under the textbook's (``keeps`` 1).  The search speaks of the selection
``Z_j(c, a)`` ("unit j takes its candidate"), a threshold function of (x(a), c, 1) whatever the convention:
the complement of a threshold function on finitely many points is one (negated weights, as the LPs below
keep every point at distance >= 1 from 0), so the update gate's weights are Z's or their negation.

A network is then a labelling of the codes with states of the minimal automaton (the clauses of
:class:`~automata_rnn.exact.labelling.Labelling`: X, T, O and its sorted units, which stay sound here since
permuting a GRU's units permutes all of its gates alike) together with bits Z(c, a, j) and C(c, a, j) for
every code, symbol and unit, tied to T by the equation above, such that every Z_j, every C_j and the
read-out are threshold functions.  A SAT solver (CaDiCaL through PySAT, without a proof) searches them; the
two-asummability lemmas of :func:`~automata_rnn.solver.decompose.summable_lemmas` are given up front for
every Z_j and C_j and for the read-out, and for each model one exact LP per gate either gives its weights or
Farkas multipliers (checked exactly by :func:`~automata_rnn.exact.labelling.check_lemma`) whose clause is
added for every gate of every unit (all are threshold functions of the same points): a CEGAR loop.
:func:`search` first asks for one code per state (a further restriction, which the SAT core meets several
times faster where codes outnumber states) and, only when that finds no network, for any labelling.

Contract: a network found is turned into the cell's weights (reset gate: bias 1, other weights 0) and is
returned only once the exhaustive exact run (:func:`~automata_rnn.exact.run.verify_weights`) has verified
it.  This search is for upper bounds only: the reset gate open is a restriction, so when its clauses become
unsatisfiable (verdict ``unsat`` of :class:`Gated`) that says nothing about the size; no certificate is made
and the caller must go on to a search that can refute.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from fractions import Fraction

from automata_rnn.exact.labelling import Clause, Labelling, lemma_clauses
from automata_rnn.exact.run import TooLarge, verify_weights
from automata_rnn.model.problem import Problem
from automata_rnn.solver.construction import ELMAN_INSIDE
from automata_rnn.solver.context import one_question
from automata_rnn.solver.decompose import (
    MAX_UNITS,
    Cadical,
    Lemma,
    Threshold,
    fit,
    labelling,
    network_weights,
    summable_lemmas,
    symmetry_words,
)
from automata_rnn.verdicts import InternalCheckFailed, Unsupported, Verdict


def applies(problem: Problem) -> bool:
    """Whether the gated search speaks of the problem: a GRU cell (:data:`ELMAN_INSIDE`), one layer of at
    most :data:`~automata_rnn.solver.decompose.MAX_UNITS` units, a threshold read-out, the indicator
    semantics without margin, no fixed weights and no weight bound."""
    return (problem.cell.name in ELMAN_INSIDE and len(problem.layers) == 1 and problem.units <= MAX_UNITS
            and problem.output == "readout" and problem.semantics.name == "indicator"
            and not problem.semantics.margin and not problem.fixed and problem.bound is None)


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


class GatedLabelling:
    """The labelling's variables and clauses, and beside them the selection Z(c, a, j) ("unit j takes its
    candidate after symbol a from code c") and the candidate C(c, a, j), numbered after the labelling's."""

    def __init__(self, lab: Labelling):
        self.lab = lab
        size = lab.codes * len(lab.symbols) * lab.units
        self._z = lab.count + 1
        self._c = self._z + size
        self.count = lab.count + 2 * size

    def _index(self, c: int, a: str, j: int) -> int:
        lab = self.lab
        return (c * len(lab.symbols) + lab.symbol_index[a]) * lab.units + j

    def Z(self, c: int, a: str, j: int) -> int:
        return self._z + self._index(c, a, j)

    def C(self, c: int, a: str, j: int) -> int:
        return self._c + self._index(c, a, j)

    def step(self) -> list[Clause]:
        """T(c, a, j) = C(c, a, j) where Z(c, a, j), else bit j of c."""
        lab = self.lab
        out: list[Clause] = []
        for c in range(lab.codes):
            for a in lab.symbols:
                for j in range(lab.units):
                    t, z, cand = lab.T(c, a, j), self.Z(c, a, j), self.C(c, a, j)
                    if (c >> j) & 1:  # T = not Z or C
                        out += [(t, z), (t, -cand), (-t, -z, cand)]
                    else:  # T = Z and C
                        out += [(-t, z), (-t, cand), (t, -z, -cand)]
        return out

    def gate_clauses(self, points: Lemma) -> list[Clause]:
        """A lemma's clauses: for a lemma over the units' points, one clause for every Z_j and every C_j (some
        point has another bit); for the read-out's, the labelling's clause over O."""
        if points[0][1] is None:
            return lemma_clauses(self.lab, points)
        out: list[Clause] = []
        for var in (self.Z, self.C):
            for j in range(self.lab.units):
                out.append(tuple(sorted({(-var(c, a, j) if bit else var(c, a, j)) for c, a, bit, _ in points
                                         if a is not None}, key=abs)))
        return out


class GatedSearch:
    """The CEGAR loop at one size (see the module docstring); :meth:`run` answers within a deadline.

    ``one_code``: every state is reached with at most one code, a further restriction (a minimal automaton
    may need two codes for a state) under which the SAT core finds networks several times faster where
    there are more codes than states (random automata of 12 and 16 states at 4 and 5 units)."""

    def __init__(self, problem: Problem, one_code: bool = False):
        if not applies(problem):
            raise Unsupported("the gated search is for one layer of at most "
                              f"{MAX_UNITS} GRU units with a threshold read-out under the indicator semantics, "
                              "without margin, fixed weights or weight bound")
        self.problem = problem
        self.lab = lab = labelling(problem)
        inputs = lab.base() + lab.symmetry(symmetry_words(lab))
        self.gated = GatedLabelling(lab)
        inputs += self.gated.step()
        for points in summable_lemmas(lab):
            inputs += self.gated.gate_clauses(points)
        if one_code:
            inputs += [(-lab.X(c, q), -lab.X(d, q)) for q in lab.states
                       for c, d in itertools.combinations(range(lab.codes), 2)]
        self.inputs = inputs
        self.gate_lp = Threshold(problem.inputs + lab.units + 1)
        self.readout_lp = Threshold(lab.units + 1)
        self.learnt = 0

    def run(self, deadline: float | None) -> Gated:
        """sat (the cell's weights, verified) / unsat (none with the reset gate open) / unknown (time)."""
        core = Cadical(self.inputs)
        rounds = 0
        try:
            while True:
                rounds += 1
                found = core.solve(deadline)
                if not found:
                    verdict, why = ((Verdict.UNKNOWN, core.reason) if found is None
                                    else (Verdict.UNSAT, "no network with the reset gate open"))
                    return Gated(verdict, reason=why, rounds=rounds, lemmas=self.learnt)
                answer = self._gates(core.model(self.gated.count))
                if isinstance(answer, dict):
                    return Gated(Verdict.SAT, verified(self.problem, answer), rounds=rounds, lemmas=self.learnt)
                self.learnt += len(answer)
                core.add([clause for points in answer for clause in self.gated.gate_clauses(points)])
        finally:
            core.close()

    def _gates(self, value: list[bool]) -> dict[str, Fraction] | list[Lemma]:
        """The cell's weights for the model, or the lemmas of the gates (and read-out) that no threshold
        function gives."""
        lab, gated = self.lab, self.gated
        lemmas: list[Lemma] = []
        rows: dict[str, list] = {"Z": [], "C": []}
        for kind, var in (("Z", gated.Z), ("C", gated.C)):
            for j in range(lab.units):
                pts = [(c, a, int(value[var(c, a, j)])) for c in range(lab.codes) for a in lab.symbols]
                row = fit(self.lab, self.gate_lp, pts, lemmas)
                rows[kind].append(row)
        readout = fit(lab, self.readout_lp, [(c, None, int(value[lab.O(c)])) for c in range(lab.codes)], lemmas)
        if lemmas or readout is None:
            return lemmas
        return cell_weights(self.problem, rows["Z"], rows["C"], readout)


def cell_weights(problem: Problem, selects: list, candidates: list, readout: list[Fraction]
                 ) -> dict[str, Fraction]:
    """The cell's weights from each unit's selection row and candidate row (input, recurrent, bias; the row
    w gives the bit [v.w > 0] with |v.w| >= 1 at every point) and the read-out's row: the candidate and the
    read-out as an Elman network's; the update gate the selection (``keeps`` 0) or its complement, the
    negated row (``keeps`` 1); the reset gate open (bias 1, other weights 0); ``b_hn`` 0."""
    w = network_weights(problem, candidates, readout)
    sign = 1 if problem.cell.keeps == 0 else -1
    update = network_weights(problem, [[sign * v for v in row] for row in selects], readout)
    for name in problem.parameter_names():
        block = name.split("[")[0]
        if block in ("U_z", "W_z", "b_z"):
            w[name] = update[name.replace("_z", "_h", 1)]
        elif name not in w:  # the reset gate and b_hn
            w[name] = Fraction(int(block == "b_r"))
    return w


def verified(problem: Problem, weights: dict[str, Fraction]) -> dict[str, Fraction]:
    """The weights, once the exhaustive exact run has found that they implement the automaton;
    InternalCheckFailed otherwise (a run too large to finish included)."""
    try:
        implements = verify_weights(problem, weights).implements
    except TooLarge:
        implements = False
    if not implements:
        raise InternalCheckFailed("weights of the gated search failed exact re-verification")
    return weights


@one_question
def search(problem: Problem, timeout: float | None = None) -> Gated:
    """The gated search at the problem's size within ``timeout`` seconds (see the module docstring: its
    ``unsat`` excludes nothing): first with one code per state; when that finds no network, without that
    restriction in the time left.  Unsupported for a problem it does not speak of (:func:`applies`)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    first = GatedSearch(problem, one_code=True).run(deadline)
    if first.verdict != Verdict.UNSAT:
        return first
    return GatedSearch(problem).run(deadline)
