"""The cell definitions: parameter layout and gate names as documented, exact steps against hand
computations in fractions."""

from fractions import Fraction as F

import pytest

from automata_rnn.exact.run import CaseOps, weight_signs
from automata_rnn.model.automata import latch
from automata_rnn.model.cells import CELLS, get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.model.semantics import Semantics

NAMES = {
    "rnn": ["U_h", "W_h", "b_h"],
    "gru": ["U_z", "W_z", "b_z", "U_r", "W_r", "b_r", "U_h", "W_h", "b_h"],
    "gru-after": ["U_z", "W_z", "b_z", "U_r", "W_r", "b_r", "U_h", "W_h", "b_h", "b_hn"],
    "gru-chung": ["U_z", "W_z", "b_z", "U_r", "W_r", "b_r", "U_h", "W_h", "b_h"],
    "lstm": ["U_i", "W_i", "b_i", "U_f", "W_f", "b_f", "U_g", "W_g", "b_g", "U_o", "W_o", "b_o"],
}
GATES = {"rnn": ["h"], "gru": ["z", "r", "h~"], "gru-after": ["z", "r", "h~"], "gru-chung": ["z", "r", "h~"],
         "lstm": ["i", "f", "g", "o", "tanh(c)"]}
RETURNED = {"rnn": {"h"}, "gru": {"z", "r", "h~"}, "gru-after": {"z", "r", "h~"}, "gru-chung": {"z", "r", "h~"},
            "lstm": {"i", "f", "g", "o", "c"}}


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_parameter_names_and_shapes(cell):
    c = get_cell(cell)
    assert c.element_names(1, 1) == NAMES[cell]
    two = c.element_names(2, 3)
    assert "U_h[2,1]" in two or "U_i[2,1]" in two
    assert len(two) == sum(3 * 2 if b.kind == "input" else 4 if b.kind == "state" else 2 for b in c.blocks)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_gate_names_in_the_order_the_equations_call_them(cell):
    p = Problem(latch(), get_cell(cell))
    w = {n: F(1) for n in p.parameter_names()}
    ops = CaseOps(Semantics("indicator"), weight_signs())
    state = tuple((F(0),) for _ in p.cell.state_parts)
    _, gates = p.cell.step(ops, p.parameters(w), (F(1),), state)
    assert [g for g, *_ in ops.log] == GATES[cell]
    assert set(gates) == RETURNED[cell]


def step01(v):
    return F(int(v > 0))


@pytest.mark.parametrize("h,c,x", [(0, 0, 1), (1, 1, 0), (1, 2, 1), (0, 3, 0)])
def test_lstm_exact_step_by_hand(h, c, x):
    w = dict(U_i=2, W_i=-1, b_i=0, U_f=-1, W_f=2, b_f=1, U_g=3, W_g=-2, b_g=-1, U_o=1, W_o=1, b_o=-1)
    i = step01(w["U_i"] * x + w["W_i"] * h + w["b_i"])
    f = step01(w["U_f"] * x + w["W_f"] * h + w["b_f"])
    g = step01(w["U_g"] * x + w["W_g"] * h + w["b_g"])
    o = step01(w["U_o"] * x + w["W_o"] * h + w["b_o"])
    c_new = f * c + i * g
    h_new = o * step01(c_new)
    p = Problem(latch(), get_cell("lstm"))
    ops = CaseOps(Semantics("indicator"), weight_signs())
    (hh, cc), gates = p.cell.step(ops, p.parameters({k: F(v) for k, v in w.items()}), (F(x),), ((F(h),), (F(c),)))
    assert (hh[0].value, cc[0].value) == (h_new, c_new)
    assert [gates[k][0].value for k in "ifgo"] == [i, f, g, o]


@pytest.mark.parametrize("cell", ["gru", "gru-after", "gru-chung"])
@pytest.mark.parametrize("h,x", [(0, 0), (0, 1), (1, 0), (1, 1), (-1, 1)])
def test_gru_exact_step_by_hand(cell, h, x):
    w = dict(U_z=1, W_z=-2, b_z=F(1, 2), U_r=-1, W_r=2, b_r=F(1, 2), U_h=2, W_h=-3, b_h=F(1, 2), b_hn=F(-1, 3))
    sem = Semantics("saturated")

    def tanh(v):
        return F(1) if v > 0 else F(-1)
    z = step01(w["U_z"] * x + w["W_z"] * h + w["b_z"])
    r = step01(w["U_r"] * x + w["W_r"] * h + w["b_r"])
    if cell in ("gru", "gru-chung"):
        cand = tanh(w["U_h"] * x + r * h * w["W_h"] + w["b_h"])
    else:
        cand = tanh(w["U_h"] * x + w["b_h"] + r * (h * w["W_h"] + w["b_hn"]))
    # the textbook's update keeps the state when z = 1; Chung et al.'s takes the candidate
    expected = (1 - z) * h + z * cand if cell == "gru-chung" else z * h + (1 - z) * cand
    p = Problem(latch(), get_cell(cell), semantics=sem)
    weights = {n: F(w.get(n, 0)) for n in p.parameter_names()}
    ops = CaseOps(sem, weight_signs())
    (hh,), _ = p.cell.step(ops, p.parameters(weights), (F(x),), ((F(h),),))
    assert hh[0].value == expected
