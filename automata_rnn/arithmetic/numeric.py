"""Numeric arithmetic: the cells read on batched float64 NumPy arrays.

A value is an array shaped ``(batch, units)`` (a bias is ``(units,)`` and
broadcasts).  The gates follow one of the activations of
:mod:`automata_rnn.model.activation` (PyTorch's hard sigmoid rounded as PyTorch
computes it, ``clip(v + 3, 0, 6) / 6``); under ``saturated`` a pre-activation
exactly 0 gives NaN, which marks the step as ill-defined (the exact arithmetic
raises there instead).

NaN pre-activations give NaN gates under every activation.

:class:`NumericOps` is the plain arithmetic, for one step at a time.
:class:`SequenceOps` gives the same values when a cell is run over whole
sequences: it reuses output buffers from step to step, and evaluates the
linear part of each pre-activation (``x U + h W + b``) for all gates in one
matrix product per step, learning on the first step which products the cell
asks for.  Only the order of floating-point summation differs, so sums of
integers (hence the threshold activations on integer weights) agree exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from automata_rnn.model.activation import get_activation


@dataclass
class GateRecord:
    """One gate evaluation: its name, pre-activation and value (arrays of the same shape)."""

    name: str
    pre_activation: np.ndarray
    value: np.ndarray


class NumericOps:
    """The vector operations of the cells (see :mod:`automata_rnn.model.cells`) on float64 arrays.

    ``activation`` names one of :data:`automata_rnn.model.activation.ACTIVATIONS`.
    With ``record=True`` every gate evaluation is appended to :attr:`log` as a
    :class:`GateRecord` (copies, in call order).
    """

    def __init__(self, activation: str = "sigmoid", record: bool = False):
        self.activation = get_activation(activation)
        self.record = record
        self.log: list[GateRecord] = []
        kind = self.activation.kind if self.activation.real else activation
        self._sigmoid_into = {"logistic": self._logistic, "hard": self._hard_sigmoid,
                              "indicator": self._step01, "saturated": self._sign01}[kind]
        self._tanh_into = {"indicator": self._step01, "saturated": self._sign}.get(kind, np.tanh)
        self._squash_into = self._step01 if kind == "indicator" else np.tanh
        self._overflow_ignored = False

    # -- storage: overridden by SequenceOps to reuse buffers ------------------------------

    def _out(self, shape: tuple[int, ...]) -> np.ndarray:
        return np.empty(shape)

    def _value(self, v) -> np.ndarray:
        return np.asarray(v, dtype=np.float64)

    def _record(self, name: str, pre: np.ndarray, value: np.ndarray) -> None:
        self.log.append(GateRecord(name, pre.copy(), value.copy()))

    # -- the interface of the cells -------------------------------------------------------

    def linear(self, v, m):
        """``v M``: row vectors times a matrix (``x U`` or ``h W``)."""
        v, m = self._value(v), self._value(m)
        return np.matmul(v, m, out=self._out(v.shape[:-1] + m.shape[1:]))

    def add(self, a, b):
        a, b = self._value(a), self._value(b)
        return np.add(a, b, out=self._out(np.broadcast_shapes(a.shape, b.shape)))

    def mul(self, a, b):
        """Elementwise product."""
        a, b = self._value(a), self._value(b)
        return np.multiply(a, b, out=self._out(np.broadcast_shapes(a.shape, b.shape)))

    def split(self, v, sizes):
        """Views of the consecutive unit ranges of ``v`` (the last axis)."""
        v = self._value(v)
        ends = np.cumsum(sizes)
        return [v[..., e - n:e] for n, e in zip(sizes, ends)]

    def concat(self, parts):
        return np.concatenate([self._value(p) for p in parts], axis=-1)

    def one_minus(self, a):
        a = self._value(a)
        return np.subtract(1.0, a, out=self._out(a.shape))

    def mix(self, z, a, b):
        """The gated update z * a + (1 - z) * b."""
        return self.add(self.mul(z, a), self.mul(self.one_minus(z), b))

    def sigmoid(self, v, name):
        """The sigmoid gate ``name`` under the activation."""
        return self._apply(self._sigmoid_into, v, name)

    def tanh(self, v, name):
        """The tanh gate ``name`` under the activation."""
        return self._apply(self._tanh_into, v, name)

    def squash(self, v, name):
        """tanh of an unscaled value (an LSTM's cell state): real, except the indicator's threshold."""
        return self._apply(self._squash_into, v, name)

    def _apply(self, into, v, name):
        v = self._value(v)
        out = self._out(v.shape)
        into(v, out)
        if self.record:
            self._record(name, v, out)
        return out

    # -- activations, each writing into ``out`` --------------------------------------------

    def _logistic(self, v, out):
        # 1 / (1 + exp(-v)): exp overflows to inf for v < -709 and the result is then exactly 0;
        # no cancellation anywhere, so the relative error is a few ulp over the whole range.
        np.negative(v, out=out)
        if self._overflow_ignored:
            np.exp(out, out=out)
        else:
            with np.errstate(over="ignore"):
                np.exp(out, out=out)
        np.add(out, 1.0, out=out)
        np.reciprocal(out, out=out)

    def _hard_sigmoid(self, v, out):
        if self.activation.slope == Fraction(1, 5):
            np.multiply(v, 0.2, out=out)
            np.add(out, 0.5, out=out)
            np.clip(out, 0.0, 1.0, out=out)
        else:
            np.add(v, 3.0, out=out)
            np.clip(out, 0.0, 6.0, out=out)
            np.divide(out, 6.0, out=out)

    @staticmethod
    def _step01(v, out):
        np.greater(v, 0.0, out=out)
        np.copyto(out, v, where=np.isnan(v))

    @staticmethod
    def _sign(v, out):
        np.sign(v, out=out)
        np.copyto(out, np.nan, where=(out == 0.0))

    def _sign01(self, v, out):
        self._sign(v, out)
        np.multiply(out, 0.5, out=out)
        np.add(out, 0.5, out=out)


class _Form:
    """A pending affine form ``sum(v_i M_i) + sum(b_j)`` with constant ``M_i`` and ``b_j``.

    :class:`SequenceOps` returns it from ``linear`` and ``add`` and evaluates
    it when a non-linear operation needs its value.
    """

    __slots__ = ("biases", "terms", "value")

    def __init__(self, terms: tuple, biases: tuple = ()):
        self.terms, self.biases, self.value = terms, biases, None


class _Group:
    """Forms evaluated together as one product ``[x, parts..., 1] F_i`` per step.

    ``stacked`` keeps one (height, width) matrix per form and a (forms, batch,
    width) product, so that every form's value is contiguous; otherwise the
    forms sit side by side in one (height, forms * width) matrix.
    """

    def __init__(self, rows: list[tuple], width: int, forms: list[tuple[tuple, list, list]], stacked: bool):
        # rows: (role, start, stop) slices of the left operand; its last column is the constant 1
        self.rows, self.width, self.stacked = rows, width, stacked
        self.height = (rows[-1][2] if rows else 0) + 1
        self.index: dict[tuple, int] = {}
        blocks = np.zeros((len(forms), self.height, width))
        where = {role: slice(a, b) for role, a, b in rows}
        for i, (key, terms, biases) in enumerate(forms):
            self.index[key] = i
            for role, m in terms:
                blocks[i, where[role]] += m
            for b in biases:
                blocks[i, -1] += b
        self.matrix = blocks if stacked else np.ascontiguousarray(np.concatenate(list(blocks), axis=1))
        self.left: np.ndarray | None = None
        self.product: np.ndarray | None = None

    def evaluate(self, batch: int, sources) -> None:
        """Fill the left operand from ``sources`` (role -> (batch, k) array) and form the product."""
        if self.left is None or self.left.shape[0] != batch:
            self.left = np.empty((batch, self.height))
            self.left[:, -1] = 1.0
            n = len(self.index)
            self.product = np.empty((n, batch, self.width) if self.stacked else (batch, n * self.width))
        for role, a, b in self.rows:
            np.copyto(self.left[:, a:b], sources(role))
        np.matmul(self.left, self.matrix, out=self.product)

    def value(self, key) -> np.ndarray:
        i = self.index[key]
        product = self.product
        assert product is not None, "evaluate() runs before value()"
        return product[i] if self.stacked else product[:, i * self.width:(i + 1) * self.width]


class SequenceOps(NumericOps):
    """:class:`NumericOps` for running one cell over a batch of sequences (see the module docstring).

    ``constants`` are the parameter arrays of the run; only they may enter a
    fused product.  Call :meth:`step` once per time step (at most ``time``
    steps), always with the same cell.  Values returned by the cell are only
    valid until the next call.  With ``record=True``, :attr:`records` maps each
    gate name (``name#2`` for a second evaluation within a step) to a pair of
    (time, batch, units) arrays: pre-activations and values.
    """

    def __init__(self, activation: str = "sigmoid", *, constants=(), time: int = 0, record: bool = False):
        super().__init__(activation, record)
        self.time = time
        self._overflow_ignored = True  # step() runs the cell under np.errstate(over="ignore")
        self._constants = {id(c): c for c in constants}
        self._pool: list[np.ndarray] = []
        self._slot = 0
        self._x: np.ndarray = np.empty((0, 0))
        self._state: tuple = ()
        self._steps = 0
        self._seen: dict[tuple, tuple[list, list]] = {}  # form key -> (terms by role, biases), first step
        self._groups: dict[tuple, _Group] = {}          # form key -> group that evaluates it
        self._group_list: list[_Group] = []
        self._fresh: set[int] = set()                   # ids of groups not yet evaluated this step
        self._redirect: dict[int, int] = {}             # buffer slot -> state part written in place
        self._dests: tuple = ()
        self.records: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._records_seen: dict[str, int] = {}

    # -- one step -------------------------------------------------------------------------

    def step(self, step_fn, params, x: np.ndarray, state: tuple, dests: tuple) -> None:
        """Run ``step_fn(self, params, x, state)`` and write the new state parts into ``dests``.

        ``x`` is (batch, inputs); ``state`` and ``dests`` are tuples of (batch, units) arrays.
        """
        self._slot = 0
        self._x, self._state, self._dests = x, state, dests
        self._fresh = {id(g) for g in self._group_list}
        self._records_seen = {}
        with np.errstate(over="ignore"):
            new, _ = step_fn(self, params, x, state)
        new = tuple(self._value(v) for v in new)
        if len(new) != len(dests):
            raise ValueError(f"the cell returned {len(new)} state parts, expected {len(dests)}")
        # a returned part may sit in another part's destination: take copies before writing
        new = tuple(v.copy() if (v is not d and any(v is e for e in dests)) else v for v, d in zip(new, dests))
        for v, d in zip(new, dests):
            if v is not d:
                np.copyto(d, v)
        if self._steps == 0:
            self._plan()
        elif self._steps == 1:
            # from the second step on the sequence of operations repeats: let the operation that
            # produced each state part write straight into the history
            for j, v in enumerate(new):
                for k, buf in enumerate(self._pool[:self._slot]):
                    if v is buf:
                        self._redirect[k] = j
        self._steps += 1

    def _out(self, shape):
        k = self._slot
        self._slot += 1
        j = self._redirect.get(k)
        if j is not None and self._dests[j].shape == shape:
            return self._dests[j]
        pool = self._pool
        if k < len(pool):
            if pool[k].shape == shape:
                return pool[k]
            pool[k] = np.empty(shape)
        else:
            pool.append(np.empty(shape))
        return pool[k]

    def _record(self, name, pre, value):
        n = self._records_seen.get(name, 0) + 1
        self._records_seen[name] = n
        key = name if n == 1 else f"{name}#{n}"
        store = self.records.get(key)
        if store is None:
            shape = (self.time,) + value.shape
            store = self.records[key] = (np.full(shape, np.nan), np.full(shape, np.nan))
        np.copyto(store[0][self._steps], pre)
        np.copyto(store[1][self._steps], value)

    # -- pending affine forms -------------------------------------------------------------

    def linear(self, v, m):
        if type(v) is _Form:
            v = self._value(v)
        if id(m) in self._constants:
            return _Form(((v, m),))
        return super().linear(v, m)

    def add(self, a, b):
        fa, fb = type(a) is _Form, type(b) is _Form
        if fa and fb:
            return _Form(a.terms + b.terms, a.biases + b.biases)
        if fa and id(b) in self._constants and np.ndim(b) == 1:
            return _Form(a.terms, a.biases + (b,))
        if fb and id(a) in self._constants and np.ndim(a) == 1:
            return _Form(b.terms, b.biases + (a,))
        return super().add(a, b)

    def _value(self, v):
        if type(v) is _Form:
            if v.value is None:
                v.value = self._evaluate(v)
            return v.value
        return v

    def _role(self, v):
        if v is self._x:
            return ("x",)
        for j, s in enumerate(self._state):
            if v is s:
                return ("state", j)
        return None

    def _evaluate(self, form: _Form) -> np.ndarray:
        """The value of a pending form: its products with the input and the state (and its biases)
        from a fused product when the first step has planned one, the other products one by one."""
        roled: list = []
        other: list = []
        for v, m in form.terms:
            role = self._role(v)
            (roled if role is not None else other).append((role, v, m))
        if not roled:
            return self._plain_sum([(v, m) for _, v, m in other], form.biases)
        key = (tuple(sorted((role, id(m)) for role, _, m in roled)), tuple(sorted(id(b) for b in form.biases)))
        group = self._groups.get(key)
        if group is not None:
            out = self._from_group(group, key)
        else:
            if self._steps == 0 and key not in self._seen:
                self._seen[key] = ([(role, m) for role, _, m in roled], list(form.biases))
            out = self._plain_sum([(v, m) for _, v, m in roled], form.biases)
        return self._plain_sum([(v, m) for _, v, m in other], (), out) if other else out

    def _plain_sum(self, products, biases, start=None) -> np.ndarray:
        """``start + sum(v M) + sum(b)`` evaluated term by term, left to right."""
        out = start
        for v, m in products:
            term = NumericOps.linear(self, v, m)
            out = term if out is None else NumericOps.add(self, out, term)
        for b in biases:
            out = NumericOps.add(self, out, b)
        return out

    def _plan(self) -> None:
        """Group the forms seen on the first step: those that read the state in one product, those
        that read only the input in another (a form gets zero rows for the vectors it does not read)."""
        height: dict[tuple, int] = {("x",): self._x.shape[-1]}
        height.update({("state", j): s.shape[-1] for j, s in enumerate(self._state)})
        partition: dict[tuple, list] = {}
        for key, (terms, biases) in self._seen.items():
            width = terms[0][1].shape[1]
            if any(m.shape != (height[r], width) for r, m in terms) or any(np.shape(b) != (width,) for b in biases):
                continue
            reads_state = any(r != ("x",) for r, _ in terms)
            partition.setdefault((reads_state, width), []).append((key, terms, biases))
        for (_, width), forms in partition.items():
            rows, start = [], 0
            for role in sorted({r for _, terms, _ in forms for r, _ in terms}):
                rows.append((role, start, start + height[role]))
                start += height[role]
            # one matrix per form keeps each value contiguous; for one unit a single product is cheaper
            group = _Group(rows, width, forms, stacked=width > 1)
            self._group_list.append(group)
            for key, _, _ in forms:
                self._groups[key] = group

    def _from_group(self, group: _Group, key) -> np.ndarray:
        if id(group) in self._fresh:
            self._fresh.discard(id(group))
            group.evaluate(self._x.shape[0], lambda role: self._x if role == ("x",) else self._state[role[1]])
        return group.value(key)
