"""Proofs about real networks: never a proof where a failing input exists; proofs agree with long
simulations; broken networks are refused with a counterexample; extraction recovers the target."""

from fractions import Fraction as F

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from automata_rnn.arithmetic.simulate import encode_words, params_to_numpy, simulate
from automata_rnn.interop.automata_files import load_automaton
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.questions.simulate import read_outputs
from automata_rnn.questions.verify import compare, extract, find_failure, prove_real

LATCH_GRU = dict(U_z=-2, W_z=2, b_z=-1, U_r=-4, W_r=-2, b_r=1, U_h=0, W_h=F(5, 2), b_h=1, b_hn=-2)


def gru_after(gain):
    p = Problem(load_automaton("latch"), get_cell("gru-after"))
    return p, {n: F(LATCH_GRU.get(n, 0)) * gain for n in p.parameter_names()}


def test_a_good_network_is_proved_and_its_automaton_extracted():
    p, w = gru_after(2)
    proof = prove_real(p, w)
    assert proof.proved
    assert compare(p.automaton, extract(p, w, depth=8)) is None


@settings(max_examples=10, deadline=None)
@given(st.lists(st.sampled_from("01"), min_size=1, max_size=3000))
def test_a_proof_agrees_with_long_simulations(word):
    p, w = gru_after(2)
    params = params_to_numpy(p.parameters(w))
    sim = simulate(p.cell, params, encode_words(p.automaton, [tuple(word)]))
    assert read_outputs(p, w, np.asarray(sim.hidden[0]), F(1)) == p.automaton.outputs(tuple(word))


def test_a_broken_network_is_refused_with_a_counterexample():
    p, w = gru_after(1)
    assert not prove_real(p, w).proved
    word = find_failure(p, w, max_length=6)
    assert word == ("0", "0", "1")
    zero = {n: F(0) for n in p.parameter_names()}
    assert not prove_real(p, zero).proved and find_failure(p, zero, max_length=4) == ("1",)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["rnn", "gru", "gru-after"]), st.data())
def test_never_proved_when_a_failing_input_exists(cell, data):
    p = Problem(load_automaton(data.draw(st.sampled_from(["latch", "toggle"]))), get_cell(cell))
    w = {n: F(data.draw(st.integers(-12, 12))) / 2 for n in p.parameter_names()}
    if prove_real(p, w).proved:
        assert find_failure(p, w, max_length=7, long_runs=4, long_length=500) is None


def test_a_trained_gru_is_proved_for_every_length():
    """Train a one-unit GRU on the latch (per-step outputs, seed 2), then prove the real network."""
    from automata_rnn.learn.train import train_automaton

    result = train_automaton(load_automaton("latch"), "gru", 1, epochs=40, seed=2)
    weights = {k: F(v) for k, v in result.named_weights().items()}
    p = Problem(load_automaton("latch"), get_cell("gru"))
    assert prove_real(p, weights).proved


def test_verify_answers_for_a_trained_lstm_within_its_budget(tmp_path, capsys):
    """A saturated LSTM's cell state counts: the thresholded diagnostic stops at its pair limit and says so,
    and verify still answers (a proof, a failing input or unknown) in well under a minute."""
    import json
    import time

    from automata_rnn.cli.main import main

    assert main(["train", "latch", "--cell", "lstm", "--seed", "1", "--out", str(tmp_path), "--no-plot",
                 "--epochs", "5"]) == 0
    capsys.readouterr()
    start = time.monotonic()
    code = main(["verify", "latch", "--weights", str(tmp_path / "train-latch-lstm-1u-noclip.json"), "--json"])
    assert time.monotonic() - start < 30
    out = json.loads(capsys.readouterr().out)
    assert code in (0, 1, 3) and out["verdict"] in ("sat", "unsat", "unknown")
    for sem in ("indicator", "saturated"):
        r = out["thresholded"][sem]
        assert r["verdict"] in ("sat", "unsat", "unknown")
        assert (r["verdict"] == "unknown") == (r["reason"] is not None and r["reason"].startswith("unknown"))


def latch_stack(gain):
    """Two layers of PyTorch GRU units (3 then 2) with a linear head: unit 0 of layer 1 is the one-unit latch
    above at ``gain``, layer 2's unit 0 reads it through tanh(8 h - 4) (its update gate shut; the head
    units keep 0 (update gate open, everything else 0)."""
    p = Problem(load_automaton("latch"), get_cell("gru-after"), layers=(3, 2), output="readout")
    w = {n: F(0) for n in p.parameter_names()}
    for name, value in LATCH_GRU.items():
        kind = "U" if name.startswith("U") else "W" if name.startswith("W") else "b"
        w[f"l1.{name}[0,0]" if kind in "UW" else f"l1.{name}[0]"] = F(value) * gain
    w.update({"l1.b_z[1]": F(20), "l1.b_z[2]": F(20), "l2.b_z[0]": F(-20), "l2.b_z[1]": F(20),
              "l2.U_h[0,0]": F(8), "l2.b_h[0]": F(-4), "W_y[0,0]": F(1), "b_y": F(-1, 2)})
    return p, w


def test_a_two_layer_network_of_several_units_is_proved_or_refuted_certainly():
    """The stacked latch at gain 2 is proved for every length; at gain 1 its layer-1 latch fails on 001 (as
    the one-unit network does), and the boxes show the real output certainly wrong there."""
    from automata_rnn.questions.verify import failure_search, verify

    p, good = latch_stack(2)
    proof = prove_real(p, good)
    assert proof.proved, proof.reason
    assert prove_real(p, good, zonotopes=True).proved
    assert verify(p, good).verdict == "sat"
    p, bad = latch_stack(1)
    assert not prove_real(p, bad).proved
    found = failure_search(p, bad, max_length=6)
    assert found is not None and found.word == ("0", "0", "1") and found.certain and found.undecided is None
    params = params_to_numpy({k: v for k, v in p.parameters(bad).items() if k not in ("W_y", "b_y")})
    sim = simulate(p.cell, params, encode_words(p.automaton, [found.word]), layers=p.layers)
    logit = float(sim.hidden[0, -1, 3]) - 0.5  # W_y reads unit 0 of the top layer, b_y = -1/2
    assert found.enclosure[0] <= logit <= found.enclosure[1] and logit <= 0
    assert verify(p, bad).verdict == "unsat"


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.sampled_from(["latch", "toggle", "tomita2"]))
def test_a_proof_at_two_layers_of_eight_units_survives_every_search(seed, name):
    """Random saturating 2 x 8 PyTorch GRUs (read-out on the top layer): a proof is never contradicted by a
    float64 run up to length 8 or on long random inputs; a certain failure is never proved."""
    from automata_rnn.questions.verify import failure_search

    rng = np.random.default_rng(seed)
    p = Problem(load_automaton(name), get_cell("gru-after"), layers=(8, 8), output="readout")
    w = {n: F(float(np.float32(rng.normal(0, 3)))) for n in p.parameter_names()}
    proof = prove_real(p, w, radius=0.25)
    found = failure_search(p, w, max_length=8, long_runs=8, long_length=300)
    if proof.proved:
        assert found is None
        words = [tuple(rng.choice(["0", "1"], 400)) for _ in range(16)]
        params = params_to_numpy({k: v for k, v in p.parameters(w).items() if k not in ("W_y", "b_y")})
        sim = simulate(p.cell, params, encode_words(p.automaton, words), layers=p.layers)
        for i, word in enumerate(words):
            assert read_outputs(p, w, np.asarray(sim.hidden[i]), F(1)) == p.automaton.outputs(word)
    elif found is not None and found.certain:
        assert not proof.proved


def test_the_empty_word_is_left_out_only_when_asked():
    """The stacked latch with b_y = +1/2 reads 1 at h(0) = 0 (the latch says 0) and is right after every
    symbol: refuted on the empty input when time 0 counts, proved when it does not; both answers fit the
    verify schema."""
    from automata_rnn.interop.schemas import validate
    from automata_rnn.present.report import verify_json
    from automata_rnn.questions.verify import verify

    p, w = latch_stack(2)
    w["b_y"] = F(1, 2)
    counted = verify(p, w, search_length=4)
    assert counted.verdict == "unsat" and counted.failure.word == () and counted.failure.certain
    ignored = verify(p, w, search_length=4, count_empty=False)
    assert ignored.verdict == "sat"
    assert all(r.word != () for r in ignored.thresholded.values())
    for found in (counted, ignored):
        validate("verify", verify_json(found))


def test_a_failure_run_again_on_precise_intervals_lies_inside_the_boxes_and_holds_the_float64_value():
    """The stacked latch at gain 1 fails on 001: mpmath intervals at 256 bits put the logit inside the float64
    boxes' enclosure, far narrower, around the float64 run's value."""
    from automata_rnn.questions.verify import _precise_readout, confirm

    p, bad = latch_stack(1)
    word = ("0", "0", "1")
    boxed = confirm(p, bad, word)
    low, high = _precise_readout(p, bad, word, "sigmoid", 256)
    assert boxed.enclosure[0] <= low <= high <= boxed.enclosure[1]
    assert high - low < 1e-15 < boxed.enclosure[1] - boxed.enclosure[0]
    params = params_to_numpy({k: v for k, v in p.parameters(bad).items() if k not in ("W_y", "b_y")})
    sim = simulate(p.cell, params, encode_words(p.automaton, [word]), layers=p.layers)
    logit = float(sim.hidden[0, -1, 3]) - 0.5
    assert abs(logit - (low + high) / 2) < 1e-12
