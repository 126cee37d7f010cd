"""Interval arithmetic: rigorous enclosures of the real cells, read from the same equations.

Values are mpmath ``iv.mpf`` intervals, whose every operation rounds outward,
so each result contains the exact real value for every point of its inputs.
Gates are monotone, so their image of an interval is the interval of the
images of its ends: sigma(v) = 1 / (1 + exp(-v)), tanh(v) = 2 sigma(2v) - 1,
and the two published hard sigmoids (piecewise linear, clipped).
"""

from __future__ import annotations

from fractions import Fraction

from mpmath import iv

from automata_rnn.model.activation import get_activation
from automata_rnn.model.network import split_tuple


def exact(q) -> "iv.mpf":
    """The tightest interval around a rational."""
    q = Fraction(q)
    return iv.mpf(q.numerator) / q.denominator


def lo(x) -> float:
    return float(x.a)


def hi(x) -> float:
    return float(x.b)


def _sigmoid(v):
    return 1 / (1 + iv.exp(-v))


def _clip01(v):
    a = min(max(v.a, 0), 1)
    b = min(max(v.b, 0), 1)
    return iv.mpf([a, b])


class IntervalOps:
    """The cells' vector operations over intervals; ``activation`` is a real family of
    :mod:`automata_rnn.model.activation` and picks the sigmoid gates' function (tanh gates are the real tanh)."""

    def __init__(self, activation: str = "sigmoid"):
        self.activation = get_activation(activation, real_only=True)

    def linear(self, v, m):
        cols = len(m[0]) if m else 0
        return tuple(sum((v[i] * m[i][j] for i in range(len(v))), iv.mpf(0)) for j in range(cols))

    def add(self, a, b):
        return tuple(x + y for x, y in zip(a, b))

    def mul(self, a, b):
        return tuple(x * y for x, y in zip(a, b))

    def split(self, v, sizes):
        return split_tuple(v, sizes)

    def concat(self, parts):
        return tuple(x for part in parts for x in part)

    def one_minus(self, a):
        return tuple(1 - x for x in a)

    def mix(self, z, a, b):
        """z a + (1 - z) b for z in [0, 1]: increasing in a and b, linear in z, so its exact range
        is reached at z's ends with a's and b's matching ends."""
        out = []
        for zi, ai, bi in zip(z, a, b):
            zl, zh = iv.mpf(zi.a), iv.mpf(zi.b)
            low = [w * iv.mpf(ai.a) + (1 - w) * iv.mpf(bi.a) for w in (zl, zh)]
            high = [w * iv.mpf(ai.b) + (1 - w) * iv.mpf(bi.b) for w in (zl, zh)]
            out.append(iv.mpf([min(x.a for x in low), max(x.b for x in high)]))
        return tuple(out)

    def sigmoid(self, v, name=None):
        if self.activation.slope is None:
            return tuple(_sigmoid(x) for x in v)
        slope = exact(self.activation.slope)
        return tuple(_clip01(x * slope + exact(Fraction(1, 2))) for x in v)

    def tanh(self, v, name=None):
        return tuple(2 * _sigmoid(2 * x) - 1 for x in v)

    def squash(self, v, name=None):
        """tanh of an unscaled value (the LSTM's cell state): the real tanh."""
        return self.tanh(v, name)
