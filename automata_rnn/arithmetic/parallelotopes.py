"""Parallelotopes: sets of hidden states shaped like the states themselves, with a sound containment test.

A :class:`Parallelotope` is ``{c + e G : e in [-1, 1]^n}`` for a float centre ``c`` (n,) and a square float
generator matrix ``G`` (n, n), rows the generators (the row-vector convention of
:mod:`automata_rnn.model.cells`).  :meth:`Parallelotope.of_points` orients it along the principal axes of a
cloud of points (the float64 states a network reaches), so that a cloud that is long in a few directions
and thin in the others gets a set of that shape, where a box would hold every corner at once.  As a
:class:`automata_rnn.arithmetic.zonotopes.Zonotope` (one noise symbol per generator, no error) it is the
same set exactly, and the zonotope arithmetic gives a sound enclosure of its image under a cell's step.

:meth:`Parallelotope.holds` decides soundly that a zonotope lies inside: with ``A`` a float approximation
of ``G^-1``, a point y of the set has coordinates e = (y - c) G^-1, and e = (y - c) A + e (I - G A), so
``|e|_inf <= |(y - c) A|_inf / (1 - rho)`` with ``rho >= |I - G A|`` (the largest column sum, for row
vectors); rho < 1 also proves G invertible.  Both bounds are taken in the outward-rounded arithmetics of
:mod:`automata_rnn.arithmetic.boxes` and :mod:`automata_rnn.arithmetic.zonotopes`, so "holds" is never
claimed for a zonotope with a point outside.

:func:`absorb` turns a zonotope's error box into generators (the same set) and boxes its smallest
generators (an enclosure), so that several steps in a row keep the dependencies a box would forget
(Girard, Reachability of uncertain linear systems using zonotopes, HSCC 2005, for the reduction).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from automata_rnn.arithmetic.boxes import Box, BoxOps, _upper_product, down, up
from automata_rnn.arithmetic.zonotopes import Zonotope, ZonotopeOps


@dataclass(frozen=True)
class Parallelotope:
    """``{centre + e generators : e in [-1, 1]^n}``; ``inverse`` approximates ``generators^-1`` and ``rho``
    bounds ``|I - generators inverse|`` from above (see the module's docstring); rho >= 1: no test holds."""

    centre: np.ndarray
    generators: np.ndarray
    inverse: np.ndarray
    rho: float

    @staticmethod
    def of(centre: np.ndarray, generators: np.ndarray) -> "Parallelotope":
        """The parallelotope of these floats, with its inverse and a rigorous bound of its error."""
        centre = np.asarray(centre, dtype=np.float64)
        generators = np.asarray(generators, dtype=np.float64)
        try:
            inverse = np.linalg.inv(generators)
        except np.linalg.LinAlgError:
            return Parallelotope(centre, generators, np.zeros_like(generators), np.inf)
        if not np.all(np.isfinite(inverse)):
            return Parallelotope(centre, generators, np.zeros_like(generators), np.inf)
        product = BoxOps().linear(Box.point(generators), Box.point(inverse))  # G A, enclosed
        n = len(centre)
        eye = np.eye(n)
        low, high = down(eye - product.hi), up(eye - product.lo)
        residual = np.maximum(np.abs(low), np.abs(high))
        rho = float(_upper_product(np.ones((1, n)), residual).max())
        return Parallelotope(centre, generators, inverse, rho)

    @staticmethod
    def of_points(points: np.ndarray, inflate: float, floor: float) -> "Parallelotope":
        """Around ``points`` (k, n): axes their principal axes (all n, however thin), centred on the middle
        of their extent along each axis, half-widths the extent times ``inflate`` plus ``floor``."""
        points = np.asarray(points, dtype=np.float64)
        mean = points.mean(axis=0)
        spread = points - mean
        axes = np.linalg.eigh(spread.T @ spread)[1].T[::-1]  # rows: the principal axes, the longest first
        along = (points - mean) @ axes.T
        centre = mean + (along.max(axis=0) * 0.5 + along.min(axis=0) * 0.5) @ axes
        half = np.abs((points - centre) @ axes.T).max(axis=0) * inflate + floor
        return Parallelotope.of(centre, half[:, None] * axes)

    def zonotope(self) -> Zonotope:
        """The same set as a zonotope of one row (exact: the floats are the set's definition)."""
        return Zonotope(self.centre[None], self.generators[None], np.zeros((1, len(self.centre))))

    def coordinates(self, z: Zonotope) -> np.ndarray:
        """Per row of ``z``: an upper bound of ``|e|_inf`` over its points written as ``centre + e G``
        (inf when rho >= 1).  <= 1 means the row lies inside."""
        if self.rho >= 1:
            return np.full(z.centre.shape[0], np.inf)
        ops = ZonotopeOps()
        shifted = ops.add(z, Box.point(-self.centre[None]))
        box = ops.linear(shifted, Box.point(self.inverse)).box()
        bound = np.maximum(np.abs(box.lo), np.abs(box.hi)).max(axis=-1)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.where(np.isnan(bound), np.inf, up(bound / down(1.0 - self.rho)))

    def holds(self, z: Zonotope) -> np.ndarray:
        """Per row of ``z``: True only if every point of it lies in this parallelotope."""
        return self.coordinates(z) <= 1.0


def absorb(z: Zonotope, keep: int) -> Zonotope:
    """The zonotope with its error box as generators (one per coordinate) after its ``keep`` largest
    generators (per row, by their 1-norm); the others are boxed into those new generators.  An enclosure
    of ``z`` (equal when it has at most ``keep`` generators)."""
    rows, n = z.centre.shape
    if z.generators is None or z.generators.shape[1] == 0:
        kept = np.zeros((rows, 0, n))
        error = z.error
    else:
        g = z.generators
        if g.shape[1] > keep:
            order = np.argsort(-np.abs(g).sum(axis=-1), axis=1)
            kept = np.take_along_axis(g, order[:, :keep, None], axis=1)
            rest = np.take_along_axis(g, order[:, keep:, None], axis=1)
            boxed = up(np.abs(rest).sum(axis=1) * (1 + 4 * 2.0 ** -53 * rest.shape[1]))
            error = up(z.error + boxed)
        else:
            kept, error = g, z.error
    diagonal = np.zeros((rows, n, n))
    diagonal[:, np.arange(n), np.arange(n)] = error
    return Zonotope(z.centre, np.concatenate([kept, diagonal], axis=1), np.zeros_like(z.centre))
