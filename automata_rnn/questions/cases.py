"""Questions the case-split prover answers alone: do weights exist, for a cell without a direct encoding.

The LSTM's cell state can count, so no encoding enumerates its codes; the prover
(:mod:`automata_rnn.solver.prove`) splits cases over the gates' pre-activations
instead, and every answer is checked before it is returned: weights by an
exhaustive exact run, a "no" by the independent checker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from automata_rnn.exact.checker import check
from automata_rnn.exact.run import TooLarge, verify_weights
from automata_rnn.model.problem import Problem
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


def solve_by_cases(problem: Problem, timeout: float | None = None, integers: bool = True) -> Answer:
    """Decide whether weights exist by the case-split prover: verified weights (small integers when
    ``integers`` and a region admits them), a certificate the checker accepts, or unknown with the reason."""
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


