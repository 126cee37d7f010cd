"""PyTorch recurrent layers in and out, with exact weights.

:func:`load_torch` reads an ``nn.GRU`` or ``nn.LSTM`` (a module, a whole
module saved with ``torch.save``, or a ``state_dict``) and gives each level of
the stack as a :class:`TorchLayer`: the cell ('gru-after' or 'lstm'), its size
and its weights under this package's scalar names, as Fractions equal to the
floats in the file.  :func:`to_torch` builds the PyTorch layer of a cell from
exact weights.

The convention mapping is the one of
:func:`automata_rnn.arithmetic.simulate.params_from_pytorch`, by each cell's
:class:`automata_rnn.model.cells.TorchConvention` (gates stacked
(r, z, n) and (i, f, g, o), ``U = weight_ih`` block transposed, ``W =
weight_hh`` block transposed, ``b_z = b_iz + b_hz``, ``b_r = b_ir + b_hr``,
``b_h = b_in``, ``b_hn`` apart; ``b = b_i* + b_h*`` for the LSTM).  It is read
off those functions once per shape (:func:`layout`), so that the import, the
export and the simulator share one definition; the sums are then formed over
Fractions, so no bias is rounded.

PyTorch is imported only inside the functions that need it; a ``state_dict``
of NumPy arrays is read without it.
"""

from __future__ import annotations

import os
import pickle
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from types import MappingProxyType

import numpy as np

from automata_rnn.arithmetic.simulate import params_from_pytorch
from automata_rnn.model.cells import CELLS, Cell, element_names, get_cell
from automata_rnn.model.network import layer_prefix
from automata_rnn.model.problem import Problem, canonical_name
from automata_rnn.verdicts import BadInput

__all__ = ["TENSORS", "TorchLayer", "TorchReadout", "layout", "load_readout", "load_torch", "parameter_blocks",
           "to_torch", "weights_for_problem"]

#: The per-level tensors of a PyTorch recurrent layer, by the suffix before ``_l{level}``.
TENSORS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")

#: PyTorch layer -> our cell.  nn.RNN has no counterpart (see :data:`RNN_REFUSAL`).
TORCH_CELLS = {c.torch.module: name for name, c in CELLS.items() if c.torch is not None}
_TORCH_CLASS = {name: f"nn.{module}" for module, name in TORCH_CELLS.items()}
_BY_GATES = {len(CELLS[name].torch.gates): name for name in TORCH_CELLS.values()}  # type: ignore[union-attr]

RNN_REFUSAL = ("nn.RNN uses tanh (or relu); automata_rnn's rnn cell is the textbook's sigmoid Elman cell: "
               "not representable (supported: nn.GRU as 'gru-after', nn.LSTM as 'lstm')")
NO_TORCH_LAYER = {
    "rnn": "cell 'rnn' is the textbook's sigmoid Elman cell, and PyTorch has no sigmoid recurrent layer "
           "(nn.RNN uses tanh or relu): no PyTorch layer computes it",
    "gru-chung": "cell 'gru-chung' updates h' = (1-z) h + z h~, and PyTorch's nn.GRU h' = (1-z) h~ + z h: "
                 "no PyTorch layer computes it",
    "gru": "cell 'gru' applies the reset gate before the product, and PyTorch's nn.GRU applies it after: "
           "no PyTorch layer computes it (the PyTorch cell is 'gru-after')",
}
_READOUT_BLOCKS = ("w_y", "b_y")  # compared in lowercase
_KEY = re.compile(r"^(?P<prefix>(?:.*\.)?)(?P<tensor>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)"
                  r"_l(?P<level>\d+)(?P<reverse>_reverse)?$")


@dataclass(frozen=True)
class TorchLayer:
    """One level of a PyTorch recurrent stack, in this package's terms.

    ``cell`` is 'gru-after' (nn.GRU) or 'lstm' (nn.LSTM); ``inputs`` is the
    width of the level's input (the previous level's ``units`` above level 0);
    ``weights`` maps every scalar name of the cell (:meth:`Cell.element_names`)
    to the exact value of the float it comes from (a sum of two floats for
    the biases that PyTorch splits).  ``level`` is the position in the stack,
    ``levels`` its height; ``source`` says where the layer was read.
    """

    cell: str
    units: int
    inputs: int
    weights: dict[str, Fraction] = field(hash=False)
    level: int = 0
    levels: int = 1
    source: str = ""

    def names(self) -> list[str]:
        """The cell's scalar parameter names, in display order."""
        return get_cell(self.cell).element_names(self.units, self.inputs)

    def blocks(self) -> dict:
        """The weights as parameter blocks of exact values (what :func:`automata_rnn.arithmetic.simulate.simulate`
        and the exact runs take)."""
        return parameter_blocks(self.cell, self.weights, self.units, self.inputs)

    def describe(self) -> str:
        level = f" level {self.level} of {self.levels}" if self.levels > 1 else ""
        where = f" from {self.source}" if self.source else ""
        return (f"{_TORCH_CLASS[self.cell]}{level}{where}: cell {self.cell}, {self.units} unit"
                f"{'s' if self.units != 1 else ''}, {self.inputs} input{'s' if self.inputs != 1 else ''}")


def _gate_count(cell: Cell) -> int:
    return sum(b.kind == "input" for b in cell.blocks)


def _tensor_shapes(cell: Cell, units: int, inputs: int) -> dict[str, tuple[int, ...]]:
    rows = _gate_count(cell) * units
    return {"weight_ih": (rows, inputs), "weight_hh": (rows, units), "bias_ih": (rows,), "bias_hh": (rows,)}


@lru_cache(maxsize=64)
def layout(cell: str, units: int, inputs: int) -> Mapping[str, tuple[tuple[str, int], ...]]:
    """Where each scalar parameter of ``cell`` lives in PyTorch: name -> the entries
    ``(tensor, flat index)`` (tensors as in :data:`TENSORS`, level 0, row-major) whose sum it is.

    Read off the importers of :mod:`automata_rnn.arithmetic.simulate` by passing them
    tensors whose entries are distinct tags, once with only ``bias_ih`` and once
    with only ``bias_hh``.  Weights have one entry; ``b_z``, ``b_r`` and the LSTM
    biases two (``bias_ih`` first); ``b_h`` of 'gru-after' only ``bias_ih`` (b_in)
    and ``b_hn`` only ``bias_hh``.  Every PyTorch entry is used exactly once.
    ValueError for a cell with no PyTorch layer.
    """
    if cell not in _TORCH_CLASS:
        raise BadInput(NO_TORCH_LAYER.get(cell, f"cell {cell!r} has no PyTorch layer"))
    if units < 1 or inputs < 1:
        raise BadInput("a PyTorch layer needs at least one unit and one input")
    c = get_cell(cell)
    tags: dict[str, np.ndarray] = {}
    where: dict[int, tuple[str, int]] = {}
    first = 1
    for tensor, shape in _tensor_shapes(c, units, inputs).items():
        size = int(np.prod(shape))
        tags[tensor] = np.arange(first, first + size, dtype=np.float64).reshape(shape)
        where.update({first + i: (tensor, i) for i in range(size)})
        first += size
    with_ih = params_from_pytorch(c, tags["weight_ih"], tags["weight_hh"], tags["bias_ih"], None)
    with_hh = params_from_pytorch(c, tags["weight_ih"], tags["weight_hh"], None, tags["bias_hh"])
    out: dict[str, tuple[tuple[str, int], ...]] = {}
    for b in c.blocks:
        names = element_names(b.name, b.shape(units, inputs))
        for n, t1, t2 in zip(names, with_ih[b.name].reshape(-1), with_hh[b.name].reshape(-1)):
            out[n] = tuple(where[int(t)] for t in dict.fromkeys((t1, t2)) if t != 0)
    used = Counter(s for sources in out.values() for s in sources)
    if set(used) != set(where.values()) or max(used.values()) != 1:
        raise RuntimeError(f"the PyTorch layout of {cell} does not use every entry exactly once")
    return MappingProxyType(out)


def parameter_blocks(cell: str | Cell, weights: Mapping[str, Fraction], units: int, inputs: int) -> dict:
    """The cell's parameter blocks as nested tuples of exact values (unnamed scalars are 0):
    ``U`` (inputs x units), ``W`` (units x units), ``b`` (units,), as :meth:`Problem.parameters` lays them out."""
    c = get_cell(cell) if isinstance(cell, str) else cell
    out: dict[str, tuple] = {}
    for b in c.blocks:
        shape = b.shape(units, inputs)
        values = [Fraction(weights.get(n, 0)) for n in element_names(b.name, shape)]
        if len(shape) == 1:
            out[b.name] = tuple(values)
        else:
            rows, cols = shape
            out[b.name] = tuple(tuple(values[i * cols + j] for j in range(cols)) for i in range(rows))
    return out


# -- reading -------------------------------------------------------------------------------------------

def _import_torch(purpose: str):
    try:
        import torch
    except ImportError:
        raise BadInput(f"{purpose} needs PyTorch, which is not installed (pip install torch)") from None
    return torch


def _float64(value, key: str) -> np.ndarray:
    """A tensor or array as float64, exactly (every floating type PyTorch stores embeds in float64);
    ValueError for non-float types and for NaN or infinite entries."""
    if hasattr(value, "detach") and hasattr(value, "is_floating_point"):
        if getattr(value, "is_quantized", False):
            raise BadInput(f"{key}: quantized weights ({value.dtype}) are not supported; dequantize first")
        if value.is_complex() or not value.is_floating_point():
            raise BadInput(f"{key}: weights of type {value.dtype} are not supported (floating point only)")
        import torch

        arr = value.detach().to(device="cpu", dtype=torch.float64).numpy()
    elif isinstance(value, np.ndarray):
        if value.dtype.kind != "f":
            raise BadInput(f"{key}: weights of type {value.dtype} are not supported (floating point only)")
        arr = value.astype(np.float64)
    else:
        raise BadInput(f"{key}: not a tensor ({type(value).__name__})")
    if not np.isfinite(arr).all():
        bad = "NaN" if np.isnan(arr).any() else "infinite"
        raise BadInput(f"{key}: {bad} weights cannot be read as exact values")
    return arr


def _module_state(module, submodule: str | None):
    """(state_dict, description) of the recurrent layer inside ``module``, refusing what is not representable."""
    import torch

    if isinstance(module, torch.nn.modules.rnn.RNNBase):
        candidates = [("", module)]
    else:
        candidates = [(n, m) for n, m in module.named_modules() if isinstance(m, torch.nn.modules.rnn.RNNBase)]
        if submodule is not None:
            candidates = [(n, m) for n, m in candidates if n == submodule]
    if not candidates:
        what = f"no recurrent layer named {submodule!r}" if submodule is not None else "no nn.GRU or nn.LSTM"
        raise BadInput(f"{type(module).__name__}: {what} in this module")
    if len(candidates) > 1:
        raise BadInput(f"{type(module).__name__} holds several recurrent layers "
                         f"({', '.join(n for n, _ in candidates)}): name one")
    name, layer = candidates[0]
    label = f"{type(module).__name__}.{name}" if name else type(layer).__name__
    if layer.mode.startswith("RNN"):
        raise BadInput(RNN_REFUSAL)
    if layer.mode not in TORCH_CELLS:
        raise BadInput(f"{label}: recurrent mode {layer.mode!r} is not supported (nn.GRU, nn.LSTM)")
    if layer.bidirectional:
        raise BadInput(f"{label}: a bidirectional layer reads the input backwards too; automata_rnn's cells "
                         f"run forwards only: not representable")
    if getattr(layer, "proj_size", 0):
        raise BadInput(f"{label}: an LSTM with a projection (proj_size={layer.proj_size}) is not representable")
    return {k: v for k, v in layer.state_dict().items()}, label, TORCH_CELLS[layer.mode]


def _find_state(state: Mapping, what: str) -> tuple[Mapping, str]:
    """The mapping holding recurrent weights: ``state`` itself or, for a checkpoint, the one nested
    mapping that holds them."""
    if any(isinstance(k, str) and _KEY.match(k) for k in state):
        return state, what
    nested = [(k, v) for k, v in state.items()
              if isinstance(v, Mapping) and any(isinstance(j, str) and _KEY.match(j) for j in v)]
    if len(nested) == 1:
        return nested[0][1], f"{what}[{nested[0][0]!r}]"
    if not nested:
        raise BadInput(f"{what}: no recurrent weights (weight_ih_l0, weight_hh_l0, ...) found")
    raise BadInput(f"{what}: several entries hold recurrent weights ({', '.join(repr(k) for k, _ in nested)})")


def _state_layers(state: Mapping, what: str, submodule: str | None, detected: str | None) -> list[TorchLayer]:
    """The layers of a ``state_dict`` (keys ``[prefix.]weight_ih_l0`` etc.)."""
    state, what = _find_state(state, what)
    matches = {k: _KEY.match(k) for k in state if isinstance(k, str)}
    prefixes = sorted({m["prefix"] for m in matches.values() if m and m["tensor"] == "weight_ih"})
    if submodule is not None:
        want = submodule + "." if submodule else ""
        if want not in prefixes:
            raise BadInput(f"{what}: no recurrent layer {submodule!r} (found: "
                             f"{', '.join(repr(p.rstrip('.')) for p in prefixes) or 'none'})")
        prefixes = [want]
    if not prefixes:
        raise BadInput(f"{what}: no weight_ih_l0 found")
    if len(prefixes) > 1:
        raise BadInput(f"{what} holds several recurrent layers "
                         f"({', '.join(repr(p.rstrip('.')) for p in prefixes)}): name one")
    prefix = prefixes[0]
    label = f"{what} {prefix.rstrip('.')!r}" if prefix else what
    own: dict[tuple[str, int], object] = {}
    for key, m in matches.items():
        if not key.startswith(prefix) or "." in key[len(prefix):]:
            continue
        if m is None or m["prefix"] != prefix:
            raise BadInput(f"{label}: {key!r} is not a parameter of nn.GRU or nn.LSTM (layer normalisation, "
                             f"peepholes or a learned initial state are not representable)")
        if m["reverse"]:
            raise BadInput(f"{label}: {key!r} belongs to a bidirectional layer, which reads the input "
                             f"backwards too; automata_rnn's cells run forwards only: not representable")
        if m["tensor"] == "weight_hr":
            raise BadInput(f"{label}: {key!r} is the projection of an LSTM with proj_size: not representable")
        own[(m["tensor"], int(m["level"]))] = state[key]
    levels = 1 + max(level for _, level in own)
    layers: list[TorchLayer] = []
    inputs_expected = None
    for level in range(levels):
        for t in ("weight_ih", "weight_hh"):
            if (t, level) not in own:
                raise BadInput(f"{label}: {prefix}{t}_l{level} is missing")
        has_bias = [(t, level) in own for t in ("bias_ih", "bias_hh")]
        if any(has_bias) and not all(has_bias):
            raise BadInput(f"{label}: level {level} has only one of bias_ih and bias_hh")
        arrays = {t: (_float64(own[(t, level)], f"{prefix}{t}_l{level}") if (t, level) in own else None)
                  for t in TENSORS}
        layer = _layer(arrays, level, levels, label, detected)
        if inputs_expected is not None and layer.inputs != inputs_expected:
            raise BadInput(f"{label}: level {level} reads {layer.inputs} inputs but level {level - 1} "
                             f"has {inputs_expected} units")
        inputs_expected = layer.units
        layers.append(layer)
    return layers


def _layer(arrays: dict, level: int, levels: int, label: str, detected: str | None) -> TorchLayer:
    wi, wh = arrays["weight_ih"], arrays["weight_hh"]
    if wh.ndim != 2 or wi.ndim != 2 or wh.shape[1] < 1 or wh.shape[0] % wh.shape[1] or wi.shape[0] != wh.shape[0]:
        raise BadInput(f"{label}: level {level} has weight shapes {wi.shape} and {wh.shape}, "
                         f"which do not stack gates of one size")
    units, inputs = wh.shape[1], wi.shape[1]
    gates = wh.shape[0] // units
    if gates == 1:
        raise BadInput(RNN_REFUSAL)
    cell = _BY_GATES.get(gates)
    if cell is None:
        raise BadInput(f"{label}: {gates} stacked gates is neither nn.GRU (3) nor nn.LSTM (4)")
    if detected is not None and cell != detected:
        raise BadInput(f"{label}: the weights stack {gates} gates, which does not fit {_TORCH_CLASS[detected]}")
    for t in ("bias_ih", "bias_hh"):
        if arrays[t] is not None and arrays[t].shape != (gates * units,):
            raise BadInput(f"{label}: {t}_l{level} has shape {arrays[t].shape}, expected ({gates * units},)")
    weights = {}
    for name, sources in layout(cell, units, inputs).items():
        weights[name] = sum((Fraction(float(arrays[t].flat[i])) for t, i in sources if arrays[t] is not None),
                            Fraction(0))
    return TorchLayer(cell, units, inputs, weights, level, levels, label)


def _read_file(path: str, trusted: bool):
    torch = _import_torch(f"reading {path!r}")
    if not os.path.isfile(path):
        raise BadInput(f"PyTorch file {path!r} not found")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "weights only load failed" not in str(e).lower():
            raise BadInput(f"{path!r} is not a file written by torch.save ({_first_line(e)})") from None
    except Exception as e:  # torch.load reports a foreign file through many exception types
        raise BadInput(f"{path!r} is not a file written by torch.save ({_first_line(e)})") from None
    if not trusted:
        raise BadInput(f"{path!r} holds a pickled module, which runs code from the file when loaded; "
                         f"load it only if you trust it, or save model.state_dict() instead")
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except (AttributeError, ModuleNotFoundError, ImportError) as e:
        raise BadInput(f"{path!r}: the pickled module's class cannot be imported here ({_first_line(e)}); "
                         f"save model.state_dict() instead") from None
    except Exception as e:
        raise BadInput(f"{path!r} is not a file written by torch.save ({_first_line(e)})") from None


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def _hint(cell_hint: str | None) -> str | None:
    if cell_hint is None:
        return None
    if cell_hint == "rnn":
        raise BadInput(RNN_REFUSAL)
    if cell_hint in NO_TORCH_LAYER:
        raise BadInput(NO_TORCH_LAYER[cell_hint])
    if cell_hint not in _TORCH_CLASS:
        raise BadInput(f"cell {cell_hint!r} has no PyTorch layer (PyTorch cells: {', '.join(_TORCH_CLASS)})")
    return cell_hint


def load_torch(path_or_module, cell_hint: str | None = None, *, submodule: str | None = None,
               trusted: bool = True) -> list[TorchLayer]:
    """The levels of a PyTorch ``nn.GRU`` / ``nn.LSTM``, bottom first, with exact weights.

    ``path_or_module`` is an ``nn.Module`` (a recurrent layer, or a model with
    exactly one inside: ``submodule`` names it otherwise), a ``state_dict``
    (keys ``[prefix.]weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``,
    ``bias_hh_l0``, ... per level; tensors or NumPy arrays; a checkpoint
    mapping with one such ``state_dict`` inside is accepted), or the path of a
    file written by ``torch.save`` holding either.  Files are read with
    ``weights_only=True``; a whole pickled module needs ``weights_only=False``,
    which runs code from the file, and is loaded only when ``trusted`` (the
    file is one the user named).

    ``cell_hint`` ('gru-after' or 'lstm'), if given, must be the cell found.
    The input of level 0 is taken as it is: automata_rnn encodes a symbol as
    its digit for the alphabet {0, 1} and one-hot otherwise, and an embedding
    or read-out around the layer is not part of it.

    ValueError, one line, for: nn.RNN (tanh or relu, where the rnn cell is the
    textbook's sigmoid), bidirectional layers, LSTM projections, parameters
    that are not nn.GRU/nn.LSTM's, non-float dtypes, NaN or infinite weights,
    unreadable files.
    """
    hint = _hint(cell_hint)
    if isinstance(path_or_module, (str, os.PathLike)):
        path = os.fspath(path_or_module)
        obj = _read_file(path, trusted)
        what = path
    else:
        obj, what = path_or_module, "state_dict"
    if isinstance(obj, Mapping):
        layers = _state_layers(obj, what, submodule, None)
    elif hasattr(obj, "named_modules") and hasattr(obj, "state_dict"):
        _import_torch("reading a module")
        state, label, detected = _module_state(obj, submodule)
        if isinstance(path_or_module, (str, os.PathLike)):
            label = f"{what} ({label})"
        layers = _state_layers(state, label, "", detected)
    else:
        raise BadInput(f"{what}: expected an nn.GRU or nn.LSTM, a model holding one, or a state_dict; "
                         f"got {type(obj).__name__}")
    if hint is not None and layers[0].cell != hint:
        raise BadInput(f"{layers[0].source}: holds {_TORCH_CLASS[layers[0].cell]} (cell {layers[0].cell}), "
                         f"not cell {hint}")
    return layers


@dataclass(frozen=True)
class TorchReadout:
    """A PyTorch ``nn.Linear(hidden, 1)`` read-out: logit ``h W^T + b > 0`` means "accept", which is this
    package's threshold read-out ``[h W_y + b_y > 0]`` with ``W_y = weight^T`` and ``b_y = bias`` (exact)."""

    weight: tuple[Fraction, ...]
    bias: Fraction
    source: str

    def weights(self) -> dict[str, Fraction]:
        """As the read-out's scalar parameters (``W_y`` or ``W_y[i,0]``, ``b_y``)."""
        names = element_names("W_y", (len(self.weight), 1))
        return {**dict(zip(names, self.weight)), "b_y": self.bias}


def load_readout(path_or_module, units: int, *, name: str | None = None, trusted: bool = True
                 ) -> TorchReadout | None:
    """The ``nn.Linear(units, 1)`` beside the recurrent layer in a model or ``state_dict``: found by shape
    (a ``weight`` of shape (1, units), its ``bias`` of shape (1,) if any), or named by ``name`` (its prefix, as
    in ``head`` for ``head.weight``).  None when there is none; BadInput when several fit and none is named."""
    if isinstance(path_or_module, (str, os.PathLike)):
        obj, what = _read_file(os.fspath(path_or_module), trusted), os.fspath(path_or_module)
    else:
        obj, what = path_or_module, "state_dict"
    if not isinstance(obj, Mapping):
        _import_torch("reading a module")
        obj = obj.state_dict()
    state, what = _find_state(obj, what)
    candidates = []
    for key, value in state.items():
        if not isinstance(key, str) or _KEY.match(key) or not (key == "weight" or key.endswith(".weight")):
            continue
        prefix = key[: -len("weight")]
        if name is not None and prefix != (name + "." if name else ""):
            continue
        weight = _float64(value, key)
        if weight.shape == (1, units):
            candidates.append((prefix, weight))
    if not candidates:
        if name is not None:
            raise BadInput(f"{what}: no read-out {name!r} with a weight of shape (1, {units})")
        return None
    if len(candidates) > 1:
        raise BadInput(f"{what}: several read-out candidates of shape (1, {units}) "
                       f"({', '.join(repr(p.rstrip('.')) for p, _ in candidates)}): name one with --readout")
    prefix, weight = candidates[0]
    bias_key = prefix + "bias"
    bias = _float64(state[bias_key], bias_key) if bias_key in state else np.zeros(1)
    if bias.shape != (1,):
        raise BadInput(f"{what}: {bias_key} has shape {bias.shape}, expected (1,)")
    return TorchReadout(tuple(Fraction(float(v)) for v in weight[0]), Fraction(float(bias[0])),
                        f"{what} {prefix.rstrip('.') or 'weight'!r}")


def weights_for_problem(problem: Problem, layers: list[TorchLayer] | TorchLayer) -> dict[str, Fraction]:
    """The weights of a PyTorch stack (its levels, bottom first, as :func:`load_torch` gives them; or one
    layer) as weights of ``problem``, whose cell, layers and inputs must be the stack's.  Level k becomes
    layer k + 1 (names ``l1.U_h``, ... for a stack of two or more).

    Parameters of the problem that are not the cell's (the read-out ``W_y``,
    ``b_y``) are not set.  ValueError naming the mismatch otherwise.
    """
    levels = [layers] if isinstance(layers, TorchLayer) else list(layers)
    cell = levels[0].cell
    if problem.cell.name != cell:
        raise BadInput(f"the PyTorch layer is cell {cell}; the question is about cell {problem.cell.name}")
    sizes = tuple(level.units for level in levels)
    if (problem.layers, problem.inputs) != (sizes, levels[0].inputs):
        shape = f"{sizes[0]} unit{'s' if sizes[0] != 1 else ''}" if len(sizes) == 1 else \
            f"layers of {', '.join(map(str, sizes))} units"
        raise BadInput(f"the PyTorch model has {shape} and {levels[0].inputs} inputs; the question has "
                         f"{problem.units} units in {len(problem.layers)} layer(s) and {problem.inputs} inputs "
                         f"(automaton {problem.automaton.name!r}: {problem.inputs} input"
                         f"{'s, one-hot' if problem.inputs > 1 else ', the binary digit'})")
    if len(levels) == 1:
        return dict(levels[0].weights)
    return {layer_prefix(k) + name: v for k, level in enumerate(levels, start=1) for name, v in level.weights.items()}


# -- writing -------------------------------------------------------------------------------------------

def to_torch(cell: str | Cell, weights: Mapping[str, Fraction], units: int, inputs: int, *,
             strict: bool = False):
    """The PyTorch layer computing ``cell`` with ``weights``: ``nn.GRU`` for 'gru-after', ``nn.LSTM`` for
    'lstm'; one level, float64, ``batch_first=True``, in eval mode.

    ``weights`` maps scalar names (lowercase aliases accepted) to exact values;
    unnamed parameters are 0, read-out names (``W_y``, ``b_y``) are ignored,
    any other name is a ValueError.  Each value is rounded to the nearest
    float64 (a ValueError instead when ``strict`` and it is not one); a bias
    that PyTorch splits is put whole into ``bias_ih`` (``bias_hh`` 0), and
    ``b_hn`` into ``bias_hh``.  So ``load_torch(to_torch(c, w, n, m))[0].weights``
    is ``w`` with every value rounded to float64: ``w`` itself when its values are floats.
    ValueError for 'rnn' and 'gru', which no PyTorch layer computes.
    """
    name = cell.name if isinstance(cell, Cell) else cell
    get_cell(name)
    where = layout(name, units, inputs)
    known = list(where)
    values: dict[str, Fraction] = {}
    for key, v in weights.items():
        if str(key).split("[")[0].lower() in _READOUT_BLOCKS:
            continue
        n = canonical_name(str(key), known)
        try:
            q = Fraction(v)
        except (TypeError, ValueError, OverflowError):
            raise BadInput(f"weight {n}: {v!r} is not a finite number") from None
        values[n] = q
    arrays = {t: np.zeros(shape) for t, shape in _tensor_shapes(get_cell(name), units, inputs).items()}
    for n, sources in where.items():
        q = values.get(n, Fraction(0))
        try:
            f = float(q)
        except OverflowError:
            f = float("inf")
        if not np.isfinite(f):
            raise BadInput(f"weight {n} = {q} is beyond the float64 range")
        if strict and Fraction(f) != q:
            raise BadInput(f"weight {n} = {q} is not a float64 (nearest: {f!r})")
        tensor, index = sources[0]
        arrays[tensor].flat[index] = f
    torch = _import_torch("building a PyTorch layer")
    cls = getattr(torch.nn, get_cell(name).torch.module)  # type: ignore[union-attr]
    module = cls(inputs, units, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for t, arr in arrays.items():
            getattr(module, f"{t}_l0").copy_(torch.from_numpy(arr))
    return module.eval()
