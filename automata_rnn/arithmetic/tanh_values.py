"""Exact values tanh(n) of integers n, as affine forms in named constants, with exact signs.

In the saturated limit an LSTM's cell state c is an integer (a sum of gated
candidates +-1) that the gain does not scale, so its hidden state
h = o tanh(c) is the real number tanh(c).  Such a value is written as the
affine form ``tanh(n)`` (a named constant, n > 0), so that the pre-activations
it feeds are affine forms ``q0 + sum q_n tanh(n)`` with rational q.

The sign of such a form is decided exactly: 1, tanh(1), tanh(2), ... are
linearly independent over the rationals (tanh(n) = 1 - 2 / (e^(2n) + 1), e is
transcendental, and 1 / (X^n + 1) is the only one of these rational functions
with a pole at a primitive 2n-th root of unity), so a form with a non-zero
coefficient is never 0, and rational enclosures of e of growing precision
settle its sign.  Standard library only.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

from automata_rnn.arithmetic.exact import Affine

PREFIX = "tanh("


def tanh_of_integer(n: int) -> Affine:
    """tanh(n) exactly: 0 for n = 0, the named constant ``tanh(|n|)`` with the sign of n otherwise."""
    if n == 0:
        return Affine()
    return Affine({f"tanh({abs(n)})": 1 if n > 0 else -1})


def is_tanh_form(e: Affine) -> bool:
    """True if every name in ``e`` is a constant tanh(n) (and at least one is)."""
    return bool(e.coeffs) and all(k.startswith(PREFIX) for k in e.coeffs)


def _argument(name: str) -> int:
    return int(name[len(PREFIX):-1])


@lru_cache(maxsize=None)
def _e_bounds(terms: int) -> tuple[Fraction, Fraction]:
    """Rationals lo < e < hi: the Taylor sum to 1/terms!, and that plus a bound on the rest."""
    total, term = Fraction(0), Fraction(1)
    for k in range(terms + 1):
        if k:
            term /= k
        total += term
    return total, total + 2 * term / (terms + 1)


def _tanh_bounds(n: int, terms: int) -> tuple[Fraction, Fraction]:
    """Rationals enclosing tanh(n) for n > 0: tanh(n) = 1 - 2 / (e^(2n) + 1) grows with e."""
    lo_e, hi_e = _e_bounds(terms)
    return 1 - 2 / (lo_e ** (2 * n) + 1), 1 - 2 / (hi_e ** (2 * n) + 1)


def sign_of_tanh_form(e: Affine, max_terms: int = 4096) -> frozenset:
    """The exact sign (``{"+"}`` or ``{"-"}``) of a form in tanh constants with a non-zero coefficient."""
    if not is_tanh_form(e):
        raise ValueError(f"{e} is not a form in tanh constants")
    terms = 32
    while terms <= max_terms:
        lo = hi = e.const
        for name, q in e.coeffs.items():
            a, b = _tanh_bounds(_argument(name), terms)
            lo, hi = (lo + q * a, hi + q * b) if q > 0 else (lo + q * b, hi + q * a)
        if lo > 0:
            return frozenset("+")
        if hi < 0:
            return frozenset("-")
        terms *= 2
    raise ArithmeticError(f"the sign of {e} was not settled with {max_terms} terms of e's series")


def approximate(e: Affine) -> float:
    """A float close to the value of a constant or a form in tanh constants (for display)."""
    return float(e.const) + sum(float(q) * math.tanh(_argument(k)) for k, q in e.coeffs.items())
