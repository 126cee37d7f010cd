"""Box arithmetic: rigorous enclosures of the real cells on batches of boxes, in vectorised float64.

A value is a :class:`Box`: two float64 arrays ``lo <= hi`` of one shape, ``(batch, units)`` for the
states of a batch of boxes (a bias is ``(units,)`` and broadcasts, a weight matrix is ``(rows, units)``).
The exact real value of every operation, for every point of its operands, lies in the result:

* every elementwise result is rounded outward with ``np.nextafter`` (round-to-nearest is within one
  ulp, or half the least subnormal, of the exact value, so one step outward encloses it);
* a product ``v M`` is taken in midpoint-radius form, ``v M in c M +- (r |M|)``, with the error of the
  float matrix products bounded by ``gamma_k = k u / (1 - k u)`` (Higham, Accuracy and Stability of
  Numerical Algorithms, 2nd ed., section 3.1; it holds for any order of summation, hence for BLAS) plus
  ``k`` times the least subnormal for underflow;
* the gates are monotone, so a box's image is the interval of the images of its ends; ``exp`` is
  NumPy's, widened by a relative ``EXP_ERROR`` (2^-48, 16 ulps: several times the error of the
  glibc and NumPy implementations) and one subnormal; tanh(v) = 2 sigma(2v) - 1, as in
  :mod:`automata_rnn.arithmetic.interval`.

Overflow gives infinite ends, and a NaN end (inf - inf) is read as unbounded, so enclosures stay sound.
The cells are read through the same ops interface as every other arithmetic
(:mod:`automata_rnn.model.cells`): this is :mod:`automata_rnn.arithmetic.interval` (mpmath, one scalar at a
time) in vectorised form, for networks of tens of units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from automata_rnn.arithmetic.exact import Affine
from automata_rnn.model.activation import get_activation

UNIT_ROUNDOFF = 2.0 ** -53
LEAST_SUBNORMAL = 2.0 ** -1074
EXP_ERROR = 2.0 ** -48
_FLOAT_MAX = Fraction(np.finfo(np.float64).max)


def down(x) -> np.ndarray:
    """The next float below each entry (a NaN, which only an unbounded operation gives, becomes -inf)."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(np.isnan(x), -np.inf, np.nextafter(x, -np.inf))


def up(x) -> np.ndarray:
    """The next float above each entry (a NaN becomes +inf)."""
    x = np.asarray(x, dtype=np.float64)
    return np.where(np.isnan(x), np.inf, np.nextafter(x, np.inf))


@dataclass(frozen=True)
class Box:
    """The set of arrays between ``lo`` and ``hi`` (entrywise, same shape): a box per row of a batch."""

    lo: np.ndarray
    hi: np.ndarray

    @staticmethod
    def point(x) -> "Box":
        """The box holding exactly the float array ``x``."""
        x = np.asarray(x, dtype=np.float64)
        return Box(x, x)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.lo.shape

    def contains(self, other: "Box") -> np.ndarray:
        """Per row (last axis reduced): whether ``other`` lies inside this box."""
        return np.all((self.lo <= other.lo) & (other.hi <= self.hi), axis=-1)

    def hull(self, other: "Box") -> "Box":
        """The least box holding both (entrywise)."""
        return Box(np.minimum(self.lo, other.lo), np.maximum(self.hi, other.hi))

    def clip(self, low: float, high: float) -> "Box":
        """The box cut to [low, high] in every entry, for values known to lie there."""
        return Box(np.clip(self.lo, low, high), np.clip(self.hi, low, high))

    def __getitem__(self, index) -> "Box":
        return Box(self.lo[index], self.hi[index])


def exact_bounds(q) -> tuple[float, float]:
    """The floats just around an exact rational (equal when it is a float)."""
    q = Fraction(q)
    if abs(q) > _FLOAT_MAX:
        return (float(_FLOAT_MAX), math.inf) if q > 0 else (-math.inf, -float(_FLOAT_MAX))
    f = float(q)
    exact = Fraction(f)
    if exact == q:
        return f, f
    return (f, math.nextafter(f, math.inf)) if exact < q else (math.nextafter(f, -math.inf), f)


def _flat(x):
    if isinstance(x, (tuple, list)):
        return [_flat(e) for e in x]
    return x.value if isinstance(x, Affine) else x


def box_of(block) -> Box:
    """A parameter block (nested tuples of exact constants, as ``Problem.parameters(weights)`` gives) as the
    tightest box of floats around it."""
    values = np.array(_flat(block), dtype=object)
    pairs = [exact_bounds(q) for q in values.ravel()]
    lo = np.array([p[0] for p in pairs], dtype=np.float64).reshape(values.shape)
    hi = np.array([p[1] for p in pairs], dtype=np.float64).reshape(values.shape)
    return Box(lo, hi)


def boxes_of(params: dict) -> dict[str, Box]:
    """Every block of ``params`` as a box (see :func:`box_of`)."""
    return {name: box_of(block) for name, block in params.items()}


def _gamma(k: int) -> float:
    """A float >= gamma_k = k u / (1 - k u): 2 k u, valid while k u <= 1/2."""
    return 2 * k * UNIT_ROUNDOFF


def _gamma_factor(k: int) -> float:
    """A float >= 1 / (1 - gamma_k): exact sums of k nonnegative products are at most this times their float
    sum, plus 2 k subnormals (1 / (1 - g) <= 1 + 2 g <= 1 + 4 k u)."""
    return float(up(1 + 2 * _gamma(k)))


def _upper_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """An upper bound of the exact product ``a @ b`` of nonnegative arrays."""
    k = a.shape[-1]
    return up(up(np.matmul(a, b) * _gamma_factor(k)) + 2 * k * LEAST_SUBNORMAL)


def _mid_rad(x: Box) -> tuple[np.ndarray, np.ndarray]:
    """A float centre c and radius r with x inside [c - r, c + r] (r = inf for unbounded entries)."""
    finite = np.isfinite(x.lo) & np.isfinite(x.hi)
    with np.errstate(invalid="ignore", over="ignore"):
        c = np.where(finite, x.lo * 0.5 + x.hi * 0.5, 0.0)
        r = np.where(finite, np.maximum(up(x.hi - c), up(c - x.lo)), np.inf)
    return c, r


def _exp_bounds(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Floats below and above exp(x), entrywise (NaN entries unbounded)."""
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(x)
        above = up(up(up(e + LEAST_SUBNORMAL) * (1 + 2 * EXP_ERROR)))
        below = np.maximum(down(down(down(e - LEAST_SUBNORMAL) * (1 - 2 * EXP_ERROR))), 0.0)
    nan = np.isnan(x)
    return np.where(nan, 0.0, below), np.where(nan, np.inf, above)


def sigmoid_below(v: np.ndarray) -> np.ndarray:
    """Floats at most sigmoid(v) = 1 / (1 + exp(-v)), entrywise, in [0, 1]."""
    _, e_above = _exp_bounds(-v)
    with np.errstate(over="ignore", divide="ignore"):
        return np.clip(down(1.0 / up(1.0 + e_above)), 0.0, 1.0)


def sigmoid_above(v: np.ndarray) -> np.ndarray:
    """Floats at least sigmoid(v), entrywise, in [0, 1]."""
    e_below, _ = _exp_bounds(-v)
    with np.errstate(over="ignore", divide="ignore"):
        return np.clip(up(1.0 / down(1.0 + e_below)), 0.0, 1.0)


class BoxOps:
    """The cells' vector operations on boxes (see :mod:`automata_rnn.model.cells`); ``activation`` is a real
    family of :mod:`automata_rnn.model.activation` (tanh gates stay the real tanh)."""

    def __init__(self, activation: str = "sigmoid"):
        self.activation = get_activation(activation, real_only=True)
        slope = self.activation.slope
        self._slope = None if slope is None else Box(*map(np.float64, exact_bounds(slope)))

    def linear(self, v: Box, m: Box) -> Box:
        """``v M`` for a box of row vectors and a box of matrices (exactly 0 for a row that is exactly 0)."""
        out = self._linear(v, m)
        zero = np.all((v.lo == 0) & (v.hi == 0), axis=-1, keepdims=True)
        return Box(np.where(zero, 0.0, out.lo), np.where(zero, 0.0, out.hi))

    def _linear(self, v: Box, m: Box) -> Box:
        c, r = _mid_rad(v)
        mc, mr = _mid_rad(m)
        k = c.shape[-1]
        centre = np.matmul(c, mc)
        abs_mc = np.abs(mc)
        rounding = up(up(_upper_product(np.abs(c), abs_mc) * _gamma(k)) + k * LEAST_SUBNORMAL)
        with np.errstate(invalid="ignore"):
            spread = up(_upper_product(r, up(abs_mc + mr)) + _upper_product(np.abs(c), mr))
            radius = up(spread + rounding)
            return Box(down(centre - radius), up(centre + radius))

    def add(self, a: Box, b: Box) -> Box:
        """Rounded outward, except where an end adds an exact 0 (x + 0 = x exactly)."""
        with np.errstate(invalid="ignore", over="ignore"):
            low, high = a.lo + b.lo, a.hi + b.hi
            exact_low = (a.lo == 0) | (b.lo == 0)
            exact_high = (a.hi == 0) | (b.hi == 0)
            return Box(np.where(exact_low, low, down(low)), np.where(exact_high, high, up(high)))

    def mul(self, a: Box, b: Box) -> Box:
        """Rounded outward, except the products with an exact 0 factor (exactly 0)."""
        pairs = [(a.lo, b.lo), (a.lo, b.hi), (a.hi, b.lo), (a.hi, b.hi)]
        with np.errstate(invalid="ignore", over="ignore"):
            products = np.stack(np.broadcast_arrays(*[x * y for x, y in pairs]))
        exact = np.stack(np.broadcast_arrays(*[(x == 0) | (y == 0) for x, y in pairs]))
        nan = np.isnan(products).any(axis=0)
        low = np.where(nan, -np.inf, np.where(exact, products, down(products)).min(axis=0))
        high = np.where(nan, np.inf, np.where(exact, products, up(products)).max(axis=0))
        return Box(low, high)

    def one_minus(self, a: Box) -> Box:
        """1 - a, rounded outward except at the ends 0 and 1 (exact)."""
        with np.errstate(invalid="ignore", over="ignore"):
            low, high = 1.0 - a.hi, 1.0 - a.lo
            return Box(np.where((a.hi == 0) | (a.hi == 1), low, down(low)),
                       np.where((a.lo == 0) | (a.lo == 1), high, up(high)))

    def split(self, v: Box, sizes) -> list[Box]:
        if sum(sizes) != v.shape[-1]:
            raise ValueError(f"a vector of {v.shape[-1]} entries does not split into {list(sizes)}")
        cuts = np.cumsum(sizes)[:-1]
        return [Box(lo, hi) for lo, hi in zip(np.split(v.lo, cuts, axis=-1), np.split(v.hi, cuts, axis=-1))]

    def concat(self, parts) -> Box:
        return Box(np.concatenate([p.lo for p in parts], axis=-1), np.concatenate([p.hi for p in parts], axis=-1))

    def mix(self, z: Box, a: Box, b: Box) -> Box:
        """z a + (1 - z) b for a gate z in [0, 1]: increasing in a and b and linear in z, so its range is
        reached at z's ends with a's and b's matching ends."""
        z = z.clip(0.0, 1.0)

        def at(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> Box:
            gate = Box.point(w)
            return self.add(self.mul(gate, Box.point(x)), self.mul(self.one_minus(gate), Box.point(y)))

        low = np.minimum(at(z.lo, a.lo, b.lo).lo, at(z.hi, a.lo, b.lo).lo)
        high = np.maximum(at(z.lo, a.hi, b.hi).hi, at(z.hi, a.hi, b.hi).hi)
        return Box(low, high)

    def sigmoid(self, v: Box, name=None) -> Box:
        if self._slope is None:
            return Box(sigmoid_below(v.lo), sigmoid_above(v.hi))
        half = Box.point(np.float64(0.5))
        return self.add(self.mul(v, self._slope), half).clip(0.0, 1.0)

    def tanh(self, v: Box, name=None) -> Box:
        """tanh(v) = 2 sigmoid(2 v) - 1 (doubling is exact, and so is 2 s for s in [0, 1])."""
        with np.errstate(over="ignore"):
            low = down(2.0 * sigmoid_below(2.0 * v.lo) - 1.0)
            high = up(2.0 * sigmoid_above(2.0 * v.hi) - 1.0)
        return Box(low, high).clip(-1.0, 1.0)

    def squash(self, v: Box, name=None) -> Box:
        """tanh of an unscaled value (the LSTM's cell state): the real tanh."""
        return self.tanh(v, name)
