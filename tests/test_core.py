"""The symbolic core against independent computations and properties that must hold."""

import copy
import json
import subprocess
import sys
from fractions import Fraction as F

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automata_rnn.exact.checker import check
from automata_rnn.exact.run import trace
from automata_rnn.model.automata import latch, toggle
from automata_rnn.model.cells import get_cell
from automata_rnn.model.claims import evaluate, parse_claim
from automata_rnn.model.problem import Problem
from automata_rnn.model.semantics import Semantics
from automata_rnn.present.text import clause_text
from automata_rnn.questions.conditions import derive
from automata_rnn.questions.solve import check_weights, solve
from automata_rnn.solver.prove import implements

GRU_LATCH_FIX = dict(W_r=0, U_r=0, b_r=0, b_z=0, b_h=0)
GRU_TOGGLE_FIX = dict(W_r=0, U_r=0, b_z=0, b_h=0)


def problem(aut, cell, fixed=None, **kw):
    return Problem(aut, get_cell(cell), fixed={k: F(v) for k, v in (fixed or {}).items()}, **kw)


def cnf_holds(cnf, weights):
    return all(any(c[0].evaluate(weights) != 0 and False or _sign(c[0].evaluate(weights)) <= c[1] for c in clause)
               for clause in cnf)


def _sign(q):
    return frozenset("+") if q > 0 else frozenset("-") if q < 0 else frozenset("0")


def test_checker_imports_no_solver():
    code = ("import sys, automata_rnn.exact.checker; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('z3', 'numpy', 'sympy', 'hypothesis')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_rnn_latch_condition_is_the_published_one():
    p = problem(latch(), "rnn")
    c = derive(p)
    assert c.equivalent
    got = sorted(clause_text(cl, p.parameter_names()) for cl in c.cnf)
    assert got == ["U_h + b_h > 0", "W_h + b_h > 0", "b_h <= 0"]


def test_gru_latch_condition_and_the_second_way_for_h1_x1():
    p = problem(latch(), "gru", GRU_LATCH_FIX)
    c = derive(p)
    assert c.equivalent
    assert sorted(clause_text(cl, p.parameter_names()) for cl in c.cnf) == ["U_h > 0", "U_z <= 0", "W_z > 0"]
    row = next(r for r in c.rows if r.h == 1 and r.symbol == "1")
    gate_sets = [dict(a.gates) for a in row.alternatives]
    assert {"z": 1} .items() <= gate_sets[0].items()
    assert any(g.get("z") == 0 and g.get("h~") == 1 for g in gate_sets)


def test_textbook_toggle_vector_with_solved_gru_weights():
    p = problem(toggle(), "gru", GRU_TOGGLE_FIX)
    a = solve(p)
    assert a.verdict == "sat" and a.verified
    assert all(a.weights[k] == v for k, v in GRU_TOGGLE_FIX.items())
    rows = trace(p, a.weights, "00100100")
    assert "".join(str(r.got) for r in rows[1:]) == "00111000"


def test_rnn_toggle_impossible_with_accepted_certificate():
    a = solve(problem(toggle(), "rnn"))
    assert a.verdict == "unsat"
    assert check(a.certificate)[0]


@pytest.mark.parametrize("setting,word", [(dict(b_h=1), "0"), (dict(b_h=0), "1")])
def test_circulating_toggle_answers_fail(setting, word):
    w = {n: F(0) for n in problem(toggle(), "gru").parameter_names()}
    w.update({k: F(v) for k, v in dict(b_r=1, U_z=1, b_z=0, W_z=0, U_h=0, W_h=-2, **setting).items()})
    r = check_weights(problem(toggle(), "gru"), w)
    assert not r.implements and "".join(r.word) == word


# ---- certificates: tampering must be caught ----------------------------------------------------

@pytest.fixture(scope="module")
def toggle_certificate():
    return solve(problem(toggle(), "rnn")).certificate


def _leaves(node, path=()):
    if "split" in node:
        for i, b in enumerate(node["branches"]):
            yield from _leaves(b["node"], path + (i,))
    else:
        yield path, node


def _at(tree, path):
    for i in path:
        tree = tree["branches"][i]["node"]
    return tree


def test_tampered_multiplier_rejected(toggle_certificate):
    cert = copy.deepcopy(toggle_certificate)
    path, leaf = next((p, n) for p, n in _leaves(cert["tree"]) if "farkas" in n)
    _at(cert["tree"], path)["farkas"][0]["multiplier"] = "2"
    assert not check(cert)[0]
    _at(cert["tree"], path)["farkas"][0]["multiplier"] = "-1"
    assert not check(cert)[0]


def test_dropped_case_rejected(toggle_certificate):
    cert = copy.deepcopy(toggle_certificate)
    del cert["tree"]["branches"][0]
    assert not check(cert)[0]
    cert = copy.deepcopy(toggle_certificate)
    cert["tree"]["branches"][0]["signs"] = "+0"   # overlapping cases
    assert not check(cert)[0]


def test_wrong_word_and_wrong_problem_rejected(toggle_certificate):
    cert = copy.deepcopy(toggle_certificate)
    path, _ = next((p, n) for p, n in _leaves(cert["tree"]) if "word" in n)
    _at(cert["tree"], path)["word"] = []   # the empty input does not fail
    assert not check(cert)[0]
    cert = copy.deepcopy(toggle_certificate)
    cert["problem"]["automaton"] = latch().to_json()
    assert not check(cert)[0]
    assert not check({"format": "nonsense"})[0]
    assert not check(json.loads("[1, 2]"))[0]


# ---- properties ------------------------------------------------------------------------------

values = st.sampled_from([F(v) for v in (-2, -1, F(-1, 2), 0, F(1, 2), 1, 2)]) | \
    st.fractions(min_value=-3, max_value=3, max_denominator=4)

CASES = [(latch(), "rnn", {}), (latch(), "gru", GRU_LATCH_FIX), (toggle(), "gru", GRU_TOGGLE_FIX),
         (latch(), "gru-after", GRU_LATCH_FIX)]
_DERIVED = {}


def derived(i):
    if i not in _DERIVED:
        aut, cell, fx = CASES[i]
        p = problem(aut, cell, fx)
        _DERIVED[i] = (p, derive(p))
    return _DERIVED[i]


@given(st.integers(0, len(CASES) - 1), st.data())
def test_check_agrees_with_the_condition(i, data):
    p, c = derived(i)
    assert c.equivalent
    w = dict(p.fixed)
    for n in p.free_names():
        w[n] = data.draw(values, label=n)
    assert check_weights(p, w).implements == cnf_holds(c.cnf, w)


small = st.integers(-2, 2)


@settings(max_examples=30)
@given(st.sampled_from([latch(), toggle()]), st.sampled_from(["rnn", "gru", "gru-after"]), st.data())
def test_every_answer_is_checked(aut, cell, data):
    base = problem(aut, cell)
    names = base.parameter_names()
    fixed_names = data.draw(st.lists(st.sampled_from(names), unique=True, min_size=max(0, len(names) - 4)),
                            label="fixed")
    fixed = {n: data.draw(small, label=n) for n in fixed_names}
    p = problem(aut, cell, fixed)
    a = solve(p)
    if a.verdict == "sat":
        assert implements(p, a.weights)
        assert all(a.weights[k] == v for k, v in p.fixed.items())
    else:
        assert a.verdict == "unsat"
        assert check(a.certificate)[0]
        cert = copy.deepcopy(a.certificate)
        # tamper: flip the claim's automaton output of the start state
        start = cert["problem"]["automaton"]["start"]
        acc = cert["problem"]["automaton"]["accepting"]
        cert["problem"]["automaton"]["accepting"] = [q for q in acc if q != start] + ([] if start in acc else [start])
        # the checker may accept it only if the changed claim is true as well
        assert not check(cert)[0] or solve(Problem.from_json(cert["problem"])).verdict == "unsat"


@given(st.data())
def test_claim_judgement_witnesses_verify(data):
    p, c = derived(0)
    a, b = data.draw(st.integers(-1, 1)), data.draw(st.integers(-1, 1))
    text = f"{a}*U_h + {b}*W_h + b_h > 0"
    f = parse_claim(text, p.parameter_names(), p.fixed)
    from automata_rnn.questions.conditions import judge
    j = judge(p, text, f)
    if not j.necessary:
        w = j.necessary_witness
        assert implements(p, w) and not evaluate(f, w)
    if not j.sufficient:
        w = j.sufficient_witness
        assert not implements(p, w) and evaluate(f, w)
    for cert in j.certificates:
        assert check(cert)[0]


def test_margin_solution_keeps_every_preactivation_away_from_zero():
    p = problem(latch(), "rnn", semantics=Semantics("indicator", 1), bound=F(3))
    a = solve(p)
    assert a.verdict == "sat" and a.margin_achieved >= 1
    assert all(abs(v) <= 3 for v in a.weights.values())
    tight = problem(latch(), "rnn", semantics=Semantics("indicator", 2), bound=F(1))
    b = solve(tight)
    assert b.verdict == "unsat" and check(b.certificate)[0]


def test_saturated_semantics_toggle_on_gru():
    p = problem(toggle(), "gru", dict(W_r=0, U_r=0), semantics=Semantics("saturated"))
    a = solve(p)
    assert a.verdict == "sat" and implements(p, a.weights)
