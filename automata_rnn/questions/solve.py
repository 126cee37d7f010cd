"""The questions a user asks, answered exactly and checked before they are returned.

* :func:`solve`: weights that implement (re-verified by exhaustive exact
  simulation), or a certificate that none exist (accepted by the independent
  checker), or unknown with the reason.
* :func:`check_weights`: do these exact weights implement? If not, the
  shortest failing input and its exact trace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from automata_rnn.exact.checker import check
from automata_rnn.exact.pumping import Pump, check_invariant, counts, explore_families
from automata_rnn.exact.run import (
    Failure,
    Implements,
    TooLarge,
    TraceRow,
    explore,
    trace,
    verify_weights,
    weight_signs,
)
from automata_rnn.model.problem import Problem
from automata_rnn.questions.cases import Answer, solve_by_cases
from automata_rnn.questions.sizes import exclude, find_weights
from automata_rnn.solver.context import one_question
from automata_rnn.solver.cvc5 import cvc5_verdict
from automata_rnn.solver.encode import Encoding
from automata_rnn.verdicts import InternalCheckFailed, Verdict


def smallest_margin(problem: Problem, weights: dict) -> Fraction | None:
    """The least |pre-activation| over every gate evaluated on a reachable (code, input) pair (None unless
    the weights implement the automaton)."""
    return verify_weights(problem, weights).margin


@one_question
def solve(problem: Problem, timeout: float | None = None, integers: bool = True) -> Answer:
    """Decide whether weights exist; every answer is checked before it is returned.  A cell whose state is h
    alone is searched in its direct encoding; others (the LSTM) by the case-split prover."""
    if problem.cell.state_parts == ("h",):
        return solve_encoded(problem, timeout)
    return solve_by_cases(problem, timeout, integers)


@one_question
def solve_encoded(problem: Problem, timeout: float | None = None) -> Answer:
    """z3 on the direct encoding, weights re-verified exactly; a "no" needs a certificate from the
    case-split prover or z3 and cvc5 agreeing."""
    verdict, weights, reason, margin = find_weights(problem, timeout)
    if verdict == Verdict.SAT and weights is not None:
        return Answer(problem, Verdict.SAT, weights=weights, verified=True,
                      checked="re-verified by exhaustive exact simulation", margin_achieved=margin)
    if verdict == Verdict.UNKNOWN:
        return Answer(problem, Verdict.UNKNOWN, reason=reason)
    excl = exclude(problem, timeout=timeout, z3_found_unsat=True)
    if excl is not None and excl.certificate is not None:
        ok, why = check(excl.certificate)
        if not ok:
            raise InternalCheckFailed(f"certificate rejected by the checker: {why}")
    if excl is None:
        return Answer(problem, Verdict.UNKNOWN, reason="z3 finds no weights, but neither a certificate nor a second "
                                                 "solver confirms it (install automata-rnn[cvc5])")
    return Answer(problem, Verdict.UNSAT, certificate=excl.certificate, verified=True,
                  checked=excl.checked if excl.method == "certificate" else f"{excl.method}: {excl.checked}")


@dataclass
class CheckResult:
    """Whether exact weights implement the automaton; if not, a shortest failing input and its trace.

    ``pumps`` are the loops along which the cell state counts (an LSTM under the saturated semantics),
    each proved to repeat for every number of rounds; ``proof`` says how a "yes" was established."""

    implements: bool
    word: tuple | None = None
    reason: str = ""
    rows: list[TraceRow] = field(default_factory=list)
    pairs: int = 0
    pumps: list[Pump] = field(default_factory=list)
    proof: str = ""

    @property
    def verdict(self) -> Verdict:
        """sat: implements (exhaustive exact run); unsat: a shortest failing input; unknown: the run hit a limit."""
        if self.implements:
            return Verdict.SAT
        return Verdict.UNSAT if self.word is not None else Verdict.UNKNOWN


RUN_AGAIN_UP_TO = 10
"""Length up to which every input is also run exactly beside a proof on families of codes."""


def check_weights(problem: Problem, weights: dict, limit: int = 100_000) -> CheckResult:
    """Exhaustive exact simulation of the network with these weights (unnamed parameters are 0).  A cell
    state that counts (see :mod:`automata_rnn.exact.pumping`) is explored on families of codes."""
    full = {n: Fraction(0) for n in problem.parameter_names()}
    full.update(weights)
    params = problem.parameters(full)
    if counts(problem):
        counted = _check_counting(problem, full, params, limit)
        if counted is not None:
            return counted
    result = explore(problem, weight_signs(), params, limit=limit)
    if isinstance(result, Implements):
        return CheckResult(True, pairs=len(result.pairs),
                           proof=f"exhaustive exact run over {len(result.pairs)} reachable (state, automaton "
                                 "state) pairs")
    if isinstance(result, Failure):
        return CheckResult(False, result.word, result.reason, trace(problem, full, result.word))
    raise InternalCheckFailed("an undecided gate with every weight given")


def _check_counting(problem: Problem, full: dict, params, limit: int) -> CheckResult | None:
    """The exploration on families; None when no cell state counted (the plain exact run then answers)."""
    run = explore_families(problem, params, limit=limit)
    if not run.pumps:
        return None
    if run.failure is not None:
        word, reason = run.failure.word, run.failure.reason
        try:  # the shortest failing input: every input no longer than the one found, run exactly
            shortest = explore(problem, weight_signs(), params, limit=limit, max_depth=len(word))
        except TooLarge as e:
            shortest = None
            reason += f" (not shown to be a shortest one: {e} within its length)"
        if shortest is not None:
            if not isinstance(shortest, Failure):
                raise InternalCheckFailed(f"the failing input {word} found on families does not fail when run")
            word, reason = shortest.word, shortest.reason
        rows = trace(problem, full, word)
        if rows[-1].got == rows[-1].expected:
            raise InternalCheckFailed(f"the failing input {word} does not fail in its exact trace")
        return CheckResult(False, word, reason, rows, pumps=run.pumps)
    ok, why = check_invariant(problem, params, run.states)
    if not ok:
        raise InternalCheckFailed(f"the families of codes are not an invariant: {why}")
    again = explore(problem, weight_signs(), params, limit=limit, max_depth=RUN_AGAIN_UP_TO)
    if not isinstance(again, Implements):
        raise InternalCheckFailed("an input fails when run exactly although the families of codes implement")
    return CheckResult(True, pairs=len(run.states), pumps=run.pumps,
                       proof=f"the tool's own proof on families of codes, re-derived: {why}; every input up to "
                             f"length {RUN_AGAIN_UP_TO} also run exactly")


@one_question
def second_opinion(problem: Problem, answer: Answer, timeout: float | None = None) -> dict | None:
    """cvc5's verdict on the direct encoding beside this answer ({solver, verdict, agrees}); None without
    cvc5.  A second solver agreeing is evidence, not a certificate: the answer stands on its own checks."""
    smt2 = Encoding(problem).smt2()
    other = cvc5_verdict(smt2, timeout)
    if other is None:
        return None
    return {"solver": "cvc5", "verdict": other, "agrees": other == answer.verdict}
