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

A network is a stack of layers of one cell kind (TensorFlow's MultiRNNCell,
PyTorch's ``num_layers``): layer k reads the new hidden state of layer k - 1,
layer 1 reads the input, and the read-out reads the top layer.  :func:`stack`
makes the stack one cell whose state parts are the layers' parts side by side
(layer 1's units first) and whose parameters are named per layer (``l2.U_h``).

On the codes of a threshold network (0 or 1, and -1, 0, 1 or +-tanh(n) under
the saturated semantics) the two rules agree; on a real network's states they
differ (a GRU state in (0, 1/2] reads 1 under ``prediction`` and 0 under
``half``), so weights files record the rule that applies, and every command
obeys it.  Standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from automata_rnn.model.cells import Block, Cell
from automata_rnn.verdicts import BadInput

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
        raise BadInput(f"unknown output rule {name!r} (known: {', '.join(OUTPUT_RULES)})") from None


def readout_shapes(units: int) -> list[tuple[str, tuple[int, ...]]]:
    """The threshold read-out's parameter blocks: ``W_y`` (units x 1) and ``b_y`` (1)."""
    return [("W_y", (units, 1)), ("b_y", (1,))]


def split_tuple(v: tuple, sizes) -> list[tuple]:
    """A tuple vector cut into consecutive pieces of the given sizes (the arithmetics whose vectors are
    tuples use it for ``ops.split``)."""
    if sum(sizes) != len(v):
        raise ValueError(f"a vector of {len(v)} entries does not split into {list(sizes)}")
    out, start = [], 0
    for n in sizes:
        out.append(tuple(v[start:start + n]))
        start += n
    return out


def layer_prefix(k: int) -> str:
    """The prefix of layer ``k``'s parameter names (layers count from 1 at the bottom): ``l1.``, ``l2.``."""
    return f"l{k}."


def stack(cell: Cell, layers: tuple[int, ...], inputs: int) -> Cell:
    """``len(layers)`` layers of ``cell`` as one cell: layer k has ``layers[k-1]`` units and reads layer
    k-1's new hidden state (layer 1 reads the ``inputs`` of the network).  Its state parts are the
    cell's, each the layers' values side by side, layer 1 first; its gates are named ``l1.z`` etc.
    One layer is the cell itself, with its own parameter names."""
    layers = tuple(layers)
    if not layers or any(not isinstance(n, int) or n < 1 for n in layers):
        raise BadInput(f"every layer needs at least one unit, not {list(layers)}")
    if len(layers) == 1:
        return cell
    blocks = tuple(Block(layer_prefix(k) + b.name, b.kind, n, inputs if k == 1 else layers[k - 2])
                   for k, n in enumerate(layers, start=1) for b in cell.blocks)

    def step(ops, p, x, state):
        pieces = [ops.split(part, layers) for part in state]
        new_parts: list[list] = [[] for _ in state]
        gates: dict = {}
        below = x
        for k in range(1, len(layers) + 1):
            prefix = layer_prefix(k)
            own = {b.name: p[prefix + b.name] for b in cell.blocks}
            new, layer_gates = cell.step(_Named(ops, prefix), own, below, tuple(part[k - 1] for part in pieces))
            for i, v in enumerate(new):
                new_parts[i].append(v)
            gates.update({prefix + name: v for name, v in layer_gates.items()})
            below = new[0]
        return tuple(ops.concat(vs) for vs in new_parts), gates

    biases = tuple((layer_prefix(k) + name, v) for k in range(1, len(layers) + 1) for name, v in cell.initial_biases)
    summary = f"{len(layers)} layers of {cell.name} ({', '.join(map(str, layers))} units)"
    return replace(cell, summary=summary, blocks=blocks, step=step, initial_biases=biases, layers=layers)


class _Named:
    """The arithmetic ``ops`` with every gate name prefixed by its layer (``l2.z``)."""

    def __init__(self, ops, prefix: str):
        self._ops, self._prefix = ops, prefix

    def __getattr__(self, name):
        return getattr(self._ops, name)

    def sigmoid(self, v, name):
        return self._ops.sigmoid(v, self._prefix + name)

    def tanh(self, v, name):
        return self._ops.tanh(v, self._prefix + name)

    def squash(self, v, name):
        return self._ops.squash(v, self._prefix + name)
