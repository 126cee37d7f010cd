"""A threshold network's weights from the rows of its threshold functions.

A row is the weight vector (input, recurrent, bias) of one threshold function of the units' points
(x(a), c, 1), or (recurrent, bias) of the read-out's points (c, 1), as the exact LPs of
:mod:`automata_rnn.solver.decompose` give it: at every point the row's value is >= 1 or <= -1, so the
negated row gives the complementary bits.  The weights are keyed by the problem's parameter names.
"""

from __future__ import annotations

from fractions import Fraction

from automata_rnn.model.problem import Problem


def _name(form) -> str:
    """The parameter name of a weight's form (one parameter, coefficient 1)."""
    (only,) = form.coeffs
    return only


def _gate_weights(problem: Problem, gate: str, rows: list) -> dict[str, Fraction]:
    """The weights U_<gate>, W_<gate>, b_<gate> from one row per unit."""
    params = problem.parameters()
    inputs, n = problem.inputs, problem.units
    w: dict[str, Fraction] = {}
    for j, row in enumerate(rows):
        for i in range(inputs):
            w[_name(params[f"U_{gate}"][i][j])] = row[i]
        for i in range(n):
            w[_name(params[f"W_{gate}"][i][j])] = row[inputs + i]
        w[_name(params[f"b_{gate}"][j])] = row[inputs + n]
    return w


def _readout_weights(problem: Problem, readout: list[Fraction]) -> dict[str, Fraction]:
    params = problem.parameters()
    n = problem.units
    w = {_name(params["W_y"][i][0]): readout[i] for i in range(n)}
    w[_name(params["b_y"][0])] = readout[n]
    return w


def network_weights(problem: Problem, rows: list, readout: list[Fraction]) -> dict[str, Fraction]:
    """An Elman network's weights from each unit's row and the read-out's row."""
    return {**_gate_weights(problem, "h", rows), **_readout_weights(problem, readout)}


def gru_weights(problem: Problem, selects: list, resets: list, candidates: list,
                readout: list[Fraction]) -> dict[str, Fraction]:
    """A GRU's weights from each unit's selection row ("takes its candidate"), reset row and candidate row
    and the read-out's row: the update gate is the selection (``keeps`` 0) or its complement, the negated
    row (``keeps`` 1).  A candidate row of ``gru-after`` is over its points (x(a), r c, r, 1) and gives U_h,
    W_h, b_hn and b_h."""
    sign = 1 if problem.cell.keeps == 0 else -1
    after = problem.cell.name == "gru-after"
    cand = [row[:-2] + row[-1:] for row in candidates] if after else candidates
    w = {**_gate_weights(problem, "h", cand), **_readout_weights(problem, readout),
         **_gate_weights(problem, "z", [[sign * v for v in row] for row in selects]),
         **_gate_weights(problem, "r", resets)}
    if after:
        w.update({_name(problem.parameters()["b_hn"][j]): row[-2] for j, row in enumerate(candidates)})
    return w
