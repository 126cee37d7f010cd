"""The network around the cell, defined once: the output rule and read-out that files record and every
command obeys; the activation table that every arithmetic reads."""

from __future__ import annotations

import json
from fractions import Fraction as F

import numpy as np
import pytest

from automata_rnn.arithmetic.interval import IntervalOps, exact
from automata_rnn.arithmetic.numeric import NumericOps
from automata_rnn.arithmetic.simulate import encode_words, params_to_numpy, simulate
from automata_rnn.cli.main import main
from automata_rnn.model.activation import ACTIVATIONS, REAL_ACTIVATIONS, get_activation
from automata_rnn.model.automata import latch
from automata_rnn.model.cells import get_cell
from automata_rnn.model.network import OUTPUT_RULES, get_rule
from automata_rnn.model.problem import Problem
from automata_rnn.questions.simulate import read_outputs


@pytest.mark.parametrize("units", [1, 2])
def test_train_then_verify_reads_the_network_as_it_was_trained(tmp_path, capsys, units):
    """README's pair: the file records cell, size, read-out and the prediction rule; verify obeys them and its
    verdicts agree with an independent float64 run under sigmoid(h) > 1/2."""
    assert main(["train", "latch", "--cell", "gru", "--units", str(units), "--seed", "2", "--out", str(tmp_path),
                 "--no-plot"]) == 0
    capsys.readouterr()
    path = tmp_path / f"train-latch-gru-{units}u-noclip.json"
    record = json.loads(path.read_text())
    assert record["output_rule"] == "prediction" and record["units"] == units and record["cell"] == "gru"
    assert all(not k.startswith("V_y") for k in record["weights"])
    code = main(["verify", "latch", "--weights", str(path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code in (0, 1, 3)
    assert out["problem"]["output_rule"] == "prediction" and out["problem"]["units"] == units
    assert out["problem"]["output"] == ("state" if units == 1 else "readout")
    failing = out["real"]["failing_input"]
    if failing is not None:
        assert code == 1
        assert _independent_outputs(record, failing) != latch().outputs(tuple(failing))
        # an extraction that matched the target everywhere would contradict the failure: it must say so
        assert not (out["extracted"]["equivalent"] and out["extracted"]["faithful"])
    if out["extracted"]["network_differs_on"] is not None:
        word = out["extracted"]["network_differs_on"]
        from automata_rnn.model.automata import Automaton

        extracted = Automaton.from_json(out["extracted"]["automaton"])
        assert _independent_outputs(record, word) != extracted.outputs(tuple(word))


def _independent_outputs(record: dict, word: str) -> list[int]:
    """Outputs of the trained GRU on ``word``: NumPy by hand, prediction rule (logit > 0)."""
    w = {k: float(v) for k, v in record["weights"].items()}
    n = record["units"]

    def mat(name, rows):
        if n == 1 and rows == 1:
            return np.array([[w[name]]])
        return np.array([[w[f"{name}[{i},{j}]"] for j in range(n)] for i in range(rows)])

    def vec(name):
        return np.array([w[name]]) if n == 1 else np.array([w[f"{name}[{j}]"] for j in range(n)])

    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    h = np.zeros(n)

    def out(h):
        if record["output"] == "state":
            return int(h[0] > 0)
        wy = np.array([w["W_y"]]) if n == 1 else np.array([w[f"W_y[{i},0]"] for i in range(n)])
        return int(h @ wy + w["b_y"] > 0)

    outs = [out(h)]
    for s in word:
        x = np.array([float(s)])
        z = sig(x @ mat("U_z", 1) + h @ mat("W_z", n) + vec("b_z"))
        r = sig(x @ mat("U_r", 1) + h @ mat("W_r", n) + vec("b_r"))
        cand = np.tanh(x @ mat("U_h", 1) + (r * h) @ mat("W_h", n) + vec("b_h"))
        h = z * h + (1 - z) * cand
        outs.append(out(h))
    return outs


def test_output_rules_on_real_states():
    """half is [h > 1/2], prediction is sigmoid(h) > 1/2 (computed here as the logistic function itself)."""
    p_half = Problem(latch(), get_cell("gru"))
    p_pred = Problem(latch(), get_cell("gru"), rule=get_rule("prediction"))
    hidden = np.linspace(-1, 1, 201).reshape(-1, 1)
    assert read_outputs(p_half, {}, hidden, F(1)) == [int(h > 0.5) for h in hidden[:, 0]]
    assert read_outputs(p_pred, {}, hidden, F(1)) == [int(1 / (1 + np.exp(-h)) > 0.5) for h in hidden[:, 0]]
    assert set(OUTPUT_RULES) == {"half", "prediction"}
    with pytest.raises(ValueError, match="unknown output rule"):
        get_rule("other")


def test_the_rules_agree_on_threshold_codes():
    for code in (F(-1), F(0), F(1)):
        assert get_rule("half").reads(code) == get_rule("prediction").reads(code)


def test_solve_save_records_the_network(tmp_path, capsys):
    path = tmp_path / "w.json"
    assert main(["solve", "tomita2", "--cell", "rnn", "--units", "2", "--save", str(path)]) == 0
    record = json.loads(path.read_text())
    assert record["units"] == 2 and record["output"] == "readout" and record["cell"] == "rnn"
    capsys.readouterr()
    assert main(["check", "tomita2", "--weights", str(path)]) == 0


def test_one_activation_table_for_every_arithmetic():
    """The numeric and interval arithmetics compute the same hard sigmoids from the one table."""
    v = np.linspace(-4, 4, 33).reshape(1, -1)
    for name in REAL_ACTIVATIONS:
        numeric = NumericOps(name).sigmoid(v, "z")[0]
        boxes = IntervalOps(name).sigmoid(tuple(exact(F(x).limit_denominator(1000)) for x in v[0]))
        for x, y, box in zip(v[0], numeric, boxes):
            assert float(box.a) - 1e-12 <= y <= float(box.b) + 1e-12, (name, x)
        slope = get_activation(name).slope
        if slope is not None:
            assert np.allclose(numeric, np.clip(float(slope) * v[0] + 0.5, 0, 1))
    assert get_activation("hard_sigmoid_pytorch").saturation == 3
    assert get_activation("hard_sigmoid").saturation == F(5, 2)
    assert set(ACTIVATIONS) == {"sigmoid", "hard_sigmoid", "hard_sigmoid_pytorch", "indicator", "saturated"}


def test_simulate_uses_the_pytorch_hard_sigmoid_when_asked():
    cell = get_cell("gru")
    p = Problem(latch(), cell)
    w = {n: F(1) for n in p.parameter_names()}
    params = params_to_numpy(p.parameters(w))
    x = encode_words(latch(), ["0101"])
    a = simulate(cell, params, x, activation="hard_sigmoid")
    b = simulate(cell, params, x, activation="hard_sigmoid_pytorch")
    assert not np.allclose(a.hidden, b.hidden)


@pytest.mark.parametrize("cell", ["rnn", "gru", "gru-after"])
@pytest.mark.parametrize("semantics", ["indicator", "saturated"])
def test_code_values_are_the_codes_exact_runs_meet(cell, semantics):
    """A cell's own code set holds every code that exact steps reach (random integer weights, two units,
    inputs up to length 4), and the top of its state range is reached."""
    from automata_rnn.exact.run import IllDefined, initial_code, step, weight_signs
    from automata_rnn.model.automata import toggle
    from automata_rnn.model.semantics import Semantics

    c = get_cell(cell)
    values = set(c.code_values(semantics))
    seen: set = set()
    rng = np.random.default_rng(5)
    p = Problem(toggle(), c, units=2, semantics=Semantics(semantics), output="readout")
    for _ in range(40):
        params = p.parameters({n: F(int(rng.integers(-3, 4))) for n in p.parameter_names()})
        frontier = {initial_code(p)}
        for _ in range(4):
            nxt = set()
            for code in frontier:
                for sym in "01":
                    try:
                        nxt.add(step(p, params, code, sym, weight_signs())[0])
                    except IllDefined:
                        pass
            frontier = nxt
            for code in frontier:
                seen |= set(code[0])
    assert seen <= values and c.state_range[1] in seen
    assert get_cell("lstm").code_values(semantics) is None
