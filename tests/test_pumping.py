"""An LSTM whose cell state counts, under the saturated semantics: the pumping witness checked against exact
runs of u v^k, the answers on families of codes against exact simulation of every short input (by brute
force, one exact step at a time), and the sign of a pre-activation on a family against mpmath."""

from __future__ import annotations

import re
from fractions import Fraction

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automata_rnn.arithmetic.exact import Affine
from automata_rnn.cli.main import main
from automata_rnn.exact.pumping import (
    FamiliesTooMany,
    check_invariant,
    explore_families,
    family_sign,
    matching,
    member,
    tanh_of,
)
from automata_rnn.exact.run import Failure, IllDefined, explore, initial_code, read_output, step, trace, weight_signs
from automata_rnn.interop.automata_files import load_automaton
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.model.semantics import NEG, POS, Semantics
from automata_rnn.questions.solve import check_weights
from automata_rnn.verdicts import NoAnswer

COUNTS_AND_IMPLEMENTS = {"U_i": 1, "b_i": Fraction(-1, 2), "b_f": Fraction(3, 2), "b_g": Fraction(1, 2),
                         "W_o": 1, "b_o": Fraction(1, 2)}
"""Latch: i = [x = 1], f = 1, g = +1, o = [h > -1/2]: c counts the 1s read and h = tanh(c) > 1/2 once c >= 1."""

COUNTS_AND_FAILS_LATE = {**COUNTS_AND_IMPLEMENTS, "U_o": 2, "W_o": -1, "b_o": Fraction(9999, 10000)}
"""The same, but on a 0 the output gate closes once h = tanh(c) > 0.9999, i.e. c >= 5: it fails on 111110."""


def lstm(automaton="latch", units=1, semantics="saturated", output="state") -> Problem:
    return Problem(load_automaton(automaton), get_cell("lstm"), units, Semantics(semantics), output=output)


def full(problem: Problem, weights: dict) -> dict:
    out = {n: Fraction(0) for n in problem.parameter_names()}
    out.update({k: Fraction(v) for k, v in weights.items()})
    return out


def shortest_failure_by_brute_force(problem: Problem, weights: dict, length: int) -> tuple | None:
    """Every input up to ``length``, one exact step at a time (depth first): a shortest one (first in
    alphabet order) whose output differs from the automaton's or that meets an ill-defined gate; None if
    all agree."""
    params, signs, a = problem.parameters(weights), weight_signs(), problem.automaton
    found: list[tuple] = []

    def fails(code, q) -> bool:
        try:
            return read_output(problem, params, code, signs)[0] != a.output[q]
        except IllDefined:
            return True

    def walk(code, q, word):
        if len(word) == length:
            return
        for sym in a.alphabet:
            after, longer = a.step(q, sym), word + (sym,)
            try:
                nxt, _ = step(problem, params, code, sym, signs)
            except IllDefined:
                found.append(longer)
                continue
            if fails(nxt, after):
                found.append(longer)
            else:
                walk(nxt, after, longer)

    if fails(initial_code(problem), a.start):
        return ()
    walk(initial_code(problem), a.start, ())
    return min(found, key=lambda w: (len(w), w)) if found else None


def test_the_issues_lstm_answers_as_before_under_both_semantics():
    weights = {"U_i": 1, "U_f": 0, "b_f": 1, "U_g": 1, "b_o": 1}
    indicator = check_weights(lstm(semantics="indicator"), full(lstm(), weights))
    assert indicator.implements and indicator.pairs == 2 and not indicator.pumps
    saturated = check_weights(lstm(), full(lstm(), weights))     # i's pre-activation is 0 on input 0
    assert saturated.word == ("0",) and "gate i" in saturated.reason and not saturated.pumps


def test_a_cell_state_that_does_not_count_answers_as_the_plain_exact_run():
    problem = lstm("toggle")
    weights = full(problem, {"b_i": Fraction(1, 2), "b_f": Fraction(-1, 2), "U_g": 2, "W_g": -2, "b_g": Fraction(-1, 2),
                             "b_o": Fraction(1, 2)})    # f = 0: c = g in {-1, +1}
    result = check_weights(problem, weights)
    plain = explore(problem, weight_signs(), problem.parameters(weights))
    assert not result.pumps
    assert isinstance(plain, Failure) and result.word == plain.word


def test_a_counting_cell_state_that_implements_is_proved():
    problem = lstm()
    weights = full(problem, COUNTS_AND_IMPLEMENTS)
    result = check_weights(problem, weights)
    assert result.implements and "tool's own proof" in result.proof
    (pump,) = result.pumps
    assert (pump.prefix, pump.loop, pump.change) == (("1",), ("1",), (1,))
    run = explore_families(problem, problem.parameters(weights))
    assert check_invariant(problem, problem.parameters(weights), run.states)[0]
    # a family dropped from the invariant leaves it open: the check is not vacuous
    assert not check_invariant(problem, problem.parameters(weights), run.states[:-1])[0]


@pytest.mark.parametrize("weights", [COUNTS_AND_IMPLEMENTS, COUNTS_AND_FAILS_LATE])
def test_the_witness_holds_on_exact_runs_of_u_v_to_the_k(weights):
    problem = lstm()
    weights = full(problem, weights)
    pump = check_weights(problem, weights).pumps[0]
    n, m = len(pump.prefix), len(pump.loop)
    rows = trace(problem, weights, pump.prefix + pump.loop * 20)
    for k in range(1, 21):
        end = rows[n + k * m]
        assert tuple(Affine.lift(v) for v in end.code[1]) == \
            tuple(c + (k - 1) * d for c, d in zip(rows[n + m].code[1], pump.change))
        assert tuple(tuple(Affine.lift(v) for v in part) for part in end.code) == \
            member(pump.family, {pump.parameter: k})
        for i in range(m):
            gates = tuple(g for g in rows[n + (k - 1) * m + i + 1].gates if g[0] != "y")
            assert gates == pump.gates[i]


def test_a_counting_cell_state_that_fails_late_gets_the_shortest_failing_input():
    problem = lstm()
    weights = full(problem, COUNTS_AND_FAILS_LATE)
    result = check_weights(problem, weights)
    assert result.pumps and result.word == ("1", "1", "1", "1", "1", "0")
    assert shortest_failure_by_brute_force(problem, weights, 8) == result.word


def test_the_counting_check_prints_the_witness_and_its_answer(capsys):
    argv = ["check", "latch", "--cell", "lstm", "--semantics", "saturated", "--set"]
    assert main(argv + [f"{k}={v}" for k, v in COUNTS_AND_IMPLEMENTS.items()]) == 0
    out = capsys.readouterr().out
    assert 'the cell state counts: after u = "1", each round of v = "1" changes c by +1' in out
    assert "IMPLEMENTS" in out and "tool's own proof" in out
    assert main(argv + [f"{k}={v}" for k, v in COUNTS_AND_FAILS_LATE.items()]) == 1
    assert 'shortest failing input "111110"' in capsys.readouterr().out


def test_past_the_limit_on_families_the_answer_is_unknown_with_the_witness():
    problem = lstm()
    with pytest.raises(FamiliesTooMany, match="more than 2 reachable families.*the cell state counts"):
        explore_families(problem, problem.parameters(full(problem, COUNTS_AND_IMPLEMENTS)), limit=2)


@st.composite
def lstm_weights(draw):
    """Small LSTMs that often count: forget gates mostly open, candidates mostly +1, biases odd halves."""
    problem = lstm(draw(st.sampled_from(["latch", "latch", "toggle", "tomita1", "tomita2", "tomita4"])),
                   draw(st.sampled_from([1, 1, 2])))
    weights = {}
    for name in problem.parameter_names():
        if name.startswith("b"):
            options = {"b_f": [3, 3, -1], "b_g": [1, 1, -1, -3]}.get(name.split("[")[0], [-3, -1, 1, 3])
            weights[name] = Fraction(draw(st.sampled_from(options)), 2)
        else:
            weights[name] = Fraction(draw(st.sampled_from([-2, -1, 0, 0, 1, 2])))
    return problem, weights


@settings(max_examples=40, deadline=None)
@given(lstm_weights())
def test_whenever_the_families_answer_exact_simulation_of_every_input_up_to_8_agrees(case):
    problem, weights = case
    try:
        result = check_weights(problem, weights, limit=5_000)
    except NoAnswer:
        return
    brute = shortest_failure_by_brute_force(problem, weights, 8)
    if result.implements:
        assert brute is None
    elif len(result.word) <= 8:
        assert brute is not None and len(brute) == len(result.word)
        assert trace(problem, weights, result.word)[-1].got != trace(problem, weights, result.word)[-1].expected
    else:
        assert brute is None


def _value(x: Affine, k: int) -> mpmath.mpf:
    """x at parameter value k with 60 digits: ``tanh[e k1 + a]`` is tanh(e k + a), ``tanh(n)`` is tanh(n)."""
    total = mpmath.mpf(x.const.numerator) / x.const.denominator
    for name, q in x.coeffs.items():
        fam = re.fullmatch(r"tanh\[(\d*)k1([+-]\d+)?\]", name)
        const = re.fullmatch(r"tanh\((\d+)\)", name)
        assert fam or const, name
        n = int(fam.group(1) or 1) * k + int(fam.group(2) or 0) if fam else int(const.group(1))
        total += mpmath.mpf(q.numerator) / q.denominator * mpmath.tanh(n)
    return total


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3), st.integers(-6, 6)), min_size=1, max_size=3),
       st.fractions(-3, 3, max_denominator=8), st.integers(1, 4))
def test_a_sign_on_a_family_holds_for_every_member(terms, const, fixed):
    """sum q tanh(e k + a) + const + tanh(fixed): whenever family_sign gives a sign, every k = 1..60 has it."""
    k = Affine.var("k1")
    x = Affine.lift(const) + tanh_of(Affine.lift(fixed))
    for q, e, a in terms:
        x = x + q * tanh_of(e * k + a)
    sign = family_sign(x)
    mpmath.mp.dps = 60
    values = [_value(x, n) for n in range(1, 61)]
    if sign == POS:
        assert all(v > 0 for v in values)
    elif sign == NEG:
        assert all(v < 0 for v in values)


def test_the_brute_force_agrees_with_the_breadth_first_exact_run():
    """The brute force of these tests against the exact run, on networks that do not count."""
    for automaton in ("tomita2", "latch", "toggle"):
        problem = lstm(automaton)
        weights = full(problem, {"b_i": Fraction(1, 2), "b_f": Fraction(-1, 2), "U_g": 2, "W_g": -1,
                                 "b_g": Fraction(-1, 2), "W_o": 1, "b_o": Fraction(1, 2)})
        plain = explore(problem, weight_signs(), problem.parameters(weights))
        brute = shortest_failure_by_brute_force(problem, weights, 8)
        assert (plain.word if isinstance(plain, Failure) else None) == brute


def test_two_counters_are_two_parameters_and_the_proof_agrees_with_brute_force():
    """Unit 0 counts the 1s, unit 1 the 0s; the output reads unit 0: a latch, with families in k1 and k2."""
    problem = lstm(units=2)
    weights = full(problem, {"U_i[0,0]": 1, "U_i[0,1]": -1, "b_i[0]": Fraction(-1, 2), "b_i[1]": Fraction(1, 2),
                             "b_f[0]": 1, "b_f[1]": 1, "W_g[1,0]": 1, "b_g[0]": 1, "b_g[1]": 1, "b_o[0]": 1,
                             "b_o[1]": 1})
    result = check_weights(problem, weights)
    assert result.implements and len({p.parameter for p in result.pumps}) >= 2
    assert shortest_failure_by_brute_force(problem, weights, 8) is None


def test_a_member_lies_in_a_family_only_for_parameters_at_least_one():
    k1, k2 = Affine.var("k1"), Affine.var("k2")

    def code(c):
        return ((tanh_of(c),), (c,))

    family = code(k1 + 1)                                    # c in {2, 3, ...}
    assert matching(code(Affine.lift(2)), family, 1) == {"k1": Affine.lift(1)}
    assert matching(code(Affine.lift(1)), family, 1) is None
    assert matching(code(k2 + 3), family, 1) == {"k1": k2 + 2}
    assert matching(code(k2), family, 1) is None             # k2 = 1 would be c = 1
    assert matching(code(2 * k2 + 1), family, 1) is None     # every other member only, but not as a shift
    assert matching(((Affine(),), (Affine.lift(2),)), family, 1) is None   # o = 0: h = 0, not tanh(2)
