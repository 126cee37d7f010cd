"""Problems: which automaton, which cell, how many units, which semantics, which weights are fixed.

A :class:`Problem` is plain data with a JSON form, so that a certificate can
carry the exact question it answers.  Standard library only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property
from typing import Mapping

from automata_rnn.arithmetic.exact import Affine, format_rational, parse_rational
from automata_rnn.model.automata import Automaton
from automata_rnn.model.cells import Cell, element_names, get_cell
from automata_rnn.model.network import (
    DEFAULT_RULE,
    OUTPUT_RULES,
    READOUTS,
    OutputRule,
    get_rule,
    layer_prefix,
    readout_shapes,
    stack,
)
from automata_rnn.model.semantics import Semantics
from automata_rnn.verdicts import BadInput, ResourceLimit

OUTPUTS = READOUTS
DEFAULT_MARGIN_BOUND = Fraction(10)


def input_width(automaton: Automaton) -> int:
    """Inputs are the binary digit for the alphabet {0, 1}, one-hot otherwise."""
    return 1 if tuple(automaton.alphabet) == ("0", "1") else len(automaton.alphabet)


def encode_symbol(automaton: Automaton, symbol: str) -> tuple[Fraction, ...]:
    if input_width(automaton) == 1:
        return (Fraction(int(symbol)),)
    return tuple(Fraction(int(a == symbol)) for a in automaton.alphabet)


def canonical_name(name: str, known: list[str]) -> str:
    """Resolve a parameter name, accepting lowercase aliases (``w_h`` for ``W_h``); ValueError otherwise."""
    if name in known:
        return name
    matches = [k for k in known if k.lower() == name.lower()]
    if len(matches) == 1:
        return matches[0]
    raise BadInput(f"unknown parameter {name!r} (this problem has: {', '.join(known)})")


MAX_PARAMETERS = 1_000_000
"""No problem has more scalar parameters (2 layers of 64 LSTM units have about 66,000)."""


@dataclass(frozen=True)
class Problem:
    """Does a cell of ``units`` units implement ``automaton`` under ``semantics``?

    ``output`` is the read-out (see :mod:`automata_rnn.model.network`): 'state' (unit 0
    of the top layer's h under the output ``rule``, by default [h_0 > 1/2]) or 'readout' (a
    threshold unit ``sigma(h W_y + b_y)`` on the top layer).  The initial state is 0.  ``fixed`` pins
    parameters to exact values; ``bound`` (if set) restricts every free parameter to [-bound, bound].
    ``layers`` (units per layer, bottom first) makes the network a stack; then ``units`` is their sum.
    """

    automaton: Automaton
    cell: Cell
    units: int = 1
    semantics: Semantics = field(default_factory=Semantics)
    output: str = "state"
    fixed: Mapping[str, Fraction] = field(default_factory=dict)
    bound: Fraction | None = None
    rule: OutputRule = OUTPUT_RULES[DEFAULT_RULE]
    layers: tuple[int, ...] = ()

    def __post_init__(self):
        layers = tuple(self.layers) if len(self.layers) > 1 else (self.units,)
        if any(not isinstance(n, int) or isinstance(n, bool) or n < 1 for n in layers):
            raise BadInput("every layer needs at least one unit")
        if len(layers) > 1 and self.units not in (1, sum(layers)):
            raise BadInput(f"{self.units} units do not add up from layers {list(layers)}")
        object.__setattr__(self, "layers", layers)
        object.__setattr__(self, "units", sum(layers))
        if self.units < 1:
            raise BadInput("the number of units must be at least 1")
        if self.output not in OUTPUTS:
            raise BadInput(f"unknown output {self.output!r} (known: {', '.join(OUTPUTS)})")
        if self.bound is not None and self.bound <= 0:
            raise BadInput("the weight bound must be positive")
        count = sum(math.prod(shape) for _, shape in self.blocks())
        if count > MAX_PARAMETERS:
            raise ResourceLimit(f"{count} parameters ({self.units} units) are past the limit of {MAX_PARAMETERS} that "
                                "any exact question can hold")
        names = self.parameter_names()
        for k in self.fixed:
            if k not in names:
                raise BadInput(f"unknown parameter {k!r} (this problem has: {', '.join(names)})")

    @classmethod
    def with_defaults(cls, automaton: Automaton, cell: Cell | str = "rnn", layers: tuple[int, ...] = (1,), *,
                      semantics: Semantics | None = None, output: str | None = None, rule: str | None = None,
                      fixed: Mapping[str, Fraction] | None = None, bound: Fraction | None = None) -> "Problem":
        """A problem with the tool's defaults: the read-out is the state for one unit and a threshold unit
        otherwise; the output rule is 'half'; a margin brings the weight bound 10 (a margin means nothing
        when the weights can grow without bound)."""
        semantics = Semantics() if semantics is None else semantics
        if semantics.margin > 0 and bound is None:
            bound = DEFAULT_MARGIN_BOUND
        return cls(automaton, get_cell(cell) if isinstance(cell, str) else cell, sum(layers), semantics,
                   output or ("state" if tuple(layers) == (1,) else "readout"), dict(fixed or {}), bound,
                   get_rule(rule or DEFAULT_RULE), tuple(layers))

    @property
    def irrational_state(self) -> bool:
        """Whether hidden states take irrational values: an LSTM under the saturated semantics, whose
        h = o tanh(c) is the real tanh of an integer cell state.  Free weights times such values are not
        linear, so only fully given weights are decided then."""
        return bool(self.cell.unscaled) and not self.semantics.thresholds_squash

    @property
    def inputs(self) -> int:
        return input_width(self.automaton)

    @cached_property
    def stack(self) -> Cell:
        """The network's step as one cell: the cell itself for one layer, else the stack of its layers."""
        return stack(self.cell, self.layers, self.inputs)

    @property
    def top(self) -> slice:
        """The units of the top layer within h: what the read-out reads."""
        return slice(self.units - self.layers[-1], self.units)

    def layer_slices(self) -> list[tuple[str, slice]]:
        """Each layer's parameter-name prefix and its units within h, bottom first (one layer: no prefix)."""
        if len(self.layers) == 1:
            return [("", slice(0, self.units))]
        ends = [sum(self.layers[:k]) for k in range(len(self.layers) + 1)]
        return [(layer_prefix(k), slice(ends[k - 1], ends[k])) for k in range(1, len(self.layers) + 1)]

    def blocks(self) -> list[tuple[str, tuple[int, ...]]]:
        out = [(b.name, b.shape(self.units, self.inputs)) for b in self.stack.blocks]
        if self.output == "readout":
            out += readout_shapes(self.layers[-1])
        return out

    def parameter_names(self) -> list[str]:
        """Every scalar parameter, in display order."""
        return [n for b, shape in self.blocks() for n in element_names(b, shape)]

    def free_names(self) -> list[str]:
        return [n for n in self.parameter_names() if n not in self.fixed]

    def parameters(self, values: Mapping[str, Fraction] | None = None) -> dict:
        """Each block as nested tuples of affine forms; fixed and given values substituted."""
        known = dict(self.fixed)
        if values:
            known.update(values)
        out: dict = {}
        for block, shape in self.blocks():
            names = element_names(block, shape)
            forms = [Affine(None, known[n]) if n in known else Affine.var(n) for n in names]
            if len(shape) == 1:
                out[block] = tuple(forms)
            else:
                rows, cols = shape
                out[block] = tuple(tuple(forms[i * cols + j] for j in range(cols)) for i in range(rows))
        return out

    def network_record(self) -> dict:
        """What a weights file records of the network beside its weights: cell, units (and layers, for a
        stack), read-out and output rule."""
        return {"cell": self.cell.name, "units": self.units,
                **({"layers": list(self.layers)} if len(self.layers) > 1 else {}),
                "output": self.output, "output_rule": self.rule.name}

    def to_json(self) -> dict:
        return {
            "automaton": self.automaton.to_json(),
            "cell": self.cell.name,
            "units": self.units,
            "semantics": self.semantics.name,
            "margin": format_rational(self.semantics.margin),
            "output": self.output,
            "output_rule": self.rule.name,
            "fixed": {k: format_rational(v) for k, v in sorted(self.fixed.items())},
            "bound": None if self.bound is None else format_rational(self.bound),
            **({"layers": list(self.layers)} if len(self.layers) > 1 else {}),
        }

    @staticmethod
    def from_json(obj) -> "Problem":
        if not isinstance(obj, dict):
            raise BadInput("a problem is a JSON object")
        try:
            automaton = Automaton.from_json(obj["automaton"])
            fixed = obj.get("fixed", {})
            if not isinstance(fixed, dict):
                raise BadInput("'fixed' must map names to values")
            bound = obj.get("bound")
            return Problem(
                automaton=automaton,
                cell=get_cell(obj["cell"]),
                units=int(obj.get("units", 1)),
                semantics=Semantics(obj.get("semantics", "indicator"), parse_rational(obj.get("margin", "0"))),
                output=obj.get("output", "state"),
                fixed={str(k): parse_rational(v) for k, v in fixed.items()},
                bound=None if bound is None else parse_rational(bound),
                rule=get_rule(obj.get("output_rule", DEFAULT_RULE)),
                layers=_layers(obj.get("layers", [])),
            )
        except KeyError as e:
            raise BadInput(f"problem: missing field {e.args[0]!r}") from None


def _layers(value) -> tuple[int, ...]:
    if not isinstance(value, list) or any(not isinstance(n, int) or isinstance(n, bool) for n in value):
        raise BadInput("'layers' must be a list of unit counts")
    return tuple(value)
