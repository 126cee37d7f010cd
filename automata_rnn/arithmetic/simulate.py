"""Simulation: a cell run on batches of sequences in float64, under a chosen activation and gain.

The cell equations come from :mod:`automata_rnn.model.cells`, read through
:class:`automata_rnn.arithmetic.numeric.SequenceOps`.  The real network with
gain ``k`` is the one whose every weight and bias is multiplied by ``k``; as
``k`` grows its gates approach the 'saturated' activation wherever no
pre-activation is exactly 0.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from automata_rnn.arithmetic.exact import Affine
from automata_rnn.arithmetic.numeric import SequenceOps
from automata_rnn.model.activation import get_activation
from automata_rnn.model.cells import Cell, get_cell
from automata_rnn.model.network import stack
from automata_rnn.model.problem import encode_symbol
from automata_rnn.verdicts import BadInput

__all__ = ["Simulation", "encode_words", "params_from_pytorch", "params_from_pytorch_gru",
           "params_from_pytorch_lstm", "params_to_numpy", "simulate"]


@dataclass
class Simulation:
    """The run of a cell on a batch of sequences.

    ``hidden[b, t]`` is h(t) of sequence ``b`` for t = 0..time (``hidden[:, 0]``
    is the initial state); ``cell_state`` is c(t) likewise for the LSTM, None
    otherwise.  With recording on, ``gates[name][b, t - 1]`` and
    ``pre_activations[name][b, t - 1]`` are the gate's value and pre-activation
    during step t (names as the cell gives them: 'z', 'r', 'h~', 'tanh(c)', ...).
    Arrays may be views of one (time, batch, units) buffer.
    """

    cell: str
    activation: str
    gain: float
    hidden: np.ndarray
    cell_state: np.ndarray | None = None
    gates: dict[str, np.ndarray] = field(default_factory=dict)
    pre_activations: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def final_hidden(self) -> np.ndarray:
        """h(time), shaped (batch, units)."""
        return self.hidden[:, -1]

    @property
    def ill_defined(self) -> np.ndarray:
        """(batch, time + 1) booleans: True where the state holds a NaN; under 'saturated', some
        gate on the way to it had a pre-activation exactly 0."""
        bad = np.isnan(self.hidden).any(axis=2)
        if self.cell_state is not None:
            bad |= np.isnan(self.cell_state).any(axis=2)
        return bad


def _scalar(x, block: str) -> float:
    """The float64 of one weight; BadInput for a free parameter, a non-number or a value past float64's range."""
    if isinstance(x, Affine):
        try:
            x = x.value
        except ValueError:
            raise BadInput(f"parameter block {block} still has free parameters ({x})") from None
    if not isinstance(x, (int, float, Fraction, np.number)) or isinstance(x, bool):
        raise BadInput(f"parameter block {block}: not a number: {x!r}")
    try:
        value = float(x)
    except OverflowError:
        value = math.inf
    if math.isinf(value) and not isinstance(x, (float, np.floating)):
        raise BadInput(f"a weight of parameter block {block} is beyond float64 (its size exceeds "
                       f"{sys.float_info.max:.3g}), in which the real network runs")
    return value


def _nested(x, block: str):
    if isinstance(x, (tuple, list)):
        return [_nested(e, block) for e in x]
    return _scalar(x, block)


def params_to_numpy(params: Mapping[str, object]) -> dict[str, np.ndarray]:
    """Each block as a float64 array: nested tuples of exact constants (what
    ``Problem.parameters(weights)`` returns), of numbers, or arrays.  ValueError
    on a free parameter, a non-number or a ragged block."""
    out: dict[str, np.ndarray] = {}
    for name, block in params.items():
        if isinstance(block, np.ndarray):
            arr = np.array(block, dtype=np.float64)
        else:
            try:
                arr = np.array(_nested(block, name), dtype=np.float64)
            except ValueError as e:
                if "parameter block" in str(e):
                    raise
                raise BadInput(f"parameter block {name} is ragged") from None
        out[name] = arr
    return out


def encode_words(automaton, words: Iterable[Sequence[str]]) -> np.ndarray:
    """Words of one length as inputs shaped (batch, time, inputs), symbols encoded as
    :func:`automata_rnn.model.problem.encode_symbol` does (the binary digit for the alphabet
    ("0", "1"), one-hot in alphabet order otherwise).  A word is a sequence of symbols; a
    string is read character by character.  ValueError on unequal lengths or unknown symbols."""
    words = [tuple(w) for w in words]
    alphabet = tuple(automaton.alphabet)
    table = np.array([[float(v) for v in encode_symbol(automaton, a)] for a in alphabet], dtype=np.float64)
    lengths = {len(w) for w in words}
    if len(lengths) > 1:
        raise BadInput(f"words of different lengths {sorted(lengths)}: simulate one length at a time")
    index = {a: i for i, a in enumerate(alphabet)}
    try:
        idx = np.array([[index[s] for s in w] for w in words], dtype=np.intp)
    except KeyError as e:
        raise BadInput(f"symbol {e.args[0]!r} is not in the alphabet {alphabet}") from None
    idx = idx.reshape(len(words), lengths.pop() if lengths else 0)
    return table[idx]


def _initial(initial_state, parts: int, batch: int, units: int) -> list[np.ndarray]:
    if initial_state is None:
        return [np.zeros((batch, units)) for _ in range(parts)]
    if parts == 1 and not isinstance(initial_state, (tuple, list)):
        initial_state = (initial_state,)
    elif parts > 1 and not isinstance(initial_state, (tuple, list)):
        raise BadInput(f"this cell's state has {parts} parts (h and c for the LSTM): give the initial state as a "
                       f"tuple of {parts} arrays, not one array of shape {np.shape(initial_state)}")
    if len(initial_state) != parts:
        raise BadInput(f"the initial state needs {parts} parts, got {len(initial_state)}")
    out = []
    for s in initial_state:
        s = np.asarray(s, dtype=np.float64)
        try:
            out.append(np.broadcast_to(s, (batch, units)))
        except ValueError:
            raise BadInput(f"an initial state part of shape {s.shape} does not fit (batch, units) = "
                             f"({batch}, {units})") from None
    return out


def simulate(cell: str | Cell, params: Mapping[str, object], inputs, *, activation: str = "sigmoid",
             gain: float = 1.0, initial_state=None, record_gates: bool = False, workers: int = 1,
             layers: Sequence[int] | None = None) -> Simulation:
    """Run ``cell`` with ``params`` on ``inputs`` shaped (batch, time, inputs).

    ``layers`` (units per layer, bottom first) runs a stack of ``cell`` (see
    :func:`automata_rnn.model.network.stack`): its blocks are named ``l1.U_h``, ...,
    and ``hidden`` holds every layer's units side by side, layer 1 first (the
    top layer's are the last ``layers[-1]``).

    ``params`` maps block names to arrays or exact nested tuples (see
    :func:`params_to_numpy`); blocks the cell does not use are ignored.  The
    network run has every weight and bias multiplied by ``gain``.  The initial
    state is 0 unless ``initial_state`` gives each state part as (units,) or
    (batch, units) (a single array for one-part states).  ``activation`` names a family of
    :mod:`automata_rnn.model.activation`.
    ``workers > 1`` runs that many slices of the batch in threads (same
    results): worth it when batch x units is large (about 10^5 or more) and
    NumPy's BLAS runs one thread (``OPENBLAS_NUM_THREADS=1``), so that the
    threads do not compete.  ValueError on unknown names, missing blocks or
    shapes that do not fit.
    """
    cell = get_cell(cell) if isinstance(cell, str) else cell
    get_activation(activation)
    if layers is not None and len(layers) > 1:
        cell = stack(cell, tuple(layers), np.shape(inputs)[-1])
    gain = float(gain)
    if not np.isfinite(gain):
        raise BadInput("the gain must be finite")
    if workers < 1:
        raise BadInput("workers must be at least 1")
    x = np.asarray(inputs, dtype=np.float64)
    if x.ndim != 3:
        raise BadInput(f"inputs must be shaped (batch, time, inputs), got shape {x.shape}")
    batch, time, width = x.shape
    missing = [b.name for b in cell.blocks if b.name not in params]
    if missing:
        raise BadInput(f"cell {cell.name} needs parameter blocks {', '.join(missing)}")
    arrays = params_to_numpy({b.name: params[b.name] for b in cell.blocks})
    if cell.layers:
        units = sum(cell.layers)
    else:
        state_block = next(b.name for b in cell.blocks if b.kind == "state")
        units = arrays[state_block].shape[0] if arrays[state_block].ndim == 2 else -1
    for b in cell.blocks:
        want = b.shape(units, width)
        if arrays[b.name].shape != want:
            raise BadInput(f"parameter block {b.name} has shape {arrays[b.name].shape}, expected {want} "
                             f"for {units} units and {width} inputs")
    scaled = {k: v * gain for k, v in arrays.items()}

    parts = len(cell.state_parts)
    history = [np.empty((time + 1, batch, units)) for _ in range(parts)]
    for h, s in zip(history, _initial(initial_state, parts, batch, units)):
        h[0] = s
    steps = np.ascontiguousarray(x.transpose(1, 0, 2))

    def run(rows: slice) -> dict:
        ops = SequenceOps(activation, constants=scaled.values(), time=time, record=record_gates)
        for t in range(time):
            ops.step(cell.step, scaled, steps[t, rows], tuple(h[t, rows] for h in history),
                     tuple(h[t + 1, rows] for h in history))
        return ops.records

    cuts = np.linspace(0, batch, min(workers, max(batch, 1)) + 1).astype(int)
    slices = [slice(a, b) for a, b in zip(cuts[:-1], cuts[1:])]
    if len(slices) == 1:
        records = run(slices[0])
    else:
        with ThreadPoolExecutor(len(slices)) as pool:
            parts_records = list(pool.map(run, slices))
        records = {k: tuple(np.concatenate([r[k][i] for r in parts_records], axis=1) for i in (0, 1))
                   for k in parts_records[0]}

    def batch_first(a):
        return a.transpose(1, 0, 2)

    return Simulation(
        cell=cell.name, activation=activation, gain=gain,
        hidden=batch_first(history[0]),
        cell_state=batch_first(history[1]) if parts > 1 else None,
        gates={k: batch_first(v) for k, (_, v) in records.items()},
        pre_activations={k: batch_first(p) for k, (p, _) in records.items()},
    )


def params_from_pytorch(cell: str | Cell, weight_ih, weight_hh, bias_ih=None, bias_hh=None) -> dict[str, np.ndarray]:
    """The parameters of one PyTorch layer (arrays of ``weight_ih_l0`` etc.) under this package's names, by the
    cell's :class:`automata_rnn.model.cells.TorchConvention`: ``U = W_i*^T``, ``W = W_h*^T``, each bias the
    sum ``b_i* + b_h*`` except the separate gate's (``b_h = b_in`` and ``b_hn`` for the GRU)."""
    cell = get_cell(cell) if isinstance(cell, str) else cell
    if cell.torch is None:
        raise BadInput(f"cell {cell.name} has no PyTorch layer")
    gates, separate = cell.torch.gates, cell.torch.separate
    wi, wh = np.asarray(weight_ih, dtype=np.float64), np.asarray(weight_hh, dtype=np.float64)
    units = wh.shape[1]
    if wi.shape[0] != len(gates) * units or wh.shape != (len(gates) * units, units):
        raise BadInput(f"PyTorch weights of shapes {wi.shape}, {wh.shape} do not stack {len(gates)} gates")
    zero = np.zeros(len(gates) * units)
    bi = zero if bias_ih is None else np.asarray(bias_ih, dtype=np.float64)
    bh = zero if bias_hh is None else np.asarray(bias_hh, dtype=np.float64)
    out = {}
    for k, g in enumerate(gates):
        rows = slice(k * units, (k + 1) * units)
        out["U_" + g] = wi[rows].T.copy()
        out["W_" + g] = wh[rows].T.copy()
        if g == separate:
            out["b_" + g] = bi[rows].copy()
            out["b_hn"] = bh[rows].copy()
        else:
            out["b_" + g] = bi[rows] + bh[rows]
    return out


def params_from_pytorch_gru(weight_ih, weight_hh, bias_ih=None, bias_hh=None) -> dict[str, np.ndarray]:
    """The 'gru-after' parameters of one PyTorch ``nn.GRU`` layer (gates stacked r, z, n)."""
    return params_from_pytorch("gru-after", weight_ih, weight_hh, bias_ih, bias_hh)


def params_from_pytorch_lstm(weight_ih, weight_hh, bias_ih=None, bias_hh=None) -> dict[str, np.ndarray]:
    """The 'lstm' parameters of one PyTorch ``nn.LSTM`` layer (gates stacked i, f, g, o)."""
    return params_from_pytorch("lstm", weight_ih, weight_hh, bias_ih, bias_hh)
