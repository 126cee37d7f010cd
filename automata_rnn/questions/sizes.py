"""Networks of any size: solving by the direct encoding, lower bounds, the smallest number of units.

A "no" at a given size is backed, in this order of preference, by a
certificate from the case-split prover that the independent checker accepts
(tried within a budget), or by z3 and cvc5 both finding the direct encoding
unsatisfiable, said plainly.  If neither is available the size stays
unknown.  Adding a unit never hurts (give it zero weights and a negative
bias: it stays 0 and the read-out ignores it), so excluding n - 1 units
excludes every smaller size.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Callable, NamedTuple

import z3

from automata_rnn.exact.checker import check
from automata_rnn.exact.run import TooLarge, Verified, verify_weights
from automata_rnn.interop.weights import weights_json
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.questions.cases import solve_by_cases
from automata_rnn.solver.construction import ELMAN_INSIDE, gated_from_elman, state_unit_weights
from automata_rnn.solver.context import one_question
from automata_rnn.solver.counting import counting_tree
from automata_rnn.solver.cvc5 import cvc5_verdict
from automata_rnn.solver.decompose import applies as decomposes
from automata_rnn.solver.decompose import decide
from automata_rnn.solver.encode import Encoding, StateCodeEncoding, code_count
from automata_rnn.solver.prove import Budget, Timeout, TreeLimit, certificate, prove
from automata_rnn.verdicts import BadInput, InternalCheckFailed, ResourceLimit, Verdict

if TYPE_CHECKING:
    from concurrent.futures import Executor


SEARCHES = ("direct", "decompose", "decompose-z3")
"""How ``minimize`` searches a size: the direct encoding; the decomposition with CaDiCaL as its SAT core; the
decomposition with z3's SAT core."""

CERTIFICATE_NODES = 10_000
"""The default budget of a case-split certificate that a size is too small (a deterministic budget, in tree
nodes): the Tomita table's hardest exclusion, Elman Tomita 4 at 2 units, takes about 4,000 nodes (5 s)."""


@dataclass
class Exclusion:
    """Why no network of ``units`` units exists: ``method`` is 'certificate' or 'two solvers (z3, cvc5)'."""

    units: int
    method: str
    certificate: dict | None = None
    checked: str = ""


@dataclass
class SizeResult:
    units: int
    verdict: Verdict
    seconds: float
    weights: dict | None = None
    exclusion: Exclusion | None = None
    reason: str = ""


def resized(problem: Problem, units: int) -> Problem:
    """The problem with ``units`` units in each of its layers (one layer, or a stack of the same depth)."""
    depth = len(problem.layers)
    return dataclasses.replace(problem, units=units * depth, layers=(units,) * depth)


class Found(NamedTuple):
    """What the direct encoding finds: sat with weights (re-verified by one exhaustive exact run, whose
    margin is ``margin``), unsat, or unknown with the reason."""

    verdict: Verdict
    weights: dict | None
    reason: str = ""
    margin: Fraction | None = None


def _verified(problem: Problem, weights: dict) -> Verified | None:
    """One exact run of the weights; None when it is too large to finish (then they are not accepted)."""
    try:
        return verify_weights(problem, weights)
    except TooLarge:
        return None


@one_question
def find_weights(problem: Problem, timeout: float | None = None, enc: Encoding | None = None,
                 robust: bool = False) -> Found:
    """z3 on the direct encoding: sat (weights, verified) / unsat / unknown (the reason).

    When the full encoding is large (codes x states > 64), a smaller sufficient encoding (one code per
    automaton state) is tried first for a few seconds; its models are re-verified like any other, and
    only the full encoding may say "no".  More codes than ``MAX_CODES``: ResourceLimit, up front.  Building
    the encoding counts against ``timeout``: when it is not built in time the answer is unknown.
    """
    codes = code_count(problem)
    deadline = None if timeout is None else time.monotonic() + timeout
    if problem.units > 1 and not robust and codes * len(problem.automaton.states) > 64:
        budget = 5.0 if timeout is None else min(5.0, timeout / 4)
        found = one_code_per_state(problem, budget)
        if found is not None:
            return found
    if enc is None:
        try:
            enc = Encoding(problem, robust=robust, deadline=deadline)
        except ResourceLimit as limit:
            return Found(Verdict.UNKNOWN, None, str(limit))
    if deadline is not None:
        timeout = max(0.5, deadline - time.monotonic())
    s = enc.solver(None if timeout is None else max(1, int(timeout * 1000)))
    r = s.check()
    if r == z3.unknown:
        return Found(Verdict.UNKNOWN, None, f"z3: {s.reason_unknown()}")
    if r == z3.unsat:
        return Found(Verdict.UNSAT, None)
    weights, run = _simpler(enc, enc.weights(s.model()), timeout)
    run = run or _verified(problem, weights)
    if run is None or not run.implements:
        raise InternalCheckFailed("a model of the encoding failed exact re-verification")
    return Found(Verdict.SAT, weights, "", run.margin)


def one_code_per_state(problem: Problem, budget: float) -> Found | None:
    """Weights from the smaller, sufficient encoding (one code per automaton state) within ``budget``
    seconds, verified by one exact run; None when it finds none (which proves nothing)."""
    quick = StateCodeEncoding(problem)
    s = quick.solver(max(1, int(budget * 1000)))
    if s.check() == z3.sat:
        weights, run = _simpler(quick, quick.weights(s.model()), budget)
        run = run or _verified(problem, weights)
        if run is not None and run.implements:
            return Found(Verdict.SAT, weights, "", run.margin)
    return None


def _simpler(enc: Encoding | StateCodeEncoding, weights: dict, timeout: float | None
             ) -> tuple[dict, Verified | None]:
    """Small integer weights, with their exact run, when the encoding admits them within a short search;
    else the model's weights, not yet run."""
    names = list(enc.vars)
    for b in (1, 2, 3):
        s = enc.solver(400)
        for n in names:
            iv = z3.Int(f"int_{n}", enc.ctx)
            s.add(enc.vars[n] == z3.ToReal(iv), iv <= b, iv >= -b)
        if s.check() == z3.sat:
            w = enc.weights(s.model())
            run = _verified(enc.problem, w)
            if run is not None and run.implements:
                return w, run
    return weights, None


def counting_exclusion(problem: Problem) -> Exclusion | None:
    """The counting certificate that the network has too few codes for the automaton's distinguishable
    states, checked by the independent checker; None when the count does not exclude the size."""
    tree = counting_tree(problem)
    if tree is None:
        return None
    cert = certificate(problem, tree)
    ok, why = check(cert)
    if not ok:
        raise InternalCheckFailed(f"counting certificate rejected by the checker: {why}")
    return Exclusion(problem.units, "certificate", cert, why)


@one_question
def exclude(problem: Problem, certificate_nodes: int = CERTIFICATE_NODES, timeout: float | None = None,
            enc: Encoding | None = None, *, z3_found_unsat: bool = False) -> Exclusion | None:
    """Back "no network of this size" by a checked certificate (counting codes first; then a case split
    of at most ``certificate_nodes`` nodes: a deterministic budget) or two agreeing solvers; None if none.
    ``z3_found_unsat``: the caller has just had z3 find this exact encoding unsatisfiable, so only
    cvc5 remains to be asked."""
    counted = counting_exclusion(problem)
    if counted is not None:
        return counted
    try:
        if certificate_nodes <= 0:
            raise TreeLimit("no certificate asked for")
        proof = prove(problem, budget=Budget(timeout), max_nodes=certificate_nodes, stop_at_region=True)
        if not proof.regions:
            cert = certificate(problem, proof.tree)
            ok, why = check(cert)
            if ok:
                return Exclusion(problem.units, "certificate", cert, why)
    except (Timeout, TreeLimit):
        pass
    enc = Encoding(problem) if enc is None else enc
    if not z3_found_unsat:
        s = enc.solver(None if timeout is None else max(1, int(timeout * 1000)))
        if s.check() != z3.unsat:
            return None
    second = cvc5_verdict(enc.smt2(), timeout)
    if second == Verdict.UNSAT:
        return Exclusion(problem.units, "two solvers (z3, cvc5)", None,
                         "z3 and cvc5 both report the encoding unsatisfiable")
    return None


@dataclass
class Minimal:
    """The smallest number of units: verified weights at ``minimal``, and the exclusion of ``minimal - 1``."""

    problem: Problem
    minimal: int | None
    weights: dict | None
    lower_bound: Exclusion | None
    sizes: list[SizeResult] = field(default_factory=list)
    reason: str = ""
    construction: tuple[Problem, dict] | None = None   # a verified network past the sizes searched


def exclusion_json(e: Exclusion | None) -> dict | None:
    """An exclusion as JSON (None stays None)."""
    if e is None:
        return None
    return {"units": e.units, "method": e.method, "checked": e.checked, "certificate": e.certificate}


def minimal_json(m: Minimal) -> dict:
    """The answer of :func:`minimize` as JSON: the minimal size, its verified weights, the exclusion below it;
    the solving times apart, under ``timings`` (so that :func:`without_timings` makes reruns byte-identical)."""
    order = m.problem.parameter_names()
    return {
        "problem": m.problem.to_json(),
        "automaton": m.problem.automaton.name,
        "cell": m.problem.cell.name,
        "minimal_hidden": m.minimal,
        "weights": None if m.weights is None else weights_json(m.weights, order),
        "verified": m.weights is not None,
        "lower_bound": (None if m.minimal is None else
                        {"units": m.minimal - 1, "method": "none needed: one unit is the least"} if m.minimal == 1
                        else exclusion_json(m.lower_bound)),
        "upper_bound": next((s.units for s in m.sizes if s.verdict == Verdict.SAT),
                            None if m.construction is None else m.construction[0].units),
        "construction": None if m.construction is None else {
            "method": CONSTRUCTION,
            "units": m.construction[0].units,
            "weights": weights_json(m.construction[1], m.construction[0].parameter_names())},
        "excluded_up_to": max((s.units for s in m.sizes if s.verdict == Verdict.UNSAT), default=0),
        "sizes": [{"units": s.units, "verdict": s.verdict} for s in m.sizes],
        "reason": m.reason or None,
        "timings": {"sizes_seconds": [round(s.seconds, 3) for s in m.sizes]},
    }


def without_timings(obj):
    """A JSON answer (or a list of them) without its ``timings``: what two runs of a question share."""
    if isinstance(obj, list):
        return [without_timings(o) for o in obj]
    return {k: v for k, v in obj.items() if k != "timings"} if isinstance(obj, dict) else obj


def _search_size(p: Problem, timeout: float | None, search: str) -> tuple[SizeResult, bool]:
    """One size: its result (an unsat one with its exclusion when the counting certificate or the
    decomposition's certificate was accepted), and whether z3 found the direct encoding unsatisfiable.
    The counting certificate first, for every search; then a cell whose state can count (the LSTM), which
    has no direct encoding, goes to the case-split prover
    (:func:`~automata_rnn.questions.cases.solve_by_cases`), whose "no" is its certificate.  Under the
    decompositions, a problem of :func:`~automata_rnn.solver.decompose.decide` (the Elman cell and the GRU in
    its three conventions) is decided by it, whose "no" carries its certificate; other problems go to the
    direct encoding."""
    t = time.monotonic()
    counted = counting_exclusion(p)
    if counted is not None:
        return SizeResult(p.units, Verdict.UNSAT, time.monotonic() - t, None, counted), False
    if p.cell.code_values(p.semantics.name) is None:  # a cell state that can count: no direct encoding
        answer = solve_by_cases(p, timeout)
        exclusion = (Exclusion(p.units, "certificate", answer.certificate, answer.checked)
                     if answer.verdict == Verdict.UNSAT else None)
        return SizeResult(p.units, answer.verdict, time.monotonic() - t, answer.weights, exclusion,
                          answer.reason), False
    if search.startswith("decompose") and decomposes(p):
        if p.cell.name == "rnn" and p.units > 1 and code_count(p) * len(p.automaton.states) > 64:  # as find_weights
            budget = 5.0 if timeout is None else min(5.0, timeout / 4)
            found = one_code_per_state(p, budget)
            if found is not None:
                return SizeResult(p.units, Verdict.SAT, time.monotonic() - t, found.weights), False
            timeout = None if timeout is None else max(0.5, timeout - budget)
        d = decide(p, timeout, sat="z3" if search == "decompose-z3" else "cadical")
        exclusion = None
        if d.certificate is not None:
            exclusion = Exclusion(p.units, "certificate", d.certificate, d.checked)
        return SizeResult(p.units, d.verdict, time.monotonic() - t, d.weights, exclusion, d.reason), False
    verdict, weights, reason, _ = find_weights(p, timeout)
    return SizeResult(p.units, verdict, time.monotonic() - t, weights, reason=reason), verdict == Verdict.UNSAT


@one_question
def minimize(problem: Problem, max_hidden: int = 4, timeout: float | None = None,
             certificate_nodes: int = CERTIFICATE_NODES, search: str = "decompose") -> Minimal:
    """Try 1, 2, ... units up to ``max_hidden``; the first size with verified weights, with n - 1 excluded.
    ``search``: 'decompose' (for an Elman cell with a threshold read-out under the indicator semantics, up
    to :data:`decompose.MAX_UNITS` units, :mod:`automata_rnn.solver.decompose` with CaDiCaL as its SAT core,
    for the GRU in its three conventions as well; other problems and larger sizes use the direct encoding),
    'decompose-z3' (the same with z3's SAT core)
    or 'direct' (the direct encoding at every size); a size with more states than codes is excluded by the
    counting certificate first, whatever the search.
    Either way the size below the answer is excluded by a certificate (the decomposition's own, or
    :func:`exclude`).
    For a stack the size is the units of every layer alike, at the stack's depth (a unit added to every
    layer can be ignored, so an excluded size excludes every smaller one here too).

    A size the solvers cannot decide in time does not stop the search: larger sizes are still tried
    (each gets at most half the time left), so the answer can be "n units suffice; fewer unknown".
    """
    if search not in SEARCHES:
        raise BadInput(f"unknown search {search!r} ({', '.join(SEARCHES)})")
    deadline = None if timeout is None else time.monotonic() + timeout
    sizes: list[SizeResult] = []
    direct_unsat_below = False
    for n in range(1, max_hidden + 1):
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            break
        p = resized(problem, n)
        share = None if left is None else max(1.0, left / 2)
        result, direct_unsat = _search_size(p, share, search)
        sizes.append(result)
        verdict, weights = result.verdict, result.weights
        if verdict != Verdict.SAT or weights is None:
            direct_unsat_below = direct_unsat
            continue
        undecided = [s.units for s in sizes if s.verdict == Verdict.UNKNOWN]
        if n == 1:
            return Minimal(p, 1, weights, None, sizes)
        if undecided:
            return Minimal(p, None, weights, None, sizes,
                           f"{n} units suffice (verified), but size(s) {', '.join(map(str, undecided))} "
                           "could not be decided in time")
        left = None if deadline is None else max(0.5, deadline - time.monotonic())
        excl = sizes[-2].exclusion or exclude(resized(problem, n - 1), certificate_nodes, left,
                                              z3_found_unsat=direct_unsat_below)
        sizes[-2].exclusion = excl
        if excl is None:
            return Minimal(p, None, weights, None, sizes,
                           f"{n} units suffice, but {n - 1} could not be excluded by a certificate "
                           "or by two solvers (install automata-rnn[cvc5])")
        return Minimal(p, n, weights, excl, sizes)
    built = _construction(problem)
    more = "" if built is None else (f"; a construction with one unit per state (one per entering symbol "
                                     f"where its transitions need it) gives a network of {built[0].units} units, "
                                     "re-verified by exhaustive exact simulation")
    if sizes and sizes[-1].verdict == Verdict.UNKNOWN and deadline is not None and time.monotonic() >= deadline:
        return Minimal(problem, None, None, None, sizes, "timeout" + more, built)
    tried = f"{max_hidden} unit" + ("s" if max_hidden > 1 else "")
    return Minimal(problem, None, None, None, sizes,
                   (f"no network found with up to {tried}" if sizes else "timeout") + more, built)


CONSTRUCTION = ("one unit per state of the minimal automaton, one per (state, symbol) where its transitions "
                "need them (Minsky's construction refined)")
"""How the network of :func:`_construction` is made, as the JSON answers name it."""


def _construction(problem: Problem) -> tuple[Problem, dict] | None:
    """A network for the problem's automaton that always exists, when a construction applies and verifies (it
    always should): :func:`~automata_rnn.solver.construction.state_unit_weights`, at most Minsky's |Q| |Sigma|
    units; for a GRU (:data:`ELMAN_INSIDE`), that Elman network copied into the GRU's candidate with the
    update gate on the candidate and the reset gate open
    (:func:`~automata_rnn.solver.construction.gated_from_elman`)."""
    gru = problem.cell.name in ELMAN_INSIDE
    built = state_unit_weights(dataclasses.replace(problem, cell=get_cell("rnn")) if gru else problem)
    if built is None:
        return None
    sized = dataclasses.replace(built[0], cell=problem.cell)
    for weights in gated_from_elman(sized, built[1]) if gru else [built[1]]:
        if verify_weights(sized, weights).implements:
            return sized, weights
    raise InternalCheckFailed("the constructed network failed exact re-verification")


def _job(args) -> dict:
    """One table entry in a worker process (plain data in, plain data out)."""
    automaton_json, cell, options = args
    from automata_rnn.model.automata import Automaton
    from automata_rnn.model.cells import get_cell

    aut = Automaton.from_json(automaton_json)
    p = Problem(aut, get_cell(cell), 1, output=options.get("output", "readout"))
    t = time.monotonic()
    m = minimize(p, options.get("max_hidden", 4), options.get("timeout"),
                 options.get("certificate_nodes", CERTIFICATE_NODES), options.get("search", "decompose"))
    out = minimal_json(m)
    out["timings"]["seconds"] = round(time.monotonic() - t, 3)
    return out


def table(automata: list, cells: list[str], max_hidden: int = 4, timeout: float | None = None,
          executor: Executor | None = None, output: str = "readout", certificate_nodes: int = CERTIFICATE_NODES,
          progress: Callable[[int, int, dict], None] | None = None, search: str = "decompose") -> list[dict]:
    """Minimal units for every (automaton, cell), one job per entry, through any concurrent.futures executor.

    Each exclusion first tries a checkable certificate of at most ``certificate_nodes`` nodes, then two solvers;
    ``search`` as for :func:`minimize`.
    ``progress(k, n, entry)`` is called as the k-th of the n entries is known, in table order.
    """
    jobs = [(a.to_json(), c, {"max_hidden": max_hidden, "timeout": timeout, "output": output,
                              "certificate_nodes": certificate_nodes, "search": search})
            for a in automata for c in cells]
    rows = []
    for row in (map(_job, jobs) if executor is None else executor.map(_job, jobs)):
        rows.append(row)
        if progress is not None:
            progress(len(rows), len(jobs), row)
    return rows




@one_question
def refute_all_sizes(problem: Problem) -> dict | None:
    """A certificate that no Elman threshold RNN of any size whose output is its unit 0 implements the
    automaton (the relaxation of :func:`certificates.relaxation_facts` is infeasible), or None if the
    relaxation is feasible (then nothing follows for every size)."""
    from automata_rnn.exact.checker import FORMAT, relaxation_facts
    from automata_rnn.solver.prove import Feasibility, farkas

    if problem.automaton.output[problem.automaton.start] == 1:
        tree: dict = {"word": []}
    else:
        facts = relaxation_facts(problem)
        names = sorted({n for e in facts for n in e.coeffs})
        relaxed = dataclasses.replace(problem, fixed={}, bound=None)
        if Feasibility(relaxed, names=names).point(facts) is not None:
            return None
        tree = {"farkas": farkas(relaxed, facts)}
    cert = {"format": FORMAT, "claim": "refutes-all-sizes", "problem": problem.to_json(), "tree": tree}
    ok, why = check(cert)
    if not ok:
        raise InternalCheckFailed(f"all-sizes certificate rejected: {why}")
    return cert
