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
