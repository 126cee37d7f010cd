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
from automata_rnn.solver.context import one_question
from automata_rnn.solver.cvc5 import cvc5_verdict
from automata_rnn.solver.encode import Encoding
from automata_rnn.solver.prove import (
    Budget,
    Timeout,
    TreeLimit,
    Unsupported,
    certificate,
    prove,
    small_integer_point,
)
from automata_rnn.verdicts import InternalCheckFailed, Verdict


@dataclass
class Answer:
    """verdict sat (weights, verified), unsat (certificate, checked) or unknown (reason)."""

    problem: Problem
    verdict: Verdict
    weights: dict | None = None
    certificate: dict | None = None
    verified: bool = False
    checked: str = ""
    reason: str = ""
    margin_achieved: Fraction | None = None
    nodes: int = 0
    extra: dict = field(default_factory=dict)


def smallest_margin(problem: Problem, weights: dict) -> Fraction | None:
    """The least |pre-activation| over every gate evaluated on a reachable (code, input) pair (None unless
    the weights implement the automaton)."""
    return verify_weights(problem, weights).margin


@one_question
def solve(problem: Problem, timeout: float | None = None, integers: bool = True) -> Answer:
    """Decide whether weights exist; every answer is checked before it is returned."""
    if problem.cell.state_parts == ("h",):
        return solve_encoded(problem, timeout)
    budget = Budget(timeout)
    try:
        proof = prove(problem, budget=budget)
        if proof.regions:
            candidates = []
            if integers:
                p = small_integer_point(problem, proof.regions, budget=budget)
                if p is not None:
                    candidates.append(p)
            candidates += [r.point for r in proof.regions[:1]]
            for point in candidates:
                weights = {**problem.fixed, **point}
                run = verify_weights(problem, weights)
                if run.implements:
                    return Answer(problem, Verdict.SAT, weights=weights, verified=True, nodes=proof.nodes,
                                  checked="re-verified by exhaustive exact simulation", margin_achieved=run.margin)
            raise InternalCheckFailed("a solution failed exact re-verification")
        cert = certificate(problem, proof.tree)
        ok, why = check(cert)
        if not ok:
            raise InternalCheckFailed(f"certificate rejected by the checker: {why}")
        return Answer(problem, Verdict.UNSAT, certificate=cert, verified=True, checked=why, nodes=proof.nodes)
    except Timeout as e:
        return Answer(problem, Verdict.UNKNOWN, reason=f"timeout: {e}")
    except (TreeLimit, Unsupported) as e:
        return Answer(problem, Verdict.UNKNOWN, reason=str(e))
    except TooLarge as e:
        return Answer(problem, Verdict.UNKNOWN, reason=f"the network's reachable codes do not stay small: {e}")


@one_question
def solve_encoded(problem: Problem, timeout: float | None = None) -> Answer:
    """z3 on the direct encoding, weights re-verified exactly; a "no" needs a certificate from the
    case-split prover or z3 and cvc5 agreeing."""
    from automata_rnn.questions.sizes import exclude, find_weights

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
    """Whether exact weights implement the automaton; if not, a shortest failing input and its trace."""

    implements: bool
    word: tuple | None = None
    reason: str = ""
    rows: list[TraceRow] = field(default_factory=list)
    pairs: int = 0

    @property
    def verdict(self) -> Verdict:
        """sat: implements (exhaustive exact run); unsat: a shortest failing input; unknown: the run hit a limit."""
        if self.implements:
            return Verdict.SAT
        return Verdict.UNSAT if self.word is not None else Verdict.UNKNOWN


def check_weights(problem: Problem, weights: dict, limit: int = 100_000) -> CheckResult:
    """Exhaustive exact simulation of the network with these weights (unnamed parameters are 0)."""
    full = {n: Fraction(0) for n in problem.parameter_names()}
    full.update(weights)
    result = explore(problem, weight_signs(), problem.parameters(full), limit=limit)
    if isinstance(result, Implements):
        return CheckResult(True, pairs=len(result.pairs))
    if isinstance(result, Failure):
        return CheckResult(False, result.word, result.reason, trace(problem, full, result.word))
    raise InternalCheckFailed("an undecided gate with every weight given")


@one_question
def second_opinion(problem: Problem, answer: Answer, timeout: float | None = None) -> dict | None:
    """cvc5's verdict on the direct encoding beside this answer ({solver, verdict, agrees}); None without
    cvc5.  A second solver agreeing is evidence, not a certificate: the answer stands on its own checks."""
    smt2 = Encoding(problem).smt2()
    other = cvc5_verdict(smt2, timeout)
    if other is None:
        return None
    return {"solver": "cvc5", "verdict": other, "agrees": other == answer.verdict}
