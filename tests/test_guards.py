"""Soundness guards: a wrong model or a wrong certificate is caught before anything is printed."""

import copy
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from strategies import weights

import automata_rnn.questions.sizes as minimal
import automata_rnn.questions.solve as answering
from automata_rnn.cli.main import main
from automata_rnn.interop.automata_files import load_automaton
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.questions.solve import check_weights


def test_a_wrong_model_is_caught(monkeypatch, capsys):
    real = minimal.Encoding.weights

    def corrupted(self, model):
        w = real(self, model)
        return {k: v + 7 for k, v in w.items()}          # no longer a solution
    monkeypatch.setattr(minimal.Encoding, "weights", corrupted)
    monkeypatch.setattr(minimal, "_simpler", lambda enc, w, timeout: (w, None))
    code = main(["solve", "latch", "--cell", "rnn"])
    out, err = capsys.readouterr()
    assert code == 70 and "YES" not in out and "internal check failed" in err


def test_a_wrong_certificate_is_caught(monkeypatch, capsys):
    orig = minimal.exclude

    def tampered(*args, **kwargs):
        e = orig(*args, **kwargs)
        e.certificate = copy.deepcopy(e.certificate)
        e.certificate["tree"] = {"word": []}                # the empty input does not fail
        return e
    monkeypatch.setattr(answering, "exclude", tampered)
    code = main(["solve", "toggle", "--cell", "rnn"])
    out, err = capsys.readouterr()
    assert code == 70 and "NO" not in out and "rejected" in err


@settings(max_examples=30, deadline=None)
@given(weights(Problem(load_automaton("latch"), get_cell("rnn")), near_boundary=True))
def test_near_boundary_weights_decide_like_the_published_condition(w):
    """[b_h <= 0, U_h + b_h > 0, W_h + b_h > 0] exactly at the boundary (0 counts as off)."""
    p = Problem(load_automaton("latch"), get_cell("rnn"))
    expected = w["b_h"] <= 0 and w["U_h"] + w["b_h"] > 0 and w["W_h"] + w["b_h"] > 0
    assert check_weights(p, w).implements == expected


@pytest.mark.parametrize("near", [True, False])
def test_weights_strategy_respects_fixed(near):
    p = Problem(load_automaton("latch"), get_cell("gru"), fixed={"b_z": F(0)})

    @settings(max_examples=20, deadline=None)
    @given(weights(p, near_boundary=near))
    def inner(w):
        assert w["b_z"] == 0 and set(w) == set(p.parameter_names())
    inner()
