"""Facts about the cells against their definitions: the parameter layout of the textbook's row-vector
convention, the codes a unit takes under each threshold semantics, and the unknown-cell message."""

from fractions import Fraction as F

import pytest

from automata_rnn.model.cells import CELLS, Block, _gate_blocks, get_cell
from automata_rnn.verdicts import BadInput


def test_a_gate_has_an_input_matrix_a_state_matrix_and_a_bias():
    """x U_g + h W_g + b_g: U is (inputs x units), W is (units x units), b has one entry per unit."""
    blocks = _gate_blocks("z", "q")
    assert [(b.name, b.kind, b.units, b.inputs) for b in blocks] == [
        ("U_z", "input", None, None), ("W_z", "state", None, None), ("b_z", "bias", None, None),
        ("U_q", "input", None, None), ("W_q", "state", None, None), ("b_q", "bias", None, None)]
    assert [b.shape(units=2, inputs=3) for b in blocks[:3]] == [(3, 2), (2, 2), (2,)]
    assert _gate_blocks() == ()
    # every built-in cell is its gates' blocks (plus the GRU-after's recurrent bias b_hn)
    gates = {"rnn": "h", "gru": "zrh", "gru-chung": "zrh", "gru-after": "zrh", "lstm": "ifgo"}
    for name, cell in CELLS.items():
        extra = (Block("b_hn", "bias"),) if name == "gru-after" else ()
        assert cell.blocks == _gate_blocks(*gates[name]) + extra, name


def test_a_block_of_a_stacked_layer_keeps_its_own_sizes():
    """Above layer 1 a block's inputs are the units of the layer below, whatever the arguments say."""
    assert Block("U_h", "input", units=3, inputs=2).shape(units=5, inputs=7) == (2, 3)
    assert Block("W_h", "state", units=3).shape(units=5, inputs=7) == (3, 3)
    assert Block("b_h", "bias", units=3).shape(units=5, inputs=7) == (3,)
    assert Block("U_h", "input", inputs=4).shape(units=5, inputs=7) == (4, 5)


# Indicator: every sigma and tanh is [v > 0] in {0, 1}, so every state is 0 or 1.  Saturated: sigma -> {0, 1},
# tanh -> {-1, +1}; an Elman state is a sigmoid (0 or 1), a GRU state a mix of h and tanh (-1, 1, or the
# initial 0).  An LSTM's cell state can count: not finitely many codes, but under the indicator semantics
# h = o [c > 0] and only (h, [c > 0]) in {(0, 0), (0, 1), (1, 1)} matter.
CODES = {
    ("rnn", "indicator"): (0, 1), ("rnn", "saturated"): (0, 1),
    ("gru", "indicator"): (0, 1), ("gru", "saturated"): (-1, 0, 1),
    ("gru-after", "indicator"): (0, 1), ("gru-after", "saturated"): (-1, 0, 1),
    ("gru-chung", "indicator"): (0, 1), ("gru-chung", "saturated"): (-1, 0, 1),
    ("lstm", "indicator"): None, ("lstm", "saturated"): None,
}
CLASSES = {("lstm", "indicator"): 3, ("lstm", "saturated"): None}


@pytest.mark.parametrize("cell,semantics", sorted(CODES))
def test_codes_and_classes_per_unit(cell, semantics):
    c = get_cell(cell)
    want = CODES[cell, semantics]
    got = c.code_values(semantics)
    assert (got if got is None else tuple(sorted(got))) == (None if want is None else tuple(F(v) for v in want))
    assert c.classes_per_unit(semantics) == CLASSES.get((cell, semantics), None if want is None else len(want))


def test_an_unknown_cell_is_named_with_the_known_ones():
    with pytest.raises(BadInput) as err:
        get_cell("elman")
    assert str(err.value) == "unknown cell 'elman' (known: rnn, gru, gru-after, gru-chung, lstm)"
