"""What a network outputs: the read-out and the output rule, defined once.

A network's output at each time is one bit read off its hidden state h:

* read-out ``state``: unit 0 of h itself, turned into a bit by the output rule;
* read-out ``readout``: a threshold unit ``sigma(h W_y + b_y)``, whose bit is
  ``[h W_y + b_y > 0]`` (sigma(v) > 1/2 exactly when v > 0), a gate like any other.

The output rules that users meet, both named:

* ``half``: the state read as ``[h > 1/2]`` (the threshold network's
  convention: its codes are 0 and 1);
* ``prediction``: the textbook's training prediction ``sigmoid(h) > 1/2``,
  that is ``[h > 0]``.

On the codes of a threshold network (0 or 1, and -1, 0, 1 or +-tanh(n) under
the saturated semantics) the two rules agree; on a real network's states they
differ (a GRU state in (0, 1/2] reads 1 under ``prediction`` and 0 under
``half``), so weights files record the rule that applies, and every command
obeys it.  Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

READOUTS = ("state", "readout")
READOUT_BLOCKS = ("W_y", "b_y")


@dataclass(frozen=True)
class OutputRule:
    """How unit 0 of the hidden state becomes the output bit: ``[h > threshold]``."""

    name: str
    threshold: Fraction
    summary: str

    def reads(self, value):
        """The output of a value (a number, or a NumPy array elementwise): ``value > threshold``."""
        return value > self.threshold


OUTPUT_RULES: dict[str, OutputRule] = {r.name: r for r in (
    OutputRule("half", Fraction(1, 2), "the state read as [h > 1/2]"),
    OutputRule("prediction", Fraction(0), "the textbook's prediction sigmoid(h) > 1/2, i.e. [h > 0]"),
)}
DEFAULT_RULE = "half"


def get_rule(name: str) -> OutputRule:
    """The output rule called ``name``; ValueError naming the known ones otherwise."""
    try:
        return OUTPUT_RULES[name]
    except KeyError:
        raise ValueError(f"unknown output rule {name!r} (known: {', '.join(OUTPUT_RULES)})") from None


def readout_shapes(units: int) -> list[tuple[str, tuple[int, ...]]]:
    """The threshold read-out's parameter blocks: ``W_y`` (units x 1) and ``b_y`` (1)."""
    return [("W_y", (units, 1)), ("b_y", (1,))]
