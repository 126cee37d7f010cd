"""Answers that were once wrong: forged certificates, the LSTM's saturated limit, the time-0 read-out,
and claims that always hold.  Each test compares with an independent computation or a property."""

from __future__ import annotations

import copy
import itertools
import json
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mpmath import mp, mpf
from mpmath import tanh as mp_tanh

from automata_rnn.arithmetic.exact import Affine
from automata_rnn.arithmetic.simulate import encode_words, params_to_numpy, simulate
from automata_rnn.arithmetic.tanh_values import sign_of_tanh_form, tanh_of_integer
from automata_rnn.cli.main import main
from automata_rnn.exact.checker import CLAIMS, FORMAT, _main, check
from automata_rnn.exact.run import TooLarge, initial_code, read_output, step, weight_signs
from automata_rnn.interop.automata_files import load_automaton
from automata_rnn.model.automata import latch, toggle
from automata_rnn.model.cells import CELLS, get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.model.semantics import Semantics
from automata_rnn.questions.simulate import read_outputs, simulate_word
from automata_rnn.questions.sizes import refute_all_sizes
from automata_rnn.questions.solve import check_weights, solve

# -- forged certificates ------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["rnn", "gru", "gru-after", "lstm"])
@pytest.mark.parametrize("output", ["state", "readout"])
def test_all_sizes_with_no_tree_is_rejected(cell, output):
    p = Problem(load_automaton("tomita1"), get_cell(cell), output=output)
    for tree in (None, {}, []):
        cert = {"format": FORMAT, "claim": "refutes-all-sizes", "problem": p.to_json(), "tree": tree}
        ok, why = check(cert)
        assert not ok and "no tree" in why, (cell, output, tree)
    cert["tree"] = "x"
    assert check(cert) == (False, "a tree node is an object")


def test_the_forged_claim_is_false():
    """The weights that refute the forged all-sizes claim (tomita1 on an Elman cell with a read-out)."""
    p = Problem(load_automaton("tomita1"), get_cell("rnn"), output="readout")
    w = {"U_h": F(-1), "W_h": F(1), "b_h": F(1), "W_y": F(-1), "b_y": F(1)}
    assert check_weights(p, w).implements


@pytest.mark.parametrize("claim", CLAIMS)
def test_every_claim_rejects_a_missing_tree(claim):
    p = Problem(toggle(), get_cell("rnn"))
    for tree in (None, {}):
        cert = {"format": FORMAT, "claim": claim, "problem": p.to_json(), "hypotheses": [], "clauses": [],
                "tree": tree}
        assert not check(cert)[0]
        cert.pop("tree")
        assert not check(cert)[0]


def test_all_sizes_scope_comes_before_the_empty_word():
    """The empty-word argument (h(0) = 0 reads 0) holds for an output unit, not for a read-out."""
    word = {"word": []}
    for cell, output in (("rnn", "readout"), ("gru", "state"), ("lstm", "state")):
        p = Problem(load_automaton("tomita1"), get_cell(cell), output=output)
        cert = {"format": FORMAT, "claim": "refutes-all-sizes", "problem": p.to_json(), "tree": word}
        ok, why = check(cert)
        assert not ok and "all-sizes relaxation is for Elman cells" in why
    good = Problem(load_automaton("tomita1"), get_cell("rnn"))
    assert check({"format": FORMAT, "claim": "refutes-all-sizes", "problem": good.to_json(), "tree": word})[0]
    zero_start = Problem(latch(), get_cell("rnn"))
    ok, why = check({"format": FORMAT, "claim": "refutes-all-sizes", "problem": zero_start.to_json(),
                     "tree": word})
    assert not ok and "must give 0" in why


def test_all_sizes_rejects_fixed_weights_and_bounds():
    cert = refute_all_sizes(Problem(load_automaton("parity"), get_cell("rnn")))
    assert check(cert)[0]
    for key, value in (("fixed", {"U_h": "1"}), ("bound", "3")):
        forged = copy.deepcopy(cert)
        forged["problem"][key] = value
        ok, why = check(forged)
        assert not ok and "every network" in why


def test_all_sizes_tree_is_a_farkas_leaf():
    cert = refute_all_sizes(Problem(load_automaton("parity"), get_cell("rnn")))
    forged = copy.deepcopy(cert)
    forged["tree"] = {"verified": True}
    ok, why = check(forged)
    assert not ok and "one Farkas leaf" in why
    forged["tree"] = {"farkas": cert["tree"]["farkas"], "extra": 1}
    assert not check(forged)[0]


def test_command_line_checker_reads_the_proof_files(capsys):
    import glob

    files = sorted(glob.glob("proofs/*.json"))
    assert files
    assert _main(files) == 0
    out = capsys.readouterr().out
    assert "REJECTED" not in out and out.count("ACCEPTED") >= len(files)


# -- the LSTM's saturated limit -------------------------------------------------------------


def test_tanh_constants_sign_against_high_precision():
    mp.dps = 60
    rng = np.random.default_rng(0)
    for _ in range(200):
        coeffs = {n: int(rng.integers(-5, 6)) for n in rng.choice(np.arange(1, 9), size=3, replace=False)}
        const = F(int(rng.integers(-400, 401)), 100)
        e = Affine(None, const)
        for n, q in coeffs.items():
            e = e + tanh_of_integer(int(n)) * q
        if e.is_constant:
            continue
        value = mpf(const.numerator) / const.denominator + sum(q * mp_tanh(int(n)) for n, q in coeffs.items())
        assert sign_of_tanh_form(e) == (frozenset("+") if value > 0 else frozenset("-"))
    assert tanh_of_integer(0) == Affine() and tanh_of_integer(-2) == -tanh_of_integer(2)


LSTM_CLAIMED = {"U_i": 0, "W_i": 0, "b_i": 1, "U_f": 0, "W_f": 0, "b_f": -1, "U_g": 4, "W_g": 2, "b_g": F(-9, 5),
                "U_o": 0, "W_o": 0, "b_o": 1}


def test_the_lstm_that_was_called_right_is_wrong_on_10():
    p = Problem(latch(), get_cell("lstm"), semantics=Semantics("saturated"))
    result = check_weights(p, {k: F(v) for k, v in LSTM_CLAIMED.items()})
    assert not result.implements and result.word == ("1", "0")
    for gain in (10, 1000, 10**6):
        run = simulate_word(p, {k: F(v) for k, v in LSTM_CLAIMED.items()}, "10", F(gain))
        assert run.outputs[-1] != run.expected[-1]


def test_saturated_lstm_with_free_weights_is_unknown_with_a_reason():
    answer = solve(Problem(latch(), get_cell("lstm"), semantics=Semantics("saturated")))
    assert answer.verdict == "unknown" and "o tanh(c)" in answer.reason


SMALL = st.sampled_from([F(k, 2) for k in range(-6, 7)])


LENGTH8 = ["".join(w) for w in itertools.product("01", repeat=8)]


def _real_run(problem, weights, gain: float, activation: str = "sigmoid"):
    """The network on every input of length 8 at once: (outputs per word and time, |pre-activations|)."""
    full = {n: F(0) for n in problem.parameter_names()}
    full.update(weights)
    params = {b: v for b, v in params_to_numpy(problem.parameters(full)).items() if b not in ("W_y", "b_y")}
    sim = simulate(problem.cell, params, encode_words(problem.automaton, LENGTH8), activation=activation,
                   gain=gain, record_gates=True)
    outputs = [read_outputs(problem, full, np.asarray(sim.hidden[b]), F(gain)) for b in range(len(LENGTH8))]
    pres = [np.abs(pre) for name, pre in sim.pre_activations.items() if name != "tanh(c)"]
    return outputs, pres


def _exact_outputs(problem, weights):
    """The exact run on every input of length 8: outputs per time (memoised steps from code to code)."""
    params = problem.parameters({**{n: F(0) for n in problem.parameter_names()}, **weights})
    signs = weight_signs()
    moves: dict = {}
    result = []
    for w in LENGTH8:
        code = initial_code(problem)
        outs = [read_output(problem, params, code, signs)[0]]
        for sym in w:
            if (code, sym) not in moves:
                moves[(code, sym)] = step(problem, params, code, sym, signs)[0]
            code = moves[(code, sym)]
            outs.append(read_output(problem, params, code, signs)[0])
        result.append(outs)
    return result


@pytest.mark.parametrize("cell", sorted(CELLS))
@settings(max_examples=25)
@given(data=st.data())
def test_saturated_semantics_is_the_large_gain_limit(cell, data):
    """Step by step, the exact saturated run gives the outputs of the real network at gain 1e3, and so
    whenever the saturated `check` says IMPLEMENTS the real network is right on every input up to length 8
    (weights whose limit pre-activations stay 0.02 from 0 on those inputs: 20 at that gain)."""
    automaton = data.draw(st.sampled_from([latch(), toggle()]))
    problem = Problem(automaton, get_cell(cell), semantics=Semantics("saturated"))
    weights = {n: data.draw(SMALL, label=n) for n in problem.parameter_names()}
    _, limit_pres = _real_run(problem, weights, 1.0, "saturated")
    if any(not np.all(p >= 0.02) for p in limit_pres):  # NaN (ill-defined) or too close to 0
        return
    real, _ = _real_run(problem, weights, 1000.0)
    assert _exact_outputs(problem, weights) == real
    try:  # a saturated LSTM's cell state may count: its exact exploration is then cut short, and claims nothing
        implements = check_weights(problem, weights, limit=300).implements
    except TooLarge:
        implements = False
    if implements:
        assert all(out == automaton.outputs(tuple(w)) for w, out in zip(LENGTH8, real))


def test_saturated_property_finds_implementing_lstms():
    """The property above is not vacuous for the LSTM: a known saturated LSTM latch implements."""
    w = {"b_i": F(1), "b_f": F(-1), "U_g": F(4), "W_g": F(2), "b_g": F(-1), "b_o": F(1)}
    p = Problem(latch(), get_cell("lstm"), semantics=Semantics("saturated"))
    result = check_weights(p, w)
    assert result.implements, result.word
    for word in ("", "0", "1", "10", "0100", "11110000"):
        run = simulate_word(p, w, word, F(1000))
        assert run.outputs == run.expected


# -- the four commands of the report --------------------------------------------------------


def test_time_zero_readout_is_decided_like_any_step(capsys):
    code = main(["check", "latch", "--cell", "rnn", "--output", "readout", "--semantics", "saturated", "--set",
                 "U_h=1", "W_h=1", "b_h=-1", "W_y=1", "b_y=0", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["implements"] is False and out["counterexample"]["inputs"] == ""


@pytest.mark.parametrize("claim", ["W_h > 0 or W_h <= 0", "W_h > 0 or -2*W_h >= 0", "b_h = 0 or b_h != 0"])
def test_a_claim_that_always_holds_is_judged(claim, capsys):
    code = main(["conditions", "latch", "--cell", "rnn", "--against", claim, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    text = json.dumps(out)
    assert '"necessary": true' in text and '"sufficient": false' in text


def test_saturated_lstm_check_exits_1_with_the_failing_input(capsys):
    args = ["check", "latch", "--cell", "lstm", "--semantics", "saturated", "--set"]
    args += [f"{k}={v}" for k, v in LSTM_CLAIMED.items()]
    assert main(args) == 1
    assert 'shortest failing input "10"' in capsys.readouterr().out


def test_elman_cell_differs_between_the_semantics():
    w = {"U_h": F(1), "W_h": F(1), "b_h": F(0)}
    assert check_weights(Problem(latch(), get_cell("rnn")), w).implements
    assert not check_weights(Problem(latch(), get_cell("rnn"), semantics=Semantics("saturated")), w).implements



@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["latch", "toggle", "tomita2"]),
       st.lists(st.sampled_from([-1, 0, 1, 2]), min_size=12, max_size=12))
def test_an_indicator_lstm_explored_by_the_sign_of_its_cell_state_answers_like_every_word(name, values):
    """Exploring an LSTM by the sign of its (counting) cell state is exact: the verdict and the shortest
    failing input equal those of running every input up to length 8 on the concrete states."""
    import itertools

    from automata_rnn.exact.run import trace
    from automata_rnn.interop.automata_files import load_automaton as load
    from automata_rnn.questions.solve import check_weights

    a = load(name)
    p = Problem(a, get_cell("lstm"))
    weights = {n: F(v) for n, v in zip(p.parameter_names(), values)}
    result = check_weights(p, weights)
    shortest = None
    for n in range(9):
        for word in itertools.product(a.alphabet, repeat=n):
            rows = trace(p, weights, word)
            if any(r.got != r.expected for r in rows):
                shortest = word
                break
        if shortest is not None:
            break
    if result.implements:
        assert shortest is None
    else:
        assert shortest is not None and len(result.word) == len(shortest)
        assert any(r.got != r.expected for r in trace(p, weights, result.word))


def test_a_cell_state_that_matters_only_later_is_not_merged_away():
    """The cell state counts the 1s (i = [x], f = g = 1) and shows only on a 0 (o = [x = 0]): after "1" the
    hidden state is still 0, yet "10" outputs 1.  Exploring by the sign of c must tell "" from "1"."""
    from automata_rnn.model.automata import Automaton
    from automata_rnn.questions.solve import check_weights

    never = Automaton("never", ("0", "1"), ("q",), "q", {("q", "0"): "q", ("q", "1"): "q"}, {"q": 0})
    p = Problem(never, get_cell("lstm"))
    weights = {"U_i": F(1), "b_f": F(1), "b_g": F(1), "U_o": F(-1), "b_o": F(1, 2)}
    result = check_weights(p, weights)
    assert not result.implements and "".join(result.word) == "10"
