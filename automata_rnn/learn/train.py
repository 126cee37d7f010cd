"""Training recurrent cells by backpropagation through time, from the one definition of each cell.

The cell equations come from :mod:`automata_rnn.model.cells`; their gradients come
from reading those equations through the reverse-mode arithmetic
:class:`automata_rnn.arithmetic.autodiff.Tape`.  Everything is float64 NumPy;
PyTorch is not needed.

Model.  A cell of ``units`` units runs from h(0) = 0 (and c(0) = 0 for the
LSTM) over a sequence of input vectors.  The prediction at time t is
``sigmoid(h(t)[0])`` (read-out 'state': unit 0 of the hidden state, the
textbook's choice for one unit) or ``sigmoid(h(t) W_y + b_y)`` (read-out
'linear': a learned read-out unit, the default for more than one unit).  It
is made at the final time only (outputs 'final') or at every time 1..T
(outputs 'every').  The loss of a batch is the sum of squared errors over the
batch (and the times) divided by 2: TensorFlow's ``l2_loss``.

Activation.  The cell's sigmoid gates (and the Elman cell's unit, which its
definition computes as a sigmoid gate) follow one real family of
:mod:`automata_rnn.model.activation`: ``sigmoid`` (the default),
``hard_sigmoid`` (Theano, Keras 2) or ``hard_sigmoid_pytorch``; tanh stays
tanh.  The prediction's sigmoid is the logistic function under every
activation: it is the loss's link, not a gate of the network, and its sign
test sigmoid(v) > 1/2 is v > 0 under every family.

Initialisation (TensorFlow's defaults): every weight block U (inputs x units),
W (units x units) and W_y (units x 1) is Glorot-uniform, uniform on
[-sqrt(6 / (rows + cols)), +sqrt(6 / (rows + cols))]; biases are 0, except the
LSTM's forget-gate bias b_f, which starts at 1 (TensorFlow's LSTMCell adds a
forget bias of 1).

Updates: plain SGD or Adam, optionally after clipping by global norm
(TensorFlow's ``clip_by_global_norm``: every gradient times
clip / max(norm, clip)).  Recorded per minibatch: the loss before the update,
and the global norm of the gradients actually applied (after clipping).

Randomness comes from one integer seed through NumPy Generators, so that a run
is reproduced bit for bit by the same seed, cell, data and settings.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from automata_rnn.arithmetic.autodiff import Tape, Var, grad_of
from automata_rnn.model.activation import get_activation
from automata_rnn.model.cells import Cell, element_names, get_cell
from automata_rnn.model.network import stack
from automata_rnn.verdicts import BadInput

READOUTS = ("state", "linear")
OUTPUTS = ("final", "every")
OPTIMIZERS = ("sgd", "adam")
READOUT_BLOCKS = ("W_y", "b_y")

# The textbook experiment (CS224n 2017, assignment 3, question 3).
TEXTBOOK_LENGTH = 20
TEXTBOOK_SAMPLES = 9999  # the starter's n_samples: int(9999 / 2) pairs, so 9998 sequences
TEXTBOOK_CLIP = 5.0
TEXTBOOK_SEED = 0  # with clipping at 5 the GRU learns; without, one gradient explodes (docs/training.md)

__all__ = ["Evaluation", "TrainResult", "Adam", "SGD", "automaton_data", "clip_by_global_norm", "evaluate",
           "fit", "global_norm", "init_params", "named_weights", "predict", "seed_streams", "textbook_data",
           "textbook_run", "train_automaton"]


# -- checking settings ---------------------------------------------------------------------------

def _whole(name: str, value, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise BadInput(f"{name} must be a whole number, not {value!r}")
    if value < least:
        raise BadInput(f"{name} must be at least {least}, not {value}")
    return int(value)


def _positive(name: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise BadInput(f"{name} must be a number, not {value!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise BadInput(f"{name} must be a positive finite number, not {value!r}")
    return v


def _choice(name: str, value, known: Sequence[str]) -> str:
    if value not in known:
        raise BadInput(f"unknown {name} {value!r} (known: {', '.join(known)})")
    return value


def _check_settings(epochs, lr, batch, clip, optimizer) -> tuple[int, float, int, float | None, str]:
    epochs = _whole("epochs", epochs, 1)
    lr = _positive("the learning rate", lr)
    batch = _whole("the batch size", batch, 1)
    clip = None if clip is None else _positive("the clipping norm", clip)
    optimizer = _choice("optimizer", optimizer, OPTIMIZERS)
    return epochs, lr, batch, clip, optimizer


def _cell(cell: Cell | str) -> Cell:
    return cell if isinstance(cell, Cell) else get_cell(cell)


def _activation(name: str) -> str:
    """``name`` if it is a real activation family (the ones training can differentiate); BadInput otherwise."""
    return get_activation(name, real_only=True).name


# -- parameters ----------------------------------------------------------------------------------

def init_params(cell: Cell | str, units: int, inputs: int, rng: np.random.Generator,
                readout: str = "state") -> dict[str, np.ndarray]:
    """Initial parameter blocks (see the module docstring): Glorot-uniform weights, zero biases,
    b_f = 1 for the LSTM; with read-out 'linear' also ``W_y`` (units x 1) and ``b_y`` (1,).
    Blocks are drawn in the cell's block order, then W_y."""
    cell = _cell(cell)
    units = _whole("units", units, 1)
    inputs = _whole("inputs", inputs, 1)
    _choice("read-out", readout, READOUTS)
    params: dict[str, np.ndarray] = {}
    for block in cell.blocks:
        shape = block.shape(units, inputs)
        if block.kind == "bias":
            params[block.name] = np.full(shape, float(dict(cell.initial_biases).get(block.name, 0)))
        else:
            params[block.name] = _glorot(rng, shape)
    if readout == "linear":
        params["W_y"] = _glorot(rng, (cell.layers[-1] if cell.layers else units, 1))
        params["b_y"] = np.zeros(1)
    return params


def _glorot(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    limit = math.sqrt(6.0 / (shape[0] + shape[1]))
    return rng.uniform(-limit, limit, size=shape)


def named_weights(params: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Scalar weights by name, in block order: ``U_h`` for a 1 x 1 block, ``U_h[i,j]`` / ``b_h[j]`` otherwise
    (the names of :func:`automata_rnn.model.cells.element_names`)."""
    out: dict[str, float] = {}
    for name, value in params.items():
        value = np.asarray(value, dtype=np.float64)
        out.update(zip(element_names(name, value.shape), (float(v) for v in value.ravel())))
    return out


# -- forward and backward ------------------------------------------------------------------------

@dataclass
class Evaluation:
    """One forward (and backward) pass over a batch.

    ``loss`` is the sum of squared errors / 2; ``predictions`` is (batch,) for
    outputs 'final', (batch, time) for 'every'; ``gradients`` maps each
    parameter block to d loss / d block (None for a forward pass only);
    ``state_gradients`` (when asked for) maps each part of the state ('h', and
    'c' for the LSTM) to an array (time + 1, batch, units) of d loss / d h(t)
    for t = 0..time.  These are total derivatives: for the LSTM, d loss / d c(t)
    includes the path through h(t) = o(t) tanh(c(t)).
    """

    loss: float
    predictions: np.ndarray
    gradients: dict[str, np.ndarray] | None = None
    state_gradients: dict[str, np.ndarray] | None = None


def _readout(tape: Tape, p: Mapping, h, cell: Cell, units: int, readout: str):
    """The prediction (logistic, whatever the gates' activation) from the hidden state h: of its top layer,
    for a stack."""
    if cell.layers and len(cell.layers) > 1:
        units = cell.layers[-1]
        h = tape.split(h, (sum(cell.layers) - units, units))[1]
    if readout == "linear":
        return tape.logistic(tape.add(tape.linear(h, p["W_y"]), p["b_y"]))
    if units == 1:
        return tape.logistic(h)
    first = np.zeros((units, 1))
    first[0, 0] = 1.0
    return tape.logistic(tape.linear(h, first))


def _units(cell: Cell, params: Mapping[str, np.ndarray]) -> int:
    if cell.layers:
        return sum(cell.layers)
    state_block = next(b.name for b in cell.blocks if b.kind == "state")
    return int(np.shape(params[state_block])[0])


def _readout_of(params: Mapping[str, np.ndarray]) -> str:
    return "linear" if "W_y" in params else "state"


def evaluate(cell: Cell | str, params: Mapping[str, np.ndarray], xs: np.ndarray, ys: np.ndarray | None = None, *,
             outputs: str = "final", gradients: bool = True, state_gradients: bool = False,
             time_major: bool = False, initial_state: Sequence[np.ndarray] | None = None,
             from_time0: bool = False, activation: str = "sigmoid") -> Evaluation:
    """Run the cell over ``xs`` (batch, time, inputs) and score it against the labels ``ys``.

    ``ys`` is (batch,) for outputs 'final' and (batch, time) for 'every'
    (labels of times 1..time); without labels the loss is NaN and no gradient
    is computed.  The read-out is 'linear' when ``params`` has ``W_y``, 'state'
    otherwise.  ``time_major=True`` takes ``xs`` as (time, batch, inputs).
    ``initial_state`` gives h(0) (and c(0)) as (batch, units) arrays; zeros by default.
    ``from_time0`` (outputs 'every'): predictions and labels start at time 0, the output on the empty word.
    ``activation`` is the sigmoid gates' family (see the module docstring).
    """
    cell = _cell(cell)
    _choice("outputs", outputs, OUTPUTS)
    xs = np.asarray(xs, dtype=np.float64)
    if xs.ndim != 3:
        raise BadInput(f"inputs must be (batch, time, inputs), not of shape {xs.shape}")
    steps = xs if time_major else xs.transpose(1, 0, 2)
    n_time, n_batch = steps.shape[0], steps.shape[1]
    if n_time == 0 or n_batch == 0:
        raise BadInput("need at least one sequence of at least one step")
    units = _units(cell, params)
    readout = _readout_of(params)
    backward = ys is not None and (gradients or state_gradients)

    tape = Tape(record=backward, activation=activation)
    leaves = tape.variables(params) if backward else {}
    p: Mapping = leaves if backward else {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    if initial_state is None:
        initial_state = [np.zeros((n_batch, units)) for _ in cell.state_parts]
    if len(initial_state) != len(cell.state_parts):
        raise BadInput(f"the {cell.name} state has {len(cell.state_parts)} parts, not {len(initial_state)}")
    state = tuple(tape.variable(np.broadcast_to(s, (n_batch, units))) if state_gradients
                  else np.broadcast_to(np.asarray(s, dtype=np.float64), (n_batch, units))
                  for s in initial_state)
    states = [state]
    preds = [_readout(tape, p, state[0], cell, units, readout)] if (from_time0 and outputs == "every") else []
    for t in range(n_time):
        state, _ = cell.step(tape, p, steps[t], state)
        states.append(state)
        if outputs == "every":
            preds.append(_readout(tape, p, state[0], cell, units, readout))
    if outputs == "final":
        preds.append(_readout(tape, p, state[0], cell, units, readout))

    pred_values = np.concatenate([y.value for y in preds], axis=1)  # (batch, 1) or (batch, time)
    predictions = pred_values[:, 0] if outputs == "final" else pred_values
    if ys is None:
        return Evaluation(float("nan"), predictions)
    labels = np.asarray(ys, dtype=np.float64)
    if labels.size != pred_values.size:
        expected = "(batch,)" if outputs == "final" else "(batch, time)"
        raise BadInput(f"labels of shape {labels.shape} do not fit outputs {outputs!r}: expected {expected}")
    labels = labels.reshape(pred_values.shape)
    errors = pred_values - labels
    loss = 0.5 * float(np.sum(errors * errors))
    if not backward:
        return Evaluation(loss, predictions)

    tape.backward([(y, errors[:, j:j + 1]) for j, y in enumerate(preds)])
    result = Evaluation(loss, predictions)
    if gradients:
        result.gradients = {k: grad_of(v) for k, v in leaves.items()}
    if state_gradients:
        result.state_gradients = {
            part: np.stack([_grad_or_zeros(s[i], (n_batch, units)) for s in states])
            for i, part in enumerate(cell.state_parts)}
    return result


def _grad_or_zeros(x, shape: tuple[int, ...]) -> np.ndarray:
    return grad_of(x) if isinstance(x, Var) else np.zeros(shape)


def predict(cell: Cell | str, params: Mapping[str, np.ndarray], xs: np.ndarray, outputs: str = "final",
            from_time0: bool = False, activation: str = "sigmoid") -> np.ndarray:
    """Predictions in (0, 1): (batch,) for outputs 'final', (batch, time) for 'every' ((batch, time + 1)
    from time 0 with ``from_time0``), with the gates of ``activation``."""
    return evaluate(cell, params, xs, None, outputs=outputs, gradients=False, from_time0=from_time0,
                    activation=activation).predictions


# -- updates -------------------------------------------------------------------------------------

def global_norm(grads: Mapping[str, np.ndarray]) -> float:
    """sqrt of the sum of squares of every entry of every gradient (TensorFlow's ``global_norm``)."""
    return math.sqrt(sum(float(np.sum(g * g)) for g in grads.values()))


def clip_by_global_norm(grads: Mapping[str, np.ndarray], clip: float) -> tuple[dict[str, np.ndarray], float]:
    """TensorFlow's ``clip_by_global_norm``: every gradient times clip / max(norm, clip); returns the
    clipped gradients and the norm before clipping."""
    norm = global_norm(grads)
    if norm <= clip:
        return dict(grads), norm
    scale = clip / norm  # NaN or 0 when the norm is NaN or infinite, as in TensorFlow
    return {k: g * scale for k, g in grads.items()}, norm


class SGD:
    """Plain gradient descent: p <- p - lr g."""

    def __init__(self, lr: float):
        self.lr = lr

    def step(self, params: dict[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        for k, g in grads.items():
            params[k] = params[k] - self.lr * g


class Adam:
    """Adam (Kingma and Ba), in PyTorch's form: p <- p - lr m^ / (sqrt(v^) + eps)."""

    def __init__(self, lr: float, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    def step(self, params: dict[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        self.t += 1
        c1 = 1.0 - self.beta1 ** self.t
        c2 = 1.0 - self.beta2 ** self.t
        for k, g in grads.items():
            m = self.m[k] = self.beta1 * self.m.get(k, 0.0) + (1.0 - self.beta1) * g
            v = self.v[k] = self.beta2 * self.v.get(k, 0.0) + (1.0 - self.beta2) * (g * g)
            params[k] = params[k] - self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)


def _optimizer(name: str, lr: float):
    return SGD(lr) if name == "sgd" else Adam(lr)


class _Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, total: int, label: str, enabled: bool):
        self.total = total
        self.label = label
        self.enabled = enabled and total > 0 and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        self.last = 0.0

    def update(self, done: int, loss: float) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < 0.1 and done < self.total):
            return
        self.last = now
        width = 30
        filled = int(width * done / self.total)
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} "
                         f"loss {loss:.4g}   ")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def fit(cell: Cell | str, params: Mapping[str, np.ndarray], xs: np.ndarray, ys: np.ndarray, *,
        outputs: str = "final", from_time0: bool = False, epochs: int, lr: float, batch: int, optimizer: str = "sgd",
        clip: float | None = None, rng: np.random.Generator, quiet: bool = True,
        label: str = "training", activation: str = "sigmoid") -> tuple[dict[str, np.ndarray], list[float], list[float]]:
    """Train from ``params`` on ``xs`` (n, time, inputs) and ``ys``, the sigmoid gates of ``activation``;
    returns the trained parameters and, per minibatch, the loss (before the update) and the global norm of
    the applied gradients.

    Each epoch visits the data in a fresh order drawn from ``rng``, in batches
    of ``batch`` (the last one smaller when ``batch`` does not divide n).
    """
    cell = _cell(cell)
    epochs, lr, batch, clip, optimizer = _check_settings(epochs, lr, batch, clip, optimizer)
    activation = _activation(activation)
    xs = np.asarray(xs, dtype=np.float64)
    ys = np.asarray(ys, dtype=np.float64)
    n = xs.shape[0]
    if n == 0 or ys.shape[0] != n:
        raise BadInput(f"need as many labels as sequences (got {n} sequences, {ys.shape[0]} labels)")
    time_major = np.ascontiguousarray(xs.transpose(1, 0, 2))
    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    step = _optimizer(optimizer, lr)
    losses: list[float] = []
    norms: list[float] = []
    per_epoch = -(-n // batch)
    progress = _Progress(epochs * per_epoch, label, not quiet)
    try:
        for _ in range(epochs):
            order = rng.permutation(n)
            for start in range(0, n, batch):
                idx = order[start:start + batch]
                ev = evaluate(cell, params, time_major[:, idx], ys[idx], outputs=outputs, time_major=True,
                              from_time0=from_time0, activation=activation)
                grads = ev.gradients
                assert grads is not None
                if clip is not None:
                    grads, _ = clip_by_global_norm(grads, clip)
                step.step(params, grads)
                losses.append(ev.loss)
                norms.append(global_norm(grads))
                progress.update(len(losses), ev.loss)
    finally:
        progress.close()
    return params, losses, norms


# -- results -------------------------------------------------------------------------------------

@dataclass
class TrainResult:
    """A training run: per-minibatch ``loss`` and ``grad_norm`` (in order), the initial and trained
    parameter blocks, the settings, (for automata) the accuracy on fresh test words, and the activation of
    the sigmoid gates."""

    cell: str
    units: int
    inputs: int
    readout: str
    outputs: str
    settings: dict
    loss: list[float]
    grad_norm: list[float]
    weights: dict[str, np.ndarray]
    initial_weights: dict[str, np.ndarray]
    accuracy: float | None = None
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)
    layers: tuple[int, ...] = ()
    activation: str = "sigmoid"

    @property
    def clipped(self) -> bool:
        return self.settings.get("clip") is not None

    def named_weights(self) -> dict[str, float]:
        """Trained weights by scalar name (see :func:`named_weights`)."""
        return named_weights(self.weights)

    def to_json(self) -> dict:
        """A JSON-ready summary with every per-minibatch number (non-finite numbers become null)."""
        return {
            "cell": self.cell, "units": self.units, **({"layers": list(self.layers)} if len(self.layers) > 1 else {}),
            "inputs": self.inputs, "readout": self.readout,
            "output": "readout" if self.readout == "linear" else "state", "output_rule": "prediction",
            "activation": self.activation,
            "outputs": self.outputs, "settings": self.settings,
            "minibatches": len(self.loss),
            "loss": [_finite(v) for v in self.loss],
            "grad_norm": [_finite(v) for v in self.grad_norm],
            "weights": {k: _finite(v) for k, v in self.named_weights().items()},
            "initial_weights": {k: _finite(v) for k, v in named_weights(self.initial_weights).items()},
            "accuracy": self.accuracy, "seconds": round(self.seconds, 3), **self.extra,
        }


def _finite(v: float) -> float | None:
    v = float(v)
    return v if math.isfinite(v) else None


def seed_streams(seed: int, n: int) -> list[np.random.Generator]:
    """``n`` independent generators from one seed (NumPy SeedSequence.spawn), so that changing one use (e.g.
    the number of epochs) leaves the others alone.  :func:`textbook_run` uses two: the initial weights, then
    the minibatch order; :func:`train_automaton` four: weights, training words, order, test words."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise BadInput(f"the seed must be a whole number >= 0, not {seed!r}")
    return [np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(n)]


# -- the textbook experiment ---------------------------------------------------------------------

def textbook_data(length: int = TEXTBOOK_LENGTH, samples: int = TEXTBOOK_SAMPLES) -> tuple[np.ndarray, np.ndarray]:
    """The textbook's data set: int(samples / 2) pairs of sequences of ``length`` inputs, all zeros (label 0)
    then a 1 followed by zeros (label 1), in that alternating order; label = first element.
    Returns inputs (n, length, 1) and labels (n,).  The default gives 9998 sequences of length 20."""
    length = _whole("the sequence length", length, 1)
    pairs = _whole("samples", samples, 2) // 2
    xs = np.zeros((2 * pairs, length, 1))
    xs[1::2, 0, 0] = 1.0
    return xs, xs[:, 0, 0].copy()


def textbook_run(cell: str, clip: float | None, epochs: int = 40, lr: float = 0.2, batch: int = 100,
                 seed: int = TEXTBOOK_SEED, *, quiet: bool = True, label: str | None = None,
                 activation: str = "sigmoid") -> TrainResult:
    """The training experiment of CS224n 2017 assignment 3 question 3: one unit, h(0) = 0, prediction
    sigmoid(h(20)), loss l2_loss, plain SGD, clipping by global norm at ``clip`` (None: off), on
    :func:`textbook_data` reshuffled every epoch.  ``seed`` fixes the initial weights and the order;
    ``label`` names the run on the progress bar (shown unless ``quiet``); ``activation`` is the sigmoid
    gates' family (the textbook's: sigmoid)."""
    cell_def = _cell(cell)
    epochs, lr, batch, clip, _ = _check_settings(epochs, lr, batch, clip, "sgd")
    activation = _activation(activation)
    init_rng, order_rng = seed_streams(seed, 2)
    xs, ys = textbook_data()
    params = init_params(cell_def, 1, 1, init_rng, "state")
    start = time.perf_counter()
    trained, losses, norms = fit(cell_def, params, xs, ys, outputs="final", epochs=epochs, lr=lr, batch=batch,
                                 optimizer="sgd", clip=clip, rng=order_rng, quiet=quiet,
                                 label=label or f"{cell_def.name} {'clip' if clip else 'noclip'}",
                                 activation=activation)
    settings = {"task": "latch-task", "sequences": int(xs.shape[0]), "length": int(xs.shape[1]), "epochs": epochs,
                "lr": lr, "batch": batch, "optimizer": "sgd", "clip": clip, "seed": int(seed)}
    return TrainResult(cell_def.name, 1, 1, "state", "final", settings, losses, norms, trained, params,
                       seconds=time.perf_counter() - start, activation=activation)


# -- automata ------------------------------------------------------------------------------------

def _encoder(automaton) -> np.ndarray:
    from automata_rnn.model.problem import encode_symbol

    return np.array([[float(v) for v in encode_symbol(automaton, a)] for a in automaton.alphabet])


def automaton_data(automaton, sequences: int, length: int, rng: np.random.Generator,
                   outputs: str = "every", from_time0: bool = False
                   ) -> tuple[np.ndarray, np.ndarray, list[tuple[str, ...]]]:
    """Uniformly random words over the automaton's alphabet, encoded as inputs (n, length, width)
    (:func:`automata_rnn.model.problem.encode_symbol`), with labels from ``automaton.outputs``: (n, length)
    for times 1..length ('every'; (n, length + 1) for times 0..length with ``from_time0``) or (n,) for
    the final time ('final'); also the words."""
    sequences = _whole("the number of sequences", sequences, 1)
    length = _whole("the sequence length", length, 1)
    _choice("outputs", outputs, OUTPUTS)
    alphabet = tuple(automaton.alphabet)
    symbols = rng.integers(0, len(alphabet), size=(sequences, length))
    words = [tuple(alphabet[i] for i in row) for row in symbols]
    start = 0 if (from_time0 and outputs == "every") else 1
    labels = np.array([automaton.outputs(w)[start:] for w in words], dtype=np.float64)
    xs = _encoder(automaton)[symbols]
    return xs, (labels if outputs == "every" else labels[:, -1].copy()), words


def train_automaton(automaton, cell: str, units: int | Sequence[int], *, length: int = 20, sequences: int = 2000,
                    outputs: str = "every", readout: str | None = None, epochs: int = 20, lr: float | None = None,
                    batch: int = 50, optimizer: str = "adam", clip: float | None = None, seed: int = 0,
                    test_sequences: int = 1000, test_length: int | None = None, quiet: bool = True,
                    activation: str = "sigmoid") -> TrainResult:
    """Train a cell of ``units`` units (or a stack: units per layer, bottom first) to reproduce an automaton's
    outputs on random words.

    ``automaton`` is an :class:`automata_rnn.model.automata.Automaton` or a name for
    :func:`automata_rnn.interop.automata_files.load_automaton`.  The read-out defaults to
    'state' for one unit and 'linear' otherwise; ``lr`` defaults to 0.2 for
    SGD and 0.01 for Adam.  ``accuracy`` is the fraction of outputs (every
    time, or the final one) that ``prediction > 1/2`` gets right on
    ``test_sequences`` fresh words of ``test_length`` (default ``length``).
    ``activation`` is the sigmoid gates' family (see the module docstring).
    """
    from automata_rnn.interop.automata_files import load_automaton

    if isinstance(automaton, str):
        automaton = load_automaton(automaton)
    layers = tuple(_whole("units", n, 1) for n in units) if isinstance(units, Sequence) else (units,)
    if not layers:
        raise BadInput("a stack needs at least one layer")
    units = _whole("units", sum(layers), 1)
    readout = _choice("read-out", readout or ("state" if layers == (1,) else "linear"), READOUTS)
    lr = (0.2 if optimizer == "sgd" else 0.01) if lr is None else lr
    epochs, lr, batch, clip, optimizer = _check_settings(epochs, lr, batch, clip, optimizer)
    activation = _activation(activation)
    test_length = length if test_length is None else test_length
    init_rng, data_rng, order_rng, test_rng = seed_streams(seed, 4)
    # the automaton's output on the empty word is part of its behaviour: trained like every other output
    xs, ys, _ = automaton_data(automaton, sequences, length, data_rng, outputs, from_time0=True)
    cell_def = stack(_cell(cell), layers, int(xs.shape[2]))
    params = init_params(cell_def, units, xs.shape[2], init_rng, readout)
    start = time.perf_counter()
    trained, losses, norms = fit(cell_def, params, xs, ys, outputs=outputs, from_time0=True, epochs=epochs, lr=lr,
                                 batch=batch,
                                 optimizer=optimizer, clip=clip, rng=order_rng, quiet=quiet,
                                 label=f"{cell_def.name} on {automaton.name}", activation=activation)
    seconds = time.perf_counter() - start
    accuracy = None
    if test_sequences:
        tx, ty, _ = automaton_data(automaton, test_sequences, test_length, test_rng, outputs, from_time0=True)
        predictions = predict(cell_def, trained, tx, outputs, from_time0=True, activation=activation)
        accuracy = float(np.mean((predictions > 0.5) == (ty > 0.5)))
    settings = {"task": automaton.name, "sequences": sequences, "length": length, "epochs": epochs, "lr": lr,
                "batch": batch, "optimizer": optimizer, "clip": clip, "seed": int(seed),
                "test_sequences": test_sequences, "test_length": test_length}
    return TrainResult(cell_def.name, units, int(xs.shape[2]), readout, outputs, settings, losses, norms, trained,
                       params, accuracy=accuracy, seconds=seconds, layers=layers, activation=activation)
