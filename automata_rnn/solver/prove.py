"""The prover: case splits over gate pre-activations, decided with z3.

:func:`prove` builds the tree that the certificate checker reads.  Each node
holds facts (sign sets of affine forms in the weights).  The exact run of the
cell (``run.explore``) either fails on a word (leaf), reaches a gate the facts
leave open (split it), or agrees everywhere (a region of weights that
implements the automaton).  z3 only judges whether the facts are feasible and
finds Farkas multipliers when they are not: nothing it says is printed
unchecked.  Every z3 query gets a fresh context and a fixed seed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd

import z3

from automata_rnn.arithmetic.exact import Affine, format_rational
from automata_rnn.exact.checker import FORMAT
from automata_rnn.exact.run import (
    Failure,
    Implements,
    Open,
    Stepper,
    TooLarge,
    explore,
    path_signs,
    verify_weights,
)
from automata_rnn.model.problem import Problem
from automata_rnn.model.semantics import NEG, POS, constraints_of, sign_text
from automata_rnn.solver.context import context
from automata_rnn.verdicts import ResourceLimit, Unsupported

SEED = 0


class Timeout(ResourceLimit):
    """The time budget ran out; the answer is unknown."""


class Budget:
    """A deadline shared by all z3 calls of one question (None: no limit)."""

    def __init__(self, seconds: float | None):
        self.deadline = None if seconds is None else time.monotonic() + seconds

    def remaining_ms(self) -> int | None:
        if self.deadline is None:
            return None
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Timeout("time limit reached")
        return max(1, int(left * 1000))


class Z3:
    """Affine forms and sign facts as z3 terms over one fresh context."""

    def __init__(self, names, integer: bool = False):
        self.ctx = context()
        make = z3.Int if integer else z3.Real
        self.vars = {n: make(n, self.ctx) for n in names}
        self.integer = integer
        self._facts: dict = {}
        self._terms: dict = {}

    def term(self, e: Affine):
        """The z3 term of ``e`` (made once per form)."""
        t = self._terms.get(e)
        if t is None:
            parts = [z3.RealVal(str(e.const), self.ctx)] if e.const else []
            for n, c in e.coeffs.items():
                v = z3.ToReal(self.vars[n]) if self.integer else self.vars[n]
                parts.append(v if c == 1 else z3.RealVal(str(c), self.ctx) * v)
            t = self._terms[e] = (parts[0] if len(parts) == 1 else z3.Sum(parts)) if parts \
                else z3.RealVal(0, self.ctx)
        return t

    def fact(self, e: Affine, signs: frozenset):
        key = (e, signs)
        if key not in self._facts:
            self._facts[key] = self._fact(e, signs)
        return self._facts[key]

    def _fact(self, e: Affine, signs: frozenset):
        t, zero = self.term(e), z3.RealVal(0, self.ctx)
        relation = {"+": t.__gt__, "0": t.__eq__, "-": t.__lt__}
        parts = [relation[s](zero) for s in "+0-" if s in signs]
        return z3.BoolVal(False, self.ctx) if not parts else parts[0] if len(parts) == 1 else z3.Or(*parts)

    def conj(self, facts):
        return z3.And(*[self.fact(e, s) for e, s in facts], self.ctx) if facts else z3.BoolVal(True, self.ctx)

    def solver(self, budget: Budget | None = None):
        s = z3.Solver(ctx=self.ctx)
        s.set("random_seed", SEED)
        if budget is not None and budget.remaining_ms() is not None:
            s.set("timeout", budget.remaining_ms())
        return s

    def model_values(self, m) -> dict[str, Fraction]:
        """The model's exact value of every variable (0 for those it leaves free)."""
        return {n: Fraction(m.eval(v, model_completion=True).as_string()) for n, v in self.vars.items()}


def check_sat(s, budget: Budget | None):
    r = s.check()
    if r == z3.unknown:
        raise Timeout(f"solver gave up: {s.reason_unknown()}")
    if budget is not None:
        budget.remaining_ms()
    return r == z3.sat


def bound_facts(problem: Problem) -> list[tuple[Affine, frozenset]]:
    """The weight bound as facts: bound - p >= 0 and p + bound >= 0 for each free parameter."""
    if problem.bound is None:
        return []
    out = []
    for n in problem.free_names():
        out += [(Affine(None, problem.bound) - Affine.var(n), frozenset("+0")),
                (Affine.var(n) + problem.bound, frozenset("+0"))]
    return out


class Feasibility:
    """Incremental feasibility of facts for one question: one context, one solver, push/pop per query."""

    def __init__(self, problem: Problem, budget: Budget | None = None, names: list[str] | None = None):
        self.z = Z3(problem.free_names() if names is None else names)
        self.budget = budget
        self.solver = self.z.solver(budget)
        if names is None:
            self.solver.add(self.z.conj(bound_facts(problem)))

    def enter(self, facts: dict) -> None:
        """Assert more facts on top of the current ones (undone by :meth:`leave`)."""
        self.solver.push()
        self.solver.add(*[self.z.fact(e, s) for e, s in facts.items()])

    def leave(self) -> None:
        self.solver.pop()

    def current_feasible(self) -> bool:
        """Whether some point satisfies every fact entered so far (its values: :meth:`current_point`)."""
        s = self.solver
        if self.budget is not None and self.budget.remaining_ms() is not None:
            s.set("timeout", self.budget.remaining_ms())
        return check_sat(s, self.budget)

    def current_point(self) -> dict:
        """The exact point found by the last :meth:`current_feasible` that answered True."""
        return self.z.model_values(self.solver.model())

    def point(self, facts: dict) -> dict | None:
        """An exact point satisfying the facts and the bound, or None if there is none."""
        s = self.solver
        if self.budget is not None and self.budget.remaining_ms() is not None:
            s.set("timeout", self.budget.remaining_ms())
        s.push()
        try:
            s.add(self.z.conj(list(facts.items())))
            if not check_sat(s, self.budget):
                return None
            return self.z.model_values(s.model())
        finally:
            s.pop()


def farkas(problem: Problem, facts: dict, budget: Budget | None = None) -> list[dict]:
    """Non-negative multipliers that combine the facts (and bound) into 0 > 0 or c >= 0 with c < 0.

    An exact LP solved by z3; RuntimeError if the facts are feasible after all.
    """
    rows: list[tuple[Affine, str]] = []
    for e, s in list(facts.items()):
        rows += constraints_of(e, s)
    for e, s in bound_facts(problem):
        rows += constraints_of(e, s)
    ctx = context()
    lam = [z3.Real(f"l{i}", ctx) for i in range(len(rows))]
    s = z3.Solver(ctx=ctx)
    s.set("random_seed", SEED)
    if budget is not None and budget.remaining_ms() is not None:
        s.set("timeout", budget.remaining_ms())
    zero = z3.RealVal(0, ctx)
    for v in lam:
        s.add(v >= zero)
    names = sorted({n for e, _ in rows for n in e.coeffs})
    for n in names:
        terms = [lam[i] * z3.RealVal(str(e.coeffs[n]), ctx) for i, (e, _) in enumerate(rows) if n in e.coeffs]
        s.add(z3.Sum(terms) == zero)
    const = z3.Sum([lam[i] * z3.RealVal(str(e.const), ctx) for i, (e, _) in enumerate(rows)] + [zero])
    strict = z3.Sum([lam[i] for i, (_, r) in enumerate(rows) if r == ">"] + [zero])
    s.add(const <= zero, strict - const >= z3.RealVal(1, ctx))
    if not check_sat(s, budget):
        raise RuntimeError("no Farkas certificate: the facts are feasible")
    m = s.model()
    ints = integer_multipliers([Fraction(m.eval(v, model_completion=True).as_string()) for v in lam])
    out = []
    for (e, r), k in zip(rows, ints):
        if k:
            out.append({"expr": e.to_json(), "rel": r, "multiplier": format_rational(Fraction(k))})
    return out


def integer_multipliers(values: list[Fraction]) -> list[int]:
    """The non-negative rationals scaled to coprime integers in the same proportions."""
    scale = 1
    for q in values:
        scale = scale * q.denominator // gcd(scale, q.denominator)
    ints = [int(q * scale) for q in values]
    common = 0
    for k in ints:
        common = gcd(common, k)
    return [k // common for k in ints] if common else ints


def literal_json(e: Affine, s: frozenset) -> dict:
    return {"expr": e.to_json(), "signs": sign_text(s)}


@dataclass
class Region:
    """A leaf of the case split where every weight satisfying ``facts`` implements the automaton."""

    facts: dict
    point: dict


@dataclass
class Proof:
    """The result of :func:`prove`: the tree, the implementing regions found, and size figures."""

    tree: dict
    regions: list[Region] = field(default_factory=list)
    counterexamples: list[tuple[dict, tuple, dict]] = field(default_factory=list)
    nodes: int = 0


class TreeLimit(ResourceLimit):
    """The case split grew past its node limit."""


def require_linear(problem: Problem) -> None:
    """Unsupported if free weights would multiply irrational states (a saturated LSTM)."""
    if problem.irrational_state and problem.free_names():
        raise Unsupported("under the saturated semantics an LSTM's hidden state is o tanh(c), the real tanh of "
                          "an integer cell state: free weights times it are not linear, so no exact encoding "
                          "decides it (give every weight to `check`, or use --semantics indicator)")


def _first_two_sided(facts: dict):
    for e, s in facts.items():
        if s == frozenset("+-"):
            return e
    return None


def prove(problem: Problem, hypotheses: dict | None = None, clauses: list | None = None,
          budget: Budget | None = None, max_nodes: int = 20_000, stop_at_region: bool = False,
          max_pairs: int = 2_000, stepper: Stepper | None = None) -> Proof:
    """Case-split the weights (under ``hypotheses`` facts) until every leaf is decided.

    Without ``clauses``: leaves are failing words, Farkas refutations or
    implementing regions (``Proof.regions``); with no region the tree is a
    ``refutes`` certificate.  With ``clauses`` (a CNF of literals), leaves that
    falsify a clause are closed, failing regions are split on clause literals
    until a clause is falsified, and regions that satisfy every clause yet fail
    are recorded in ``Proof.counterexamples``; with none, the tree is an
    ``implements-region`` certificate.  ``stepper`` (of the same problem) shares its memoised exact steps
    between the proofs of one question.
    """
    require_linear(problem)
    proof = Proof(tree={})
    feasibility = Feasibility(problem, budget)
    stepper = Stepper(problem) if stepper is None else stepper

    def satisfied(facts, clause):
        return any(path_signs(facts)(e) <= s for e, s in clause)

    def falsified(facts, clause):
        return all(not (path_signs(facts)(e) & s) for e, s in clause)

    def split(e, parts, facts):
        branches = []
        for p in parts:
            feasibility.enter({e: p})
            try:
                branches.append({"signs": sign_text(p), "node": build({**facts, e: p})})
            finally:
                feasibility.leave()
        return {"split": e.to_json(), "branches": branches}

    def build(facts: dict) -> dict:
        proof.nodes += 1
        if proof.nodes > max_nodes:
            raise TreeLimit(f"case split exceeds {max_nodes} nodes")
        if stop_at_region and proof.regions:
            return {"skipped": True}
        if budget is not None:
            budget.remaining_ms()
        if clauses is not None:
            for i, c in enumerate(clauses):
                if falsified(facts, c):
                    return {"clause": i}
        result = explore(problem, path_signs(facts), limit=max_pairs, stepper=stepper)
        if isinstance(result, Failure) and clauses is None:
            return {"word": list(result.word)}
        two_sided = _first_two_sided(facts)
        if two_sided is not None:
            return split(two_sided, (POS, NEG), facts)
        if not feasibility.current_feasible():
            return {"farkas": farkas(problem, facts, budget)}
        if isinstance(result, Open):
            return split(result.decision.expr, result.decision.parts, facts)
        if isinstance(result, Implements):
            proof.regions.append(Region(dict(facts), feasibility.current_point()))
            return {"verified": True}
        # a failing region under clauses: split on a literal of a clause it does not yet satisfy
        assert clauses is not None
        for c in clauses:
            if not satisfied(facts, c):
                for e, s in c:
                    known = path_signs(facts)(e)
                    if known & s and not known <= s:
                        return split(e, (known & s, known - s), facts)
        proof.counterexamples.append((feasibility.current_point(), result.word, dict(facts)))
        return {"word": list(result.word)}

    initial = dict(hypotheses or {})
    feasibility.enter(initial)
    proof.tree = build(initial)
    return proof


def certificate(problem: Problem, tree: dict, hypotheses: dict | None = None, clauses: list | None = None) -> dict:
    """Wrap a tree as a certificate for the checker."""
    cert = {"format": FORMAT, "problem": problem.to_json()}
    if clauses is None:
        cert["claim"] = "refutes"
        cert["hypotheses"] = [literal_json(e, s) for e, s in (hypotheses or {}).items()]
    else:
        cert["claim"] = "implements-region"
        cert["clauses"] = [[literal_json(e, s) for e, s in c] for c in clauses]
    cert["tree"] = tree
    return cert


def implements(problem: Problem, weights: dict) -> bool:
    """Exhaustive exact simulation with every weight given (False when it is too large to finish)."""
    try:
        return verify_weights(problem, weights).implements
    except TooLarge:
        return False


def small_integer_point(problem: Problem, regions: list[Region], max_bound: int = 8,
                        budget: Budget | None = None) -> dict | None:
    """Integer weights in the union of the regions with the least max |w|, then the least sum |w|."""
    if not regions:
        return None
    names = problem.free_names()
    if not names:
        return {}
    limit = max_bound if problem.bound is None else min(max_bound, int(problem.bound))
    z = Z3(names, integer=True)
    union = z3.Or(*[z.conj(list(r.facts.items())) for r in regions], z.ctx) if len(regions) > 1 \
        else z.conj(list(regions[0].facts.items()))
    for b in range(0, limit + 1):
        s = z.solver(budget)
        s.add(union)
        for v in z.vars.values():
            s.add(v <= b, v >= -b)
        if check_sat(s, budget):
            opt = z3.Optimize(ctx=z.ctx)
            opt.set("timeout", 2000)
            opt.add(union)
            for v in z.vars.values():
                opt.add(v <= b, v >= -b)
            opt.minimize(z3.Sum([z3.If(v >= 0, v, -v) for v in z.vars.values()]))
            if opt.check() == z3.sat:
                return z.model_values(opt.model())
            return z.model_values(s.model())
    return None

