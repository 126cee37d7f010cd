"""The checker's Farkas rule and relaxations on hand-built certificates: every unsound variant of the
acceptance test is rejected, every sound one accepted."""

import copy
from fractions import Fraction as F

import pytest

from automata_rnn.exact.checker import FORMAT, check
from automata_rnn.model.automata import Automaton, latch, toggle
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.questions.sizes import refute_all_sizes


def expr(const=0, **coeffs):
    return {"coeffs": {k: str(v) for k, v in coeffs.items()}, "const": str(const)}


def cert(hypotheses, items, bound=None):
    p = Problem(latch(), get_cell("rnn"), bound=None if bound is None else F(bound))
    return {"format": FORMAT, "claim": "refutes", "problem": p.to_json(),
            "hypotheses": [{"expr": e, "signs": s} for e, s in hypotheses],
            "tree": {"farkas": [{"expr": e, "rel": r, "multiplier": str(m)} for e, r, m in items]}}


def test_strict_fact_and_its_negation_contradict():
    c = cert([(expr(U_h=1), "+"), (expr(U_h=-1), "0+")],
             [(expr(U_h=1), ">", 1), (expr(U_h=-1), ">=", 1)])
    assert check(c)[0]


def test_zero_without_a_strict_fact_is_no_contradiction():
    c = cert([(expr(U_h=1), "0+"), (expr(U_h=-1), "0+")],
             [(expr(U_h=1), ">=", 1), (expr(U_h=-1), ">=", 1)])
    assert not check(c)[0]


def test_a_strict_fact_with_multiplier_zero_does_not_count():
    c = cert([(expr(U_h=1), "0+"), (expr(U_h=-1), "0+"), (expr(W_h=1), "+")],
             [(expr(U_h=1), ">=", 1), (expr(U_h=-1), ">=", 1), (expr(W_h=1), ">", 0)])
    assert not check(c)[0]


def test_a_positive_constant_is_no_contradiction():
    c = cert([(expr(U_h=1), "0+"), (expr(F(1, 2), U_h=-1), "0+")],
             [(expr(U_h=1), ">=", 1), (expr(F(1, 2), U_h=-1), ">=", 1)])
    assert not check(c)[0]


def test_a_negative_constant_is_a_contradiction_and_fractional_multipliers_count():
    c = cert([(expr(U_h=1), "+"), (expr(F(-1, 2), U_h=-2), "0+")],
             [(expr(U_h=1), ">=", 1), (expr(F(-1, 2), U_h=-2), ">=", F(1, 2))])
    assert not check(c)[0]          # U_h >= 0 is not a fact here (U_h > 0 is): not available
    c = cert([(expr(U_h=1), "+"), (expr(F(-1, 2), U_h=-2), "0+")],
             [(expr(U_h=1), ">", 1), (expr(F(-1, 2), U_h=-2), ">=", F(1, 2))])
    assert check(c)[0]              # U_h + (1/2)(-2 U_h - 1/2) = -1/4 < 0


def test_negative_multipliers_and_missing_items_are_rejected():
    good = cert([(expr(U_h=1), "+"), (expr(U_h=-1), "0+")],
                [(expr(U_h=1), ">", 1), (expr(U_h=-1), ">=", 1)])
    bad = copy.deepcopy(good)
    bad["tree"]["farkas"][1]["multiplier"] = "-1"
    assert not check(bad)[0]
    bad = copy.deepcopy(good)
    bad["tree"]["farkas"] = []
    assert not check(bad)[0]
    bad = copy.deepcopy(good)
    bad["tree"]["farkas"][0] = "U_h > 0"
    assert not check(bad)[0]
    bad = copy.deepcopy(good)
    bad["hypotheses"][0] = {"expr": expr(U_h=1)}
    assert not check(bad)[0]


@pytest.mark.parametrize("bound,accepted", [(1, True), (2, False)])
def test_the_weight_bound_is_a_fact_exactly(bound, accepted):
    """U_h - 1 > 0 contradicts U_h <= 1 (bound 1) but not U_h <= 2."""
    c = cert([(expr(-1, U_h=1), "+")], [(expr(-1, U_h=1), ">", 1), (expr(1, U_h=-1), ">=", 1)], bound=bound)
    if bound == 2:
        c["tree"]["farkas"][1]["expr"] = expr(2, U_h=-1)
        c["tree"]["farkas"][0]["expr"] = expr(-1, U_h=1)
    assert check(c)[0] == accepted
    lower = cert([(expr(1, U_h=1), "-")], [(expr(-1, U_h=-1), ">", 1), (expr(bound, U_h=1), ">=", 1)], bound=bound)
    assert check(lower)[0] == (bound == 1)   # U_h < -1 contradicts U_h >= -1 only


def one_hot_parity():
    t = {("even", "a"): "odd", ("even", "b"): "even", ("odd", "a"): "even", ("odd", "b"): "odd"}
    return Automaton("parity-ab", ("a", "b"), ("even", "odd"), "even", t, {"even": 0, "odd": 1})


@pytest.mark.parametrize("semantics", ["indicator", "saturated"])
def test_all_sizes_relaxation_on_one_hot_inputs(semantics):
    from automata_rnn.model.semantics import Semantics
    p = Problem(one_hot_parity(), get_cell("rnn"), 1, Semantics(semantics))
    c = refute_all_sizes(p)
    assert c is not None and check(c)[0]
    names = {n for item in c["tree"]["farkas"] for n in item["expr"]["coeffs"]}
    assert names <= {"U_h[0,0]", "U_h[1,0]", "c[even]", "c[odd]"}
    forged = copy.deepcopy(c)
    forged["problem"] = Problem(latch(), get_cell("rnn")).to_json()
    assert not check(forged)[0]
    forged = copy.deepcopy(c)
    forged["problem"]["cell"] = "gru"
    assert not check(forged)[0]


def test_all_sizes_claim_is_not_a_word():
    p = Problem(toggle(), get_cell("rnn"))
    c = refute_all_sizes(p)
    bad = copy.deepcopy(c)
    bad["tree"] = {"word": ["1"]}
    assert not check(bad)[0]
