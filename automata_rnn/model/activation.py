"""The activation families, defined once: what a network's sigmoid gates compute.

Every arithmetic that runs a real or thresholded network reads this table:
the numeric simulator, the interval arithmetic, verification and training.

* ``sigmoid``: the logistic function (and the real tanh);
* ``hard_sigmoid``: Theano and Keras 2, ``clip(v / 5 + 1/2, 0, 1)``;
* ``hard_sigmoid_pytorch``: PyTorch Hardsigmoid and Keras 3, ``clip(v / 6 + 1/2, 0, 1)``;
* ``indicator`` and ``saturated``: the two threshold semantics run as activations
  (see :mod:`automata_rnn.model.semantics`).

tanh gates stay the real tanh under the three real families.  Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from automata_rnn.verdicts import BadInput


@dataclass(frozen=True)
class Activation:
    """One family: ``kind`` is 'logistic', 'hard' (with ``slope``) or 'threshold' (a semantics)."""

    name: str
    kind: str
    summary: str
    slope: Fraction | None = None

    @property
    def real(self) -> bool:
        """A real network's activation (not a threshold semantics)."""
        return self.kind != "threshold"

    @property
    def saturation(self) -> Fraction | None:
        """|v| from which a hard sigmoid is exactly 0 or 1 (2.5 for Keras 2, 3 for PyTorch); None otherwise."""
        return None if self.slope is None else 1 / (2 * self.slope)


ACTIVATIONS: dict[str, Activation] = {a.name: a for a in (
    Activation("sigmoid", "logistic", "sigmoid and tanh"),
    Activation("hard_sigmoid", "hard", "hard sigmoid clip(0.2 v + 0.5, 0, 1) (Theano, Keras 2), real tanh",
               Fraction(1, 5)),
    Activation("hard_sigmoid_pytorch", "hard", "hard sigmoid clip(v / 6 + 1/2, 0, 1) (PyTorch, Keras 3), real tanh",
               Fraction(1, 6)),
    Activation("indicator", "threshold", "indicator semantics: sigma, tanh -> [v > 0] in {0, 1}"),
    Activation("saturated", "threshold", "saturated semantics: sigma -> {0, 1}, tanh -> {-1, +1}, v = 0 undefined"),
)}

REAL_ACTIVATIONS = tuple(n for n, a in ACTIVATIONS.items() if a.real)


def get_activation(name: str, real_only: bool = False) -> Activation:
    """The activation called ``name``; ValueError naming the known ones otherwise."""
    known = REAL_ACTIVATIONS if real_only else tuple(ACTIVATIONS)
    if name not in known:
        raise BadInput(f"unknown activation {name!r} (known: {', '.join(known)})")
    return ACTIVATIONS[name]
