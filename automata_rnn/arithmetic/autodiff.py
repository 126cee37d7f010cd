"""Reverse-mode arithmetic: the cells read on batched float64 arrays, with their derivatives.

Every operation of the cells' interface (see :mod:`automata_rnn.model.cells`)
computes its value with NumPy and appends one record to a :class:`Tape`: the
rule that sends the gradient of its output back to its operands.
:meth:`Tape.backward` replays the records in reverse order, so gradients of a
loss with respect to the parameters and to every hidden state come from the
one definition of each cell, never from equations written a second time.

Values are :class:`Var` (a value with a gradient slot) or plain arrays and
numbers, which are constants: gradients flow into ``Var`` operands only.  A
hidden state is ``(batch, units)``; a bias ``(units,)`` broadcasts over the
batch and its gradient is summed back over it.

The sigmoid gates follow a real activation of :mod:`automata_rnn.model.activation`:
the logistic function, or a hard sigmoid whose value is the numeric
simulator's (:class:`automata_rnn.arithmetic.numeric.NumericOps`) and whose
derivative is PyTorch's ``hardsigmoid`` backward: the slope (1/5 or 1/6)
strictly inside (-s, s), s the saturation point (5/2 or 3), and 0 elsewhere,
at the kinks -s and s included.  tanh gates are the real tanh.
:meth:`Tape.logistic` is the logistic function under every activation (the
trainer's prediction).
"""

from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np

from automata_rnn.arithmetic.numeric import NumericOps
from automata_rnn.model.activation import get_activation

__all__ = ["Tape", "Var", "grad_of", "sigmoid"]

# exp(709) is the largest float64 power of e: below -709 the sigmoid is < 1e-307 and is computed as
# sigmoid(-709), so that no overflow warning is ever raised.
_EXP_LIMIT = -709.0


def sigmoid(v: np.ndarray) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-v)), elementwise, without overflow warnings."""
    return 1.0 / (1.0 + np.exp(-np.maximum(v, _EXP_LIMIT)))


class Var:
    """A value recorded on a tape; ``grad`` is d loss / d value after :meth:`Tape.backward` (None if unreached)."""

    __slots__ = ("value", "grad")

    def __init__(self, value):
        self.value = value
        self.grad = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    def __repr__(self) -> str:
        return f"Var(shape={self.value.shape})"


def _accumulate(x, g) -> None:
    if type(x) is Var:
        if x.value.shape != g.shape:
            g = _unbroadcast(g, x.value.shape)
        x.grad = g if x.grad is None else x.grad + g


def _unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``g`` over the axes that broadcasting added or stretched, giving ``shape``."""
    lead = g.ndim - len(shape)
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    return g


def _val(x):
    return x.value if type(x) is Var else x


# Backward rules: (gradient of the output, output, operands...) -> accumulate into the operands.

def _linear_back(g, out, v, m, _):
    if type(v) is Var:
        _accumulate(v, g @ _val(m).T)
    if type(m) is Var:
        _accumulate(m, _val(v).T @ g)


def _add_back(g, out, a, b, _):
    _accumulate(a, g)
    _accumulate(b, g)


def _mul_back(g, out, a, b, _):
    if type(a) is Var:
        _accumulate(a, g * _val(b))
    if type(b) is Var:
        _accumulate(b, g * _val(a))


def _one_minus_back(g, out, a, _b, _c):
    _accumulate(a, -g)


def _mix_back(g, out, z, a, b):
    # out = b + z (a - b)
    za = _val(z)
    if type(z) is Var:
        _accumulate(z, g * (_val(a) - _val(b)))
    ga = g * za
    _accumulate(a, ga)
    _accumulate(b, g - ga)


def _piece_back(g, out, v, bounds, _):
    if type(v) is Var:
        full = np.zeros(v.value.shape)
        full[..., bounds[0]:bounds[1]] = g
        _accumulate(v, full)


def _concat_back(g, out, parts, ends, _):
    for part, (low, high) in zip(parts, ends):
        _accumulate(part, g[..., low:high])


def _sigmoid_back(g, out, v, _b, _c):
    s = out.value
    _accumulate(v, g * (s * (1.0 - s)))


def _hard_sigmoid_back(g, out, v, slope, _c):
    # slope: the derivative at each pre-activation, fixed on the forward pass
    _accumulate(v, g * slope)


def _tanh_back(g, out, v, _b, _c):
    t = out.value
    _accumulate(v, g * (1.0 - t * t))


class Tape:
    """The cells' vector operations on float64 arrays, recording each one for :meth:`backward`.

    With ``record=False`` nothing is recorded: the tape is then a plain numeric
    arithmetic for forward runs.  ``activation`` names a real family of
    :mod:`automata_rnn.model.activation` (sigmoid, hard_sigmoid, hard_sigmoid_pytorch): the
    sigmoid gates' function; BadInput for another name.  A tape is used for
    one forward pass and one backward pass; make a new one for the next batch.
    """

    __slots__ = ("records", "record", "activation", "_hard")

    def __init__(self, record: bool = True, activation: str = "sigmoid"):
        self.records: list[tuple] = []
        self.record = record
        self.activation = get_activation(activation, real_only=True)
        # a hard sigmoid's values come from the numeric simulator, so that training and simulation agree bit for bit
        self._hard = NumericOps(activation) if self.activation.kind == "hard" else None

    # -- leaves ---------------------------------------------------------------------------

    def variable(self, value) -> Var:
        """A leaf whose gradient is wanted (a parameter block or an initial state), as float64."""
        return Var(np.array(value, dtype=np.float64))

    def variables(self, arrays: Mapping[str, np.ndarray]) -> dict[str, Var]:
        """One leaf per named array (e.g. a cell's parameter blocks)."""
        return {k: self.variable(v) for k, v in arrays.items()}

    # -- the cells' interface -------------------------------------------------------------

    def linear(self, v, m):
        """Row vectors times a matrix: ``v @ m`` for v (batch, inputs) and m (inputs, units)."""
        out = Var(_val(v) @ _val(m))
        if self.record:
            self.records.append((_linear_back, out, v, m, None))
        return out

    def add(self, a, b):
        out = Var(_val(a) + _val(b))
        if self.record:
            self.records.append((_add_back, out, a, b, None))
        return out

    def mul(self, a, b):
        out = Var(_val(a) * _val(b))
        if self.record:
            self.records.append((_mul_back, out, a, b, None))
        return out

    def one_minus(self, a):
        out = Var(1.0 - _val(a))
        if self.record:
            self.records.append((_one_minus_back, out, a, None, None))
        return out

    def mix(self, z, a, b):
        """The gated update ``z * a + (1 - z) * b``, computed as ``b + z * (a - b)``."""
        bv = _val(b)
        out = Var(bv + _val(z) * (_val(a) - bv))
        if self.record:
            self.records.append((_mix_back, out, z, a, b))
        return out

    def split(self, v, sizes):
        """Consecutive unit ranges of ``v`` (the last axis), each a value of its own."""
        pieces, low = [], 0
        for n in sizes:
            out = Var(_val(v)[..., low:low + n])
            if self.record:
                self.records.append((_piece_back, out, v, (low, low + n), None))
            pieces.append(out)
            low += n
        return pieces

    def concat(self, parts):
        values = [_val(p) for p in parts]
        out = Var(np.concatenate(values, axis=-1))
        if self.record:
            ends, low = [], 0
            for value in values:
                ends.append((low, low + value.shape[-1]))
                low += value.shape[-1]
            self.records.append((_concat_back, out, tuple(parts), tuple(ends), None))
        return out

    def sigmoid(self, v, name=None):
        """The sigmoid gate under the tape's activation."""
        if self._hard is None:
            return self.logistic(v)
        value = _val(v)
        out = Var(self._hard.sigmoid(value, name))
        if self.record:
            assert self.activation.slope is not None and self.activation.saturation is not None
            inside = np.abs(value) < float(self.activation.saturation)  # False at the kinks and for NaN
            self.records.append((_hard_sigmoid_back, out, v, np.where(inside, float(self.activation.slope), 0.0),
                                 None))
        return out

    def logistic(self, v):
        """The logistic function 1 / (1 + exp(-v)) whatever the activation (the trainer's prediction)."""
        out = Var(sigmoid(_val(v)))
        if self.record:
            self.records.append((_sigmoid_back, out, v, None, None))
        return out

    def tanh(self, v, name=None):
        out = Var(np.tanh(_val(v)))
        if self.record:
            self.records.append((_tanh_back, out, v, None, None))
        return out

    def squash(self, v, name=None):
        """tanh of an unscaled value (the LSTM's cell state): the real tanh."""
        return self.tanh(v, name)

    # -- gradients ------------------------------------------------------------------------

    def backward(self, seeds: Iterable[tuple[Var, np.ndarray]] | Mapping[Var, np.ndarray]) -> None:
        """Accumulate d loss / d x into ``x.grad`` for every Var x the seeds depend on.

        ``seeds`` pairs recorded values with d loss / d value (e.g. the
        prediction error); a loss that is a sum of several terms gives several
        seeds.  Afterwards every intermediate Var holds its total derivative
        (so the hidden state h(t) holds d loss / d h(t)), and every leaf the sum
        over its uses.
        """
        if isinstance(seeds, Mapping):
            seeds = seeds.items()
        for var, g in seeds:
            _accumulate(var, np.asarray(g, dtype=np.float64))
        for back, out, a, b, c in reversed(self.records):
            g = out.grad
            if g is not None:
                back(g, out, a, b, c)


def grad_of(x: Var) -> np.ndarray:
    """``x.grad``, or zeros of x's shape when the loss does not depend on x."""
    return np.zeros_like(x.value) if x.grad is None else x.grad
