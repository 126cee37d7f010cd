"""The decomposed search for a threshold network: labellings of codes by SAT, threshold functions by exact LPs.

For an Elman cell under the indicator semantics with a threshold read-out (one layer; the clauses are in
:mod:`automata_rnn.exact.labelling`), a network is a labelling of codes {0,1}^n with states of the
minimal automaton, a successor code per (code, symbol) and a read-out bit per code, such that each unit's
bit and the read-out's bit are threshold functions.  For a GRU (:mod:`automata_rnn.exact.gru_labelling`)
the threshold functions are each unit's selection, reset gate and candidate, which give the successor
code.  A SAT solver searches labellings; for each one it proposes, one exact LP per threshold function (and
one for the read-out) over its points either gives its weights or proves that no threshold unit gives these
bits: then Farkas multipliers over a few points (checked exactly), which become a lemma clause for every
unit and threshold family that the points speak of (a CEGAR loop).  The direction clauses of every threshold
function (:meth:`Labelling.directions`: what the lemmas of two-asummability say, on at two points and off at
two others with the same sum) are given from the start.

Two SAT cores (:data:`SAT_CORES`): CaDiCaL 1.9.5 through PySAT (the default), incremental (each lemma's
clauses are added to the running solver), writing its proof with hints (LRAT) as it searches;
or z3's SAT core (the search before CaDiCaL), which runs in checks of growing length, each with a new
seed, and when the clauses become unsatisfiable refutes them once more in a fresh solver while writing a
DRAT proof.

Every network found is re-verified by the exhaustive exact run.  When the clauses become unsatisfiable,
the proof (in our variable numbering), the lemmas with their multipliers, the symmetry words and the direction
clauses' mark form a ``labelling`` certificate, returned only if the independent checker accepts it.

Symmetry breaking: the start code is 0 (h(0) = 0), at most one state per code, and the units are sorted by
their bits after the breadth-first access words of the states (:meth:`Labelling.symmetry`).
"""

from __future__ import annotations

import contextlib
import gc
import os
import resource
import tempfile
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

import z3

from automata_rnn.exact.checker import FORMAT, check
from automata_rnn.exact.gru_labelling import LABELLINGS, GruAfterLabelling, GruLabelling
from automata_rnn.exact.labelling import Clause, Invalid, Labelling, LemmaPoint, check_lemma
from automata_rnn.exact.run import TooLarge, verify_weights
from automata_rnn.model.automata import minimize
from automata_rnn.model.problem import Problem, encode_symbol
from automata_rnn.solver.context import context, one_question
from automata_rnn.solver.counting import access_words
from automata_rnn.solver.prove import SEED, integer_multipliers
from automata_rnn.solver.rows import gru_weights, network_weights
from automata_rnn.solver.trim import MEMORY_PER_PROOF_BYTE, ProvingCadical, paused_gc
from automata_rnn.verdicts import InternalCheckFailed, Unsupported, Verdict

#: z3 takes the DRAT file from a global parameter: one proof of its SAT core is written at a time.
_DRAT = threading.Lock()

#: In-processing of z3's SAT core whose inferences its DRAT output does not justify step by step (found by
#: replaying its proofs; ``minimize_lemmas``: a minimized learnt clause is written without the steps that
#: shortened it, so it is implied but neither RUP nor RAT): switched off while a proof is written.
UNLOGGED = ("asymm_branch", "ate", "cardinality.solver", "dyn_sub_res", "elim_vars", "minimize_lemmas", "probing",
            "scc", "subsumption", "retain_blocked_clauses")

SLICE = 2_000_000
"""The first check's length of z3's SAT core in its resource units (about 2 s on a 2026 server core); each
check that runs out is followed by one twice as long."""

CONFLICTS = 5_000
"""CaDiCaL's conflicts between two looks at the deadline (well under a second on a 2026 server core)."""

MAX_PROOF_MEMORY = 8 * 2**30
"""The most memory that reading a refutation's proof with hints may take (at
:data:`~automata_rnn.solver.trim.MEMORY_PER_PROOF_BYTE`: a proof of 680 MB, about 4 million conflicts); a
longer refutation is left to the other exclusions of ``minimize``."""

PROOF_BYTES_A_SECOND = 3_000_000
"""About how fast a proof with hints is read, trimmed and checked, in bytes of binary LRAT a second (227 MB,
1.1 million steps: about 75 s on a 2026 server core)."""

MAX_UNITS = 5
"""The largest size searched by decomposition: the clauses grow as 4^n |Sigma| |Q| (at 5 units, 75,000 for 16
states, built in about a second); past it, building them alone would outlast any reasonable budget."""


def applies(problem: Problem) -> bool:
    """Whether the decomposition speaks of the problem: an Elman cell or a GRU (a cell of
    :data:`~automata_rnn.exact.gru_labelling.LABELLINGS`), one layer of at most
    :data:`MAX_UNITS` units, a threshold read-out, the indicator semantics without margin, no fixed weights
    and no weight bound."""
    return (problem.cell.name in LABELLINGS and len(problem.layers) == 1 and problem.units <= MAX_UNITS
            and problem.output == "readout" and problem.semantics.name == "indicator"
            and not problem.semantics.margin and not problem.fixed and problem.bound is None)


@dataclass
class Decided:
    """What the search says at one size: sat with weights (re-verified), unsat (the SAT core found the
    clauses unsatisfiable) with a certificate the checker accepted, or None if no proof was accepted (then
    ``reason`` says why), or unknown with the reason; ``rounds`` SAT calls, the ``lemmas`` learnt."""

    verdict: Verdict
    weights: dict | None = None
    certificate: dict | None = None
    reason: str = ""
    checked: str = ""
    rounds: int = 0
    lemmas: list = field(default_factory=list)


def labelling(problem: Problem) -> Labelling:
    """The labelling problem of the problem's minimal automaton at the problem's size, for its cell
    (:data:`~automata_rnn.exact.gru_labelling.LABELLINGS`)."""
    kind = LABELLINGS.get(problem.cell.name)
    if kind is None:
        raise Unsupported(f"no labelling clauses describe the cell {problem.cell.name!r}")
    a = minimize(problem.automaton)
    return kind(a, problem.units, {s: encode_symbol(a, s) for s in a.alphabet})


def symmetry_words(lab: Labelling) -> list[tuple[str, ...]]:
    """The breadth-first access words of the states (prefix-closed, the empty word first)."""
    return list(access_words(lab.automaton).values())


class Threshold:
    """Exact LPs over one z3 context: weights for given bits on points, or Farkas multipliers."""

    def __init__(self, dim: int):
        self.ctx = context()
        self.w = [z3.Real(f"w{i}", self.ctx) for i in range(dim)]
        self.one = z3.RealVal(1, self.ctx)
        self.zero = z3.RealVal(0, self.ctx)

    def _dot(self, v, xs):
        terms = [x if c == 1 else z3.RealVal(str(c), self.ctx) * x for c, x in zip(v, xs) if c]
        return z3.Sum(terms) if len(terms) > 1 else terms[0] if terms else self.zero

    def weights(self, points: list[tuple[tuple[Fraction, ...], int]]) -> list[Fraction] | None:
        """w with v.w >= 1 on points of bit 1 and v.w <= -1 on points of bit 0; None if there is none."""
        s = z3.Solver(ctx=self.ctx)
        s.set("random_seed", SEED)
        for v, bit in points:
            pre = self._dot(v, self.w)
            s.add(pre >= self.one if bit else pre <= -self.one)
        if s.check() != z3.sat:
            return None
        m = s.model()
        return [Fraction(m.eval(x, model_completion=True).as_string()) for x in self.w]

    def farkas(self, points: list[tuple[tuple[Fraction, ...], int]]) -> list[int]:
        """Integer multipliers, one per point, balancing the points of bit 1 against those of bit 0."""
        lam = [z3.Real(f"l{i}", self.ctx) for i in range(len(points))]
        s = z3.Solver(ctx=self.ctx)
        s.set("random_seed", SEED)
        for x in lam:
            s.add(x >= self.zero)
        for i in range(len(points[0][0])):
            terms = [lam[k] * z3.RealVal(str(v[i] if bit else -v[i]), self.ctx)
                     for k, (v, bit) in enumerate(points) if v[i]]
            if terms:
                s.add(z3.Sum(terms) == self.zero)
        s.add(z3.Sum([lam[k] for k, (_, bit) in enumerate(points) if bit]) == self.one)
        if s.check() != z3.sat:
            raise InternalCheckFailed("an infeasible threshold LP has no Farkas multipliers")
        m = s.model()
        return integer_multipliers([Fraction(m.eval(x, model_completion=True).as_string()) for x in lam])


Lemma = list[LemmaPoint]
"""A Farkas lemma: points (code, symbol or None for the read-out, bit, multiplier)."""


def fit(lab: Labelling, lp: Threshold, pts: Sequence[tuple[int | None, str | None, int]], lemmas: list[Lemma]
        ) -> list[Fraction] | None:
    """The weights of one threshold unit that gives the bits ``pts`` (code, symbol or None, bit); None, with
    the Farkas lemma that no unit gives them appended to ``lemmas`` (checked exactly: InternalCheckFailed if
    the check fails)."""
    vecs = list(zip(lab.vectors([(c, a) for c, a, _ in pts]), [bit for _, _, bit in pts]))
    w = lp.weights(vecs)
    if w is not None:
        return w
    mult = lp.farkas(vecs)
    points = [(c, a, bit, Fraction(k)) for (c, a, bit), k in zip(pts, mult) if k]
    try:
        check_lemma(lab, points)
    except Invalid as err:
        raise InternalCheckFailed(f"a Farkas lemma of the decomposition failed its exact check: {err}") from None
    lemmas.append(points)
    return None


class Cadical:
    """CaDiCaL 1.9.5 through PySAT (:class:`~automata_rnn.solver.trim.ProvingCadical`): an incremental SAT
    core that writes its proof with hints as it searches, so that a refutation is read from it at once."""

    def __init__(self, clauses: list[Clause]):
        self.solver = ProvingCadical(clauses)
        self.reason = ""

    def add(self, clauses: list[Clause]) -> None:
        self.solver.add(clauses)

    def solve(self, deadline: float | None) -> bool | None:
        """Whether the clauses so far are satisfiable; None when the deadline passes first (checked after
        every :data:`CONFLICTS` conflicts)."""
        found = self.solver.solve(deadline, CONFLICTS)
        if found is None:
            self.reason = "timeout"
        return found

    def model(self, count: int) -> list[bool]:
        """The values of variables 1..count in the last model (index 0 unused)."""
        value = [False] * (count + 1)
        for lit in self.solver.model():
            if 0 < lit <= count:
                value[lit] = True
        return value

    def refutation(self, inputs: list[Clause], count: int, deadline: float | None) -> dict | None:
        """The proof that ``inputs`` (every clause given to the solver, in order) are unsatisfiable, as
        ``{"hinted": steps}``: the search's own proof, trimmed to the clauses the empty clause depends on
        (:func:`automata_rnn.solver.trim.trim_lrat`).  None (and :attr:`reason`) when reading it would take
        more than :func:`proof_memory` or, at :data:`PROOF_BYTES_A_SECOND`, outlast the deadline."""
        size = self.solver.proof_bytes()
        if size * MEMORY_PER_PROOF_BYTE > proof_memory():
            self.reason = (f"the proof with hints ({size / 2**20:.0f} MB) is too large to read within "
                           f"{proof_memory() / 2**30:.1f} GiB")
            return None
        if deadline is not None and time.monotonic() + size / PROOF_BYTES_A_SECOND > deadline:
            self.reason = f"no time left to read and check the proof with hints ({size / 2**20:.0f} MB)"
            return None
        if self.solver.inputs != len(inputs):
            raise InternalCheckFailed("the SAT core was not given every clause of the refutation")
        steps = self.solver.refutation()
        if steps is None:
            self.reason = "CaDiCaL 1.9.5's proof does not refute the clauses by hinted RUP steps"
            return None
        return {"hinted": steps}

    def close(self) -> None:
        self.solver.close()


def proof_memory() -> int:
    """The memory a refutation's proof may take while it is read: half of this process's address-space
    limit, or :data:`MAX_PROOF_MEMORY` when there is none (or it is larger)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return MAX_PROOF_MEMORY if soft == resource.RLIM_INFINITY else min(MAX_PROOF_MEMORY, soft // 2)


class Z3Sat:
    """z3's SAT core: checks of growing length in z3's deterministic resource units (so that the answer
    does not depend on the machine's load), each with another seed, keeping what the solver has learnt; a
    refutation is found again by a fresh solver writing a DRAT proof."""

    def __init__(self, clauses: list[Clause]):
        self.ctx = z3.Context()  # its own: the SAT search's path depends on what a context has seen before
        self.solver = z3.SolverFor("QF_FD", ctx=self.ctx)
        self.solver.set("random_seed", SEED)
        self.solver.from_string(smt2(clauses))
        self.attempt = 0
        self.reason = ""

    def add(self, clauses: list[Clause]) -> None:
        self.solver.from_string(smt2(clauses))

    def solve(self, deadline: float | None) -> bool | None:
        s = self.solver
        while True:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.reason = "timeout"
                    return None
                s.set("timeout", max(1, int(left * 1000)))
            s.set("rlimit", SLICE << min(self.attempt, 20))
            s.set("random_seed", SEED + self.attempt)
            r = s.check()
            if r != z3.unknown:
                return r == z3.sat
            if deadline is not None and time.monotonic() >= deadline:
                self.reason = f"z3: {s.reason_unknown()}"
                return None
            self.attempt += 1

    def model(self, count: int) -> list[bool]:
        m = self.solver.model()
        return [False] + [z3.is_true(m.eval(z3.Bool(f"v{i}", self.ctx), model_completion=True))
                          for i in range(1, count + 1)]

    def refutation(self, inputs: list[Clause], count: int, deadline: float | None) -> list | None:
        """z3 refutes ``inputs`` again in a fresh SAT solver while writing a DRAT proof, as proof steps;
        None if it does not in time."""
        fd, path = tempfile.mkstemp(prefix="automata-rnn-", suffix=".drat")
        os.close(fd)
        try:
            with _DRAT:
                ctx = z3.Context()
                saved = {k: z3.get_param(f"sat.{k}") for k in UNLOGGED}
                z3.set_param("sat.drat.file", path)
                for k in UNLOGGED:
                    z3.set_param(f"sat.{k}", False)
                try:
                    s = z3.Tactic("sat", ctx).solver()  # no preprocessing: clauses reach the SAT core as they are
                    if deadline is not None:
                        s.set("timeout", max(1, int((deadline - time.monotonic()) * 1000)))
                    s.from_string(smt2(inputs))
                    refuted = s.check() == z3.unsat
                    del s
                    gc.collect()  # the proof file is complete once the solver is freed
                finally:
                    z3.set_param("sat.drat.file", "")
                    for k, v in saved.items():
                        z3.set_param(f"sat.{k}", v)
            if not refuted:
                return None
            with open(path, encoding="ascii") as f:
                return drat_steps(f.read(), inputs, count)
        finally:
            with contextlib.suppress(OSError):
                os.remove(path)

    def close(self) -> None:
        del self.solver


SAT_CORES: dict[str, type[Cadical] | type[Z3Sat]] = {"cadical": Cadical, "z3": Z3Sat}
"""The SAT cores of the search, by name; 'cadical' is the default."""


class Search:
    """The CEGAR loop at one size (see the module docstring); :meth:`run` decides it within a deadline."""

    def __init__(self, problem: Problem, sat: str = "cadical"):
        self.problem = problem
        self.sat = SAT_CORES[sat]
        self.lab = lab = labelling(problem)
        self.words = symmetry_words(lab)
        self.inputs: list[Clause] = lab.base() + lab.symmetry(self.words) + lab.directions()
        self.lemmas: list[Lemma] = []
        self.units_lp = Threshold(problem.inputs + lab.units + 1)
        self.readout_lp = Threshold(lab.units + 1)
        self.candidate_lp = (Threshold(problem.inputs + lab.units + 2) if isinstance(lab, GruAfterLabelling)
                             else None)  # gru-after's candidate: (x(a), r c, r, 1)

    def run(self, deadline: float | None) -> Decided:
        """sat (weights re-verified) / unsat (the clauses are unsatisfiable) / unknown (time)."""
        lab = self.lab
        core = self.sat(self.inputs)
        rounds = 0
        try:
            while True:
                rounds += 1
                found = core.solve(deadline)
                if found is None:
                    return Decided(Verdict.UNKNOWN, reason=core.reason, rounds=rounds, lemmas=self.lemmas)
                if not found:
                    cert, checked = self.certificate(core, deadline)
                    reason = "" if cert else core.reason or "no proof of unsatisfiability was accepted in time"
                    return Decided(Verdict.UNSAT, certificate=cert, rounds=rounds, lemmas=self.lemmas,
                                   reason=reason, checked=checked)
                units = self._units(core.model(lab.count))
                if isinstance(units, dict):
                    try:
                        run = verify_weights(self.problem, units)
                    except TooLarge:
                        run = None
                    if run is None or not run.implements:
                        raise InternalCheckFailed("weights of the decomposition failed exact re-verification")
                    return Decided(Verdict.SAT, weights=units, rounds=rounds, lemmas=self.lemmas)
                for points in units:
                    self.lemmas.append(points)
                    clauses = lab.lemma_clauses(points)
                    core.add(clauses)
                    self.inputs.extend(clauses)
        finally:
            core.close()

    def _units(self, value: list[bool]):
        """The network's weights for the model (every threshold family's rows and the read-out's), or the
        lemmas of the functions that no threshold unit gives."""
        lab = self.lab
        lemmas: list[Lemma] = []
        after = isinstance(lab, GruAfterLabelling)
        rows = [[fit(lab, self.units_lp, [(c, a, int(value[var(c, a, j)])) for c in range(lab.codes)
                                           for a in lab.symbols], lemmas) for j in range(lab.units)]
                for var in (lab.families()[:2] if after else lab.families())]
        if isinstance(lab, GruAfterLabelling) and self.candidate_lp is not None:  # its own points
            rows.append([fit(lab, self.candidate_lp, [(c, a, int(value[lab.K(c, a, j)])) for c in range(lab.codes)
                                                      for a in lab.symbols]
                             + [(None, a, int(value[lab.K0(a, j)])) for a in lab.symbols], lemmas)
                         for j in range(lab.units)])
        wy = fit(lab, self.readout_lp, [(c, None, int(value[lab.O(c)])) for c in range(lab.codes)], lemmas)
        if lemmas or wy is None:
            return lemmas
        if isinstance(lab, GruLabelling):
            selects, resets, candidates = rows
            return gru_weights(self.problem, selects, resets, candidates, wy)
        return network_weights(self.problem, rows[0], wy)

    def certificate(self, core: Cadical | Z3Sat, deadline: float | None) -> tuple[dict | None, str]:
        """The ``labelling`` certificate that the clauses so far are unsatisfiable, with the checker's
        verdict, if the core's proof is accepted by the checker; else None (and why, if the checker said)."""
        with paused_gc():
            try:
                found = core.refutation(self.inputs, self.lab.count, deadline)
            except (OSError, ValueError):
                return None, ""
            if found is None:
                return None, ""
            proof = found if isinstance(found, dict) else {"proof": found}  # Z3Sat gives DRAT steps
            cert = {"format": FORMAT, "claim": "refutes", "problem": self.problem.to_json(), "hypotheses": [],
                    "tree": {"labelling": {"symmetry_words": [list(w) for w in self.words], "directions": True,
                                           "lemmas": [lemma_json(p) for p in self.lemmas], **proof}}}
            ok, why = check(cert)
        return (cert, why) if ok else (None, why)

def smt2(clauses: list[Clause]) -> str:
    """Clauses over variables ``v1``, ``v2``, ... as SMT-LIB 2 (z3 parses this far faster than it builds
    the same terms one by one through its Python API); each clause one assertion, in order."""
    used = sorted({abs(lit) for c in clauses for lit in c})
    parts = [f"(declare-fun v{v} () Bool)" for v in used]
    for c in clauses:
        lits = [f"v{lit}" if lit > 0 else f"(not v{-lit})" for lit in c]
        parts.append(f"(assert {lits[0]})" if len(lits) == 1 else f"(assert (or {' '.join(lits)}))")
    return "\n".join(parts)


def lemma_json(points) -> dict:
    """A lemma as JSON: its points [code, symbol (null for the read-out), bit, multiplier]."""
    return {"points": [[c, a, bit, str(m)] for c, a, bit, m in points]}


def drat_steps(text: str, inputs: list[Clause], count: int) -> list:
    """z3's DRAT proof of ``inputs`` as proof steps in our numbering: every input clause, then each clause
    the proof adds, then the empty clause.  z3 numbers variables in the order they first appear in the
    clauses given to it; its own input lines (our clauses, simplified) and deletions are left out.
    ValueError on a line it cannot read."""
    ours: dict[int, int] = {}
    for c in inputs:
        for lit in c:
            ours.setdefault(abs(lit), 0)
    back = {k: v for k, v in enumerate(ours, start=1)}
    fresh = count
    steps: list = [{"inputs": len(inputs)}]
    for line in text.splitlines():
        parts = line.split()
        if not parts or parts[-1] != "0":
            raise ValueError(f"DRAT line {line[:40]!r}")
        if parts[0] in ("i", "d"):
            continue
        clause = []
        for t in parts[:-1]:
            z = int(t)
            if abs(z) not in back:
                fresh += 1
                back[abs(z)] = fresh
            clause.append(back[abs(z)] if z > 0 else -back[abs(z)])
        steps.append(clause)
    if steps[-1] != []:
        steps.append([])
    return steps


@one_question
def decide(problem: Problem, timeout: float | None = None, sat: str = "cadical") -> Decided:
    """The decomposition at the problem's size, within ``timeout`` seconds, with the SAT core ``sat`` (a
    key of :data:`SAT_CORES`; see the module docstring); Unsupported for a problem it does not speak of
    (:func:`applies`)."""
    if not applies(problem):
        raise Unsupported("the decomposition is for one layer of at most "
                          f"{MAX_UNITS} Elman or GRU units with a threshold read-out "
                          "under the indicator semantics, without margin, fixed weights or weight bound")
    deadline = None if timeout is None else time.monotonic() + timeout
    return Search(problem, sat).run(deadline)
