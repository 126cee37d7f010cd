"""The numeric arithmetic and the simulator against published vectors, exact runs and PyTorch."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automata_rnn.arithmetic.numeric import NumericOps
from automata_rnn.arithmetic.simulate import (
    encode_words,
    params_from_pytorch_gru,
    params_from_pytorch_lstm,
    params_to_numpy,
    simulate,
)
from automata_rnn.exact.run import trace
from automata_rnn.model import cells
from automata_rnn.model.automata import Automaton, latch, toggle
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.model.semantics import Semantics


def torch_or_skip():
    """PyTorch, an optional dependency: the test is skipped when it cannot be imported."""
    try:
        import torch
    except ImportError:
        pytest.skip("torch is not importable")
    return torch


def textbook_params(cell: str) -> dict:
    """BACKGROUND.md section 2: U = first two columns of the 3x3 identity, W = 2x2 identity, biases 1."""
    return {b.name: {"input": np.eye(3)[:, :2], "state": np.eye(2), "bias": np.ones(2)}[b.kind]
            for b in get_cell(cell).blocks}


TEXTBOOK_X = np.array([[.4, .5, .6], [.3, -.2, -.1]])
TEXTBOOK_H = np.array([[.2, .5], [-.3, -.3]])


@pytest.mark.parametrize("cell, expected", [
    ("gru", [[0.320, 0.555], [-0.006, 0.020]]),
    ("rnn", [[0.832, 0.881], [0.731, 0.622]]),
])
def test_textbook_vectors(cell, expected):
    params = textbook_params(cell)
    one_step = simulate(cell, params, TEXTBOOK_X[:, None, :], initial_state=TEXTBOOK_H).hidden[:, 1]
    np.testing.assert_allclose(one_step, expected, atol=1e-2)
    (plain,), _ = get_cell(cell).step(NumericOps(), params, TEXTBOOK_X, (TEXTBOOK_H,))
    np.testing.assert_allclose(plain, expected, atol=1e-2)


# -- threshold activations against the exact arithmetic ------------------------------------

def mod3() -> Automaton:
    """Count the symbol 'b' modulo 3 over a three-letter alphabet (inputs one-hot)."""
    t = {(f"q{i}", a): f"q{(i + (a == 'b')) % 3}" for i in range(3) for a in "abc"}
    return Automaton("mod3", ("a", "b", "c"), ("q0", "q1", "q2"), "q0", t, {"q0": 1, "q1": 0, "q2": 0})


@st.composite
def exact_cases(draw, problem: Problem):
    names = problem.parameter_names()
    weights = {n: Fraction(draw(st.integers(-2, 2))) for n in names}
    length = draw(st.integers(0, 6))
    alphabet = problem.automaton.alphabet
    words = draw(st.lists(st.lists(st.sampled_from(alphabet), min_size=length, max_size=length).map(tuple),
                          min_size=1, max_size=5))
    return weights, words


def check_against_trace(problem: Problem, weights, words):
    sim = simulate(problem.cell, params_to_numpy(problem.parameters(weights)),
                   encode_words(problem.automaton, words), activation=problem.semantics.name,
                   record_gates=True)
    for b, word in enumerate(words):
        rows = trace(problem, weights, word)
        for row in rows:
            if row.code is None:  # the exact run stopped at an ill-defined gate
                assert problem.semantics.name == "saturated"
                assert np.isnan(sim.hidden[b, row.t]).any(), (word, row.t, row.note)
                break
            assert sim.hidden[b, row.t].tolist() == [float(v) for v in row.code[0]], (word, row.t)
            for gate, value in row.gates:
                name, _, unit = gate.partition("[")
                unit = int(unit.rstrip("]")) if unit else 0
                assert sim.gates[name][b, row.t - 1, unit] == value, (word, row.t, gate)
        else:
            assert not np.isnan(sim.hidden[b]).any()


@pytest.mark.parametrize("semantics", ["indicator", "saturated"])
@pytest.mark.parametrize("cell", ["rnn", "gru", "gru-after"])
@pytest.mark.parametrize("automaton, units", [(latch, 1), (latch, 2), (mod3, 1)])
def test_threshold_activations_match_exact_trace(cell, semantics, automaton, units):
    problem = Problem(automaton(), get_cell(cell), units=units, semantics=Semantics(semantics))

    @settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(exact_cases(problem))
    def run(case):
        check_against_trace(problem, *case)

    run()


def test_saturated_marks_zero_pre_activation():
    # RNN with every weight 0: the pre-activation is exactly 0 at the first step
    problem = Problem(latch(), get_cell("rnn"), semantics=Semantics("saturated"))
    weights = {"U_h": Fraction(0), "W_h": Fraction(0), "b_h": Fraction(0)}
    rows = trace(problem, weights, ("1",))
    assert rows[-1].code is None
    sim = simulate("rnn", params_to_numpy(problem.parameters(weights)), encode_words(latch(), ["1"]),
                   activation="saturated")
    assert sim.ill_defined.tolist() == [[False, True]]


# -- the LSTM and the real activations ------------------------------------------------------

def logistic(v):
    return 1.0 / (1.0 + np.exp(-v))


def lstm_by_hand(p, x, h, c):
    pre = {g: x @ p["U_" + g] + h @ p["W_" + g] + p["b_" + g] for g in "ifgo"}
    c_new = logistic(pre["f"]) * c + logistic(pre["i"]) * np.tanh(pre["g"])
    return logistic(pre["o"]) * np.tanh(c_new), c_new


def random_params(cell: str, units: int, inputs: int, rng, scale: float = 1.0) -> dict:
    return {b.name: scale * rng.standard_normal(b.shape(units, inputs)) for b in get_cell(cell).blocks}


def test_lstm_against_hand_written_formula():
    rng = np.random.default_rng(1)
    p = random_params("lstm", 3, 2, rng)
    x = rng.standard_normal((4, 5, 2))
    h0, c0 = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    sim = simulate("lstm", p, x, initial_state=(h0, c0), record_gates=True)
    h, c = h0, c0
    for t in range(5):
        h, c = lstm_by_hand(p, x[:, t], h, c)
        np.testing.assert_allclose(sim.hidden[:, t + 1], h, rtol=0, atol=1e-13)
        np.testing.assert_allclose(sim.cell_state[:, t + 1], c, rtol=0, atol=1e-13)
    np.testing.assert_allclose(sim.gates["tanh(c)"][:, -1], np.tanh(c), atol=1e-13)
    (h1, c1), _ = cells.lstm_step(NumericOps(), p, x[:, 0], (h0, c0))
    np.testing.assert_allclose((h1, c1), lstm_by_hand(p, x[:, 0], h0, c0), atol=1e-13)


@pytest.mark.parametrize("activation, slope", [("hard_sigmoid", 0.2), ("hard_sigmoid_pytorch", 1 / 6)])
def test_hard_sigmoid_forms(activation, slope):
    v = np.array([[-10.0, -3.0, -2.5, -1.0, 0.0, 0.3, 1.0, 2.5, 3.0, 10.0]])
    ops = NumericOps(activation)
    np.testing.assert_allclose(ops.sigmoid(v, "z"), np.clip(slope * v + 0.5, 0, 1), rtol=0, atol=1e-15)
    assert ops.sigmoid(np.array([[-1e9, 1e9]]), "z").tolist() == [[0.0, 1.0]]
    assert np.isnan(ops.sigmoid(np.array([[np.nan]]), "z")).all()
    np.testing.assert_array_equal(ops.tanh(v, "h~"), np.tanh(v))


def test_hard_sigmoid_pytorch_form_matches_pytorch_bitwise():
    torch = torch_or_skip()
    v = np.random.default_rng(6).normal(0, 4, (50, 40))
    expected = torch.nn.functional.hardsigmoid(torch.from_numpy(v)).numpy()
    np.testing.assert_array_equal(NumericOps("hard_sigmoid_pytorch").sigmoid(v, "z"), expected)


def test_threshold_activation_values():
    v = np.array([[-3.0, -0.0, 0.0, 1e-300, np.nan]])
    nan = np.nan
    np.testing.assert_array_equal(NumericOps("indicator").sigmoid(v, "z"), [[0, 0, 0, 1, nan]])
    np.testing.assert_array_equal(NumericOps("indicator").tanh(v, "h"), [[0, 0, 0, 1, nan]])
    np.testing.assert_array_equal(NumericOps("saturated").sigmoid(v, "z"), [[0, nan, nan, 1, nan]])
    np.testing.assert_array_equal(NumericOps("saturated").tanh(v, "h"), [[-1, nan, nan, 1, nan]])


def test_sigmoid_is_stable_in_the_tails():
    v = np.array([[-1000.0, -745.0, -700.0, -30.0, 0.0, 30.0, 1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = NumericOps().sigmoid(v, "z")
    assert s[0, 0] == 0.0 and s[0, -1] == 1.0 and s[0, 4] == 0.5
    # relative accuracy where 1 - s would lose it all
    np.testing.assert_allclose(s[0, 2:4], np.exp(v[0, 2:4]) / (1 + np.exp(v[0, 2:4])), rtol=1e-14)


def test_gain_scales_every_weight_and_approaches_saturation():
    rng = np.random.default_rng(2)
    p = random_params("gru", 2, 1, rng)
    x = rng.integers(0, 2, (6, 8, 1)).astype(float)
    scaled = simulate("gru", {k: 7.5 * v for k, v in p.items()}, x)
    np.testing.assert_array_equal(simulate("gru", p, x, gain=7.5).hidden, scaled.hidden)
    saturated = simulate("gru", p, x, activation="saturated")
    assert not saturated.ill_defined.any()
    np.testing.assert_allclose(simulate("gru", p, x, gain=1e4).hidden, saturated.hidden, atol=1e-9)


@pytest.mark.parametrize("cell", list(cells.CELLS))
@pytest.mark.parametrize("activation", ["sigmoid", "hard_sigmoid", "indicator", "saturated"])
def test_sequence_ops_match_plain_ops(cell, activation):
    """The fused, buffered run equals stepping the plain arithmetic, gate records included."""
    rng = np.random.default_rng(3)
    units, inputs, batch, time = 3, 2, 5, 6
    p = random_params(cell, units, inputs, rng)
    x = rng.standard_normal((batch, time, inputs))
    sim = simulate(cell, p, x, activation=activation, record_gates=True)
    ops = NumericOps(activation, record=True)
    state = tuple(np.zeros((batch, units)) for _ in get_cell(cell).state_parts)
    for t in range(time):
        ops.log.clear()
        state, _ = get_cell(cell).step(ops, p, x[:, t], state)
        np.testing.assert_allclose(sim.hidden[:, t + 1], state[0], rtol=0, atol=1e-12)
        if cell == "lstm":
            np.testing.assert_allclose(sim.cell_state[:, t + 1], state[1], rtol=0, atol=1e-12)
        for rec in ops.log:
            np.testing.assert_allclose(sim.pre_activations[rec.name][:, t], rec.pre_activation, atol=1e-12)
            np.testing.assert_allclose(sim.gates[rec.name][:, t], rec.value, atol=1e-12)


def linear_step(ops, p, x, state):
    """A cell with no gates: the new state is the affine form itself."""
    (h,) = state
    return (ops.add(ops.add(ops.linear(x, p["U_h"]), ops.linear(h, p["W_h"])), p["b_h"]),), {}


def mixed_step(ops, p, x, state):
    """Products of vectors that are neither input nor state, and a product of a pending form."""
    (h,) = state
    squared = ops.mul(h, h)
    a = ops.tanh(ops.add(ops.linear(squared, p["W_h"]), p["b_h"]), "a")
    of_form = ops.linear(ops.add(ops.linear(x, p["U_h"]), p["b_h"]), p["W_h"])
    return (ops.tanh(ops.add(ops.add(a, of_form), ops.linear(h, p["W_h"])), "h"),), {}


@pytest.mark.parametrize("step", [linear_step, mixed_step])
def test_sequence_ops_on_other_step_functions(step):
    cell = cells.Cell("test", "test", (cells.Block("U_h", "input"), cells.Block("W_h", "state"),
                                        cells.Block("b_h", "bias")), ("h",), step)
    rng = np.random.default_rng(8)
    p = random_params("rnn", 3, 2, rng, scale=0.5)
    x = rng.standard_normal((4, 5, 2))
    sim = simulate(cell, p, x)
    h = np.zeros((4, 3))
    for t in range(5):
        (h,), _ = step(NumericOps(), p, x[:, t], (h,))
        np.testing.assert_allclose(sim.hidden[:, t + 1], h, rtol=0, atol=1e-12)


def test_sequence_ops_values_do_not_alias_across_steps():
    rng = np.random.default_rng(4)
    p = random_params("gru-after", 2, 1, rng)
    x = rng.standard_normal((3, 5, 1))
    first = simulate("gru-after", p, x)
    again = simulate("gru-after", p, x)
    np.testing.assert_array_equal(first.hidden, again.hidden)
    assert len({first.hidden[:, t].tobytes() for t in range(6)}) == 6


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_workers_split_the_batch_without_changing_results(cell):
    rng = np.random.default_rng(7)
    p = random_params(cell, 3, 2, rng)
    x = rng.standard_normal((11, 4, 2))
    one = simulate(cell, p, x, record_gates=True)
    three = simulate(cell, p, x, record_gates=True, workers=3)
    np.testing.assert_allclose(one.hidden, three.hidden, rtol=0, atol=1e-13)
    if cell == "lstm":
        np.testing.assert_allclose(one.cell_state, three.cell_state, rtol=0, atol=1e-13)
    assert one.gates.keys() == three.gates.keys()
    for k in one.gates:
        np.testing.assert_allclose(one.gates[k], three.gates[k], rtol=0, atol=1e-13)
        np.testing.assert_allclose(one.pre_activations[k], three.pre_activations[k], rtol=0, atol=1e-13)


# -- inputs and parameters ------------------------------------------------------------------

def test_encode_words():
    np.testing.assert_array_equal(encode_words(toggle(), ["0110", "1000"])[..., 0], [[0, 1, 1, 0], [1, 0, 0, 0]])
    onehot = encode_words(mod3(), [("c", "a", "b")])
    np.testing.assert_array_equal(onehot[0], [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert encode_words(latch(), [""]).shape == (1, 0, 1)
    with pytest.raises(ValueError, match="different lengths"):
        encode_words(latch(), ["01", "1"])
    with pytest.raises(ValueError, match="not in the alphabet"):
        encode_words(latch(), ["012"])


def test_params_to_numpy_from_problem():
    problem = Problem(latch(), get_cell("gru"), units=2)
    weights = {n: Fraction(i, 3) for i, n in enumerate(problem.parameter_names())}
    arrays = params_to_numpy(problem.parameters(weights))
    assert arrays["U_z"].shape == (1, 2) and arrays["W_r"].shape == (2, 2) and arrays["b_h"].shape == (2,)
    assert arrays["W_r"][1, 0] == float(weights["W_r[1,0]"])
    with pytest.raises(ValueError, match="free parameters"):
        params_to_numpy(problem.parameters({}))


def test_simulate_rejects_bad_shapes():
    p = random_params("rnn", 2, 1, np.random.default_rng(5))
    with pytest.raises(ValueError, match="U_h"):
        simulate("rnn", p, np.zeros((1, 3, 2)))
    with pytest.raises(ValueError, match="needs parameter blocks"):
        simulate("gru", p, np.zeros((1, 3, 1)))
    with pytest.raises(ValueError, match="activation"):
        simulate("rnn", p, np.zeros((1, 3, 1)), activation="relu")


# -- PyTorch --------------------------------------------------------------------------------

def test_pytorch_gru_matches_gru_after():
    torch = torch_or_skip()
    torch.manual_seed(0)
    gru = torch.nn.GRU(2, 3).double()
    x = torch.randn(7, 5, 2, dtype=torch.float64)
    h0 = torch.randn(1, 5, 3, dtype=torch.float64)
    with torch.no_grad():
        out, _ = gru(x, h0)
    p = params_from_pytorch_gru(*(getattr(gru, n).detach().numpy()
                                  for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")))
    sim = simulate("gru-after", p, x.numpy().transpose(1, 0, 2), initial_state=h0[0].numpy())
    np.testing.assert_allclose(sim.hidden[:, 1:], out.numpy().transpose(1, 0, 2), rtol=0, atol=1e-12)


def test_pytorch_lstm_matches_lstm():
    torch = torch_or_skip()
    torch.manual_seed(1)
    lstm = torch.nn.LSTM(2, 3).double()
    x = torch.randn(6, 4, 2, dtype=torch.float64)
    with torch.no_grad():
        out, (_, c) = lstm(x)
    p = params_from_pytorch_lstm(*(getattr(lstm, n).detach().numpy()
                                   for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")))
    sim = simulate("lstm", p, x.numpy().transpose(1, 0, 2))
    np.testing.assert_allclose(sim.hidden[:, 1:], out.numpy().transpose(1, 0, 2), rtol=0, atol=1e-12)
    np.testing.assert_allclose(sim.cell_state[:, -1], c[0].numpy(), rtol=0, atol=1e-12)


def test_an_lstm_initial_state_must_name_its_two_parts():
    """One array of shape (2, units) is not split silently into h and c."""
    from automata_rnn.verdicts import BadInput

    params = {f"{k}_{g}": np.zeros((1, 1) if k != "b" else (1,)) for g in "ifgo" for k in "UWb"}
    x = np.zeros((1, 3, 1))
    with pytest.raises(BadInput, match="tuple of 2 arrays"):
        simulate("lstm", params, x, initial_state=np.zeros((2, 1)))
    run = simulate("lstm", params, x, initial_state=(np.full(1, 0.5), np.full(1, 2.0)))
    assert run.hidden[0, 0, 0] == 0.5 and run.cell_state[0, 0, 0] == 2.0
