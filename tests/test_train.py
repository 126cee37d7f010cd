"""Training: reverse-mode gradients against finite differences and PyTorch, the textbook data, reproducibility,
learning, the commands and the figures."""

import argparse
import json
import os
import warnings

import numpy as np
import pytest

from automata_rnn.arithmetic.autodiff import Tape, sigmoid
from automata_rnn.learn.train import (
    SGD,
    Adam,
    clip_by_global_norm,
    evaluate,
    fit,
    global_norm,
    init_params,
    named_weights,
    textbook_data,
    textbook_run,
    train_automaton,
)
from automata_rnn.model.cells import CELLS, get_cell

ALL_CELLS = list(CELLS)


def _random_params(cell, units, inputs, rng, readout="linear", scale=0.9):
    params = {b.name: scale * rng.standard_normal(b.shape(units, inputs)) for b in get_cell(cell).blocks}
    if readout == "linear":
        params["W_y"] = scale * rng.standard_normal((units, 1))
        params["b_y"] = scale * rng.standard_normal(1)
    return params


def _finite_differences(f, params, eps=1e-6):
    grads = {}
    for k, v in params.items():
        g = np.zeros_like(v)
        for i in np.ndindex(v.shape):
            up = {n: a.copy() for n, a in params.items()}
            down = {n: a.copy() for n, a in params.items()}
            up[k][i] += eps
            down[k][i] -= eps
            g[i] = (f(up) - f(down)) / (2 * eps)
        grads[k] = g
    return grads


def _flat(grads, keys):
    return np.concatenate([np.ravel(grads[k]) for k in keys])


def _rel_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300)


# -- the arithmetic ----------------------------------------------------------------------------------

def test_textbook_test_vectors_through_the_tape():
    """BACKGROUND section 2: the published outputs of the GRU and the sigmoid RNN on fixed inputs."""
    x = np.array([[.4, .5, .6], [.3, -.2, -.1]])
    h = np.array([[.2, .5], [-.3, -.3]])
    U, W, b = np.eye(3)[:, :2], np.eye(2), np.ones(2)
    ops = Tape()
    gru = {f"{k}_{g}": v for g in "zrh" for k, v in (("U", U), ("W", W), ("b", b))}
    (h_gru,), _ = get_cell("gru").step(ops, gru, x, (h,))
    (h_rnn,), _ = get_cell("rnn").step(ops, {"U_h": U, "W_h": W, "b_h": b}, x, (h,))
    assert np.allclose(h_gru.value, [[0.320, 0.555], [-0.006, 0.020]], atol=1e-2)
    assert np.allclose(h_rnn.value, [[0.832, 0.881], [0.731, 0.622]], atol=1e-2)


def test_sigmoid_is_the_logistic_function_without_overflow_warnings():
    v = np.array([-1e4, -800.0, -30.0, -1.0, 0.0, 2.5, 40.0, 1e4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(v)
    assert np.all((s >= 0) & (s <= 1))
    mid = np.abs(v) < 700
    assert np.allclose(s[mid], 1 / (1 + np.exp(-v[mid])), rtol=1e-15, atol=0)
    assert s[0] < 1e-300 and s[-1] == 1.0


def test_broadcast_bias_gradient_is_summed_over_the_batch():
    ops = Tape()
    a = ops.variable(np.arange(6.0).reshape(3, 2))
    b = ops.variable([1.0, -1.0])
    out = ops.mul(ops.add(a, b), ops.add(a, b))
    ops.backward([(out, np.ones((3, 2)))])
    assert np.allclose(b.grad, 2 * (a.value + b.value).sum(axis=0))
    assert b.grad.shape == (2,)


# -- gradients against finite differences ---------------------------------------------------------------

@pytest.mark.parametrize("cell", ALL_CELLS)
@pytest.mark.parametrize("outputs,readout,units", [("every", "linear", 2), ("final", "state", 1),
                                                   ("final", "state", 3)])
def test_gradients_match_central_differences(cell, outputs, readout, units):
    rng = np.random.default_rng(hash((cell, outputs, units)) % 2**32)
    inputs, batch, length = 2, 3, 6
    params = _random_params(cell, units, inputs, rng, readout)
    xs = rng.standard_normal((batch, length, inputs))
    ys = rng.integers(0, 2, size=(batch, length) if outputs == "every" else (batch,)).astype(float)
    ev = evaluate(cell, params, xs, ys, outputs=outputs)
    fd = _finite_differences(lambda p: evaluate(cell, p, xs, ys, outputs=outputs, gradients=False).loss, params)
    keys = list(params)
    assert _rel_error(_flat(ev.gradients, keys), _flat(fd, keys)) < 1e-6
    for k in keys:
        assert ev.gradients[k].shape == params[k].shape
        assert np.allclose(ev.gradients[k], fd[k], rtol=1e-5, atol=1e-8), k


@pytest.mark.parametrize("cell", ALL_CELLS)
def test_hidden_state_gradients_match_central_differences(cell):
    """d loss / d h(k) for every k: the loss from step k on, as a function of the state h(k).  For the LSTM,
    d loss / d c(k) is the total derivative: moving c(k) also moves h(k) = o(k) tanh(c(k)) (for k >= 1)."""
    rng = np.random.default_rng(7)
    units, inputs, batch, length = 2, 1, 2, 5
    params = _random_params(cell, units, inputs, rng, "linear")
    xs = rng.standard_normal((batch, length, inputs))
    ys = np.array([1.0, 0.0])
    parts = len(get_cell(cell).state_parts)
    full = evaluate(cell, params, xs, ys, gradients=False, state_gradients=True)
    assert full.state_gradients["h"].shape == (length + 1, batch, units)

    state = [np.zeros((batch, units))] * parts
    gates = None
    ops = Tape(record=False)
    for k in range(length + 1):
        for i, part in enumerate(get_cell(cell).state_parts):
            fd = np.zeros((batch, units))
            for j in np.ndindex(batch, units):
                shifted = []
                for sign in (1, -1):
                    s = [a.copy() for a in state]
                    s[i][j] += sign * 1e-6
                    if part == "c" and gates is not None:
                        s[0] = gates["o"].value * np.tanh(s[1])
                    shifted.append(evaluate(cell, params, xs[:, k:], ys, gradients=False, initial_state=s).loss
                                   if k < length else _final_loss(params, s[0], ys))
                fd[j] = (shifted[0] - shifted[1]) / 2e-6
            assert np.allclose(full.state_gradients[part][k], fd, rtol=1e-5, atol=1e-9), (part, k)
        if k < length:
            new, gates = get_cell(cell).step(ops, params, xs[:, k], tuple(state))
            state = [np.array(getattr(s, "value", s)) for s in new]


def _final_loss(params, h, ys):
    pred = sigmoid(h @ params["W_y"] + params["b_y"])[:, 0]
    return 0.5 * float(np.sum((pred - ys) ** 2))


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_clipped_update_is_the_scaled_true_gradient(cell):
    """One minibatch through fit with clipping on: the step is -lr * clip * g / |g| for the finite-difference
    gradient g, and the recorded norm is the clipping norm."""
    rng = np.random.default_rng(3)
    params = _random_params(cell, 2, 1, rng, "linear", scale=1.5)
    xs = rng.standard_normal((4, 6, 1))
    ys = np.array([0.0, 1.0, 1.0, 0.0])
    fd = _finite_differences(lambda p: evaluate(cell, p, xs, ys, gradients=False).loss, params)
    norm = global_norm(fd)
    clip = norm / 3
    lr = 0.1
    trained, losses, norms = fit(cell, params, xs, ys, epochs=1, lr=lr, batch=4, clip=clip,
                                 rng=np.random.default_rng(0))
    assert len(norms) == 1 and norms[0] == pytest.approx(clip, rel=1e-12)
    for k in params:
        assert np.allclose(trained[k], params[k] - lr * fd[k] * clip / norm, rtol=1e-7, atol=1e-10), k
    # below the threshold nothing changes
    same, before = clip_by_global_norm(fd, 2 * norm)
    assert before == pytest.approx(norm) and all(np.array_equal(same[k], fd[k]) for k in fd)


def test_adam_first_step_moves_each_weight_by_lr():
    params = {"a": np.array([1.0, -2.0]), "b": np.array([[0.5]])}
    grads = {"a": np.array([3.0, -1e-3]), "b": np.array([[-7.0]])}
    Adam(0.01).step(params, grads)
    assert np.allclose(params["a"], [0.99, -1.99], atol=1e-6) and np.allclose(params["b"], [[0.51]], atol=1e-6)
    p = {"a": np.array([1.0])}
    SGD(0.5).step(p, {"a": np.array([2.0])})
    assert p["a"][0] == 0.0


# -- the textbook experiment ---------------------------------------------------------------------------

def test_textbook_data_is_as_specified():
    xs, ys = textbook_data()
    assert xs.shape == (9998, 20, 1) and ys.shape == (9998,)
    assert np.count_nonzero(ys == 1) == 4999 and np.count_nonzero(ys == 0) == 4999
    assert np.array_equal(ys, xs[:, 0, 0])  # the label is the first element
    assert xs[:, 1:].sum() == 0  # after the first element, zeros only
    assert set(np.unique(xs)) == {0.0, 1.0}
    assert np.array_equal(ys[:4], [0, 1, 0, 1])


def test_textbook_run_is_bit_for_bit_reproducible():
    a = textbook_run("gru", 5.0, epochs=2, seed=12)
    b = textbook_run("gru", 5.0, epochs=2, seed=12)
    c = textbook_run("gru", 5.0, epochs=2, seed=13)
    assert len(a.loss) == len(a.grad_norm) == 200  # ceil(9998 / 100) minibatches per epoch
    assert a.loss == b.loss and a.grad_norm == b.grad_norm
    assert all(np.array_equal(a.weights[k], b.weights[k]) for k in a.weights)
    assert a.loss != c.loss
    assert max(a.grad_norm) <= 5.0 * (1 + 1e-12)
    assert list(a.named_weights()) == ["U_z", "W_z", "b_z", "U_r", "W_r", "b_r", "U_h", "W_h", "b_h"]
    # the loss is l2_loss: sum of squared errors / 2 over a batch of 100, each prediction in (0, 1)
    assert 0 < a.loss[0] < 50


def test_initialisation_is_glorot_uniform_with_zero_biases():
    rng = np.random.default_rng(0)
    p = init_params("lstm", 3, 2, rng, "linear")
    assert np.all(np.abs(p["U_i"]) <= np.sqrt(6 / 5)) and np.all(np.abs(p["W_f"]) <= np.sqrt(6 / 6))
    assert np.array_equal(p["b_i"], np.zeros(3)) and np.array_equal(p["b_f"], np.ones(3))
    assert p["W_y"].shape == (3, 1) and np.array_equal(p["b_y"], np.zeros(1))
    names = list(named_weights(p))
    assert names[:2] == ["U_i[0,0]", "U_i[0,1]"] and "b_y" in names and "W_y[2,0]" in names


def test_gru_loss_falls_on_the_latch_within_a_few_epochs():
    r = train_automaton("latch", "gru", 1, epochs=4, sequences=1000, length=20, seed=0, test_sequences=200)
    per_epoch = np.array(r.loss).reshape(4, -1).mean(axis=1)
    assert per_epoch[-1] < 0.6 * per_epoch[0]
    assert np.all(np.diff(per_epoch) < 0)
    assert r.accuracy > 0.9


def test_automaton_labels_are_the_automaton_outputs():
    from automata_rnn.interop.automata_files import load_automaton
    from automata_rnn.learn.train import automaton_data

    a = load_automaton("tomita4")
    xs, ys, words = automaton_data(a, 30, 7, np.random.default_rng(1), "every")
    assert xs.shape == (30, 7, 1) and ys.shape == (30, 7)
    for x, y, w in zip(xs, ys, words):
        assert list(y) == a.outputs(w)[1:]
        assert list(x[:, 0]) == [float(s) for s in w]


# -- the cross-check with PyTorch -----------------------------------------------------------------------

def _torch_reference(torch, cell, params, xs, ys, outputs):
    """Loss and gradients (in our block names) from PyTorch, float64: nn.GRU for gru-after, nn.LSTM for lstm,
    the equations in torch operations for rnn (sigmoid), gru and gru-chung (reset before the product)."""
    T = lambda a: torch.tensor(np.asarray(a), dtype=torch.float64)  # noqa: E731
    x = T(xs)
    batch, length, inputs = xs.shape
    units = params["b_" + {"rnn": "h", "gru": "z", "gru-after": "z", "gru-chung": "z", "lstm": "i"}[cell]].shape[0]
    leaves = {}
    if cell in ("gru-after", "lstm"):
        gates = ("r", "z", "h") if cell == "gru-after" else ("i", "f", "g", "o")
        module = (torch.nn.GRU if cell == "gru-after" else torch.nn.LSTM)(inputs, units, batch_first=True).double()
        with torch.no_grad():
            module.weight_ih_l0.copy_(T(np.concatenate([params["U_" + g].T for g in gates])))
            module.weight_hh_l0.copy_(T(np.concatenate([params["W_" + g].T for g in gates])))
            module.bias_ih_l0.copy_(T(np.concatenate([params["b_" + g] for g in gates])))
            hh = [np.zeros(units)] * (len(gates) - 1) + [params["b_hn"] if cell == "gru-after" else np.zeros(units)]
            module.bias_hh_l0.copy_(T(np.concatenate(hh)))
        seq, _ = module(x)
    else:
        leaves = {k: T(v).requires_grad_() for k, v in params.items() if k not in ("W_y", "b_y")}
        p = leaves
        h = torch.zeros(batch, units, dtype=torch.float64)
        states = []
        for t in range(length):
            xt = x[:, t]
            if cell == "rnn":
                h = torch.sigmoid(xt @ p["U_h"] + h @ p["W_h"] + p["b_h"])
            else:
                z = torch.sigmoid(xt @ p["U_z"] + h @ p["W_z"] + p["b_z"])
                r = torch.sigmoid(xt @ p["U_r"] + h @ p["W_r"] + p["b_r"])
                cand = torch.tanh(xt @ p["U_h"] + (r * h) @ p["W_h"] + p["b_h"])
                h = (1 - z) * h + z * cand if cell == "gru-chung" else z * h + (1 - z) * cand
            states.append(h)
        seq = torch.stack(states, dim=1)
    readout = {k: T(params[k]).requires_grad_() for k in ("W_y", "b_y") if k in params}
    hs = seq if outputs == "every" else seq[:, -1:]
    pred = torch.sigmoid(hs @ readout["W_y"] + readout["b_y"])[..., 0] if readout else torch.sigmoid(hs[..., 0])
    y = T(ys).reshape(pred.shape)
    loss = 0.5 * ((pred - y) ** 2).sum()
    loss.backward()

    grads = {k: v.grad.numpy() for k, v in {**leaves, **readout}.items()}
    if cell in ("gru-after", "lstm"):
        n = len(gates)
        wi, wh = module.weight_ih_l0.grad.numpy(), module.weight_hh_l0.grad.numpy()
        bi, bh = module.bias_ih_l0.grad.numpy(), module.bias_hh_l0.grad.numpy()
        for j, g in enumerate(gates):
            rows = slice(j * units, (j + 1) * units)
            grads["U_" + g], grads["W_" + g], grads["b_" + g] = wi[rows].T, wh[rows].T, bi[rows]
            if j < n - 1 or cell == "lstm":
                assert np.allclose(bh[rows], bi[rows], rtol=1e-13, atol=1e-15)  # both biases feed one sum
        if cell == "gru-after":
            grads["b_hn"] = bh[2 * units:]
    return float(loss.detach()), grads


@pytest.mark.parametrize("cell", ALL_CELLS)
@pytest.mark.parametrize("units,outputs", [(1, "final"), (3, "every")])
def test_one_sgd_step_agrees_with_pytorch(cell, units, outputs):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    inputs, batch, length = 2, 5, 7
    params = init_params(cell, units, inputs, rng, "state" if units == 1 else "linear")
    params = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in params.items()}  # non-zero biases too
    xs = rng.standard_normal((batch, length, inputs))
    ys = rng.integers(0, 2, size=(batch, length) if outputs == "every" else (batch,)).astype(float)

    ref_loss, ref = _torch_reference(torch, cell, params, xs, ys, outputs)
    ev = evaluate(cell, params, xs, ys, outputs=outputs)
    assert ev.loss == pytest.approx(ref_loss, rel=1e-12)
    assert set(ref) == set(params)
    for k in params:
        assert np.allclose(ev.gradients[k], ref[k], rtol=1e-10, atol=1e-13), k
    lr = 0.2
    trained, _, _ = fit(cell, params, xs, ys, outputs=outputs, epochs=1, lr=lr, batch=batch,
                        rng=np.random.default_rng(0))
    for k in params:
        assert np.allclose(trained[k], params[k] - lr * ref[k], rtol=1e-10, atol=1e-13), k


# -- the commands and the figures ---------------------------------------------------------------------

def _parser():
    from automata_rnn.cli.train import add_parsers

    parser = argparse.ArgumentParser(prog="automata-rnn")
    add_parsers(parser.add_subparsers(dest="command"), argparse.ArgumentParser)
    return parser


def _run(argv):
    from automata_rnn.cli.train import run

    return run(_parser().parse_args(argv))


def test_train_latch_task_writes_figure_and_record(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert _run(["train", "latch-task", "--cell", "rnn", "--clip", "5", "--epochs", "1", "--quiet",
                 "--out", str(tmp_path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    record = json.loads((tmp_path / "q3-clip-rnn.json").read_text())
    assert (tmp_path / "q3-clip-rnn.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(record["loss"]) == len(record["grad_norm"]) == 100
    assert list(record["weights"]) == ["U_h", "W_h", "b_h"]
    assert record["settings"]["clip"] == 5.0 and summary["final_loss"] == record["loss"][-1]
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".")]  # no temporary files left


def test_train_automaton_names_every_weight(tmp_path):
    assert _run(["train", "parity", "--cell", "gru-after", "--units", "2", "--epochs", "1", "--sequences", "50",
                 "--length", "5", "--quiet", "--no-plot", "--out", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "train-parity-gru-after-2u-noclip.json").read_text())
    assert "b_hn[1]" in record["weights"] and "W_h[1,0]" in record["weights"] and "W_y[1,0]" in record["weights"]
    assert len(record["loss"]) == 1 and 0 <= record["accuracy"] <= 1


@pytest.mark.parametrize("argv,message", [
    (["train", "latch-task", "--cell", "elman"], "unknown cell"),
    (["train", "latch-task", "--epochs", "-3"], "epochs"),
    (["train", "latch-task", "--lr", "0"], "learning rate"),
    (["train", "latch-task", "--units", "2"], "one-unit"),
    (["train", "no-such-automaton"], "unknown automaton"),
    (["plot", "spirals"], "unknown figure"),
])
def test_bad_input_is_a_value_error(tmp_path, argv, message):
    with pytest.raises(ValueError, match=message):
        _run(argv + ["--out", str(tmp_path)])


def test_unwritable_out_is_a_value_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ValueError, match="--out"):
        _run(["train", "latch-task", "--epochs", "1", "--out", str(blocker / "sub")])
    with pytest.raises(ValueError, match="not a folder"):
        _run(["plot", "dynamics", "--out", str(blocker)])


def test_dynamics_use_the_starter_parameters_and_the_real_rnn(tmp_path):
    pytest.importorskip("matplotlib")
    from automata_rnn.present.plots import dynamics_curves, dynamics_parameters, dynamics_plots

    v = dynamics_parameters(41)
    rs = np.random.RandomState(41)
    draws = np.concatenate([3 * rs.randn(6), rs.randn(3)])
    assert [v[k] for k in ("U_r", "W_r", "U_z", "W_z", "U_h", "W_h", "b_r", "b_z", "b_h")] == list(draws)
    h = np.linspace(-3, 3, 1000)
    for x in (0, 1):
        curves = dynamics_curves(x, h, v)
        assert np.allclose(curves["rnn"], 1 / (1 + np.exp(-(x * v["U_h"] + h * v["W_h"] + v["b_h"]))))
        z = 1 / (1 + np.exp(-(x * v["U_z"] + h * v["W_z"] + v["b_z"])))
        r = 1 / (1 + np.exp(-(x * v["U_r"] + h * v["W_r"] + v["b_r"])))
        assert np.allclose(curves["gru"], z * h + (1 - z) * np.tanh(x * v["U_h"] + r * h * v["W_h"] + v["b_h"]))
    paths = dynamics_plots(str(tmp_path))
    assert [os.path.basename(p) for p in paths] == ["q3-0-dynamics.png", "q3-1-dynamics.png"]
    assert all(os.path.getsize(p) > 1000 for p in paths)


def test_gradient_plot_shows_the_rnn_gradient_vanishing(tmp_path):
    pytest.importorskip("matplotlib")
    from automata_rnn.present.plots import gradient_plot, gradient_through_time

    rng = np.random.default_rng(0)
    g = gradient_through_time("rnn", init_params("rnn", 1, 1, rng))["h"]
    assert g.shape == (21,) and np.all(np.diff(g) > 0)  # sigmoid' <= 1/4 and |W| <= sqrt(3): shrinks every step
    path = gradient_plot(str(tmp_path), samples=5)
    assert os.path.basename(path) == "q3-gradients.png" and os.path.getsize(path) > 1000


def test_gradient_norms_are_drawn_on_a_log_scale_with_zeros_marked():
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from automata_rnn.present.plots import gradient_norm_panel

    norms = np.array([0.5, 3e4, 0.0, 2.0, 0.0, float("nan"), 1e-3])
    ax = Figure().subplots()
    gradient_norm_panel(ax, np.arange(len(norms)), norms, clip=5.0)
    assert ax.get_yscale() == "log"
    curve, *marks = ax.get_lines()
    drawn = np.asarray(curve.get_ydata(), dtype=float)
    assert np.array_equal(np.isnan(drawn), ~(norms > 0))  # a gap wherever log cannot draw the norm
    assert np.array_equal(drawn[norms > 0], norms[norms > 0])
    labels = {line.get_label(): list(line.get_xdata()) for line in marks}
    assert labels["norm 0 (2 minibatches)"] == [2, 4]
    assert labels["not finite (1 minibatch)"] == [5]
    assert labels["clipping norm 5"] == [0, 1]  # a horizontal line across the panel, in axes coordinates
    # nothing positive to draw: a linear axis, the zeros still marked
    ax = Figure().subplots()
    gradient_norm_panel(ax, np.arange(3), np.zeros(3), clip=None)
    assert ax.get_yscale() == "linear" and any(line.get_label() == "norm 0 (3 minibatches)" for line in ax.get_lines())
