"""Exact arithmetic: affine forms over named parameters with rational coefficients.

An :class:`Affine` is ``c + sum(a_p * p)``.  With no parameters it is just a
rational number, so the same class carries exact simulation (every weight
known) and symbolic case analysis (some weights free).  Standard library only:
the certificate checker is built on it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Iterable, Mapping, Union

from automata_rnn.verdicts import BadInput

Number = Union[int, Fraction]


def parse_rational(text: object) -> Fraction:
    """Parse an exact rational such as ``3``, ``-1/2`` or ``0.25``; raise ValueError otherwise."""
    if isinstance(text, bool):
        raise BadInput(f"not a number: {text!r}")
    if isinstance(text, (int, Fraction)):
        return Fraction(text)
    if isinstance(text, float):
        if text != text or text in (float("inf"), float("-inf")):
            raise BadInput(f"not a finite number: {text!r}")
        return Fraction(text)
    s = str(text).strip()
    low = s.lower()
    if not s or any(w in low for w in ("nan", "inf")):
        raise BadInput(f"not a finite number: {text!r}")
    try:
        return Fraction(s)
    except (ValueError, ZeroDivisionError):
        raise BadInput(f"not an exact number: {text!r} (use forms like 2, -1/2, 0.25)") from None


def format_rational(q: Number) -> str:
    """Render an exact rational as ``"p/q"`` or an integer string."""
    q = Fraction(q)
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def format_value(v) -> str:
    """A value of a code: a rational as :func:`format_rational`, a form (such as ``tanh(1)``) as written."""
    return str(v) if isinstance(v, Affine) else format_rational(v)


class Affine:
    """An immutable affine form ``const + sum(coeffs[name] * name)`` with rational coefficients."""

    __slots__ = ("coeffs", "const", "_hash")

    def __init__(self, coeffs: Mapping[str, Number] | None = None, const: Number = 0):
        items = {} if not coeffs else {k: Fraction(v) for k, v in coeffs.items() if v != 0}
        self.coeffs: dict[str, Fraction] = dict(sorted(items.items())) if len(items) > 1 else items
        self.const: Fraction = const if type(const) is Fraction else Fraction(const)
        self._hash: int | None = None

    @classmethod
    def _raw(cls, coeffs: dict, const: Fraction) -> "Affine":
        """Internal: coefficients already Fractions, non-zero; sorted here."""
        self = object.__new__(cls)
        self.coeffs = dict(sorted(coeffs.items())) if len(coeffs) > 1 else coeffs
        self.const = const
        self._hash = None
        return self

    @staticmethod
    def var(name: str) -> "Affine":
        return Affine({name: 1})

    @staticmethod
    def lift(x: "Affine | Number") -> "Affine":
        if isinstance(x, Affine):
            return x
        return Affine._raw({}, x if type(x) is Fraction else Fraction(x))

    @property
    def is_constant(self) -> bool:
        return not self.coeffs

    @property
    def value(self) -> Fraction:
        """The rational value of a constant form; ValueError if parameters remain."""
        if self.coeffs:
            raise ValueError(f"{self} is not constant")
        return self.const

    def __add__(self, other):
        if not isinstance(other, Affine):
            if other == 0:
                return self
            return Affine._raw(dict(self.coeffs), self.const + Fraction(other))
        if not other.coeffs:
            if not other.const:
                return self
            return Affine._raw(dict(self.coeffs), self.const + other.const)
        if not self.coeffs and not self.const:
            return other
        c = dict(self.coeffs)
        for k, v in other.coeffs.items():
            t = c.get(k, 0) + v
            if t:
                c[k] = t
            else:
                c.pop(k, None)
        return Affine._raw(c, self.const + other.const)

    __radd__ = __add__

    def __neg__(self):
        return Affine({k: -v for k, v in self.coeffs.items()}, -self.const)

    def __sub__(self, other):
        return self + (-Affine.lift(other))

    def __rsub__(self, other):
        return Affine.lift(other) - self

    def __mul__(self, other):
        if isinstance(other, Affine):
            if other.coeffs:
                if self.coeffs:
                    raise ValueError(f"product of two non-constant forms ({self}) * ({other}) is not affine")
                return other * self.const
            k = other.const
        else:
            k = other if isinstance(other, (int, Fraction)) else Fraction(other)
        if k == 1:
            return self
        if k == 0:
            return Affine._raw({}, Fraction(0))
        return Affine._raw({n: v * k for n, v in self.coeffs.items()}, Fraction(self.const * k))

    __rmul__ = __mul__

    def __eq__(self, other):
        if isinstance(other, (int, Fraction)):
            other = Affine(None, other)
        return isinstance(other, Affine) and self.coeffs == other.coeffs and self.const == other.const

    def __hash__(self):
        if self._hash is None:
            self._hash = hash((tuple(self.coeffs.items()), self.const))
        return self._hash

    def substitute(self, values: Mapping[str, Number]) -> "Affine":
        """Replace the named parameters by exact values; the rest stay symbolic."""
        out = Affine(None, self.const)
        for k, v in self.coeffs.items():
            out = out + (Affine(None, Fraction(values[k]) * v) if k in values else Affine({k: v}))
        return out

    def evaluate(self, values: Mapping[str, Number]) -> Fraction:
        """The exact value at a full assignment of the parameters."""
        return self.substitute(values).value

    def to_json(self) -> dict:
        return {"coeffs": {k: format_rational(v) for k, v in self.coeffs.items()},
                "const": format_rational(self.const)}

    @staticmethod
    def from_json(obj) -> "Affine":
        if not isinstance(obj, dict) or not isinstance(obj.get("coeffs", {}), dict):
            raise BadInput("an affine form is an object {coeffs: {name: value}, const: value}")
        return Affine({str(k): parse_rational(v) for k, v in obj.get("coeffs", {}).items()},
                      parse_rational(obj.get("const", 0)))

    def terms_text(self, order: Iterable[str] = ()) -> str:
        """The parameter part only, e.g. ``U_h + 2 W_h`` (``0`` if none), in the given name order."""
        rank = {n: i for i, n in enumerate(order)}
        names = sorted(self.coeffs, key=lambda n: (rank.get(n, len(rank)), n))
        parts: list[str] = []
        for n in names:
            v = self.coeffs[n]
            mag = abs(v)
            body = n if mag == 1 else f"{format_rational(mag)} {n}"
            if not parts:
                parts.append(body if v > 0 else f"-{body}")
            else:
                parts.append(("+ " if v > 0 else "- ") + body)
        return " ".join(parts) if parts else "0"

    def __str__(self) -> str:
        if self.is_constant:
            return format_rational(self.const)
        s = self.terms_text()
        if self.const:
            s += (" + " if self.const > 0 else " - ") + format_rational(abs(self.const))
        return s

    def __repr__(self) -> str:
        return f"Affine({self})"
