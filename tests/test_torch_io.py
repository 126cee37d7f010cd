"""PyTorch layers in and out: the convention mapping, exact weights, round trips, refusals."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from automata_rnn.arithmetic.simulate import simulate  # noqa: E402
from automata_rnn.interop.automata_files import load_automaton  # noqa: E402
from automata_rnn.interop.pytorch import (  # noqa: E402
    layout,
    load_torch,
    parameter_blocks,
    to_torch,
    weights_for_problem,
)
from automata_rnn.model.cells import get_cell  # noqa: E402
from automata_rnn.model.problem import Problem  # noqa: E402
from automata_rnn.model.semantics import Semantics  # noqa: E402
from automata_rnn.questions.solve import check_weights  # noqa: E402

# Weights that `automata-rnn solve latch --cell gru-after --semantics saturated` finds.
LATCH_GRU_AFTER = {"U_z": -2, "W_z": 2, "b_z": 1, "U_r": 0, "W_r": -1, "b_r": -2, "U_h": 0, "W_h": -2,
                   "b_h": 1, "b_hn": -2}


def dyadic():
    """Exact values that are float64s: k / 2^m."""
    return st.builds(lambda k, m: Fraction(k, 2 ** m), st.integers(-96, 96), st.integers(0, 6))


def random_inputs(rng, batch: int, time: int, inputs: int) -> np.ndarray:
    """Binary digits for one input, one-hot rows otherwise, shaped (batch, time, inputs)."""
    if inputs == 1:
        return rng.integers(0, 2, size=(batch, time, 1)).astype(np.float64)
    return np.eye(inputs)[rng.integers(0, inputs, size=(batch, time))]


def run_torch(module, x: np.ndarray):
    with torch.no_grad():
        out, state = module(torch.from_numpy(x))
    return out.numpy(), state


def assert_agrees_with_simulator(cell, weights, units, inputs, seed, *, whole_runs=False):
    """The PyTorch layer of ``weights`` and the NumPy simulator agree to 1e-12 on random inputs.

    Step by step: torch is started from the simulator's state at every time
    and must give the simulator's next state (h, and c for the LSTM).  Over
    many steps a sensitive network amplifies the last-bit differences of two
    float64 implementations (summation order, exp), so whole runs are
    compared only when asked, for saturating weights.
    """
    module = to_torch(cell, weights, units, inputs)
    x = random_inputs(np.random.default_rng(seed), 16, 25, inputs)
    sim = simulate(cell, parameter_blocks(cell, weights, units, inputs), x)
    batch, time, _ = x.shape
    steps = torch.from_numpy(x.reshape(batch * time, 1, inputs))
    h0 = torch.from_numpy(np.ascontiguousarray(sim.hidden[:, :-1]).reshape(1, batch * time, units))
    with torch.no_grad():
        if cell == "lstm":
            c0 = torch.from_numpy(np.ascontiguousarray(sim.cell_state[:, :-1]).reshape(1, batch * time, units))
            _, (h1, c1) = module(steps, (h0, c0))
            np.testing.assert_allclose(c1[0].numpy().reshape(batch, time, units), sim.cell_state[:, 1:],
                                       rtol=0, atol=1e-12)
        else:
            _, h1 = module(steps, h0)
    np.testing.assert_allclose(h1[0].numpy().reshape(batch, time, units), sim.hidden[:, 1:], rtol=0, atol=1e-12)
    if whole_runs:
        out, state = run_torch(module, x)
        np.testing.assert_allclose(sim.hidden[:, 1:], out, rtol=0, atol=1e-12)
        if cell == "lstm":
            np.testing.assert_allclose(sim.cell_state[:, -1], state[1][0].numpy(), rtol=0, atol=1e-12)


# -- the convention mapping, entry by entry ----------------------------------------------------------

def test_gru_mapping_entry_by_entry():
    units, inputs = 2, 3
    gru = torch.nn.GRU(inputs, units, dtype=torch.float64)
    wi = torch.arange(3 * units * inputs, dtype=torch.float64).reshape(3 * units, inputs) + 1
    wh = -(torch.arange(3 * units * units, dtype=torch.float64).reshape(3 * units, units) + 1)
    bi = torch.tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], dtype=torch.float64)
    bh = torch.tensor([0.7, 0.8, 0.9, 1.0, 1.1, 1.2], dtype=torch.float64)
    with torch.no_grad():
        gru.weight_ih_l0.copy_(wi), gru.weight_hh_l0.copy_(wh), gru.bias_ih_l0.copy_(bi), gru.bias_hh_l0.copy_(bh)
    (layer,) = load_torch(gru)
    assert (layer.cell, layer.units, layer.inputs) == ("gru-after", units, inputs)
    w = layer.weights
    F = Fraction
    for k, gate in enumerate(("r", "z", "h")):  # PyTorch stacks (r, z, n)
        for j in range(units):
            row = k * units + j
            for i in range(inputs):
                assert w[f"U_{gate}[{i},{j}]"] == F(wi[row, i].item())  # U = W_i*^T (row vector convention)
            for i in range(units):
                assert w[f"W_{gate}[{i},{j}]"] == F(wh[row, i].item())
            if gate == "h":
                assert w[f"b_h[{j}]"] == F(bi[row].item())          # b_in alone
                assert w[f"b_hn[{j}]"] == F(bh[row].item())         # b_hn, gated by r
            else:
                assert w[f"b_{gate}[{j}]"] == F(bi[row].item()) + F(bh[row].item())
    # the sums are exact: 0.1 + 0.7 in floats is not the sum of the two binary fractions
    assert w["b_r[0]"] == F(0.1) + F(0.7) != F(0.1 + 0.7)


def test_lstm_mapping_entry_by_entry():
    units, inputs = 2, 1
    lstm = torch.nn.LSTM(inputs, units, dtype=torch.float64)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.arange(8, dtype=torch.float64).reshape(8, 1))
        lstm.bias_ih_l0.copy_(torch.arange(8, dtype=torch.float64) / 4)
        lstm.bias_hh_l0.copy_(torch.full((8,), 0.1, dtype=torch.float64))
    w = load_torch(lstm)[0].weights
    for k, gate in enumerate("ifgo"):
        for j in range(units):
            assert w[f"U_{gate}[0,{j}]"] == k * units + j
            assert w[f"b_{gate}[{j}]"] == Fraction(k * units + j, 4) + Fraction(0.1)


def test_float32_weights_are_read_exactly():
    torch.manual_seed(3)
    gru = torch.nn.GRU(1, 1)  # float32
    w = load_torch(gru)[0].weights
    assert w["U_z"] == Fraction(gru.weight_ih_l0[1, 0].item())
    assert w["b_hn"] == Fraction(gru.bias_hh_l0[2].item())
    assert w["b_z"] == Fraction(gru.bias_ih_l0[1].item()) + Fraction(gru.bias_hh_l0[1].item())


def test_layer_without_biases_reads_as_zero_biases():
    w = load_torch(torch.nn.LSTM(1, 2, bias=False))[0].weights
    assert all(w[n] == 0 for n in w if n.startswith("b_"))
    assert any(w[n] != 0 for n in w if n.startswith("U_"))


def test_layout_uses_every_pytorch_entry_once():
    for cell in ("gru-after", "lstm"):
        for units, inputs in ((1, 1), (3, 2)):
            entries = [s for sources in layout(cell, units, inputs).values() for s in sources]
            gates = 3 if cell == "gru-after" else 4
            assert len(entries) == len(set(entries)) == gates * units * (inputs + units + 2)


# -- round trips -------------------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["gru-after", "lstm"])
@pytest.mark.parametrize("units, inputs", [(1, 1), (3, 1), (3, 2)])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_round_trip(cell, units, inputs, data):
    names = get_cell(cell).element_names(units, inputs)
    weights = {n: data.draw(dyadic(), label=n) for n in names}
    module = to_torch(cell, weights, units, inputs)
    assert module.batch_first and next(module.parameters()).dtype == torch.float64
    (layer,) = load_torch(module)
    assert (layer.cell, layer.units, layer.inputs) == (cell, units, inputs)
    assert layer.weights == weights
    assert_agrees_with_simulator(cell, weights, units, inputs, seed=data.draw(st.integers(0, 2 ** 16)))


@pytest.mark.parametrize("gain", [1, 3, 10])
def test_solved_weights_run_alike_in_torch_and_the_simulator(gain):
    weights = {k: Fraction(v) * gain for k, v in LATCH_GRU_AFTER.items()}
    assert_agrees_with_simulator("gru-after", weights, 1, 1, seed=gain, whole_runs=True)
    assert load_torch(to_torch("gru-after", weights, 1, 1))[0].weights == weights


@pytest.mark.parametrize("cell", ["gru-after", "lstm"])
@pytest.mark.parametrize("units", [1, 3])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pytorch_initialised_layers_run_alike_whole(cell, units, seed):
    torch.manual_seed(seed)
    module = (torch.nn.GRU if cell == "gru-after" else torch.nn.LSTM)(1, units, dtype=torch.float64)
    (layer,) = load_torch(module)
    assert_agrees_with_simulator(cell, layer.weights, units, 1, seed=seed, whole_runs=True)


def test_export_rounds_to_float64_and_strict_refuses():
    w = {"U_z": Fraction(1, 3), "b_hn": Fraction(1, 2)}
    back = load_torch(to_torch("gru-after", w, 1, 1))[0].weights
    assert back["U_z"] == Fraction(1 / 3) != Fraction(1, 3)
    assert back["b_hn"] == Fraction(1, 2)
    with pytest.raises(ValueError, match="U_z = 1/3 is not a float64"):
        to_torch("gru-after", w, 1, 1, strict=True)


def test_export_names():
    module = to_torch("gru-after", {"u_z": 1, "W_y": 5, "w_y": 5, "b_y": -1}, 1, 1)  # alias; read-out ignored
    assert module.weight_ih_l0[1, 0].item() == 1.0
    with pytest.raises(ValueError, match="unknown parameter 'U_q'"):
        to_torch("gru-after", {"U_q": 1}, 1, 1)
    with pytest.raises(ValueError, match="b_z: inf is not a finite number"):
        to_torch("gru-after", {"b_z": float("inf")}, 1, 1)
    with pytest.raises(ValueError, match="float64 range"):
        to_torch("lstm", {"b_f": Fraction(10) ** 400}, 1, 1)


@pytest.mark.parametrize("cell, why", [("rnn", "sigmoid"), ("gru", "before the product")])
def test_export_refuses_cells_without_a_pytorch_layer(cell, why):
    with pytest.raises(ValueError, match=why) as e:
        to_torch(cell, {}, 1, 1)
    assert "\n" not in str(e.value)


def test_stacked_layers_are_levels():
    torch.manual_seed(5)
    lstm = torch.nn.LSTM(2, 3, num_layers=2, batch_first=True, dtype=torch.float64)
    layers = load_torch(lstm)
    assert [(L.level, L.levels, L.inputs, L.units) for L in layers] == [(0, 2, 2, 3), (1, 2, 3, 3)]
    x = random_inputs(np.random.default_rng(0), 8, 12, 2)
    out, _ = run_torch(lstm, x)
    h = x
    for L in layers:
        h = simulate("lstm", L.blocks(), h).hidden[:, 1:]
    np.testing.assert_allclose(h, out, rtol=0, atol=1e-12)


# -- files ---------------------------------------------------------------------------------------------

def test_state_dict_file_and_whole_module_file_load_alike(tmp_path):
    torch.manual_seed(7)
    gru = torch.nn.GRU(1, 2)
    expected = load_torch(gru)[0].weights
    torch.save(gru.state_dict(), tmp_path / "sd.pt")
    torch.save(gru, tmp_path / "whole.pt")
    torch.save({"epoch": 3, "model_state_dict": gru.state_dict()}, tmp_path / "checkpoint.pt")
    for name in ("sd.pt", "whole.pt", "checkpoint.pt"):
        (layer,) = load_torch(str(tmp_path / name), cell_hint="gru-after")
        assert layer.weights == expected, name
    with pytest.raises(ValueError, match="pickled module"):
        load_torch(str(tmp_path / "whole.pt"), trusted=False)


def test_model_holding_a_layer(tmp_path):
    torch.manual_seed(8)
    model = torch.nn.ModuleDict({"lstm": torch.nn.LSTM(1, 2), "head": torch.nn.Linear(2, 1)})
    expected = load_torch(model["lstm"])[0].weights
    assert load_torch(model)[0].weights == expected
    torch.save(model.state_dict(), tmp_path / "model.pt")
    (layer,) = load_torch(str(tmp_path / "model.pt"))
    assert layer.weights == expected and layer.cell == "lstm"
    two = torch.nn.ModuleDict({"a": torch.nn.GRU(1, 1), "b": torch.nn.GRU(1, 1)})
    with pytest.raises(ValueError, match="several recurrent layers"):
        load_torch(two)
    assert load_torch(two, submodule="b")[0].weights == load_torch(two["b"])[0].weights
    assert load_torch(two.state_dict(), submodule="a")[0].weights == load_torch(two["a"])[0].weights


def test_unreadable_files(tmp_path):
    with pytest.raises(ValueError, match="not found"):
        load_torch(str(tmp_path / "missing.pt"))
    junk = tmp_path / "junk.pt"
    junk.write_text("not a checkpoint")
    with pytest.raises(ValueError, match="not a file written by torch.save") as e:
        load_torch(str(junk))
    assert "\n" not in str(e.value)
    torch.save({"epoch": 1}, tmp_path / "nothing.pt")
    with pytest.raises(ValueError, match="no recurrent weights"):
        load_torch(str(tmp_path / "nothing.pt"))


# -- refusals --------------------------------------------------------------------------------------------

def one_line_error(source, match, **kw):
    with pytest.raises(ValueError, match=match) as e:
        load_torch(source, **kw)
    assert "\n" not in str(e.value)
    return str(e.value)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_rnn_refused(nonlinearity, tmp_path):
    rnn = torch.nn.RNN(1, 2, nonlinearity=nonlinearity)
    message = one_line_error(rnn, "nn.RNN uses tanh")
    assert "sigmoid" in message and "gru-after" in message and "lstm" in message
    one_line_error(rnn.state_dict(), "nn.RNN uses tanh")
    torch.save(rnn.state_dict(), tmp_path / "rnn.pt")
    one_line_error(str(tmp_path / "rnn.pt"), "nn.RNN uses tanh")


def test_bidirectional_and_projection_refused():
    bi = torch.nn.GRU(1, 2, bidirectional=True)
    one_line_error(bi, "bidirectional")
    one_line_error(bi.state_dict(), "bidirectional")
    proj = torch.nn.LSTM(1, 3, proj_size=2)
    one_line_error(proj, "proj")
    one_line_error(proj.state_dict(), "proj")


def test_foreign_parameters_refused():
    state = dict(torch.nn.LSTM(1, 2).state_dict())
    state["layer_norm_weight"] = torch.ones(8)
    one_line_error(state, "not a parameter of nn.GRU or nn.LSTM")


def test_bad_values_refused():
    gru = torch.nn.GRU(1, 1, dtype=torch.float64)
    state = dict(gru.state_dict())
    one_line_error({**state, "weight_hh_l0": torch.zeros(3, 1, dtype=torch.int64)}, "floating point only")
    one_line_error({**state, "weight_hh_l0": torch.zeros(3, 1, dtype=torch.complex64)}, "floating point only")
    with torch.no_grad():
        gru.bias_ih_l0[0] = float("nan")
    one_line_error(gru, "NaN")
    with torch.no_grad():
        gru.bias_ih_l0[0] = float("inf")
    one_line_error(gru, "infinite")


def test_cell_hint():
    gru = torch.nn.GRU(1, 1)
    one_line_error(gru, "not cell lstm", cell_hint="lstm")
    one_line_error(gru, "use|gru-after|after the product", cell_hint="gru")
    one_line_error(gru, "nn.RNN uses tanh", cell_hint="rnn")
    assert load_torch(gru, cell_hint="gru-after")[0].cell == "gru-after"


def test_weights_for_problem():
    (layer,) = load_torch(torch.nn.GRU(1, 2))
    ok = Problem(load_automaton("latch"), get_cell("gru-after"), units=2, output="readout")
    assert weights_for_problem(ok, layer) == layer.weights
    with pytest.raises(ValueError, match="2 units and 1 inputs; the question has 1 units"):
        weights_for_problem(Problem(load_automaton("latch"), get_cell("gru-after")), layer)
    with pytest.raises(ValueError, match="cell gru-after; the question is about cell lstm"):
        weights_for_problem(Problem(load_automaton("latch"), get_cell("lstm"), units=2), layer)


# -- a trained network, checked exactly ----------------------------------------------------------------

LATCH_SATURATED = Problem(load_automaton("latch"), get_cell("gru-after"), semantics=Semantics("saturated"))


def latch_batch(rng, batch=64, time=12):
    x = rng.integers(0, 2, size=(batch, time, 1)).astype(np.float64)
    y = np.maximum.accumulate(x, axis=1)  # the latch: on from the first 1
    return torch.from_numpy(x), torch.from_numpy(y)


def test_trained_gru_is_imported_and_checked():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    gru = torch.nn.GRU(1, 1, batch_first=True, dtype=torch.float64)
    opt = torch.optim.Adam(gru.parameters(), lr=0.1)
    for _ in range(40):
        x, y = latch_batch(rng)
        out, _ = gru(x)
        loss = ((out - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    (layer,) = load_torch(gru)
    result = check_weights(LATCH_SATURATED, weights_for_problem(LATCH_SATURATED, layer))
    assert isinstance(result.implements, bool)
    if result.implements:
        assert result.pairs >= 2
    else:
        assert result.word is not None and result.rows


def test_zero_model_is_refused_with_a_counterexample():
    gru = torch.nn.GRU(1, 1)
    with torch.no_grad():
        for p in gru.parameters():
            p.zero_()
    (layer,) = load_torch(gru)
    assert all(v == 0 for v in layer.weights.values())
    result = check_weights(LATCH_SATURATED, layer.weights)
    assert not result.implements
    assert result.word == ("0",) and "pre-activation" in result.reason  # z = sigma(0): ill-defined
    assert result.rows[-1].t == 1


def test_solved_latch_weights_survive_the_trip_through_torch():
    weights = {k: Fraction(v) for k, v in LATCH_GRU_AFTER.items()}
    assert check_weights(LATCH_SATURATED, weights).implements
    (layer,) = load_torch(to_torch("gru-after", weights, 1, 1))
    assert check_weights(LATCH_SATURATED, layer.weights).implements


# -- without PyTorch -------------------------------------------------------------------------------------

def test_package_imports_without_torch():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import numpy as np\n"
        "import automata_rnn.interop.pytorch as t, automata_rnn.present.diagrams, automata_rnn.cli.main\n"
        "w = np.arange(3.0).reshape(3, 1)\n"
        "state = {'weight_ih_l0': w, 'weight_hh_l0': w, 'bias_ih_l0': w[:, 0], 'bias_hh_l0': w[:, 0]}\n"
        "assert t.load_torch(state)[0].weights['b_z'] == 2\n"
        "try:\n"
        "    t.to_torch('gru-after', {}, 1, 1)\n"
        "except ValueError as e:\n"
        "    assert 'needs PyTorch' in str(e), e\n"
        "else:\n"
        "    raise SystemExit('to_torch worked without torch')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_certify_reads_a_pytorch_gru_toggle_and_refuses_a_broken_one(tmp_path, capsys):
    """A correct one-unit PyTorch GRU toggle (reset after the product, gain 8) is certified without extra flags;
    one with the candidate's input weight flipped exits 1 with a failing input that torch itself gets wrong."""
    import json

    from automata_rnn.cli.main import main

    weights = {k: Fraction(v) * 8 for k, v in dict(U_z=0, W_z=0, b_z=-1, U_r=4, W_r=2, b_r=-1, U_h=-2, W_h=-2,
                                                    b_h=-1, b_hn=4).items()}
    good, bad = tmp_path / "good.pt", tmp_path / "bad.pt"
    torch.save(to_torch("gru-after", weights, 1, 1), good)
    broken = to_torch("gru-after", {**weights, "U_h": Fraction(16)}, 1, 1)
    torch.save(broken, bad)
    assert main(["certify", "toggle", "--torch", str(good), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["certified"] is True
    assert main(["certify", "toggle", "--torch", str(bad), "--json"]) == 1
    word = json.loads(capsys.readouterr().out)["fails_on"]
    x = np.array([[[float(s)] for s in word]])
    out, _ = run_torch(broken, x)
    got = [0] + [int(h > 0.5) for h in out[0, :, 0]]
    expected = load_automaton("toggle").outputs(tuple(word))
    assert got != list(expected)
