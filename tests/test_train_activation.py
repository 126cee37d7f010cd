"""Training with hard-sigmoid gates: the derivative at the kinks is PyTorch's, gradients agree with central
differences away from the kinks and with PyTorch in float64 for one SGD step, a hard-sigmoid GRU learns the
latch, and the activation it was trained with travels with its weights file to simulate and verify."""

import json

import numpy as np
import pytest

from automata_rnn.arithmetic.autodiff import Tape
from automata_rnn.arithmetic.simulate import simulate
from automata_rnn.learn.train import evaluate, fit, init_params
from automata_rnn.model.cells import CELLS, get_cell
from automata_rnn.model.network import stack

HARD = ["hard_sigmoid", "hard_sigmoid_pytorch"]
SATURATION = {"hard_sigmoid": 2.5, "hard_sigmoid_pytorch": 3.0}
SLOPE = {"hard_sigmoid": 0.2, "hard_sigmoid_pytorch": 1 / 6}


def _tape_derivative(activation, values):
    tape = Tape(activation=activation)
    v = tape.variable([values])
    out = tape.sigmoid(v)
    tape.backward([(out, np.ones((1, len(values))))])
    return out.value[0], v.grad[0]


# -- the gate and its derivative -------------------------------------------------------------------------

def test_the_pytorch_hard_sigmoid_and_its_derivative_are_pytorchs_at_the_kinks_too():
    torch = pytest.importorskip("torch")
    values = [-7.0, -3.0, -2.999999, -1.0, 0.0, 2.0, 2.999999, 3.0, 3.000001, 9.0]
    v = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    expected = torch.nn.functional.hardsigmoid(v)
    expected.sum().backward()
    value, derivative = _tape_derivative("hard_sigmoid_pytorch", values)
    np.testing.assert_array_equal(value, expected.detach().numpy())
    # the same zeros; inside, PyTorch's float64 backward multiplies by 1/6 rounded to float32
    np.testing.assert_array_equal(derivative == 0, v.grad.numpy() == 0)
    np.testing.assert_allclose(derivative, v.grad.numpy(), rtol=1e-7, atol=0)
    assert derivative[1] == derivative[7] == 0 and derivative[2] == derivative[6] == 1 / 6


def test_the_keras_hard_sigmoid_has_the_same_rule_at_its_kinks():
    """clip(0.2 v + 0.5, 0, 1): derivative 1/5 strictly inside (-5/2, 5/2), 0 at -5/2, 5/2 and beyond (as
    PyTorch's hardsigmoid at its own kinks; torch.clamp would give 1/5 at the ends)."""
    values = [-4.0, -2.5, -2.4999999, 0.0, 1.25, 2.4999999, 2.5, 4.0]
    value, derivative = _tape_derivative("hard_sigmoid", values)
    np.testing.assert_allclose(value, np.clip(0.2 * np.array(values) + 0.5, 0, 1), rtol=0, atol=1e-15)
    np.testing.assert_array_equal(derivative, [0, 0, 0.2, 0.2, 0.2, 0.2, 0, 0])


def test_the_prediction_stays_the_logistic_function():
    tape = Tape(activation="hard_sigmoid")
    assert tape.logistic(np.array([[0.0, 10.0]])).value[0, 1] == pytest.approx(1 / (1 + np.exp(-10.0)))


def test_a_threshold_semantics_cannot_be_trained():
    with pytest.raises(ValueError, match="unknown activation 'indicator'"):
        Tape(activation="indicator")


# -- gradients against central differences ---------------------------------------------------------------

def _random_case(cell, activation, seed):
    rng = np.random.default_rng(seed)
    units, inputs, batch, length = 2, 2, 3, 6
    params = {b.name: 1.5 * rng.standard_normal(b.shape(units, inputs)) for b in cell.blocks}
    params["W_y"] = 1.5 * rng.standard_normal((cell.layers[-1] if cell.layers else units, 1))
    params["b_y"] = 1.5 * rng.standard_normal(1)
    xs = rng.standard_normal((batch, length, inputs))
    ys = rng.integers(0, 2, size=(batch, length)).astype(float)
    return params, xs, ys


def _sigmoid_pre_activations(cell, params, xs, activation):
    """Every pre-activation of a sigmoid gate on the run, from the simulator (not the tape)."""
    run = simulate(cell, {k: v for k, v in params.items() if k not in ("W_y", "b_y")}, xs, activation=activation,
                   record_gates=True)
    tanh = set(cell.tanh_gates)
    return np.concatenate([np.ravel(p) for name, p in run.pre_activations.items()
                           if name.split(".")[-1] not in tanh])


@pytest.mark.parametrize("activation", HARD)
@pytest.mark.parametrize("cell_name", [*CELLS, "gru x2"])
def test_hard_sigmoid_gradients_match_central_differences_away_from_the_kinks(cell_name, activation):
    cell = stack(get_cell("gru"), (2, 1), 2) if cell_name == "gru x2" else get_cell(cell_name)
    params, xs, ys = _random_case(cell, activation, sum(map(ord, cell_name + activation)))
    pre = _sigmoid_pre_activations(cell, params, xs, activation)
    saturation = SATURATION[activation]
    assert np.min(np.abs(np.abs(pre) - saturation)) > 1e-4       # the differences below never cross a kink
    assert np.any(np.abs(pre) < saturation) and np.any(np.abs(pre) > saturation)  # both slopes are exercised

    def loss(p):
        return evaluate(cell, p, xs, ys, outputs="every", activation=activation, gradients=False).loss

    ev = evaluate(cell, params, xs, ys, outputs="every", activation=activation)
    eps = 1e-6
    for k, v in params.items():
        for i in np.ndindex(v.shape):
            up = {n: a.copy() for n, a in params.items()}
            down = {n: a.copy() for n, a in params.items()}
            up[k][i] += eps
            down[k][i] -= eps
            fd = (loss(up) - loss(down)) / (2 * eps)
            assert ev.gradients[k][i] == pytest.approx(fd, rel=1e-5, abs=1e-8), (k, i)


# -- one SGD step against PyTorch ------------------------------------------------------------------------

def _torch_step(torch, cell, p, x, gate):
    """One step of ``cell`` written in torch operations, the sigmoid gates computed by ``gate``."""
    def pre(g, h):
        return x @ p["U_" + g] + h @ p["W_" + g] + p["b_" + g]

    def step(state):
        h = state[0]
        if cell == "rnn":
            return (gate(pre("h", h)),)
        if cell == "lstm":
            i, f, g, o = gate(pre("i", h)), gate(pre("f", h)), torch.tanh(pre("g", h)), gate(pre("o", h))
            c = f * state[1] + i * g
            return (o * torch.tanh(c), c)
        z, r = gate(pre("z", h)), gate(pre("r", h))
        if cell == "gru-after":
            cand = torch.tanh(x @ p["U_h"] + p["b_h"] + r * (h @ p["W_h"] + p["b_hn"]))
        else:
            cand = torch.tanh(x @ p["U_h"] + (r * h) @ p["W_h"] + p["b_h"])
        return ((1 - z) * h + z * cand,) if cell == "gru-chung" else (z * h + (1 - z) * cand,)
    return step


def _torch_loss_and_gradients(torch, cell, activation, params, xs, ys):
    gate = (torch.nn.functional.hardsigmoid if activation == "hard_sigmoid_pytorch"
            else (lambda v: torch.clamp(0.2 * v + 0.5, 0, 1)))
    p = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    x = torch.tensor(xs, dtype=torch.float64)
    units = p["W_y"].shape[0]
    state = tuple(torch.zeros(xs.shape[0], units, dtype=torch.float64) for _ in get_cell(cell).state_parts)
    loss = torch.zeros((), dtype=torch.float64)
    for t in range(xs.shape[1]):
        state = _torch_step(torch, cell, p, x[:, t], gate)(state)
        prediction = torch.sigmoid(state[0] @ p["W_y"] + p["b_y"])[:, 0]
        loss = loss + 0.5 * ((prediction - torch.tensor(ys[:, t], dtype=torch.float64)) ** 2).sum()
    loss.backward()
    return float(loss.detach()), {k: v.grad.numpy() for k, v in p.items()}


@pytest.mark.parametrize("activation", HARD)
@pytest.mark.parametrize("cell", list(CELLS))
def test_one_sgd_step_agrees_with_pytorch(cell, activation):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    params = init_params(cell, 3, 2, rng, "linear")
    params = {k: v + 0.5 * rng.standard_normal(v.shape) for k, v in params.items()}
    xs = rng.standard_normal((4, 6, 2))
    ys = rng.integers(0, 2, size=(4, 6)).astype(float)
    ref_loss, ref = _torch_loss_and_gradients(torch, cell, activation, params, xs, ys)
    lr = 0.2
    trained, losses, _ = fit(cell, params, xs, ys, outputs="every", epochs=1, lr=lr, batch=4,
                             rng=np.random.default_rng(0), activation=activation)
    assert losses[0] == pytest.approx(ref_loss, rel=1e-12)
    # PyTorch's hardsigmoid backward takes its 1/6 in float32 (see the test above): 3e-8 apart per gate
    rtol = 1e-10 if activation == "hard_sigmoid" else 1e-6
    for k in params:
        np.testing.assert_allclose(trained[k], params[k] - lr * ref[k], rtol=rtol, atol=1e-13, err_msg=k)
    # the comparison tells the gates apart: with logistic gates the first sigmoid gate's bias moves otherwise
    first_bias = next(b.name for b in get_cell(cell).blocks if b.kind == "bias")
    logistic = evaluate(cell, params, xs, ys, outputs="every").gradients
    assert not np.allclose(logistic[first_bias], ref[first_bias], rtol=1e-3)


# -- a hard-sigmoid GRU trained on the latch, and its weights file ---------------------------------------

def _hard_gru_run(weights, word):
    """The one-unit hard-sigmoid (Keras 2) GRU of the textbook on ``word``, in NumPy float64: h(1..T)."""
    def hard(v):
        return min(1.0, max(0.0, 0.2 * v + 0.5))

    h, hs = 0.0, []
    for symbol in word:
        x = float(symbol)
        z = hard(x * weights["U_z"] + h * weights["W_z"] + weights["b_z"])
        r = hard(x * weights["U_r"] + h * weights["W_r"] + weights["b_r"])
        cand = np.tanh(x * weights["U_h"] + r * h * weights["W_h"] + weights["b_h"])
        h = z * h + (1 - z) * cand
        hs.append(h)
    return hs


def test_a_hard_sigmoid_gru_learns_the_latch_and_its_file_brings_the_activation(tmp_path, capsys):
    """train --activation hard_sigmoid: the loss falls, the log and the summary record the activation, and
    simulate and verify read the weights file with hard-sigmoid gates (an explicit contrary --activation is
    used, with a note)."""
    from automata_rnn.cli.main import main

    assert main(["train", "latch", "--cell", "gru", "--activation", "hard_sigmoid", "--epochs", "20",
                 "--sequences", "1000", "--length", "10", "--lr", "0.05", "--seed", "0", "--quiet", "--no-plot",
                 "--out", str(tmp_path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    path = tmp_path / "train-latch-gru-1u-noclip-hard_sigmoid.json"
    record = json.loads(path.read_text())
    assert summary["activation"] == record["activation"] == "hard_sigmoid"
    per_epoch = len(record["loss"]) // 20
    assert np.mean(record["loss"][-per_epoch:]) < np.mean(record["loss"][:per_epoch]) / 2
    assert record["accuracy"] == 1.0

    word = "0010110"
    assert main(["simulate", "latch", "--weights", str(path), "--input", word, "--json"]) == 0
    run = json.loads(capsys.readouterr().out)
    assert run["activation"] == "hard_sigmoid"
    np.testing.assert_allclose(np.ravel(run["hidden"])[1:], _hard_gru_run(record["weights"], word), rtol=1e-12)

    main(["simulate", "latch", "--weights", str(path), "--input", word, "--activation", "sigmoid", "--json"])
    captured = capsys.readouterr()
    assert json.loads(captured.out)["activation"] == "sigmoid"
    assert captured.err.strip() == (f"automata-rnn: note: {path} records activation hard_sigmoid; "
                                    "using --activation sigmoid as given")

    assert main(["verify", "latch", "--weights", str(path), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["verdict"] == "sat" and found["real"]["proved"]


def test_the_seeds_summary_and_the_training_log_record_the_activation_as_their_schemas_allow(tmp_path, capsys):
    pytest.importorskip("jsonschema")
    from automata_rnn.cli.main import main
    from automata_rnn.interop.schemas import problems

    assert main(["train", "latch-task", "--cell", "rnn", "--activation", "hard_sigmoid_pytorch", "--seeds", "0",
                 "--epochs", "1", "--quiet", "--out", str(tmp_path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["activation"] == "hard_sigmoid_pytorch" and not problems("train", summary)
    assert summary["files"] == [str(tmp_path / "q3-noclip-rnn-hard_sigmoid_pytorch-seeds-0.json")]
    assert main(["train", "parity", "--cell", "lstm", "--units", "1,1", "--activation", "hard_sigmoid", "--epochs",
                 "1", "--sequences", "20", "--length", "4", "--quiet", "--no-plot", "--out", str(tmp_path)]) == 0
    log = json.loads((tmp_path / "train-parity-lstm-1x1u-noclip-hard_sigmoid.json").read_text())
    assert log["activation"] == "hard_sigmoid" and not problems("training-log", log)
    assert problems("training-log", {**log, "activation": "indicator"})


@pytest.mark.parametrize("value", ["relu", "indicator", "saturated"])
def test_an_activation_training_cannot_use_exits_2_with_one_line(tmp_path, capsys, value):
    from automata_rnn.cli.main import main

    assert main(["train", "latch", "--activation", value, "--epochs", "1", "--no-plot", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"unknown activation {value!r}" in err
