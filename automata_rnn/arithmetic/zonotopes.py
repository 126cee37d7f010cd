"""Zonotope arithmetic (affine arithmetic): enclosures of the real cells that keep linear dependencies.

A value is a :class:`Zonotope` per row of a batch: ``centre + generators^T e + [-error, error]`` for shared
noise symbols e in [-1, 1]^m (one per coordinate of the box a row starts from), so that the image of a
box under ``h W`` keeps the correlations that a box arithmetic forgets (its wrapping effect multiplies
widths by up to ||W||_inf at every step).  Arrays: ``centre`` and ``error`` are ``(batch, units)``,
``generators`` ``(batch, m, units)`` (None: no generator, a constant or a box).

Every operation is sound for the exact real value: the float rounding of each centre and generator entry
is bounded (``2 u`` relative per elementwise operation, Higham's ``gamma_k`` for products of length k) and
added to ``error``, rounded upward; products keep their quadratic remainder in ``error``; a gate is
replaced by its min-range linear approximation (Stolfi and de Figueiredo, Self-Validated Numerical
Methods and Applications, 1997): slope alpha = the least derivative over the input's range, at one of its
ends (sigma' and tanh' are unimodal), so that f(x) - alpha x is nondecreasing and its range is that of its
ends, computed with the box arithmetic's rigorous gates.  Constants are read as boxes
(:mod:`automata_rnn.arithmetic.boxes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from automata_rnn.arithmetic.boxes import (
    UNIT_ROUNDOFF,
    Box,
    BoxOps,
    _mid_rad,
    _upper_product,
    down,
    sigmoid_above,
    sigmoid_below,
    up,
)
from automata_rnn.model.activation import get_activation

_REL = 2 * UNIT_ROUNDOFF
_TINY = 2.0 ** -1000


@dataclass(frozen=True)
class Zonotope:
    """``centre + generators^T e + [-error, error]``, e in [-1, 1]^m, per row."""

    centre: np.ndarray
    generators: np.ndarray | None
    error: np.ndarray

    @staticmethod
    def of_box(box: Box, noise: bool = True) -> "Zonotope":
        """The box as a zonotope: one noise symbol per coordinate (``noise``), or all in ``error``."""
        c, r = _mid_rad(box)
        if not noise:
            return Zonotope(c, None, r)
        rows, n = c.shape
        g = np.zeros((rows, n, n))
        g[:, np.arange(n), np.arange(n)] = r
        return Zonotope(c, g, np.zeros_like(c))

    def rows(self, index) -> "Zonotope":
        """The rows ``index`` of the batch (an index of the first axis)."""
        return Zonotope(self.centre[index], None if self.generators is None else self.generators[index],
                        self.error[index])

    def radius(self) -> np.ndarray:
        """An upper bound of |value - centre|, entrywise."""
        if self.generators is None:
            return self.error
        return up(up(np.abs(self.generators).sum(axis=-2) * (1 + 2 * _REL * self.generators.shape[-2]))
                  + self.error)

    def box(self) -> Box:
        r = self.radius()
        with np.errstate(invalid="ignore", over="ignore"):
            return Box(down(self.centre - r), up(self.centre + r))


def _rounding(centre: np.ndarray, generators: np.ndarray | None) -> np.ndarray:
    """An upper bound of the rounding of at most two elementwise operations whose terms are at most
    ``centre`` and ``generators`` in magnitude (u per operation and term, doubled for the sums here)."""
    total = np.abs(centre)
    if generators is not None:
        total = total + np.abs(generators).sum(axis=-2) * (1 + _REL * generators.shape[-2])
    return up(total * (2 * _REL)) + _TINY


def _as_zonotope(v) -> Zonotope:
    return v if isinstance(v, Zonotope) else Zonotope.of_box(v, noise=False)


def _add_gens(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


class ZonotopeOps:
    """The cells' vector operations on zonotopes (see :mod:`automata_rnn.model.cells`); constants are boxes."""

    def __init__(self, activation: str = "sigmoid"):
        self.activation = get_activation(activation, real_only=True)
        self._boxes = BoxOps(activation)

    def linear(self, v, m: Box) -> Zonotope:
        """``v M`` for a point or box matrix M: centre and generators times M's centre, the rest in error."""
        v = _as_zonotope(v)
        mc, mr = _mid_rad(m)
        k = v.centre.shape[-1]
        gamma = 2 * k * UNIT_ROUNDOFF
        abs_mc = np.abs(mc)
        centre = v.centre @ mc
        gens = None if v.generators is None else v.generators @ mc
        bound = np.abs(v.centre)
        if v.generators is not None:
            bound = up(bound + up(np.abs(v.generators).sum(axis=-2) * (1 + _REL * v.generators.shape[-2])))
        with np.errstate(invalid="ignore", over="ignore"):
            error = up(_upper_product(v.error, up(abs_mc + mr)) + _upper_product(up(bound), mr))
            error = up(error + up(_upper_product(bound, abs_mc) * (2 * gamma)) + _TINY)
        return Zonotope(centre, gens, error)

    def add(self, a, b) -> Zonotope:
        a, b = _as_zonotope(a), _as_zonotope(b)
        centre = a.centre + b.centre
        gens = _add_gens(a.generators, b.generators)
        return Zonotope(centre, gens, up(up(a.error + b.error) + _rounding(centre, gens)))

    def _scale(self, a: Zonotope, s: np.ndarray, shift: np.ndarray, extra: np.ndarray) -> Zonotope:
        """s * a + shift, with ``extra`` more error (s, shift floats per entry)."""
        scaled = s * a.centre
        centre = scaled + shift
        gens = None if a.generators is None else a.generators * s[..., None, :]
        error = up(up(np.abs(s) * a.error) + extra)
        return Zonotope(centre, gens, up(error + _rounding(np.abs(scaled) + np.abs(shift), gens)))

    def mul(self, a, b) -> Zonotope:
        """(ca + da)(cb + db) = ca cb + ca db + cb da + da db: the last term's range in error."""
        a, b = _as_zonotope(a), _as_zonotope(b)
        shape = np.broadcast_shapes(a.centre.shape, b.centre.shape)
        ca, cb = np.broadcast_to(a.centre, shape), np.broadcast_to(b.centre, shape)
        gens, terms = None, None
        if a.generators is not None:
            gens = a.generators * cb[..., None, :]
            terms = np.abs(gens)
        if b.generators is not None:
            other = b.generators * ca[..., None, :]
            gens, terms = _add_gens(gens, other), _add_gens(terms, np.abs(other))
        centre = ca * cb
        cross = up(up(np.abs(ca) * b.error) + up(np.abs(cb) * a.error))
        quad = up(a.radius() * b.radius())
        return Zonotope(centre, gens, up(up(cross + quad) + _rounding(centre, terms)))

    def one_minus(self, a) -> Zonotope:
        a = _as_zonotope(a)
        return self._scale(a, -np.ones_like(a.centre), np.ones_like(a.centre), np.zeros_like(a.centre))

    def split(self, v, sizes) -> list[Zonotope]:
        v = _as_zonotope(v)
        cuts = np.cumsum(sizes)[:-1]
        cs, es = np.split(v.centre, cuts, axis=-1), np.split(v.error, cuts, axis=-1)
        gs = [None] * len(cs) if v.generators is None else np.split(v.generators, cuts, axis=-1)
        return [Zonotope(c, g, e) for c, g, e in zip(cs, gs, es)]

    def concat(self, parts) -> Zonotope:
        parts = [_as_zonotope(p) for p in parts]
        rows = max(p.centre.shape[0] for p in parts)
        m = next((p.generators.shape[-2] for p in parts if p.generators is not None), None)

        def gens(p):
            if p.generators is not None:
                return p.generators
            return np.zeros((rows, m, p.centre.shape[-1]))

        return Zonotope(np.concatenate([np.broadcast_to(p.centre, (rows, p.centre.shape[-1])) for p in parts], -1),
                        None if m is None else np.concatenate([gens(p) for p in parts], -1),
                        np.concatenate([np.broadcast_to(p.error, (rows, p.error.shape[-1])) for p in parts], -1))

    def mix(self, z, a, b) -> Zonotope:
        """z a + (1 - z) b = b + z (a - b)."""
        return self.add(b, self.mul(z, self.add(a, self._scale(_as_zonotope(b), -np.ones(1), np.zeros(1),
                                                                        np.zeros(1)))))

    def _gate(self, v, low_of, high_of, slope_below) -> Zonotope:
        """f(v) for a monotone f with unimodal derivative: the min-range linear approximation."""
        v = _as_zonotope(v)
        box = v.box()
        alpha = np.maximum(np.minimum(slope_below(box.lo), slope_below(box.hi)), 0.0)
        alpha = np.where(np.isfinite(alpha), alpha, 0.0)
        # g(x) = f(x) - alpha x is nondecreasing on the box: its range is [g(lo), g(hi)], rounded outward
        with np.errstate(invalid="ignore", over="ignore"):
            g_low = down(low_of(box.lo) - up(alpha * box.lo))
            g_high = up(high_of(box.hi) - down(alpha * box.hi))
        finite = np.isfinite(g_low) & np.isfinite(g_high)
        alpha = np.where(finite, alpha, 0.0)
        g_low = np.where(finite, g_low, low_of(box.lo))
        g_high = np.where(finite, g_high, high_of(box.hi))
        shift = g_low * 0.5 + g_high * 0.5
        half = np.maximum(up(g_high - shift), up(shift - g_low))
        return self._scale(v, alpha, shift, half)

    def sigmoid(self, v, name=None) -> Zonotope:
        if self.activation.slope is not None:
            return _as_zonotope(self._boxes.sigmoid(_as_zonotope(v).box()))
        return self._gate(v, sigmoid_below, sigmoid_above, _sigmoid_slope_below)

    def tanh(self, v, name=None) -> Zonotope:
        def low(x):
            return self._boxes.tanh(Box.point(x)).lo

        def high(x):
            return self._boxes.tanh(Box.point(x)).hi

        return self._gate(v, low, high, _tanh_slope_below)

    def squash(self, v, name=None) -> Zonotope:
        return self.tanh(v, name)


def _sigmoid_slope_below(x: np.ndarray) -> np.ndarray:
    """A float at most sigma'(x) = sigma(x)(1 - sigma(x))."""
    return np.maximum(down(down(sigmoid_below(x) * down(1.0 - sigmoid_above(x))) * (1 - 4 * _REL)), 0.0)


def _tanh_slope_below(x: np.ndarray) -> np.ndarray:
    """A float at most tanh'(x) = 4 sigma'(2 x)."""
    with np.errstate(over="ignore"):
        return np.maximum(down(4.0 * _sigmoid_slope_below(2.0 * x)), 0.0)
