"""Exact runs of a cell against an automaton, with gates decided by known facts.

:class:`CaseOps` is the exact arithmetic of the cells (affine forms over the
weights) in which every gate is decided by a semantics from what is known of
its pre-activation.  With all weights given, every gate is decided by its
value and :func:`explore` is an exhaustive exact simulation: it walks the
finite product of network codes and automaton states and finds a shortest
failing input if there is one.  With some weights free, it stops at the first
gate that the known facts leave open.  Standard library only (the certificate
checker uses it).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Mapping

from automata_rnn.arithmetic.exact import Affine
from automata_rnn.arithmetic.tanh_values import is_tanh_form, sign_of_tanh_form, tanh_of_integer
from automata_rnn.model.network import split_tuple
from automata_rnn.model.problem import Problem, encode_symbol
from automata_rnn.model.semantics import ALL, POS, Decision, sign_of
from automata_rnn.verdicts import ResourceLimit

Signs = Callable[[Affine], frozenset]
Code = tuple  # one tuple of Fractions per state part


class Undecided(Exception):
    """A gate whose pre-activation the known facts leave open."""

    def __init__(self, decision: Decision, gate: str):
        super().__init__(f"gate {gate} undecided on {decision.expr}")
        self.decision, self.gate = decision, gate


class IllDefined(Exception):
    """A gate whose pre-activation lies where the semantics defines no value."""

    def __init__(self, gate: str, pre: Affine):
        super().__init__(f"gate {gate} has pre-activation {pre} where the semantics is undefined")
        self.gate, self.pre = gate, pre


def path_signs(facts: Mapping[Affine, frozenset]) -> Signs:
    """The sign oracle of a set of facts: constants by value, others by lookup."""
    def signs(e: Affine) -> frozenset:
        if e.is_constant:
            return sign_of(e.const)
        if is_tanh_form(e):
            return sign_of_tanh_form(e)
        return facts.get(e, ALL)
    return signs


def exact_sign(e: Affine) -> frozenset:
    """The sign of a known value: a rational, or a form in the constants tanh(n)."""
    return sign_of(e.const) if e.is_constant else sign_of_tanh_form(e)


def _is_zero(x) -> bool:
    """Whether a number or an affine form is the constant 0."""
    return x.is_constant and not x.const if isinstance(x, Affine) else x == 0


class CaseOps:
    """Vector operations over affine forms; gates are decided through ``semantics.decide``."""

    def __init__(self, semantics, signs: Signs, scalar: bool = True):
        """``scalar``: name gates without a unit index (one unit)."""
        self.semantics, self.signs, self.scalar = semantics, signs, scalar
        self.log: list[tuple[str, int, Affine, int]] = []

    def linear(self, v, m):
        """v m, the terms of v's zero entries left out (they add nothing: a hidden code is mostly zeros)."""
        cols = len(m[0]) if m else 0
        rows = [i for i, x in enumerate(v) if not _is_zero(x)]
        return tuple(sum((v[i] * m[i][j] for i in rows), Affine()) for j in range(cols))

    def add(self, a, b):
        return tuple(Affine.lift(x) + y for x, y in zip(a, b))

    def mul(self, a, b):
        return tuple(Affine.lift(x) * y for x, y in zip(a, b))

    def one_minus(self, a):
        return tuple(1 - Affine.lift(x) for x in a)

    def split(self, v, sizes):
        return split_tuple(v, sizes)

    def concat(self, parts):
        return tuple(x for part in parts for x in part)

    def mix(self, z, a, b):
        """The gated update z * a + (1 - z) * b."""
        return self.add(self.mul(z, a), self.mul(self.one_minus(z), b))

    def sigmoid(self, v, name):
        return tuple(self._gate("sigmoid", name, j, x) for j, x in enumerate(v))

    def tanh(self, v, name):
        return tuple(self._gate("tanh", name, j, x) for j, x in enumerate(v))

    def squash(self, v, name):
        """tanh of an unscaled value: a threshold gate (indicator), else the exact real tanh of an integer."""
        if self.semantics.thresholds_squash:
            return self.tanh(v, name)
        out = []
        for x in v:
            x = Affine.lift(x)
            if not x.is_constant or x.const.denominator != 1:
                raise ValueError(f"{name}: the saturated cell state should be an integer, not {x}")
            out.append(tanh_of_integer(int(x.const)))
        return tuple(out)

    def _gate(self, kind, name, unit, pre):
        pre = Affine.lift(pre)
        gate = name if unit == 0 and self.scalar else f"{name}[{unit}]"
        value = self.semantics.gate_value(kind, self._on(pre, gate))
        self.log.append((gate, unit, pre, value))
        return Affine(None, value)

    def _on(self, pre: Affine, gate: str) -> bool:
        """Whether the gate is on, as the semantics decides it from the known signs."""
        d = self.semantics.decide(pre, self.signs)
        if d.kind == "split":
            raise Undecided(d, gate)
        if d.kind == "ill":
            raise IllDefined(gate, pre)
        return d.kind == "on"


class _Beyond(Exception):
    """Raised by :class:`ForcedOps` at the first gate past its forced decisions."""

    def __init__(self, pre: Affine, gate: str):
        self.pre, self.gate = pre, gate


class ForcedOps(CaseOps):
    """CaseOps whose gates take a given sequence of decisions ('on'/'off'), then stop at the next gate."""

    def __init__(self, semantics, kinds, scalar: bool):
        super().__init__(semantics, lambda e: ALL, scalar)
        self.kinds, self.i = kinds, 0

    def _on(self, pre: Affine, gate: str) -> bool:
        if self.i == len(self.kinds):
            raise _Beyond(pre, gate)
        self.i += 1
        return self.kinds[self.i - 1] == "on"


class _Node:
    __slots__ = ("pre", "gate", "e_on", "e_off", "children", "result", "log")

    def __init__(self):
        self.children: dict = {}
        self.result = None


class Stepper:
    """Exact steps of one problem's network, memoised as lazily built trees of gate decisions.

    For each (code, input) the cell is run once per distinct sequence of gate
    decisions; later steps under any facts just walk the tree.  Results are
    exactly those of running the cell under the same facts.
    """

    def __init__(self, problem: Problem, params=None):
        self.problem = problem
        self.params = problem.parameters() if params is None else params
        self.trees: dict = {}
        self.margin = problem.semantics.margin

    def _compute(self, key, kinds):
        p, params = self.problem, self.params
        ops = ForcedOps(p.semantics, kinds, p.units == 1)
        node = _Node()
        try:
            if key[1] is None:
                node.result = output_with(p, params, ops, key[0])
            else:
                node.result = _step_with(p, params, ops, key[0], key[1])
            node.log = ops.log
        except _Beyond as b:
            node.pre, node.gate = b.pre, b.gate
            node.e_on = b.pre - self.margin if self.margin else b.pre
            node.e_off = b.pre + self.margin if self.margin else b.pre
        return node

    def run(self, code: Code, symbol: str | None, signs: Signs):
        """(result, gate log) of one step (``symbol``) or of the output (``symbol`` None) from ``code``."""
        key = (code, symbol)
        node = self.trees.get(key)
        if node is None:
            node = self.trees[key] = self._compute(key, [])
        kinds: list[str] = []
        sem = self.problem.semantics
        while node.result is None:
            d = sem.decide_bounds(node.e_on, node.e_off, signs)
            if d.kind == "split":
                raise Undecided(d, node.gate)
            if d.kind == "ill":
                raise IllDefined(node.gate, node.pre)
            kinds.append(d.kind)
            child = node.children.get(d.kind)
            if child is None:
                child = node.children[d.kind] = self._compute(key, kinds)
            node = child
        return node.result, node.log


def initial_code(problem: Problem) -> Code:
    return tuple(tuple(Fraction(0) for _ in range(problem.units)) for _ in problem.cell.state_parts)


def _constant(code) -> Code:
    return tuple(tuple(_known(Affine.lift(x)) for x in part) for part in code)


def _known(x: Affine):
    """A code's entry: a Fraction, or a form in tanh constants (an LSTM's saturated h)."""
    if x.is_constant:
        return x.const
    if is_tanh_form(x):
        return x
    raise ValueError(f"a code entry depends on free weights: {x}")


def _step_with(problem: Problem, params, ops: CaseOps, code: Code, symbol: str) -> Code:
    x = encode_symbol(problem.automaton, symbol)
    state = tuple(tuple(Affine.lift(v) for v in part) for part in code)
    new, _ = problem.stack.step(ops, params, x, state)
    return _constant(new)


def output_with(problem: Problem, params, ops: CaseOps, code: Code, sign: Signs = exact_sign) -> int:
    """The output bit of ``code``; ``sign`` gives the sign of unit 0 minus the rule's threshold (read-out
    'state'), and :class:`Undecided` is raised when it is not one sign."""
    h = code[0][problem.top]
    if problem.output == "state":
        above = Affine.lift(h[0]) - problem.rule.threshold
        s = sign(above)
        if len(s) != 1:
            raise Undecided(Decision("split", above, (s & POS, s - POS)), "output")
        return int(s == POS)
    y = ops.sigmoid(ops.add(ops.linear(tuple(Affine.lift(v) for v in h), params["W_y"]), params["b_y"]), "y")
    return int(y[0].value)


def step(problem: Problem, params, code: Code, symbol: str, signs: Signs):
    """One exact step from ``code`` on ``symbol``: (next code, gate log)."""
    ops = CaseOps(problem.semantics, signs, problem.units == 1)
    return _step_with(problem, params, ops, code, symbol), ops.log


def read_output(problem: Problem, params, code: Code, signs: Signs):
    """The network's output bit on ``code``: unit 0 under the output rule, or the read-out gate. (bit, gate log)."""
    ops = CaseOps(problem.semantics, signs, problem.units == 1)
    return output_with(problem, params, ops, code), ops.log


@dataclass
class Failure:
    """A shortest input on which the network's output differs from the automaton's (or a gate is ill-defined)."""

    word: tuple[str, ...]
    reason: str


@dataclass
class Open:
    """Exploration reached a gate the facts leave open (``decision`` says how to split)."""

    decision: Decision
    gate: str
    word: tuple[str, ...]


@dataclass
class Implements:
    """Every reachable (code, automaton state) pair agrees: the network implements the automaton."""

    pairs: list[tuple[Code, str]] = field(default_factory=list)


class TooLarge(ResourceLimit):
    """Exploration exceeded its limit on reachable pairs (a cell state that counts, for instance)."""


def explore(problem: Problem, signs: Signs, params=None, limit: int = 100_000, stepper: Stepper | None = None,
            max_depth: int | None = None):
    """Breadth-first walk of the reachable (code, state) pairs, inputs in alphabet order.

    Returns :class:`Failure` with a shortest failing word, :class:`Open` at the
    first undecided gate, or :class:`Implements`.  Raises :class:`TooLarge`
    past ``limit`` pairs.  A ``stepper`` (for the same problem and params)
    memoises steps across calls.  With ``max_depth`` only inputs of at most
    that length are run: :class:`Implements` then means that none of them
    fails, and its pairs are those they reach.
    """
    a = problem.automaton
    stepper = Stepper(problem, params) if stepper is None else stepper
    abstract = code_class(problem)
    start = (initial_code(problem), a.start)
    # pairs are visited once per class of the abstraction (one concrete representative each, in breadth-first
    # order); each class keeps the link to the class it was first reached from: memory linear in the classes
    parent: dict[tuple, tuple | None] = {(abstract(start[0]), a.start): None}
    queue = deque([(start, 0)])
    order = [start]

    def word_to(key, last: str | None = None) -> tuple[str, ...]:
        word = [] if last is None else [last]
        link = parent[key]
        while link is not None:
            key, sym = link
            word.append(sym)
            link = parent[key]
        return tuple(reversed(word))

    def check_output(pair, word):
        word = word()
        try:
            bit, _ = stepper.run(pair[0], None, signs)
        except Undecided as u:
            return Open(u.decision, u.gate, word)
        except IllDefined as e:
            return Failure(word, f"read-out: {e}")
        if bit != a.output[pair[1]]:
            return Failure(word, f"output {bit}, expected {a.output[pair[1]]}")
        return None

    bad = check_output(start, lambda: ())
    if bad:
        return bad
    while queue:
        pair, depth = queue.popleft()
        if depth == max_depth:
            continue
        code, q = pair
        key = (abstract(code), q)
        for sym in a.alphabet:
            try:
                nxt, _ = stepper.run(code, sym, signs)
            except Undecided as u:
                return Open(u.decision, u.gate, word_to(key, sym))
            except IllDefined as e:
                return Failure(word_to(key, sym), str(e))
            new = (nxt, a.step(q, sym))
            new_key = (abstract(nxt), new[1])
            if new_key in parent:
                continue
            parent[new_key] = (key, sym)
            bad = check_output(new, lambda new_key=new_key: word_to(new_key))
            if bad:
                return bad
            if len(parent) > limit:
                raise TooLarge(f"more than {limit} reachable (code, state) pairs")
            queue.append((new, depth + 1))
            order.append(new)
    return Implements(order)


@dataclass
class Verified:
    """One exhaustive exact run of fully given weights: its result (:class:`Implements` or :class:`Failure`)
    and, when it implements, the margin: the least |pre-activation| of every gate evaluated on a reachable
    (code, input) pair, the read-out's included."""

    result: Implements | Failure
    margin: Fraction | None = None

    @property
    def implements(self) -> bool:
        return isinstance(self.result, Implements)


def verify_weights(problem: Problem, weights: Mapping[str, Fraction], limit: int = 100_000) -> Verified:
    """Run the network with every weight given on every reachable (code, automaton state) pair, once; the
    margin is read from the same run's gate logs.  Raises :class:`TooLarge` past ``limit`` pairs."""
    params = problem.parameters(weights)
    signs = weight_signs()
    stepper = Stepper(problem, params)
    result = explore(problem, signs, params, limit=limit, stepper=stepper)
    if isinstance(result, Open):
        raise ValueError("an undecided gate with every weight given")
    if not isinstance(result, Implements):
        return Verified(result)
    least: Fraction | None = None
    for code in {code for code, _ in result.pairs}:
        logs = list(stepper.run(code, None, signs)[1])
        for sym in problem.automaton.alphabet:
            logs += stepper.run(code, sym, signs)[1]
        for _, _, pre, _ in logs:
            if pre.is_constant and (least is None or abs(pre.const) < least):
                least = abs(pre.const)
    return Verified(result, least)


def code_class(problem: Problem) -> Callable[[Code], Code]:
    """What of a code the future depends on.  Under the indicator semantics the LSTM's cell state c is read
    only through [c > 0] (tanh(c) thresholded) and its gates read x and h, never c; with c = f c + i g and
    f, i, g in {0, 1}, c stays a whole number >= 0 and [c' > 0] depends on c only through [c > 0].  So codes
    that agree on h and on the sign of c behave alike on every input: the sign is an exact abstraction, and a
    counting cell state leaves finitely many classes.  Elsewhere the code itself."""
    parts = [i for i, name in enumerate(problem.cell.state_parts) if name in problem.cell.unscaled]
    if not parts or not problem.semantics.thresholds_squash:
        return lambda code: code

    def abstract(code: Code) -> Code:
        return tuple(tuple(_sign(v) for v in part) if i in parts else part for i, part in enumerate(code))
    return abstract


def _sign(v) -> Fraction:
    return Fraction((v > 0) - (v < 0))


def weight_signs() -> Signs:
    """The sign oracle for fully known weights: every form is a constant."""
    return path_signs({})


@dataclass
class TraceRow:
    t: int
    symbol: str | None
    expected: int
    got: int | None
    gates: list[tuple[str, int]]
    code: Code | None
    note: str = ""


def trace(problem: Problem, weights: Mapping[str, Fraction], word) -> list[TraceRow]:
    """The exact run of the network with all weights given on ``word``: one row per time step."""
    params = problem.parameters(weights)
    signs = weight_signs()
    a = problem.automaton
    code, q = initial_code(problem), a.start
    try:
        bit, log_y = read_output(problem, params, code, signs)
    except IllDefined as e:
        return [TraceRow(0, None, a.output[q], None, [], code, f"read-out: {e}")]
    rows = [TraceRow(0, None, a.output[q], bit, [(g, v) for g, _, _, v in log_y], code)]
    for t, sym in enumerate(word, 1):
        q = a.step(q, sym)
        try:
            code, log = step(problem, params, code, sym, signs)
            bit, log_y = read_output(problem, params, code, signs)
        except IllDefined as e:
            rows.append(TraceRow(t, sym, a.output[q], None, [], None, str(e)))
            break
        rows.append(TraceRow(t, sym, a.output[q], bit, [(g, v) for g, _, _, v in log + log_y], code))
    return rows
