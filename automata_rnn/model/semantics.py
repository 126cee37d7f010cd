"""Threshold semantics: how a gate's pre-activation decides its value.

Facts about a pre-activation ``L`` (an affine form in the weights) are kept as
*sign sets*: the subset of ``{"+", "0", "-"}`` that ``L`` may still take.  A
semantics with margin ``M`` decides a gate from the signs of ``L - M`` and
``L + M``:

* ``indicator`` (the textbook): sigma and tanh are ``[L > 0]`` in {0, 1};
* ``saturated`` (a real network whose gain grows without bound): sigma is
  ``[L > 0]`` in {0, 1}, tanh is ``+1`` or ``-1``, and ``L = 0`` is ill-defined.
  A tanh of a value no weight scales (an LSTM's cell state, see
  ``ops.squash`` in :mod:`automata_rnn.model.cells`) stays the real tanh: that is
  its limit.

With a margin ``M > 0`` a gate is on when ``L >= M``, off when ``L <= -M``,
and ill-defined in between.  Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from automata_rnn.arithmetic.exact import Affine
from automata_rnn.verdicts import BadInput

ALL = frozenset("+0-")
POS, ZERO, NEG = frozenset("+"), frozenset("0"), frozenset("-")
SIGN_ORDER = "+0-"


def sign_text(signs: frozenset) -> str:
    return "".join(s for s in SIGN_ORDER if s in signs)


def parse_signs(text: str) -> frozenset:
    s = frozenset(text)
    if not text or not s <= ALL or len(s) != len(text):
        raise BadInput(f"not a sign set: {text!r}")
    return s


def sign_of(q: Fraction) -> frozenset:
    return POS if q > 0 else NEG if q < 0 else ZERO


def constraints_of(expr: Affine, signs: frozenset) -> list[tuple[Affine, str]]:
    """Linear facts ``(E, rel)`` meaning ``E rel 0`` (rel in '>', '>=') that a sign set asserts."""
    if signs == POS:
        return [(expr, ">")]
    if signs == NEG:
        return [(-expr, ">")]
    if signs == ZERO:
        return [(expr, ">="), (-expr, ">=")]
    if signs == frozenset("+0"):
        return [(expr, ">=")]
    if signs == frozenset("0-"):
        return [(-expr, ">=")]
    return []


@dataclass(frozen=True)
class Decision:
    """What a semantics makes of one gate: a value, ill-defined, or a needed case split."""

    kind: str                       # "on", "off", "ill", "split"
    expr: Affine | None = None      # for "split": the form to split on
    parts: tuple[frozenset, ...] = ()  # for "split": the sign sets of the branches


class Semantics:
    """A threshold semantics with an optional margin (see the module docstring)."""

    NAMES = ("indicator", "saturated")

    def __init__(self, name: str = "indicator", margin: Fraction | int = 0):
        if name not in self.NAMES:
            raise BadInput(f"unknown semantics {name!r} (known: {', '.join(self.NAMES)})")
        margin = Fraction(margin)
        if margin < 0:
            raise BadInput("the margin must be at least 0")
        self.name, self.margin = name, margin
        self.on_signs = POS if margin == 0 else frozenset("+0")
        self.off_signs = NEG if (name == "saturated" and margin == 0) else frozenset("0-")


    def __eq__(self, other) -> bool:
        return isinstance(other, Semantics) and (self.name, self.margin) == (other.name, other.margin)

    def __hash__(self) -> int:
        return hash((self.name, self.margin))

    def __repr__(self) -> str:
        return f"Semantics({self.name!r}, {self.margin})"
    def gate_value(self, kind: str, on: bool) -> int:
        """The value of a decided gate: sigmoid in {0,1}; tanh in {0,1} or {-1,1}."""
        if on:
            return 1
        return -1 if (kind == "tanh" and self.name == "saturated") else 0

    @property
    def thresholds_squash(self) -> bool:
        """Whether the tanh of an unscaled value (``ops.squash``) is a threshold (indicator) or stays real."""
        return self.name == "indicator"

    def decide(self, pre: Affine, signs: Callable[[Affine], frozenset]) -> Decision:
        """Decide a gate with pre-activation ``pre``; ``signs(E)`` gives what is known of ``E``."""
        if self.margin:
            return self.decide_bounds(pre - self.margin, pre + self.margin, signs)
        return self.decide_bounds(pre, pre, signs)

    def decide_bounds(self, e_on: Affine, e_off: Affine, signs: Callable[[Affine], frozenset]) -> Decision:
        """:meth:`decide` given ``pre - margin`` and ``pre + margin`` already formed."""
        s_on, s_off = signs(e_on), signs(e_off)
        if s_on <= self.on_signs:
            return Decision("on")
        if s_off <= self.off_signs:
            return Decision("off")
        if not (s_on & self.on_signs) and not (s_off & self.off_signs):
            return Decision("ill")
        if s_on & self.on_signs:
            return Decision("split", e_on, (s_on & self.on_signs, s_on - self.on_signs))
        return Decision("split", e_off, (s_off & self.off_signs, s_off - self.off_signs))

    def describe(self) -> str:
        base = {"indicator": "indicator (sigma, tanh -> [v > 0] in {0,1})",
                "saturated": "saturated (sigma -> {0,1}, tanh -> {-1,+1}, v = 0 ill-defined)"}[self.name]
        return base if self.margin == 0 else f"{base}, margin {self.margin}"
