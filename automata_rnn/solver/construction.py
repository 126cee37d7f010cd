"""Networks that always exist: threshold Elman RNNs built from an automaton's transitions.

Minsky's construction (:func:`minsky_weights`) has one unit per (state q, symbol a) of the minimal machine:
unit (q, a) is on after an input exactly when the input's last symbol is ``a`` and the automaton is then in
``q``.  With the threshold semantics at most one unit is on after each step, and none at time 0, so the
unit's pre-activation

    sum of the units (p, b) with delta(p, a) = q   +   [the symbol is a]
    + [q = delta(start, a)] * (1 - sum of all units)   -   3/2

is positive exactly when the previous state leads to ``q`` on ``a`` and the symbol is ``a``: the term
``1 - sum of all units`` is 1 only at time 0, when the start state plays the predecessor.  The read-out
``out(start) + sum (out(q) - out(start)) h_(q,a)``, cut at 1/2, gives the output of the current state.
This gives an upper bound of |Q| |Sigma| units.

:func:`state_unit_weights` keeps one unit per state where it can: a unit that is on exactly when the
automaton has just entered ``q`` sees one active unit (a state p, or none at time 0) and the symbol, so its
pre-activation is w_p + u_a + b, and such a unit exists exactly when the sets {a : delta(p, a) = q} of the
predecessors p (the start state at time 0 among them) form a chain under inclusion (no two predecessors
that enter ``q`` on different symbols only).  Where they do not, ``q`` gets one unit per symbol that enters
it, as in Minsky's construction; states entered by no transition get none.  Every construction's weights
are re-verified by the exhaustive exact run like any other answer.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

from automata_rnn.model.automata import Automaton, minimize
from automata_rnn.model.problem import Problem


def _applies(problem: Problem) -> bool:
    return problem.cell.name == "rnn" and len(problem.layers) == 1 and problem.semantics.name == "indicator"


def _sized(problem: Problem, a: Automaton, n: int) -> Problem:
    """The problem of a constructed network: ``n`` Elman units, threshold read-out, no fixed weights."""
    return dataclasses.replace(problem, automaton=a, units=n, layers=(n,), output="readout", fixed={}, bound=None)


def _name(sized: Problem, block: str, i: int, j: int | None = None) -> str:
    shape = dict(sized.blocks())[block]
    if all(d == 1 for d in shape):
        return block
    return f"{block}[{i}]" if j is None else f"{block}[{i},{j}]"


def minsky_weights(problem: Problem) -> tuple[Problem, dict[str, Fraction]] | None:
    """The construction's problem (Elman cell, |Q| |Sigma| units, threshold read-out, indicator semantics)
    and its exact weights; None for a problem it does not speak of (another cell, or a stack)."""
    if not _applies(problem):
        return None
    a = minimize(problem.automaton)
    states, symbols = a.reachable(), list(a.alphabet)
    units = [(q, s) for q in states for s in symbols]
    sized = _sized(problem, a, len(units))
    index = {u: j for j, u in enumerate(units)}
    first = {s: a.step(a.start, s) for s in symbols}
    w: dict[str, Fraction] = {}
    for (q, s), j in index.items():
        starts = int(first[s] == q)
        # recurrent weights: +1 from each predecessor (p, b) with delta(p, s) = q; -1 from every unit when q is
        # where the start state goes on s (the "1 - sum of all units" term)
        for (p, _), i in index.items():
            w[_name(sized, "W_h", i, j)] = Fraction(int(a.step(p, s) == q) - starts)
        constant = _input_term(w, sized, a, j, {b: Fraction(int(b == s)) for b in symbols})  # [symbol = s]
        w[_name(sized, "b_h", j)] = constant + starts - Fraction(3, 2)
    _read_out(w, sized, a, [q for q, _ in units])
    return sized, w


def _input_term(w: dict[str, Fraction], sized: Problem, a: Automaton, j: int, value: dict[str, Fraction]
                ) -> Fraction:
    """Unit j's input weights giving ``value[a]`` for each symbol a, up to the constant returned (to be added
    to its bias): for the binary digit x, value = U x + K (K returned); for one-hot inputs, U_a = value[a]."""
    if sized.inputs == 1:
        w[_name(sized, "U_h", 0, j)] = value["1"] - value["0"]
        return value["0"]
    for i, s in enumerate(a.alphabet):
        w[_name(sized, "U_h", i, j)] = value[s]
    return Fraction(0)


def _read_out(w: dict[str, Fraction], sized: Problem, a: Automaton, unit_states: list[str]) -> None:
    """The read-out of a network whose units are one-hot after every step and all off at time 0:
    out(start) + sum (out(q) - out(start)) h_j over the units j of states q, cut at 1/2."""
    out0 = a.output[a.start]
    for j, q in enumerate(unit_states):
        w[_name(sized, "W_y", j, 0)] = Fraction(a.output[q] - out0)
    w["b_y"] = Fraction(out0) - Fraction(1, 2)


def state_units(a: Automaton) -> list[tuple[str, tuple[str, ...]]]:
    """The units of :func:`state_unit_weights` for a minimal automaton, as (state, symbols entering it that
    the unit answers for): (q, all symbols) where the predecessors' entering sets form a chain, else one unit
    (q, (s,)) per symbol s that enters q."""
    states, symbols = a.reachable(), list(a.alphabet)
    entered = [q for q in states if any(a.step(p, s) == q for p in states for s in symbols)]
    units: list[tuple[str, tuple[str, ...]]] = []
    for q in entered:
        rows = sorted(_rows(a, entered, q, symbols).values(), key=len)
        if all(small <= large for small, large in zip(rows, rows[1:])):
            units.append((q, tuple(symbols)))
        else:
            units.extend((q, (s,)) for s in symbols if any(a.step(p, s) == q for p in states))
    return units


def _rows(a: Automaton, entered: list[str], q: str, group: tuple[str, ...] | list[str]
          ) -> dict[str | None, frozenset[str]]:
    """For each context (None: time 0, the start state with no unit on; else a state entered by some
    transition, whose units are on after it), the symbols of ``group`` on which it enters ``q``."""
    rows: dict[str | None, frozenset[str]] = {None: frozenset(s for s in group if a.step(a.start, s) == q)}
    for p in entered:
        rows[p] = frozenset(s for s in group if a.step(p, s) == q)
    return rows


def state_unit_weights(problem: Problem) -> tuple[Problem, dict[str, Fraction]] | None:
    """A network of :func:`state_units` units (at most Minsky's |Q| |Sigma|) for the problem's automaton: its
    problem (Elman cell, threshold read-out, indicator semantics) and exact weights; None for a problem it
    does not speak of (another cell, or a stack).

    Unit (q, G) is on after a step exactly when the automaton enters q on a symbol of G.  Its predecessors'
    sets R_p of symbols of G entering q form a chain, so ordering the symbols a_1, a_2, ... by how many R_p
    hold them makes every R_p the first k_p of them; the pre-activation 2 k_p + 1 - 2 i at (p, a_i) is
    positive exactly on R_p (w_p = 2 (k_p - k_0) from p's units, bias 2 k_0 + 1 with k_0 the time-0 row)."""
    if not _applies(problem):
        return None
    a = minimize(problem.automaton)
    symbols = list(a.alphabet)
    units = state_units(a)
    sized = _sized(problem, a, len(units))
    entered = list(dict.fromkeys(q for q, _ in units))  # the states with units: those some transition enters
    w: dict[str, Fraction] = {}
    for j, (q, group) in enumerate(units):
        rows = _rows(a, entered, q, group)
        held = {s: sum(s in row for row in rows.values()) for s in symbols}
        order = sorted(symbols, key=lambda s: -held[s])
        value = {s: Fraction(-2 * (i + 1)) for i, s in enumerate(order)}
        base = {p: Fraction(2 * len(row) + 1) for p, row in rows.items()}
        w[_name(sized, "b_h", j)] = _input_term(w, sized, a, j, value) + base[None]
        for i, (p, _) in enumerate(units):
            w[_name(sized, "W_h", i, j)] = base[p] - base[None]
    _read_out(w, sized, a, [q for q, _ in units])
    return sized, w


ELMAN_INSIDE = ("gru", "gru-chung", "gru-after")
"""Cells that take an Elman step under the indicator semantics when their update gate selects the candidate
and their reset gate is open: h' = h~ = [x U_h + h W_h + b_h > 0] (with b_hn = 0 for ``gru-after``)."""


def gated_from_elman(problem: Problem, elman: dict[str, Fraction]) -> list[dict[str, Fraction]]:
    """Weights for ``problem`` (a cell of :data:`ELMAN_INSIDE`) that copy an Elman network of as many units
    (its candidate and read-out weights, by name): the reset gate open (bias 1, other weights 0), the update
    gate constant (bias 1 or -1: one of them selects the candidate, by the cell's convention), every other
    weight 0.  Both choices are returned; the caller keeps one that its exact run verifies."""
    out = []
    for update in (Fraction(1), Fraction(-1)):
        w = {}
        for name in problem.parameter_names():
            block = name.split("[")[0]
            w[name] = elman.get(name, update if block == "b_z" else Fraction(1) if block == "b_r" else Fraction(0))
        out.append(w)
    return out
