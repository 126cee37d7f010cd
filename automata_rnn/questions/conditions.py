"""The exact condition on the free weights for a cell to implement an automaton.

The specification is the union of the implementing regions that the prover's
case split finds (each region a conjunction of sign facts on gate
pre-activations).  :func:`derive` turns it into an irredundant CNF over those
same atoms, using z3 as an implication oracle, and then *proves* the CNF
equivalent to the specification with certificates that the independent
checker accepts: one ``refutes`` certificate per clause (no weights violating
the clause implement the automaton) and one ``implements-region`` certificate
(all weights satisfying the CNF do).  For one unit whose state is the output,
a derivation table lists, per (h(t-1), x(t)) case, the gate values and the
atoms that give the required next state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import z3

from automata_rnn.arithmetic.exact import Affine
from automata_rnn.exact.checker import check
from automata_rnn.exact.run import IllDefined, Stepper, Undecided, path_signs, step
from automata_rnn.model.claims import evaluate, to_cnf
from automata_rnn.model.problem import Problem
from automata_rnn.model.semantics import ALL, sign_of
from automata_rnn.solver.context import one_question
from automata_rnn.solver.prove import (
    Z3,
    Budget,
    Proof,
    Region,
    certificate,
    check_sat,
    implements,
    prove,
    small_integer_point,
)
from automata_rnn.verdicts import InternalCheckFailed

Literal = tuple[Affine, frozenset]
Clause = list[Literal]


@dataclass
class Alternative:
    """One way a row can be met: the facts on pre-activations and the gate values they give."""

    facts: dict
    gates: list[tuple[str, int]]


@dataclass
class Row:
    """A (h(t-1), x(t)) case: the required h(t) and the alternatives that produce it."""

    h: Fraction
    symbol: str
    required: Fraction
    alternatives: list[Alternative]


@dataclass
class Conditions:
    """The exact condition: CNF clauses, the derivation table (if any) and the checked equivalence proof."""

    problem: Problem
    cnf: list[Clause]
    rows: list[Row] | None
    equivalent: bool
    certificates: list[dict] = field(default_factory=list)
    regions: int = 0


def has_forced_codes(problem: Problem) -> bool:
    """One unit whose state is the output, indicator semantics: each automaton state has the code of its output."""
    return (problem.units == 1 and problem.output == "state" and problem.semantics.name == "indicator"
            and problem.semantics.margin == 0 and problem.cell.state_parts == ("h",))


def _merge(alts: list[dict]) -> list[dict]:
    """Merge alternatives that differ in one atom only, and drop subsumed ones."""
    alts = [dict(a) for a in alts]
    changed = True
    while changed:
        changed = False
        for i in range(len(alts)):
            for j in range(i + 1, len(alts)):
                a, b = alts[i], alts[j]
                if a.keys() != b.keys():
                    continue
                diff = [e for e in a if a[e] != b[e]]
                if len(diff) == 1:
                    e = diff[0]
                    merged = dict(a)
                    union = a[e] | b[e]
                    if union == ALL:
                        del merged[e]
                    else:
                        merged[e] = union
                    alts[i] = merged
                    del alts[j]
                    changed = True
                    break
            if changed:
                break
        kept = []
        for i, a in enumerate(alts):
            subsumed = any(j != i and all(e in a and a[e] <= s for e, s in b.items()) and (b != a or j < i)
                           for j, b in enumerate(alts))
            if not subsumed:
                kept.append(a)
        if len(kept) != len(alts):
            alts, changed = kept, True
    return alts


def _step_cases(problem: Problem, params, h: Fraction, sym: str, required: Fraction) -> list[tuple[dict, list]]:
    """Every case split of one step from h on sym that yields ``required``: (facts, gate log)."""
    leaves: list[tuple[dict, list]] = []

    def branch(facts):
        try:
            nxt, log = step(problem, params, ((h,),), sym, path_signs(facts))
        except Undecided as u:
            for part in u.decision.parts:
                branch({**facts, u.decision.expr: part})
            return
        except IllDefined:
            return
        if nxt[0][0] == required:
            leaves.append((facts, log))

    branch({})
    return leaves


def derivation_table(problem: Problem) -> list[Row]:
    """Per reachable (h(t-1), x(t)) case: the alternatives (gate values, atoms) that give the required h(t)."""
    a = problem.automaton
    params = problem.parameters()
    rows: list[Row] = []
    seen: set = set()
    for q in a.reachable():
        for sym in a.alphabet:
            h = Fraction(a.output[q])
            if (h, sym) in seen:
                continue
            seen.add((h, sym))
            required = Fraction(a.output[a.step(q, sym)])
            leaves = _step_cases(problem, params, h, sym, required)
            alts = []
            for facts in _merge([f for f, _ in leaves]):
                rep = next(log for f, log in leaves if all(f.get(e, ALL) <= s for e, s in facts.items()))
                gates = [(g, v) for g, _, pre, v in rep if pre.is_constant or pre in facts]
                alts.append(Alternative(facts, gates))
            rows.append(Row(h, sym, required, alts))
    return rows


def _cube_at(point: dict, atoms: list[tuple[Affine, list[frozenset]]], fixed) -> list[Literal]:
    values = {**fixed, **point}
    cube = []
    for e, blocks in atoms:
        s = sign_of(e.evaluate(values))
        cube.append((e, next(b for b in blocks if s <= b)))
    return cube


def _blocks(sets: list[frozenset]) -> list[frozenset]:
    """The coarsest partition of the three signs that refines every given sign set."""
    blocks = [ALL]
    for s in sets:
        new = []
        for b in blocks:
            new += [p for p in (b & s, b - s) if p]
        blocks = new
    return blocks


def irredundant_cnf(problem: Problem, regions: list[Region], budget: Budget | None = None) -> list[Clause]:
    """An irredundant CNF over the regions' atoms equivalent to their union (z3 as implication oracle)."""
    if not regions:
        return [[]]
    z = Z3(problem.free_names())
    phi = z3.Or(*[z.conj(list(r.facts.items())) for r in regions], z.ctx)
    by_atom: dict[Affine, list[frozenset]] = {}
    for r in regions:
        for e, s in r.facts.items():
            by_atom.setdefault(e, []).append(s)
    order = problem.parameter_names()
    rank = {n: i for i, n in enumerate(order)}

    def atom_key(e: Affine):
        return (len(e.coeffs), sorted(rank.get(n, 0) for n in e.coeffs), str(e))

    atoms = [(e, _blocks(by_atom[e])) for e in sorted(by_atom, key=atom_key)]
    if all(len(b) == 1 for _, b in atoms):
        return []
    outer = z.solver(budget)
    outer.add(z3.Not(phi))
    inner = z.solver(budget)
    inner.add(phi)
    clauses: list[Clause] = []
    while check_sat(outer, budget):
        cube = _cube_at(z.model_values(outer.model()), atoms, problem.fixed)
        cube = [(e, s) for e, s in cube if s != ALL]
        core = list(cube)
        for lit in list(cube):
            trial = [c for c in core if c is not lit]
            inner.push()
            inner.add(z.conj(trial))
            if not check_sat(inner, budget):
                core = trial
            inner.pop()
        clause = [(e, ALL - s) for e, s in core]
        clauses.append(clause)
        outer.add(z3.Or(*[z.fact(e, s) for e, s in clause], z.ctx) if clause else z3.BoolVal(False, z.ctx))
    # drop clauses implied by the others
    i = 0
    while i < len(clauses):
        others = clauses[:i] + clauses[i + 1:]
        s = z.solver(budget)
        for c in others:
            s.add(z3.Or(*[z.fact(e, t) for e, t in c], z.ctx))
        s.add(z3.And(*[z.fact(e, ALL - t) for e, t in clauses[i]], z.ctx))
        if not check_sat(s, budget):
            clauses = others
        else:
            i += 1
    # a canonical order, independent of the order in which models were found
    return sorted(clauses, key=lambda c: (len(c), [atom_key(e) for e, _ in c], [sorted(s) for _, s in c]))


def negation_facts(clause: Clause) -> dict:
    """The facts that hold exactly where a clause is false."""
    facts: dict = {}
    for e, s in clause:
        facts[e] = facts.get(e, ALL) & (ALL - s)
    return facts


def refute_clause_negation(problem: Problem, clause: Clause, budget: Budget | None = None,
                           stepper: Stepper | None = None):
    """Prove that no weights violating ``clause`` implement: (certificate or None, implementing region or None)."""
    proof = prove(problem, hypotheses=negation_facts(clause), budget=budget, stop_at_region=True, stepper=stepper)
    if proof.regions:
        return None, proof.regions[0]
    return certificate(problem, proof.tree, hypotheses=negation_facts(clause)), None


def prove_sufficient(problem: Problem, clauses: list[Clause], budget: Budget | None = None,
                     stepper: Stepper | None = None):
    """Prove that every weight satisfying all clauses implements: (certificate or None, (point, word) or None)."""
    proof = prove(problem, clauses=clauses, budget=budget, stepper=stepper)
    if proof.counterexamples:
        return None, proof.counterexamples[0]
    return certificate(problem, proof.tree, clauses=clauses), None


@one_question
def derive(problem: Problem, budget: Budget | None = None) -> Conditions:
    """The exact condition with its derivation table and checked proof of equivalence."""
    stepper = Stepper(problem)
    proof: Proof = prove(problem, budget=budget, stepper=stepper)
    cnf = irredundant_cnf(problem, proof.regions, budget)
    certs: list[dict] = []
    equivalent = True
    if not proof.regions:
        cert = certificate(problem, proof.tree)
        certs.append(cert)
        equivalent = check(cert)[0]
    else:
        for clause in cnf:
            cert, region = refute_clause_negation(problem, clause, budget, stepper)
            if cert is None or not check(cert)[0]:
                equivalent = False
                break
            certs.append(cert)
        if equivalent:
            cert, bad = prove_sufficient(problem, cnf, budget, stepper)
            if cert is None or not check(cert)[0]:
                equivalent = False
            else:
                certs.append(cert)
    rows = derivation_table(problem) if has_forced_codes(problem) else None
    return Conditions(problem, cnf, rows, equivalent, certs, len(proof.regions))


def _known_certificates(problem: Problem, derived: Conditions | None) -> dict[str, dict]:
    """The checked certificates that each clause of the derived condition is necessary, by the clause's repr."""
    if derived is None or derived.problem != problem or not derived.equivalent or len(derived.cnf) == 0:
        return {}
    if len(derived.certificates) != len(derived.cnf) + 1:
        return {}
    return {repr(clause): cert for clause, cert in zip(derived.cnf, derived.certificates)}


@dataclass
class Judgement:
    """The verdict on a claimed condition: necessary? sufficient? with checked witnesses or certificates."""

    claim: str
    necessary: bool
    sufficient: bool
    necessary_witness: dict | None = None        # implements, yet violates the claim
    sufficient_witness: dict | None = None       # satisfies the claim, yet fails
    failing_word: tuple | None = None
    certificates: list[dict] = field(default_factory=list)


def _nice_point(problem: Problem, region: Region, budget) -> dict:
    p = small_integer_point(problem, [region], budget=budget)
    return p if p is not None else region.point


@one_question
def judge(problem: Problem, text: str, formula: tuple, budget: Budget | None = None,
          derived: Conditions | None = None) -> Judgement:
    """Is the claimed condition necessary and/or sufficient? Every answer checked exactly.

    ``derived`` (the exact condition of the same problem, from :func:`derive`) lends its checked certificates
    to the claimed clauses it already holds, so that no certificate is found and checked twice."""
    clauses = to_cnf(formula)
    known = _known_certificates(problem, derived)
    stepper = Stepper(problem)
    j = Judgement(text, True, True)
    for clause in clauses:
        if repr(clause) in known:
            j.certificates.append(known[repr(clause)])
            continue
        cert, region = refute_clause_negation(problem, clause, budget, stepper)
        if cert is None:
            point = _nice_point(problem, region, budget)
            weights = {**problem.fixed, **point}
            if not implements(problem, weights) or evaluate(formula, weights):
                raise InternalCheckFailed("necessity witness does not verify")
            j.necessary, j.necessary_witness = False, point
            break
        ok, why = check(cert)
        if not ok:
            raise InternalCheckFailed(f"certificate rejected: {why}")
        j.certificates.append(cert)
    if derived is not None and derived.equivalent and derived.cnf == clauses and derived.certificates:
        j.certificates.append(derived.certificates[-1])
        return j
    cert, bad = prove_sufficient(problem, clauses, budget, stepper)
    if cert is None:
        point, word, facts = bad
        point = _nice_point(problem, Region(facts, point), budget)
        weights = {**problem.fixed, **point}
        if implements(problem, weights) or not evaluate(formula, weights):
            raise InternalCheckFailed("sufficiency witness does not verify")
        j.sufficient, j.sufficient_witness, j.failing_word = False, point, tuple(word)
    else:
        ok, why = check(cert)
        if not ok:
            raise InternalCheckFailed(f"certificate rejected: {why}")
        j.certificates.append(cert)
    return j
