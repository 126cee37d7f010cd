"""The equations of every cell, written once.

A cell is a step function ``step(ops, params, x, state) -> (state, gates)``
that only uses the vector operations of an arithmetic ``ops``:

* ``ops.linear(v, M)``  row vector times matrix (``x U`` or ``h W``);
* ``ops.add(a, b)``, ``ops.mul(a, b)`` (elementwise), ``ops.one_minus(a)``;
* ``ops.mix(z, a, b)``: the convex update ``z * a + (1 - z) * b`` of gated cells,
  one operation so that an arithmetic can treat it as a whole (an interval
  arithmetic gets its exact range this way);
* ``ops.sigmoid(v, name)``, ``ops.tanh(v, name)``: the gates, named so that
  an arithmetic can record or decide them (exact, symbolic, numeric, interval);
* ``ops.squash(v, name)``: the tanh of a value that no weight scales (the
  LSTM's cell state): a real network with weights times k keeps it the real
  tanh at every gain, so the saturated semantics keeps it real too, while the
  indicator semantics (every tanh a threshold) thresholds it;
* ``ops.split(v, sizes)`` and ``ops.concat(parts)``: a vector cut into
  consecutive pieces and put back together (a stack of layers keeps each
  state part as one vector, layer 1's units first).

Row-vector convention of the textbook: ``U`` multiplies the input, ``W`` the
previous state; ``U`` is (inputs x units), ``W`` is (units x units), ``b`` has
one entry per unit.  Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from automata_rnn.verdicts import BadInput


def _pre(ops, p, gate, x, h):
    """The pre-activation ``x U_g + h W_g + b_g`` of gate ``g``."""
    return ops.add(ops.add(ops.linear(x, p["U_" + gate]), ops.linear(h, p["W_" + gate])), p["b_" + gate])


def rnn_step(ops, p, x, state):
    """Elman cell of the textbook: h' = sigmoid(x U_h + h W_h + b_h)."""
    (h,) = state
    h_new = ops.sigmoid(_pre(ops, p, "h", x, h), "h")
    return (h_new,), {"h": h_new}


def _gru_gates(ops, p, x, h):
    """The update gate, reset gate and candidate of the GRU with the reset before the product."""
    z = ops.sigmoid(_pre(ops, p, "z", x, h), "z")
    r = ops.sigmoid(_pre(ops, p, "r", x, h), "r")
    cand = ops.tanh(_pre(ops, p, "h", x, ops.mul(r, h)), "h~")
    return z, r, cand


def gru_step(ops, p, x, state):
    """GRU with the reset gate applied before the product (textbook, TF1, Keras reset_after=False):
    h' = z h + (1 - z) h~, so z = 1 keeps the state."""
    (h,) = state
    z, r, cand = _gru_gates(ops, p, x, h)
    return (ops.mix(z, h, cand),), {"z": z, "r": r, "h~": cand}


def gru_chung_step(ops, p, x, state):
    """The same GRU under the other update convention of the literature (Chung et al. 2014):
    h' = (1 - z) h + z h~, so z = 1 takes the candidate."""
    (h,) = state
    z, r, cand = _gru_gates(ops, p, x, h)
    return (ops.mix(z, cand, h),), {"z": z, "r": r, "h~": cand}


def gru_after_step(ops, p, x, state):
    """GRU with the reset gate applied after the product (PyTorch, Keras 3):
    h~ = tanh(x U_h + b_h + r * (h W_h + b_hn)); b_hn is the recurrent bias that the reset gate scales."""
    (h,) = state
    z = ops.sigmoid(_pre(ops, p, "z", x, h), "z")
    r = ops.sigmoid(_pre(ops, p, "r", x, h), "r")
    recurrent = ops.add(ops.linear(h, p["W_h"]), p["b_hn"])
    cand = ops.tanh(ops.add(ops.add(ops.linear(x, p["U_h"]), p["b_h"]), ops.mul(r, recurrent)), "h~")
    h_new = ops.mix(z, h, cand)
    return (h_new,), {"z": z, "r": r, "h~": cand}


def lstm_step(ops, p, x, state):
    """LSTM with gates i, f, g, o (PyTorch order): c' = f c + i g, h' = o tanh(c')."""
    h, c = state
    i = ops.sigmoid(_pre(ops, p, "i", x, h), "i")
    f = ops.sigmoid(_pre(ops, p, "f", x, h), "f")
    g = ops.tanh(_pre(ops, p, "g", x, h), "g")
    o = ops.sigmoid(_pre(ops, p, "o", x, h), "o")
    c_new = ops.add(ops.mul(f, c), ops.mul(i, g))
    h_new = ops.mul(o, ops.squash(c_new, "tanh(c)"))
    return (h_new, c_new), {"i": i, "f": f, "g": g, "o": o, "c": c_new}


@dataclass(frozen=True)
class Block:
    """A named parameter array: ``kind`` is 'input' (m x n), 'state' (n x n) or 'bias' (n).

    A block of one layer in a stack has its own ``units`` (and, above layer 1, its own ``inputs``: the
    units of the layer below); those override the arguments of :meth:`shape`."""

    name: str
    kind: str
    units: int | None = None
    inputs: int | None = None

    def shape(self, units: int, inputs: int) -> tuple[int, ...]:
        n = self.units if self.units is not None else units
        m = self.inputs if self.inputs is not None else inputs
        return {"input": (m, n), "state": (n, n), "bias": (n,)}[self.kind]


def _gate_blocks(*gates: str) -> tuple[Block, ...]:
    out: list[Block] = []
    for g in gates:
        out += [Block("U_" + g, "input"), Block("W_" + g, "state"), Block("b_" + g, "bias")]
    return tuple(out)


@dataclass(frozen=True)
class TorchConvention:
    """How PyTorch stores a cell: ``nn.<module>``, its gates stacked in ``gates`` order in ``weight_ih`` and
    ``weight_hh``; the biases ``bias_ih + bias_hh`` summed per gate, except the gate ``separate`` whose
    recurrent bias stays apart (the GRU's b_hn, which the reset gate scales)."""

    module: str
    gates: tuple[str, ...]
    separate: str | None = None


@dataclass(frozen=True)
class Cell:
    """A recurrent cell: its parameter blocks, the parts of its state, and its step equations.

    Facts about the cell live here, not as tests of its name elsewhere:

    * ``state_range``: the interval a real hidden unit stays in (sigmoid (0, 1), tanh and gated
      mixes of it (-1, 1));
    * ``unscaled``: the state parts that no weight scales and that reach the hidden state through
      ``ops.squash`` (the LSTM's cell state); under the saturated semantics they make h irrational;
    * ``initial_biases``: biases that training starts away from 0 (the LSTM's forget bias 1, as
      TensorFlow's LSTMCell adds it);
    * ``torch``: how PyTorch lays the cell out (:class:`TorchConvention`), None when no PyTorch layer
      computes it;
    * ``tanh_gates``: the gates computed by tanh (a hard sigmoid replaces only the sigmoid ones, so a cell
      without tanh gates is exactly its threshold network once every gate clears the saturation point);
    * ``keeps``: the update gate's value that keeps the old state (1 in the textbook's GRU, 0 under
      Chung et al.'s convention; None for cells without one);
    * ``state_is_gate``: each unit of the new hidden state is the sigmoid gate of its own pre-activation
      (the Elman cell), so a real unit lies above 1/2 exactly when that pre-activation is positive, at every
      gain and under every real activation family, and a threshold unit's next bit is a threshold function of
      (code, input) (the all-sizes relaxation, the labelling certificates and certify's every-gain proof
      rest on this);
    * ``layers``: for a stack of layers (see :func:`automata_rnn.model.network.stack`), the units of
      each layer, bottom first; empty for a single cell, whose units the problem gives.
    """

    name: str
    summary: str
    blocks: tuple[Block, ...]
    state_parts: tuple[str, ...]
    step: Callable
    state_range: tuple[Fraction, Fraction] = (Fraction(-1), Fraction(1))
    unscaled: tuple[str, ...] = ()
    initial_biases: tuple[tuple[str, int], ...] = ()
    keeps: int | None = None
    tanh_gates: tuple[str, ...] = ()
    torch: TorchConvention | None = None
    state_is_gate: bool = False
    layers: tuple[int, ...] = ()

    def code_values(self, semantics: str) -> tuple[Fraction, ...] | None:
        """The values one hidden unit's code takes under a threshold semantics: the ends of the state range
        (a threshold tanh gives 0 under the indicator semantics), plus 0, the initial state, when it lies
        inside the range; None when the codes are not finitely many (a cell state that can count)."""
        if self.unscaled:
            return None
        low, high = self.state_range
        if semantics == "indicator" or low == 0:
            return (Fraction(0), Fraction(1))
        return (low, Fraction(0), high)

    def classes_per_unit(self, semantics: str) -> int | None:
        """How many classes of behaviour one unit's code falls into under a threshold semantics: its code
        values, or for a cell state read only through its sign (the LSTM under the indicator semantics, where
        h = o [c > 0]) the pairs (h, [c > 0]) that occur: (0, 0), (0, 1), (1, 1).  None when not finitely many."""
        values = self.code_values(semantics)
        if values is not None:
            return len(values)
        if self.unscaled and semantics == "indicator":
            return 3
        return None

    def element_names(self, units: int, inputs: int) -> list[str]:
        """Names of the scalar parameters, in display order: ``U_h`` for a 1 x 1 block,
        ``U_h[i,j]`` / ``b_h[j]`` otherwise."""
        names: list[str] = []
        for b in self.blocks:
            names += element_names(b.name, b.shape(units, inputs))
        return names


def element_names(block: str, shape: tuple[int, ...]) -> list[str]:
    """Scalar names of one parameter block of the given shape."""
    if all(s == 1 for s in shape):
        return [block]
    if len(shape) == 1:
        return [f"{block}[{j}]" for j in range(shape[0])]
    return [f"{block}[{i},{j}]" for i in range(shape[0]) for j in range(shape[1])]


CELLS: dict[str, Cell] = {
    "rnn": Cell("rnn", "Elman RNN with a sigmoid (the textbook)", _gate_blocks("h"), ("h",), rnn_step,
                state_range=(Fraction(0), Fraction(1)), state_is_gate=True),
    "gru": Cell("gru", "GRU, reset before the product (the textbook)", _gate_blocks("z", "r", "h"),
                ("h",), gru_step, keeps=1, tanh_gates=("h~",)),
    "gru-after": Cell("gru-after", "GRU, reset after the product (PyTorch, Keras 3)",
                      _gate_blocks("z", "r", "h") + (Block("b_hn", "bias"),), ("h",), gru_after_step, keeps=1,
                      tanh_gates=("h~",),
                      torch=TorchConvention("GRU", ("r", "z", "h"), separate="h")),
    "gru-chung": Cell("gru-chung", "GRU, reset before the product, h' = (1-z) h + z h~ (Chung et al. 2014)",
                      _gate_blocks("z", "r", "h"), ("h",), gru_chung_step, keeps=0, tanh_gates=("h~",)),
    "lstm": Cell("lstm", "LSTM with gates i, f, g, o", _gate_blocks("i", "f", "g", "o"), ("h", "c"),
                 lstm_step, unscaled=("c",), initial_biases=(("b_f", 1),), tanh_gates=("g", "tanh(c)"),
                 torch=TorchConvention("LSTM", ("i", "f", "g", "o"))),
}


def get_cell(name: str) -> Cell:
    """The cell called ``name``; ValueError naming the known cells otherwise."""
    try:
        return CELLS[name]
    except KeyError:
        raise BadInput(f"unknown cell {name!r} (known: {', '.join(CELLS)})") from None
