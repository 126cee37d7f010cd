"""Symbolic arithmetic: the cells read over z3 terms, with every gate an if-then-else.

Hidden states are concrete codes (the encoding enumerates them) and weights are
z3 reals, so every pre-activation stays linear: a product with a gate value is
pushed inside the gate's if-then-else instead of multiplying two terms.
"""

from __future__ import annotations

from fractions import Fraction

import z3

from automata_rnn.model.network import split_tuple


def _is_ite(t) -> bool:
    return z3.is_expr(t) and z3.is_app_of(t, z3.Z3_OP_ITE)


class Z3Ops:
    """The cells' vector operations over z3 terms; gates are recorded in ``log`` as (name, unit, pre)."""

    def __init__(self, semantics, ctx: z3.Context):
        self.semantics, self.ctx = semantics, ctx
        self.log: list[tuple[str, int, object]] = []

    def const(self, q) -> object:
        return z3.RealVal(str(Fraction(q)), self.ctx)

    def _lift(self, v):
        return v if z3.is_expr(v) else self.const(v)

    def _ite(self, c, x, y):
        return z3.If(c, self._lift(x), self._lift(y))

    def _mul(self, a, b):
        """a * b kept linear: constants scale, and products reach inside if-then-else gate terms."""
        if z3.is_expr(a) and z3.is_rational_value(a):
            a = Fraction(a.as_fraction())
        if z3.is_expr(b) and z3.is_rational_value(b):
            b = Fraction(b.as_fraction())
        if not z3.is_expr(a) and not z3.is_expr(b):
            return Fraction(a) * Fraction(b)
        if not z3.is_expr(b):
            a, b = b, a
        if not z3.is_expr(a):
            k = Fraction(a)
            if k == 0:
                return self.const(0)
            if k == 1:
                return b
            if _is_ite(b):
                return self._ite(b.arg(0), self._mul(k, b.arg(1)), self._mul(k, b.arg(2)))
            return self.const(k) * b
        if _is_ite(a):
            return self._ite(a.arg(0), self._mul(a.arg(1), b), self._mul(a.arg(2), b))
        if _is_ite(b):
            return self._ite(b.arg(0), self._mul(a, b.arg(1)), self._mul(a, b.arg(2)))
        # a layer's input in a stack is the layer below's new state: sums and multiples of gate terms
        for s, t in ((a, b), (b, a)):
            if z3.is_add(s) and self._gated(s):
                out = self._mul(s.arg(0), t)
                for i in range(1, s.num_args()):
                    out = self._add(out, self._mul(s.arg(i), t))
                return out
            if z3.is_mul(s) and self._gated(s):
                out = t
                for i in range(s.num_args()):
                    out = self._mul(s.arg(i), out)
                return out
        raise ValueError("product of two non-constant terms is not linear")

    @staticmethod
    def _gated(t) -> bool:
        """Whether a term is built from rational constants and gate terms (if-then-else) by + and *:
        a value the gates decide, with no free weight outside a condition."""
        if z3.is_rational_value(t) or _is_ite(t):
            return True
        if z3.is_add(t) or z3.is_mul(t):
            return all(Z3Ops._gated(t.arg(i)) for i in range(t.num_args()))
        return False

    def _add(self, a, b):
        if not z3.is_expr(a) and not z3.is_expr(b):
            return Fraction(a) + Fraction(b)
        return self._lift(a) + self._lift(b)

    def linear(self, v, m):
        cols = len(m[0]) if m else 0
        out = []
        for j in range(cols):
            acc = Fraction(0)
            for i in range(len(v)):
                acc = self._add(acc, self._mul(v[i], m[i][j]))
            out.append(acc)
        return tuple(out)

    def add(self, a, b):
        return tuple(self._add(x, y) for x, y in zip(a, b))

    def mul(self, a, b):
        return tuple(self._mul(x, y) for x, y in zip(a, b))

    def split(self, v, sizes):
        return split_tuple(v, sizes)

    def concat(self, parts):
        return tuple(x for part in parts for x in part)

    def one_minus(self, a):
        return tuple(self._add(1, self._mul(-1, x)) for x in a)

    def mix(self, z, a, b):
        """The gated update z * a + (1 - z) * b."""
        return self.add(self.mul(z, a), self.mul(self.one_minus(z), b))

    def _gate(self, kind, name, j, pre):
        pre = self._lift(pre)
        self.log.append((name, j, pre))
        off = self.semantics.gate_value(kind, False)
        return z3.If(pre > self.const(0), self.const(1), self.const(off))

    def sigmoid(self, v, name):
        return tuple(self._gate("sigmoid", name, j, x) for j, x in enumerate(v))

    def tanh(self, v, name):
        return tuple(self._gate("tanh", name, j, x) for j, x in enumerate(v))

    def squash(self, v, name):
        """tanh of an unscaled value: a threshold gate under the indicator semantics.  Under the saturated
        semantics it is the real tanh of an integer, which no linear encoding holds: encodings refuse
        such cells before they get here."""
        if not self.semantics.thresholds_squash:
            raise TypeError("no linear term for the real tanh of an LSTM cell state")
        return self.tanh(v, name)
