"""A network that always exists: Minsky's construction of a threshold Elman RNN for any automaton.

One unit per (state q, symbol a) of the minimal machine: unit (q, a) is on after an input exactly when the
input's last symbol is ``a`` and the automaton is then in ``q``.  With the threshold semantics at most one
unit is on after each step, and none at time 0, so the unit's pre-activation

    sum of the units (p, b) with delta(p, a) = q   +   [the symbol is a]
    + [q = delta(start, a)] * (1 - sum of all units)   -   3/2

is positive exactly when the previous state leads to ``q`` on ``a`` and the symbol is ``a``: the term
``1 - sum of all units`` is 1 only at time 0, when the start state plays the predecessor.  The read-out
``out(start) + sum (out(q) - out(start)) h_(q,a)``, cut at 1/2, gives the output of the current state.
This gives an upper bound of |Q| |Sigma| units; the weights are re-verified by the exhaustive exact run
like any other answer.
"""

from __future__ import annotations

import dataclasses
from fractions import Fraction

from automata_rnn.model.automata import minimize
from automata_rnn.model.problem import Problem, encode_symbol


def minsky_weights(problem: Problem) -> tuple[Problem, dict[str, Fraction]] | None:
    """The construction's problem (Elman cell, |Q| |Sigma| units, threshold read-out, indicator semantics)
    and its exact weights; None for a problem it does not speak of (another cell, or a stack)."""
    if problem.cell.name != "rnn" or len(problem.layers) != 1 or problem.semantics.name != "indicator":
        return None
    a = minimize(problem.automaton)
    states, symbols = a.reachable(), list(a.alphabet)
    units = [(q, s) for q in states for s in symbols]
    n = len(units)
    sized = dataclasses.replace(problem, automaton=a, units=n, layers=(n,), output="readout", fixed={},
                                bound=None)
    index = {u: j for j, u in enumerate(units)}
    first = {s: a.step(a.start, s) for s in symbols}
    w: dict[str, Fraction] = {}

    def name(block: str, i: int, j: int | None = None) -> str:
        shape = dict(sized.blocks())[block]
        if all(d == 1 for d in shape):
            return block
        return f"{block}[{i}]" if j is None else f"{block}[{i},{j}]"

    inputs = sized.inputs
    for (q, s), j in index.items():
        starts = int(first[s] == q)
        # recurrent weights: +1 from each predecessor (p, b) with delta(p, s) = q; -1 from every unit when q is
        # where the start state goes on s (the "1 - sum of all units" term)
        for (p, _), i in index.items():
            w[name("W_h", i, j)] = Fraction(int(a.step(p, s) == q) - starts)
        # the input term [symbol = s] as an affine function of the encoded input
        code = encode_symbol(a, s)
        if inputs == 1:  # the binary digit: [x = 1] = x, [x = 0] = 1 - x
            w[name("U_h", 0, j)] = Fraction(1 if code[0] == 1 else -1)
            constant = Fraction(0 if code[0] == 1 else 1)
        else:  # one-hot
            for i in range(inputs):
                w[name("U_h", i, j)] = code[i]
            constant = Fraction(0)
        w[name("b_h", j)] = constant + starts - Fraction(3, 2)
    out0 = a.output[a.start]
    for (q, _), j in index.items():
        w[name("W_y", j, 0)] = Fraction(a.output[q] - out0)
    w["b_y"] = Fraction(out0) - Fraction(1, 2)
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
