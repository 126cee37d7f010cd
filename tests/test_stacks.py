"""Stacks of layers: layer k reads the new hidden state of layer k - 1 (TensorFlow's MultiRNNCell, PyTorch's
num_layers).  The stack is checked against an independent composition: each layer run on its own by the
single-layer simulator, the next layer fed the previous layer's hidden sequence as its input."""

from __future__ import annotations

import itertools
import json
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_train import _finite_differences

from automata_rnn.arithmetic.simulate import encode_words, params_to_numpy, simulate
from automata_rnn.cli.main import main
from automata_rnn.exact.checker import check
from automata_rnn.exact.run import initial_code, read_output, step, weight_signs
from automata_rnn.model.automata import latch, toggle
from automata_rnn.model.cells import CELLS, get_cell
from automata_rnn.model.network import layer_prefix
from automata_rnn.model.problem import Problem
from automata_rnn.questions.solve import check_weights, solve

LAYERS = [(1, 1), (2, 1), (1, 2), (1, 1, 1)]


def _layer_params(problem: Problem, weights: dict, k: int) -> dict:
    """Layer k's blocks under the cell's own names, from the stack's weights."""
    prefix = layer_prefix(k)
    blocks = params_to_numpy(problem.parameters(weights))
    return {name[len(prefix):]: v for name, v in blocks.items() if name.startswith(prefix)}


def _layer_by_layer(problem: Problem, weights: dict, inputs: np.ndarray, activation: str) -> np.ndarray:
    """The top layer's hidden sequence, each layer simulated alone on the one below's hidden sequence."""
    below = inputs
    for k in range(1, len(problem.layers) + 1):
        run = simulate(problem.cell, _layer_params(problem, weights, k), below, activation=activation)
        below = run.hidden[:, 1:, :]
    return below


def _random_weights(problem: Problem, rng, eighths: bool) -> dict:
    if eighths:
        return {n: F(int(rng.integers(-16, 17)), 8) for n in problem.parameter_names()}
    return {n: F(float(rng.normal())) for n in problem.parameter_names()}


@settings(max_examples=30, deadline=None)
@given(cell=st.sampled_from(sorted(CELLS)), layers=st.sampled_from(LAYERS), seed=st.integers(0, 2**32 - 1),
       activation=st.sampled_from(["sigmoid", "hard_sigmoid", "hard_sigmoid_pytorch"]))
def test_stack_simulation_is_the_composition_of_its_layers(cell, layers, seed, activation):
    rng = np.random.default_rng(seed)
    problem = Problem(latch(), get_cell(cell), layers=layers, output="readout")
    weights = _random_weights(problem, rng, eighths=False)
    inputs = rng.integers(0, 2, size=(5, 12, 1)).astype(float)
    blocks = {k: v for k, v in params_to_numpy(problem.parameters(weights)).items() if k not in ("W_y", "b_y")}
    stacked = simulate(problem.stack, blocks, inputs, activation=activation)
    np.testing.assert_allclose(stacked.hidden[:, 1:, problem.top],
                               _layer_by_layer(problem, weights, inputs, activation), rtol=0, atol=1e-12)
    same = simulate(problem.cell, blocks, inputs, activation=activation, layers=layers)
    np.testing.assert_array_equal(same.hidden, stacked.hidden)


@settings(max_examples=30, deadline=None)
@given(cell=st.sampled_from(["rnn", "gru", "gru-after"]), layers=st.sampled_from(LAYERS),
       seed=st.integers(0, 2**32 - 1))
def test_exact_stack_run_is_the_composition_of_thresholded_layers(cell, layers, seed):
    """Weights in eighths keep every float sum exact, so the indicator activation of the simulator is the
    threshold semantics exactly; the exact run of the stack must give the same codes and outputs."""
    rng = np.random.default_rng(seed)
    problem = Problem(toggle(), get_cell(cell), layers=layers, output="readout")
    weights = _random_weights(problem, rng, eighths=True)
    params = problem.parameters(weights)
    words = [w for n in range(1, 6) for w in itertools.product("01", repeat=n)]
    top = _layer_by_layer(problem, weights, encode_words(problem.automaton, [w for w in words if len(w) == 5]),
                          "indicator")
    for i, word in enumerate(w for w in words if len(w) == 5):
        code = initial_code(problem)
        for t, symbol in enumerate(word):
            code, _ = step(problem, params, code, symbol, weight_signs())
            assert [float(v) for v in code[0][problem.top]] == list(top[i, t])
            y = float(weights["b_y"]) + sum(float(weights[f"W_y[{j},0]" if layers[-1] > 1 else "W_y"]) * top[i, t, j]
                                            for j in range(layers[-1]))
            assert read_output(problem, params, code, weight_signs())[0] == int(y > 0)


@pytest.mark.parametrize("cell", ["rnn", "gru", "gru-after"])
@pytest.mark.parametrize("automaton", [latch, toggle])
def test_solve_on_a_stack_is_checked_both_ways(cell, automaton):
    problem = Problem(automaton(), get_cell(cell), layers=(1, 1), output="readout")
    answer = solve(problem, timeout=60)
    assert answer.verdict in ("sat", "unsat")
    if answer.verdict == "sat":
        assert check_weights(problem, answer.weights).implements
        # independently: the layers run one by one under the threshold semantics give the automaton's outputs
        words = [w for w in itertools.product("01", repeat=6)]
        top = _layer_by_layer(problem, answer.weights, encode_words(problem.automaton, words), "indicator")
        w_y, b_y = float(answer.weights["W_y"]), float(answer.weights["b_y"])
        for i, word in enumerate(words):
            got = [int(w_y * top[i, t, 0] + b_y > 0) for t in range(6)]
            assert got == problem.automaton.outputs(word)[1:]
    else:
        accepted, why = check(answer.certificate)
        assert accepted, why
        forged = json.loads(json.dumps(answer.certificate))
        del forged["problem"]["layers"]
        assert not check(forged)[0]


def test_two_stacked_one_unit_elman_layers_cannot_toggle_but_gru_layers_can():
    rnn = solve(Problem(toggle(), get_cell("rnn"), layers=(1, 1), output="readout"), timeout=60)
    gru = solve(Problem(toggle(), get_cell("gru"), layers=(1, 1), output="readout"), timeout=60)
    assert rnn.verdict == "unsat" and check(rnn.certificate)[0]
    assert gru.verdict == "sat" and gru.verified


def test_all_sizes_claims_are_not_about_stacks():
    answer = solve(Problem(toggle(), get_cell("rnn")), timeout=60)
    assert answer.verdict == "unsat"
    from automata_rnn.questions.sizes import refute_all_sizes

    cert = refute_all_sizes(Problem(toggle(), get_cell("rnn")))
    assert cert is not None and check(cert)[0]
    cert = json.loads(json.dumps(cert))
    cert["problem"]["layers"] = [1, 1]
    cert["problem"]["units"] = 2
    accepted, why = check(cert)
    assert not accepted and "stack" in why


def test_a_stack_round_trips_through_a_weights_file(tmp_path, capsys):
    path = tmp_path / "stack.json"
    assert main(["solve", "latch", "--cell", "gru", "--units", "2,1", "--save", str(path)]) == 0
    record = json.loads(path.read_text())
    assert record["layers"] == [2, 1] and record["units"] == 3
    assert any(k.startswith("l2.") for k in record["weights"])
    capsys.readouterr()
    assert main(["check", "latch", "--weights", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["problem"]["layers"] == [2, 1]


@pytest.mark.parametrize("units", ["2,0", "1,,1", "1,x", ","])
def test_bad_layer_sizes_are_bad_input(units, capsys):
    assert main(["solve", "latch", "--units", units]) == 2
    assert capsys.readouterr().err.count("\n") == 1


@pytest.mark.parametrize("kind", ["GRU", "LSTM"])
def test_a_pytorch_stack_is_imported_whole(kind, tmp_path, capsys):
    torch = pytest.importorskip("torch")
    from automata_rnn.interop.pytorch import load_torch, weights_for_problem

    torch.manual_seed(0)
    module = getattr(torch.nn, kind)(1, 3, num_layers=2, batch_first=True, dtype=torch.float64)
    levels = load_torch(module)
    cell = "gru-after" if kind == "GRU" else "lstm"
    problem = Problem(latch(), get_cell(cell), layers=(3, 3), output="readout")
    weights = {n: F(0) for n in problem.parameter_names()}
    weights.update(weights_for_problem(problem, levels))
    x = np.random.default_rng(1).integers(0, 2, size=(8, 30, 1)).astype(float)
    blocks = {k: v for k, v in params_to_numpy(problem.parameters(weights)).items() if k not in ("W_y", "b_y")}
    ours = simulate(problem.stack, blocks, x)
    theirs, _ = module(torch.from_numpy(x))
    assert np.abs(ours.hidden[:, 1:, problem.top] - theirs.detach().numpy()).max() < 1e-9

    path = tmp_path / "model.pt"
    torch.save(module.state_dict(), path)
    for command in (["check"], ["simulate", "--input", "0110"], ["verify"]):
        code = main([command[0], "latch", "--torch", str(path), "--set", "W_y[0,0]=1", *command[1:], "--json"])
        out = json.loads(capsys.readouterr().out)
        assert code in (0, 1, 3)
        assert out["problem"]["layers"] == [3, 3] and out["problem"]["cell"] == cell


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_training_a_stack_differentiates_through_split_and_concat(cell):
    """Backpropagation through a stack (the top layer read out through split, the state through concat)
    against central differences, and the trained network's predictions against the simulator's."""
    from automata_rnn.learn.train import evaluate, init_params
    from automata_rnn.model.network import stack

    rng = np.random.default_rng(3)
    net = stack(get_cell(cell), (2, 1), 1)
    params = init_params(net, 3, 1, rng, "linear")
    params = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in params.items()}
    xs = rng.integers(0, 2, size=(4, 5, 1)).astype(float)
    ys = rng.integers(0, 2, size=(4, 5)).astype(float)
    ev = evaluate(net, params, xs, ys, outputs="every")
    fd = _finite_differences(lambda p: evaluate(net, p, xs, ys, outputs="every", gradients=False).loss, params)
    for k in params:
        np.testing.assert_allclose(ev.gradients[k], fd[k], rtol=1e-5, atol=1e-7)
    sim = simulate(net, {k: v for k, v in params.items() if k not in ("W_y", "b_y")}, xs)
    top = sim.hidden[:, 1:, 2:]
    logits = top @ params["W_y"] + params["b_y"]
    np.testing.assert_allclose(ev.predictions, 1 / (1 + np.exp(-logits[..., 0])), rtol=0, atol=1e-12)


def test_train_writes_a_stack_that_verify_reads(tmp_path, capsys):
    assert main(["train", "latch", "--cell", "gru", "--units", "1,1", "--epochs", "2", "--sequences", "200",
                 "--out", str(tmp_path), "--no-plot"]) == 0
    capsys.readouterr()
    path = tmp_path / "train-latch-gru-1x1u-noclip.json"
    record = json.loads(path.read_text())
    assert record["layers"] == [1, 1] and record["units"] == 2
    code = main(["verify", "latch", "--weights", str(path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code in (0, 1, 3) and out["problem"]["layers"] == [1, 1]


def test_minimize_a_stack_searches_units_per_layer_at_its_depth():
    """Two stacked one-unit Elman layers cannot toggle (certificate) and two units per layer can (weights
    re-verified); tomita3 needs 2 GRU units per layer, 1 being excluded by counting codes (2 units, 4 codes,
    5 states)."""
    from automata_rnn.questions.sizes import minimize

    toggle_rnn = minimize(Problem(toggle(), get_cell("rnn"), layers=(1, 1), output="readout"), max_hidden=3)
    assert toggle_rnn.minimal == 2 and toggle_rnn.problem.layers == (2, 2)
    assert check(toggle_rnn.lower_bound.certificate)[0]
    assert check_weights(toggle_rnn.problem, toggle_rnn.weights).implements
    from automata_rnn.interop.automata_files import load_automaton

    tomita3 = minimize(Problem(load_automaton("tomita3"), get_cell("gru"), layers=(1, 1), output="readout"),
                       max_hidden=3)
    assert tomita3.minimal == 2
    assert "counting" in tomita3.lower_bound.certificate["tree"]


def test_a_pytorch_model_with_a_linear_head_is_read_with_its_readout(tmp_path, capsys):
    """A 2-layer nn.GRU and an nn.Linear(hidden, 1) head, saved as a state_dict: --torch finds the head by its
    shape, and simulate's outputs are PyTorch's [logit > 0] at every step of a random input."""
    torch = pytest.importorskip("torch")

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = torch.nn.GRU(1, 3, num_layers=2, batch_first=True)
            self.head = torch.nn.Linear(3, 1)

        def forward(self, x):
            out, _ = self.gru(x)
            return self.head(out)[..., 0]

    torch.manual_seed(3)
    model = Model().double()
    path = tmp_path / "model.pt"
    torch.save(model.state_dict(), path)
    word = "".join(np.random.default_rng(5).choice(["0", "1"], size=40))
    code = main(["simulate", "latch", "--torch", str(path), "--input", word, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code in (0, 1) and out["problem"]["output"] == "readout" and out["problem"]["layers"] == [3, 3]
    logits = model(torch.tensor([[[float(s)] for s in word]], dtype=torch.float64))[0].detach().numpy()
    assert out["outputs"][1:] == [int(v > 0) for v in logits]


def test_several_heads_must_be_named(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    state = {**{f"gru.{k}": v for k, v in torch.nn.GRU(1, 2).state_dict().items()},
             "a.weight": torch.zeros(1, 2), "b.weight": torch.ones(1, 2), "b.bias": torch.ones(1)}
    path = tmp_path / "two-heads.pt"
    torch.save(state, path)
    assert main(["check", "latch", "--torch", str(path)]) == 2
    assert "name one with --readout" in capsys.readouterr().err
    assert main(["check", "latch", "--torch", str(path), "--readout", "b", "--json"]) in (0, 1)
    out = json.loads(capsys.readouterr().out)
    assert out["weights"]["b_y"] == 1 and out["weights"]["W_y[0,0]"] == 1
