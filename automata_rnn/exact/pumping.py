"""Exact runs of an LSTM whose cell state counts, under the saturated semantics.

Under the saturated semantics the LSTM's gates are 0/1 (sigma) and +-1 (tanh),
so its cell state c = f c + i g is an integer, but h = o tanh(c) is the real
tanh of it (no weight scales c): an input loop with f = i = 1, g = +1 makes c
grow by one per round, and the reachable codes are infinitely many.

This module explores such a network on *families* of codes.  A family is a
code whose cell-state entries may be integer-valued forms ``a + e k`` in
parameters ``k >= 1`` (one parameter per entry, several entries may share
one), and whose h entries are then ``o tanh(a + e k)``.  It stands for the
set of codes obtained by every choice of the parameters.  A pre-activation on
a family is affine in such values; its sign is decided for every k at once
(:func:`family_sign`): each term ``q tanh(a + e k)`` is strictly monotone in k
and lies between its value at k = 1 (attained) and its limit ``q sign(e)``
(never attained), so the sum lies in an interval whose ends are forms in the
constants tanh(n), whose signs :mod:`automata_rnn.arithmetic.tanh_values`
decides exactly.  When both ends have one strict sign, every member of the
family has it.

A **pump** is found when a new code N, reached from an ancestor A by an input
v, equals A except that integer cell-state entries grew by d != 0: the
family F = {N + (k - 1) d : k >= 1} is then stepped symbolically along v; if
every gate is decided for every k and the result is F with k -> k + 1, every
member of F is reachable (by u v^k) and behaves alike along v.  The
exploration then continues on families: a step of a family is one symbolic
step for all its members; a new code or family that is a subset of a family
already met is not explored again; a family on which a gate is not decided
for every k gives its first member up as a code of its own and keeps the rest
(k >= 2), a bounded number of times.

If every reachable family is explored, the families are an inductive
invariant (:func:`check_invariant` re-derives it without the search): the
start code is in one, every step of every member lands in one, and every
member's output is right.  Standard library only.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Mapping

from automata_rnn.arithmetic.exact import Affine
from automata_rnn.arithmetic.tanh_values import tanh_of_integer
from automata_rnn.exact.run import (
    CaseOps,
    Code,
    Failure,
    IllDefined,
    TooLarge,
    Undecided,
    exact_sign,
    initial_code,
    output_with,
)
from automata_rnn.model.problem import Problem, encode_symbol
from automata_rnn.model.semantics import ALL, NEG, POS, ZERO
from automata_rnn.verdicts import Unsupported

PARAMETER = re.compile(r"k\d+")
FAMILY_TANH = re.compile(r"tanh\[(\d*)(k\d+)([+-]\d+)?\]")

Key = tuple  # (code, automaton state)


class FamiliesTooMany(TooLarge):
    """The exploration on families exceeded its limit."""


class Unsettled(Unsupported):
    """A gate (or the read-out) whose sign on a pumped family is not settled by peeling off members."""


def counts(problem: Problem) -> bool:
    """Whether the network's cell state can count under its semantics: a state part no weight scales
    (the LSTM's c) whose tanh stays real (the saturated semantics)."""
    return bool(problem.cell.unscaled) and not problem.semantics.thresholds_squash


def _parts(problem: Problem) -> tuple[int, int]:
    """Indices of the hidden state h and of the cell state c among the code's parts."""
    names = problem.cell.state_parts
    unscaled = [i for i, n in enumerate(names) if n in problem.cell.unscaled]
    if len(unscaled) != 1 or "h" not in names:
        raise ValueError(f"a cell with state parts {names} has no single counting part")
    return names.index("h"), unscaled[0]


# ---------------------------------------------------------------- values on families

def tanh_of(c: Affine) -> Affine:
    """tanh of an integer, or of an integer-valued form ``a + e k`` in one parameter (a named value
    ``tanh[e k + a]`` with e > 0: tanh is odd, so a negative e flips the sign of the whole)."""
    if c.is_constant:
        if c.const.denominator != 1:
            raise ValueError(f"the saturated cell state should be an integer, not {c}")
        return tanh_of_integer(int(c.const))
    if len(c.coeffs) != 1:
        raise ValueError(f"a cell state entry depends on several parameters: {c}")
    ((p, e),) = c.coeffs.items()
    if e.denominator != 1 or c.const.denominator != 1:
        raise ValueError(f"the saturated cell state should be integer-valued, not {c}")
    flip = 1 if e > 0 else -1
    a, step = int(c.const) * flip, int(e) * flip
    name = f"tanh[{'' if step == 1 else step}{p}{'' if a == 0 else f'{a:+d}'}]"
    return Affine({name: flip})


def _argument(name: str) -> tuple[int, str, int] | None:
    """(e, k, a) of a named value ``tanh[e k + a]``; None for other names."""
    m = FAMILY_TANH.fullmatch(name)
    if m is None:
        return None
    return int(m.group(1) or 1), m.group(2), int(m.group(3) or 0)


def parameters_of(x: Affine) -> list[str]:
    """The family parameters a value depends on, in order of appearance."""
    out: list[str] = []
    for name in x.coeffs:
        arg = _argument(name)
        p = arg[1] if arg else name if PARAMETER.fullmatch(name) else None
        if p is not None and p not in out:
            out.append(p)
    return out


def family_sign(x: Affine) -> frozenset:
    """The sign that ``x`` has for every value of its parameters (each >= 1): POS, NEG or ZERO when it is
    the same for all, ALL when the bounds below do not settle it.

    Each term ``q tanh(e k + a)`` (e > 0) is strictly increasing in k when q > 0 (decreasing when q < 0),
    so over k >= 1 it lies between ``q tanh(e + a)`` (attained at k = 1) and ``q`` (its limit, never
    attained).  The sum lies between the sums of the low ends and of the high ends; the ends are forms in
    the constants tanh(n) whose signs are exact."""
    if not any(_argument(name) for name in x.coeffs):
        return exact_sign(x)
    low = high = Affine.lift(x.const)
    low_strict = high_strict = False
    for name, q in x.coeffs.items():
        arg = _argument(name)
        if arg is None:
            if PARAMETER.fullmatch(name):
                raise ValueError(f"a pre-activation reads a cell state entry directly: {x}")
            term = Affine({name: q})
            low, high = low + term, high + term
            continue
        e, _, a = arg
        first, limit = q * tanh_of_integer(e + a), Affine.lift(q)
        if q > 0:
            low, high, high_strict = low + first, high + limit, True
        else:
            low, high, low_strict = low + limit, high + first, True
    s_low, s_high = exact_sign(low), exact_sign(high)
    if s_low == POS or (s_low == ZERO and low_strict):
        return POS
    if s_high == NEG or (s_high == ZERO and high_strict):
        return NEG
    if s_low == ZERO and s_high == ZERO:
        return ZERO
    return ALL


def substitute(x: Affine, values: Mapping[str, Affine]) -> Affine:
    """``x`` with parameters replaced by forms (an integer >= 1, or another parameter plus j >= 0)."""
    out = Affine.lift(x.const)
    for name, q in x.coeffs.items():
        arg = _argument(name)
        if arg is not None and arg[1] in values:
            e, p, a = arg
            out = out + q * tanh_of(e * values[p] + a)
        elif name in values:
            out = out + q * values[name]
        else:
            out = out + Affine({name: q})
    return out


def substitute_code(code: Code, values: Mapping[str, Affine]) -> Code:
    return tuple(tuple(substitute(v, values) for v in part) for part in code)


def code_parameters(code: Code) -> list[str]:
    out: list[str] = []
    for part in code:
        for v in part:
            out += [p for p in parameters_of(v) if p not in out]
    return out


def member(code: Code, values: Mapping[str, int]) -> Code:
    """One member of a family: its parameters set to integers (missing ones to 1)."""
    return substitute_code(code, {p: Affine.lift(values.get(p, 1)) for p in code_parameters(code)})


def matching(inner: Code, outer: Code, ic: int) -> dict | None:
    """Parameters of ``outer`` as forms in those of ``inner`` (an integer >= 1, or a parameter plus
    j >= 0) that make ``outer`` equal to ``inner``: then every member of ``inner`` is one of ``outer``.
    None when the cell states do not match this way."""
    values: dict[str, Affine] = {}
    for r, b in zip(inner[ic], outer[ic]):
        if b.is_constant:
            if r != b:
                return None
            continue
        ((p, e),) = b.coeffs.items()
        diff = r - b.const
        if diff.is_constant:
            k = diff.const / e
            if k.denominator != 1 or k < 1:
                return None
            value = Affine.lift(k)
        else:
            if len(diff.coeffs) != 1:
                return None
            ((q, e2),) = diff.coeffs.items()
            j = diff.const / e
            if e2 != e or j.denominator != 1 or j < 0:
                return None
            value = Affine({q: 1}, j)
        if values.setdefault(p, value) != value:
            return None
    return values if substitute_code(outer, values) == inner else None


# ---------------------------------------------------------------- steps of families

class FamilyOps(CaseOps):
    """The exact arithmetic on a family: gates decided for every member (:func:`family_sign`), and the
    tanh of a cell state the named value of its form."""

    def __init__(self, semantics, scalar: bool):
        super().__init__(semantics, family_sign, scalar)

    def squash(self, v, name):
        return tuple(tanh_of(Affine.lift(x)) for x in v)


def _lifted(code) -> Code:
    return tuple(tuple(Affine.lift(v) for v in part) for part in code)


def family_step(problem: Problem, params, code: Code, symbol: str):
    """One step of every member of a family: (next family, gate log).  Raises :class:`Undecided` when a
    gate differs between members (or is not shown not to), :class:`IllDefined` at a pre-activation that
    is 0 for every member."""
    ops = FamilyOps(problem.semantics, problem.units == 1)
    new, _ = problem.stack.step(ops, params, encode_symbol(problem.automaton, symbol), code)
    return _lifted(new), ops.log


def family_output(problem: Problem, params, code: Code) -> int:
    """The output bit of every member of a family (raises :class:`Undecided` when not one for all)."""
    return output_with(problem, params, FamilyOps(problem.semantics, problem.units == 1), code, family_sign)


# ---------------------------------------------------------------- pumps

@dataclass(frozen=True)
class Pump:
    """A cell state that counts: after ``prefix`` (u), every round of ``loop`` (v) takes the same gate
    decisions (``gates``, one list per symbol of v) and changes the cell state by ``change`` (one integer
    per entry), for every round k >= 1: the code after u v^k is ``family`` with ``parameter`` = k, whose
    cell state is ``cell_state``."""

    parameter: str
    prefix: tuple[str, ...]
    loop: tuple[str, ...]
    change: tuple[int, ...]
    family: Code
    gates: tuple[tuple[tuple[str, int], ...], ...]
    cell_state: tuple[Affine, ...]

    def describe(self) -> str:
        """One line: the loop, the change per round, the gates along it."""
        change = ", ".join(f"{d:+d}" for d in self.change)
        change = change if len(self.change) == 1 else f"({change})"
        gates = "; ".join(" ".join(f"{g}={v}" for g, v in step) for step in self.gates)
        k = self.parameter
        return (f"the cell state counts: after u = {_quoted(self.prefix)}, each round of v = {_quoted(self.loop)} "
                f"changes c by {change} (c = {', '.join(str(v) for v in self.cell_state)} after u v^{k}, for "
                f"every {k} >= 1), with the same gates in every round ({gates}): each pre-activation's sign "
                f"checked exactly for all {k}, between its value at {k} = 1 and its limit")


def pumped(problem: Problem, params, code: Code, change: tuple[Fraction, ...], parameter: str,
           loop: tuple[str, ...]) -> tuple[Code, tuple] | None:
    """The family {code + (k - 1) change : k >= 1} with its gate decisions along ``loop``, if ``loop``
    maps it onto itself shifted by one round for every k >= 1 (proved by one symbolic run); else None."""
    ih, ic = _parts(problem)
    k = Affine.var(parameter)
    c = tuple(v + (k - 1) * d if d else v for v, d in zip(code[ic], change))
    choices: list[list[Affine | None]] = []  # None: o = 1, the tanh of the family's cell state
    for v, h, d in zip(code[ic], code[ih], change):
        if not d:
            choices.append([h])
        elif v.const != 0:
            if h not in (Affine(), tanh_of(v)):
                return None
            choices.append([h if h == Affine() else None])
        else:
            choices.append([None, Affine()])  # o = 1 or o = 0: tanh(0) = 0 leaves it open
    for pick in _products(choices):
        h_new = tuple(tanh_of(cv) if ch is None else ch for ch, cv in zip(pick, c))
        family = tuple(h_new if i == ih else c if i == ic else part for i, part in enumerate(code))
        gates, state = [], family
        try:
            for sym in loop:
                state, log = family_step(problem, params, state, sym)
                gates.append(tuple((g, value) for g, _, _, value in log))
        except (Undecided, IllDefined):
            continue
        if state == substitute_code(family, {parameter: k + 1}):
            return family, tuple(gates)
    return None


def _products(choices: list[list]) -> list[tuple]:
    out: list[tuple] = [()]
    for options in choices:
        out = [t + (o,) for t in out for o in options]
    return out


# ---------------------------------------------------------------- the exploration

@dataclass
class FamilyRun:
    """An exploration on families: :class:`Failure` (a failing input, real for the first member of the
    family where it shows) or, with ``states`` the explored families, an invariant that implements."""

    failure: Failure | None
    pumps: list[Pump] = field(default_factory=list)
    states: list[Key] = field(default_factory=list)


def explore_families(problem: Problem, params, limit: int = 20_000, max_loop: int = 64,
                     max_peels: int = 64) -> FamilyRun:
    """Breadth-first exploration of the reachable codes of a network whose cell state counts, on
    families (see the module docstring).  Raises :class:`FamiliesTooMany` past ``limit`` families and
    :class:`Unsettled` when a gate's sign on a family stays open after ``max_peels`` members were peeled
    off it."""
    a = problem.automaton
    _, ic = _parts(problem)
    links: dict[Key, tuple] = {}
    live: dict[Key, int] = {}          # explored families and codes -> members peeled off so far
    by_state: dict[str, list[Key]] = {}
    queue: deque[Key] = deque()
    pumps: list[Pump] = []
    names = iter(f"k{n}" for n in range(1, 1 << 30))

    def word_to(key: Key, values: dict | None = None) -> tuple[str, ...]:
        """The input reaching the family's member with these parameter values (missing ones 1)."""
        values = dict(values or {})
        segments: list[tuple[str, ...]] = []
        while True:
            link = links[key]
            if link[0] == "root":
                break
            if link[0] == "step":
                _, key, sym = link
                segments.append((sym,))
            elif link[0] == "pump":
                _, key, sym, p, loop = link
                segments += [loop * (values.pop(p, 1) - 1), (sym,)]
            else:  # "peel": parameter p of the parent is this family's p plus off (p gone when fixed)
                _, key, p, off, kept = link
                values[p] = (values.get(p, 1) if kept else 0) + off
        return tuple(s for seg in reversed(segments) for s in seg)

    def covered(key: Key) -> bool:
        if key in live:
            return True
        return any(matching(key[0], other[0], ic) is not None for other in by_state.get(key[1], ())
                   if other in live)

    def admit(key: Key, link: tuple, peeled: int = 0) -> Failure | None:
        links.setdefault(key, link)
        try:
            bit = family_output(problem, params, key[0])
        except Undecided as u:
            return peel(key, u.decision.expr or Affine(), peeled, "the read-out")
        except IllDefined as e:
            return Failure(word_to(key), f"read-out: {e}")
        if bit != a.output[key[1]]:
            return Failure(word_to(key), f"output {bit}, expected {a.output[key[1]]}")
        live[key] = peeled
        if code_parameters(key[0]):
            by_state.setdefault(key[1], []).append(key)
        queue.append(key)
        if len(live) > limit:
            raise FamiliesTooMany(f"more than {limit} reachable families of (code, state) pairs")
        return None

    def peel(key: Key, expr: Affine, peeled: int, where: str) -> Failure | None:
        """Split a family into its first member (in the first parameter the undecided form reads) and
        the rest."""
        live.pop(key, None)
        ps = [p for p in parameters_of(expr) if p in code_parameters(key[0])]
        if not ps or peeled >= max_peels:
            word = word_to(key)
            raise Unsettled(f"{where}: the sign of {expr} on the codes after {_quoted(word)} and its pumped "
                            f"rounds was not settled after {peeled} rounds were taken apart")
        p = ps[0]
        k = Affine.var(p)
        first = (substitute_code(key[0], {p: Affine.lift(1)}), key[1])
        rest = (substitute_code(key[0], {p: k + 1}), key[1])
        for piece, link, n in ((first, ("peel", key, p, 1, False), 0), (rest, ("peel", key, p, 1, True), peeled + 1)):
            if not covered(piece):
                bad = admit(piece, link, n)
                if bad:
                    return bad
        return None

    def find_pump(new: Key, parent: Key, sym: str) -> tuple[Key, tuple] | None:
        """A nearest ancestor that ``new`` pumps: same automaton state, same code but integer cell-state
        entries changed by d != 0; and the loop between them proved to repeat."""
        loop = [sym]
        node = parent
        for _ in range(max_loop):
            if node[1] == new[1]:
                change = _change(node[0], new[0], ic)
                if change is not None:
                    p = next(names)
                    found = pumped(problem, params, new[0], change, p, tuple(loop))
                    if found is not None:
                        family, gates = found
                        link = ("pump", parent, sym, p, tuple(loop))
                        pumps.append(Pump(p, (), tuple(loop), tuple(int(d) for d in change), family, gates, family[ic]))
                        return (family, new[1]), link
            link = links[node]
            if link[0] != "step":
                return None
            loop.insert(0, link[2])
            node = link[1]
        return None

    def walk() -> Failure | None:
        start = (_lifted(initial_code(problem)), a.start)
        bad = admit(start, ("root",))
        while queue and not bad:
            key = queue.popleft()
            if key not in live:
                continue
            code, q = key
            for sym in a.alphabet:
                try:
                    nxt, _ = family_step(problem, params, code, sym)
                except Undecided as u:
                    bad = peel(key, u.decision.expr or Affine(), live[key], f"gate {u.gate}")
                    break
                except IllDefined as e:
                    return Failure(word_to(key) + (sym,), str(e))
                new = (nxt, a.step(q, sym))
                if covered(new):
                    continue
                found = find_pump(new, key, sym)
                bad = admit(*found) if found else admit(new, ("step", key, sym))
                if bad:
                    break
        return bad

    try:
        failure = walk()
    except (FamiliesTooMany, Unsettled) as e:
        named = _named(pumps, links, word_to)
        if not named:
            raise
        raise type(e)(f"{e}; {named[0].describe()}") from None
    return FamilyRun(failure, _named(pumps, links, word_to), [] if failure else list(live))


def _named(pumps, links, word_to) -> list[Pump]:
    """The pumps, each with the prefix u that reaches its loop's first round."""
    named = []
    for pump in pumps:
        key = next(k for k, link in links.items() if link[0] == "pump" and link[3] == pump.parameter)
        full = word_to(key)  # u v: the first member
        named.append(replace(pump, prefix=full[:len(full) - len(pump.loop)]))
    return named


def _change(old: Code, new: Code, ic: int) -> tuple[Fraction, ...] | None:
    """new's cell state minus old's when they differ only in integer entries (parametric entries equal),
    some by d != 0; None otherwise."""
    change = []
    for x, y in zip(old[ic], new[ic]):
        if x.is_constant and y.is_constant:
            change.append(y.const - x.const)
        elif x == y:
            change.append(Fraction(0))
        else:
            return None
    if not any(change):
        return None
    return tuple(change)


def _quoted(word) -> str:
    return '"' + "".join(word) + '"' if all(len(s) == 1 for s in word) else " ".join(word)


# ---------------------------------------------------------------- the invariant, re-derived

def check_invariant(problem: Problem, params, states: list[Key]) -> tuple[bool, str]:
    """Whether the families ``states`` prove that the network implements its automaton, re-derived
    without the search: the start code is a member of one; for every family and input, one symbolic
    step decides every gate for all members and lands in a family of the list (by :func:`matching`);
    and every family's output is the automaton state's, for all members."""
    a = problem.automaton
    _, ic = _parts(problem)
    by_state: dict[str, list[Code]] = {}
    for code, q in states:
        by_state.setdefault(q, []).append(code)

    def inside(code: Code, q: str) -> bool:
        return any(matching(code, other, ic) is not None for other in by_state.get(q, ()))

    if not inside(_lifted(initial_code(problem)), a.start):
        return False, "the start code is in no family"
    for code, q in states:
        try:
            if family_output(problem, params, code) != a.output[q]:
                return False, f"a family's output differs from state {q}'s"
            for sym in a.alphabet:
                nxt, _ = family_step(problem, params, code, sym)
                if not inside(nxt, a.step(q, sym)):
                    return False, f"a step on {sym!r} leaves the families"
        except (Undecided, IllDefined) as e:
            return False, f"a gate is not decided alike for all members of a family ({e})"
    return True, f"an inductive invariant of {len(states)} families of codes, every member's output right"

