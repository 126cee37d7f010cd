"""A problem as one z3 formula over the weights: the direct encoding for any number of units.

The network's hidden state lives in a finite set of codes (values {0, 1} per
unit, or {-1, 0, 1} for a saturated GRU).  A Boolean ``R[c, q]`` says "code c
may be reached together with automaton state q".  The formula asks for
weights and an ``R`` that contains the start pair, is closed under every
input (the next code is the cell's step, an if-then-else term of the
weights), and only pairs codes with states of the same output; in the
saturated semantics or with a margin, every gate met at a code in ``R`` must
also be decided.  Such an ``R`` contains every reachable pair, so the formula
is satisfiable exactly when some weights implement the automaton: a
satisfying assignment is an implementation, and unsatisfiability means none
exists at this size.  (Asking for one fixed code per automaton state instead
would be wrong: parity needs two codes for one state with two units.)
"""

from __future__ import annotations

import itertools
import time
from fractions import Fraction

import z3

from automata_rnn.arithmetic.symbolic import Z3Ops
from automata_rnn.model.problem import Problem, encode_symbol
from automata_rnn.solver.context import context
from automata_rnn.solver.prove import SEED
from automata_rnn.verdicts import ResourceLimit, Unsupported


def unit_values(problem: Problem) -> tuple[Fraction, ...]:
    """The values one unit's code can take: {0, 1}, or {-1, 0, 1} for a GRU whose tanh saturates to -1."""
    values = problem.cell.code_values(problem.semantics.name)
    if values is None:
        raise Unsupported(f"the {problem.cell.name} cell's state is not confined to finitely many codes "
                         "(its cell state can count); use the case-split prover")
    return values


#: The largest number of codes an encoding enumerates; larger requests are refused up front.
MAX_CODES = 4096


def code_count(problem: Problem) -> int:
    """How many codes the hidden state can take; ValueError (with the estimate) past :data:`MAX_CODES`."""
    count = len(unit_values(problem)) ** problem.units
    if count > MAX_CODES:
        raise ResourceLimit(f"{problem.units} units give {count} codes, more than the limit of {MAX_CODES}")
    return count


class _Z3Encoding:
    """What every encoding shares: a fresh context, a real per free weight, assertions, and reading back."""

    problem: Problem
    ctx: z3.Context
    vars: dict
    assertions: list

    def _params(self):
        p = self.problem
        out = {}
        for block, forms in p.parameters().items():
            def conv(f):
                if f.is_constant:
                    return f.const
                (name,) = f.coeffs
                return self.vars[name]
            out[block] = tuple(conv(f) if not isinstance(f, tuple) else tuple(conv(g) for g in f) for f in forms)
        return out

    def _valid(self, pre):
        """The constraint that a reached pre-activation is decided (saturated: nonzero; margin: outside)."""
        sem, zero = self.problem.semantics, z3.RealVal(0, self.ctx)
        m = z3.RealVal(str(sem.margin), self.ctx)
        if sem.margin > 0:
            return z3.Or(pre >= m, pre <= -m)
        if sem.name == "saturated":
            return pre != zero
        return None

    def solver(self, timeout_ms: int | None = None) -> z3.Solver:
        s = z3.Solver(ctx=self.ctx)
        s.set("random_seed", SEED)
        if timeout_ms is not None:
            s.set("timeout", timeout_ms)
        s.add(*self.assertions)
        return s

    def weights(self, model) -> dict[str, Fraction]:
        out = dict(self.problem.fixed)
        for n, v in self.vars.items():
            out[n] = Fraction(model.eval(v, model_completion=True).as_string())
        return out

    def smt2(self) -> str:
        """The encoding as an SMT-LIB 2 script (logic, declarations, assertions, one check-sat)."""
        s = z3.Solver(ctx=self.ctx)
        s.add(*self.assertions)
        return "(set-logic QF_LRA)\n" + s.to_smt2()


class Encoding(_Z3Encoding):
    """The direct encoding of a problem; ``solver`` holds it, ``weights(model)`` reads a model back."""

    def __init__(self, problem: Problem, symmetry_breaking: bool = True, robust: bool = False,
                 deadline: float | None = None):
        """``robust`` (gated cells, a search constraint for weights meant to work in a real network
        on inputs of any length): wherever an update gate keeps a unit's code, the candidate equals
        that code, so a real state that is kept does not drift towards an opposite candidate.
        ``deadline`` (a :func:`time.monotonic` instant): building the formula stops there with
        :class:`ResourceLimit` (at 6 units and 16 states it takes tens of seconds)."""
        self.problem, self.robust = problem, robust
        self.ctx = context()
        values = unit_values(problem)
        code_count(problem)
        self.codes = [tuple(c) for c in itertools.product(values, repeat=problem.units)]
        self.vars = {n: z3.Real(n, self.ctx) for n in problem.free_names()}
        self.assertions: list = []
        self._build(symmetry_breaking, deadline)

    def _build(self, symmetry_breaking: bool, deadline: float | None) -> None:
        p, a, ctx = self.problem, self.problem.automaton, self.ctx
        params = self._params()
        R = {(c, q): z3.Bool(f"R_{'_'.join(map(str, c))}_{q}", ctx) for c in self.codes for q in a.states}
        self.R = R
        add = self.assertions.append
        start = tuple(Fraction(0) for _ in range(p.units))
        add(R[(start, a.start)])
        index = {c: i for i, c in enumerate(self.codes)}
        for c in self.codes:
            if deadline is not None and time.monotonic() > deadline:
                raise ResourceLimit(f"the time limit was reached while building the direct encoding "
                                    f"({len(self.codes)} codes, {len(a.states)} states)")
            reach = z3.Or(*[R[(c, q)] for q in a.states])
            # output
            read = c[p.top]
            if p.output == "state":
                bit = int(p.rule.reads(read[0]))
                for q in a.states:
                    if a.output[q] != bit:
                        add(z3.Not(R[(c, q)]))
            else:
                ops = Z3Ops(p.semantics, ctx)
                y = ops.sigmoid(ops.add(ops.linear(read, params["W_y"]), params["b_y"]), "y")[0]
                on = y == z3.RealVal(1, ctx)
                for q in a.states:
                    add(z3.Implies(R[(c, q)], on if a.output[q] == 1 else z3.Not(on)))
                self._validity(ops, reach)
            for sym in a.alphabet:
                ops = Z3Ops(p.semantics, ctx)
                (nxt,), gates = p.stack.step(ops, params, encode_symbol(a, sym), (c,))
                self._validity(ops, reach)
                for prefix, units in p.layer_slices() if self.robust else ():
                    if p.cell.keeps is None:
                        continue
                    keeps = z3.RealVal(p.cell.keeps, ctx)
                    for i, j in enumerate(range(units.start, units.stop)):
                        kept = gates[prefix + "z"][i] == keeps
                        add(z3.Implies(z3.And(reach, kept), self._eq(gates[prefix + "h~"][i], c[j])))
                lands = {}
                for d in self.codes:
                    cond = z3.And(*[self._eq(nxt[j], d[j]) for j in range(p.units)])
                    lands[d] = z3.Bool(f"T_{index[c]}_{sym}_{index[d]}", ctx)
                    add(lands[d] == cond)
                add(z3.Or(*lands.values()))
                for q in a.states:
                    t = a.step(q, sym)
                    for d in self.codes:
                        add(z3.Implies(z3.And(R[(c, q)], lands[d]), R[(d, t)]))
        if p.bound is not None:
            b = z3.RealVal(str(p.bound), ctx)
            for v in self.vars.values():
                add(v <= b)
                add(v >= -b)
        if symmetry_breaking:
            self._break_symmetry()

    def _eq(self, term, value: Fraction):
        if not z3.is_expr(term):
            return z3.BoolVal(Fraction(term) == value, self.ctx)
        return term == z3.RealVal(str(value), self.ctx)

    def _validity(self, ops: Z3Ops, reach) -> None:
        conds = [v for v in (self._valid(pre) for _, _, pre in ops.log) if v is not None]
        if conds:
            self.assertions.append(z3.Implies(reach, z3.And(*conds)))

    def _break_symmetry(self) -> None:
        """The units of a layer are interchangeable (unit 0 of the top layer excepted when it is the output):
        order them by a bias."""
        p = self.problem
        if p.fixed:
            return
        bias = next(b.name for b in p.cell.blocks if b.kind == "bias")
        for k, (prefix, units) in enumerate(p.layer_slices(), start=1):
            first = 1 if p.output == "state" and k == len(p.layers) else 0
            n = units.stop - units.start
            names = [f"{prefix}{bias}[{j}]" for j in range(first, n)]
            for u, w in zip(names, names[1:]):
                self.assertions.append(self.vars[u] <= self.vars[w])



class StateCodeEncoding(_Z3Encoding):
    """A smaller, sufficient encoding: one code per automaton state, chosen by the solver.

    Each state q gets a code (unit values from the cell's code set), and the
    initial time its own code 0; every transition must map the code of q to the code of
    delta(q, a) and every code must read its state's output.  A model is an
    implementation (re-verified exactly by the caller); unsatisfiability
    proves nothing (parity needs two codes for one state), so callers fall
    back to :class:`Encoding` for "no".
    """

    def __init__(self, problem: Problem):
        self.problem = problem
        self.ctx = ctx = context()
        values = unit_values(problem)
        p, a = problem, problem.automaton
        self.vars = {n: z3.Real(n, ctx) for n in p.free_names()}
        self.assertions: list = []
        add = self.assertions.append
        params = self._params()
        zero = Fraction(0)
        # a saturated GRU's 0 is only the kept initial state; elsewhere 0 is an ordinary code value
        choices = [v for v in values if v != 0] if len(values) == 3 else list(values)
        # the initial time has code 0; later visits of the start state may use another code
        code: dict = {None: tuple(zero for _ in range(p.units))}
        for q in a.states:
            units = []
            for j in range(p.units):
                if len(choices) == 2:
                    b = z3.Bool(f"B_{q}_{j}", ctx)
                    units.append(z3.If(b, z3.RealVal(str(choices[1]), ctx), z3.RealVal(str(choices[0]), ctx)))
                else:
                    units.append(z3.RealVal(str(choices[0]), ctx))
            code[q] = tuple(units)
        for label in [None] + a.reachable():
            q = a.start if label is None else label
            ops = Z3Ops(p.semantics, ctx)
            read = code[label][p.top]
            if p.output == "state":
                c0 = read[0]
                cut = p.rule.threshold
                bit = (c0 > z3.RealVal(str(cut), ctx)) if z3.is_expr(c0) else z3.BoolVal(p.rule.reads(c0), ctx)
                add(bit if a.output[q] == 1 else z3.Not(bit))
            else:
                y = ops.sigmoid(ops.add(ops.linear(read, params["W_y"]), params["b_y"]), "y")[0]
                add(y == z3.RealVal(a.output[q], ctx))
            for sym in a.alphabet:
                (nxt,), _ = p.stack.step(ops, params, encode_symbol(a, sym), (code[label],))
                target = code[a.step(q, sym)]
                for j in range(p.units):
                    add(ops._lift(nxt[j]) == ops._lift(target[j]))
            for _, _, pre in ops.log:
                v = self._valid(pre)
                if v is not None:
                    add(v)
        if p.bound is not None:
            bnd = z3.RealVal(str(p.bound), ctx)
            for v in self.vars.values():
                add(v <= bnd)
                add(v >= -bnd)
