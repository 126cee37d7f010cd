"""Certified gains against the real network: simulation at the certified gain matches the automaton on
long random inputs; intervals enclose real values; drifting weights really fail."""

import dataclasses
import itertools
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automata_rnn.arithmetic.exact import Affine
from automata_rnn.arithmetic.interval import IntervalOps, exact
from automata_rnn.arithmetic.simulate import encode_words, params_to_numpy, simulate
from automata_rnn.exact.run import trace
from automata_rnn.interop.automata_files import load_automaton
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.model.semantics import Semantics
from automata_rnn.questions.certify import Tracker, _half_box_signs, certify, every_gain
from automata_rnn.questions.simulate import read_outputs
from automata_rnn.questions.sizes import find_weights

CASES = [(a, c, s) for a in ("latch", "toggle") for c in ("rnn", "gru", "gru-after")
         for s in ("indicator", "saturated")]


def certified_case(name, cell, semantics):
    sem = semantics if cell == "rnn" else "saturated"   # a real tanh gives -1: gated cells need saturated codes
    p = Problem(load_automaton(name), get_cell(cell), 1, Semantics(sem, 1), bound=F(10))
    verdict, weights, _, _ = find_weights(p, robust=cell != "rnn")
    if verdict != "sat":
        return None
    plain = dataclasses.replace(p, semantics=Semantics(sem))
    return plain, weights, certify(plain, weights)


_CACHE = {}


def case(i):
    if i not in _CACHE:
        _CACHE[i] = certified_case(*CASES[i])
    return _CACHE[i]


def test_the_textbook_style_cases_certify():
    got = {CASES[i]: (case(i) is not None and case(i)[2].certified) for i in range(len(CASES))}
    # latch: every cell; toggle: the reset-after GRU (one unit); the Elman toggle has no weights at all
    for (name, cell, _), ok in got.items():
        if name == "latch" or cell == "gru-after":
            assert ok, (name, cell)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, len(CASES) - 1), st.lists(st.sampled_from("01"), min_size=1, max_size=500))
def test_real_network_at_certified_gain_tracks_the_codes(i, word):
    c = case(i)
    if c is None or not c[2].certified:
        return
    p, w, r = c
    params = {b: v for b, v in params_to_numpy(p.parameters(w)).items()}
    sim = simulate(p.cell, params, encode_words(p.automaton, [tuple(word)]), gain=float(r.gain))
    hidden = np.asarray(sim.hidden[0])
    assert read_outputs(p, w, hidden, r.gain) == p.automaton.outputs(tuple(word))
    codes = [np.array([float(v) for v in row.code[0]]) for row in trace(p, w, word)]
    assert np.all(np.abs(hidden - np.array(codes)) <= float(r.epsilon) + 1e-12)


def test_reported_gain_is_least_at_its_eps():
    p, w, r = case(CASES.index(("latch", "rnn", "indicator")))
    t = Tracker(p, w)
    assert t.check(r.gain, r.epsilon) is None
    assert t.check(r.gain * F(996, 1000), r.epsilon) is not None


def test_a_kept_zero_really_drifts():
    """Weights that keep the initial 0 with z ~ 1 while the candidate is +1: the threshold network
    implements the latch, certify refuses, and the real network does fail on a long run of 0s."""
    from automata_rnn.solver.prove import implements
    w = dict(U_z=-2, W_z=2, b_z=1, U_r=2, W_r=0, b_r=1, U_h=2, W_h=0, b_h=1)
    p = Problem(load_automaton("latch"), get_cell("gru"), 1, Semantics("saturated"))
    full = {n: F(w.get(n, 0)) for n in p.parameter_names()}
    assert implements(p, full)
    r = certify(p, full)
    assert not r.certified and "keeps the code 0" in r.reason
    params = params_to_numpy(p.parameters(full))
    word = ("0",) * 3000
    sim = simulate(p.cell, params, encode_words(p.automaton, [word]), gain=4.0)
    outputs = read_outputs(p, full, np.asarray(sim.hidden[0]), F(4))
    assert outputs != p.automaton.outputs(word)      # the state drifts to the candidate and the output flips


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["rnn", "gru", "gru-after"]), st.data())
def test_intervals_enclose_the_real_step(cell, data):
    c = get_cell(cell)
    p = Problem(load_automaton("latch"), c, 2, output="readout")
    w = {n: F(data.draw(st.integers(-8, 8))) / 2 for n in p.parameter_names()}
    lo = [data.draw(st.floats(-1, 1)) for _ in range(2)]
    width = [data.draw(st.floats(0, 0.5)) for _ in range(2)]
    box = tuple(exact(F(a)) if wd == 0 else __import__("mpmath").iv.mpf([a, a + wd]) for a, wd in zip(lo, width))
    x = data.draw(st.sampled_from([0, 1]))
    iparams = {b: tuple(tuple(exact(e.value) for e in row) if isinstance(row, tuple) else exact(row.value)
                        for row in v) for b, v in p.parameters(w).items()}
    (new,), _ = c.step(IntervalOps(), iparams, (exact(x),), (box,))
    params = {b: v for b, v in params_to_numpy(p.parameters(w)).items() if b not in ("W_y", "b_y")}
    for _ in range(5):
        h0 = np.array([[a + data.draw(st.floats(0, 1)) * wd for a, wd in zip(lo, width)]])
        sim = simulate(c, params, np.array([[[float(x)]]]), initial_state=h0)
        real = np.asarray(sim.hidden[0, 1])
        for v, enclosure in zip(real, new):
            assert float(enclosure.a) - 1e-12 <= v <= float(enclosure.b) + 1e-12


@pytest.mark.parametrize("bad", ["0021", "a"])
def test_simulate_rejects_symbols_outside_the_alphabet(bad):
    from automata_rnn.questions.simulate import simulate_word
    p = Problem(load_automaton("latch"), get_cell("rnn"))
    with pytest.raises(ValueError):
        simulate_word(p, {}, bad)


def test_the_least_safe_gain_is_bracketed_from_below_by_a_checked_failure():
    """GRU latch weights found with a margin: certified at k, and at the bracket's lower gain the real
    network (an independent float64 run of the simulator) fails on the reported input, which it gets right
    at the certified gain."""
    from automata_rnn.questions.certify import solve_and_certify
    from automata_rnn.questions.simulate import simulate_word

    found = solve_and_certify(Problem(load_automaton("latch"), get_cell("gru")))
    assert found.gain is not None and found.gain.certified
    below = found.gain.below
    assert below is not None and below.fails_at is not None and below.fails_at < found.gain.gain
    plain = dataclasses.replace(found.problem, semantics=Semantics(found.problem.semantics.name))
    word = "".join(below.word)
    assert not simulate_word(plain, found.weights, word, gain=below.fails_at).agrees
    assert simulate_word(plain, found.weights, word, gain=found.gain.gain).agrees


ALL_WORDS_OF_10 = [tuple(w) for w in itertools.product("01", repeat=10)]


def right_on_every_input_up_to_10(problem, weights, gain, activation="sigmoid") -> bool:
    """Whether the float64 network with weights gain * W gives the automaton's output at every time of every
    input of length 10 (and so on every shorter input, a prefix of one of them)."""
    full = {n: F(0) for n in problem.parameter_names()}
    full.update(weights)
    cell = {b: v for b, v in params_to_numpy(problem.parameters(full)).items() if b not in ("W_y", "b_y")}
    sim = simulate(problem.cell, cell, encode_words(problem.automaton, ALL_WORDS_OF_10), activation=activation,
                   gain=float(gain))
    return all(read_outputs(problem, full, sim.hidden[i], gain) == problem.automaton.outputs(w)
               for i, w in enumerate(ALL_WORDS_OF_10))


@pytest.mark.parametrize("activation", ["sigmoid", "hard_sigmoid", "hard_sigmoid_pytorch"])
def test_a_network_right_at_every_gain_is_proved_so_and_runs_right_far_below_and_above(activation):
    """The RNN latch U_h = 2, W_h = 2, b_h = -1 is right for every gain > 0: the half-box argument proves it,
    and the real network (float64 simulation) is right on every input up to length 10 from gain 1/10 to 1000.
    (Far lower gains pull the real state to within float64 rounding of 1/2: the proof is about the reals.)"""
    p = Problem(load_automaton("latch"), get_cell("rnn"))
    weights = {"U_h": F(2), "W_h": F(2), "b_h": F(-1)}
    result = certify(p, weights, activation)
    assert result.certified and result.below is not None and result.below.every_gain
    for gain in (F(1, 10), F(1), F(7), F(1000)):
        assert right_on_every_input_up_to_10(p, weights, gain, activation)


def test_every_gain_is_not_claimed_where_a_pre_activation_changes_sign_on_a_half_box():
    """U_h = 2, W_h = 3, b_h = -1 latches at a large gain, but from a state just under 1/2 on input 0 the
    pre-activation 3 h - 1 is positive: no proof for every gain, and at a small gain it really fails."""
    from automata_rnn.questions.simulate import simulate_word

    p = Problem(load_automaton("latch"), get_cell("rnn"))
    weights = {"U_h": F(2), "W_h": F(3), "b_h": F(-1)}
    tracker = Tracker(p, weights)
    assert "takes both signs" in every_gain(p, tracker)
    result = certify(p, weights)
    assert result.certified and not result.below.every_gain
    assert result.below.fails_at is not None
    assert not simulate_word(p, weights, "".join(result.below.word), gain=result.below.fails_at).agrees


def _corner_signs(form: dict, const: F, code) -> frozenset:
    """Signs of const + sum(a_j h_j) at the corners of the half-box of ``code``, each open end approached
    within 10^-9, and 0 between two corners of opposite signs: the signs of an affine form on a box."""
    eps = F(1, 10 ** 9)
    ends = [(F(0), F(1, 2) - eps) if bit == 0 else (F(1, 2) + eps, F(1)) for bit in code]
    values = [const + sum(form.get(j, 0) * corner[j] for j in range(len(code)))
              for corner in itertools.product(*ends)]
    out = {"+" if v > 0 else "-" if v < 0 else "0" for v in values}
    if min(values) < 0 < max(values):
        out.add("0")
    return frozenset(out)


@settings(max_examples=200, deadline=None)
@given(code=st.lists(st.integers(0, 1), min_size=1, max_size=3),
       coefficients=st.lists(st.integers(-3, 3), min_size=3, max_size=3),
       const=st.integers(-6, 6).map(lambda k: F(k, 4)))
def test_half_box_signs_are_the_signs_at_the_corners(code, coefficients, const):
    form = {j: F(coefficients[j]) for j in range(len(code))}
    e = Affine({f"h[{j}]": a for j, a in form.items()}, const)
    assert _half_box_signs(tuple(F(b) for b in code))(e) == _corner_signs(form, const, code)


def test_the_bracket_from_above_is_a_proof_and_from_below_a_failure():
    """PyTorch-convention GRU toggle weights (what `solve toggle --cell gru-after --certify` finds): the bracket
    is narrowed below the box certificate by a proof (a paving's reachable cells, re-run here, and the float64
    network right on every input up to length 10 there) and bounded below by a failing input that the float64
    network gets wrong."""
    from automata_rnn.questions.certify import proof_at
    from automata_rnn.questions.simulate import simulate_word

    p = Problem(load_automaton("toggle"), get_cell("gru-after"), semantics=Semantics("saturated"))
    weights = {k: F(v) for k, v in dict(U_z=0, W_z=0, b_z=-1, U_r=4, W_r=2, b_r=-1, U_h=-2, W_h=-2, b_h=-1,
                                        b_hn=4).items()}
    result = certify(p, weights)
    b = result.below
    assert result.certified and b.proved_at is not None and b.fails_at < b.proved_at < result.gain
    assert b.proved_by and proof_at(p, weights, "sigmoid", b.proved_at) == b.proved_by
    assert b.proved_at / b.fails_at < F(21, 20)
    assert right_on_every_input_up_to_10(p, weights, b.proved_at)
    assert not simulate_word(p, weights, "".join(b.word), gain=b.fails_at).agrees


def test_certify_reads_the_saturated_codes_by_default(capsys):
    import json

    from automata_rnn.cli.main import main

    weights = ["U_h=2", "W_h=2", "b_h=-1"]
    main(["certify", "latch", "--cell", "rnn", "--set", *weights, "--json"])
    assert json.loads(capsys.readouterr().out)["problem"]["semantics"] == "saturated"
    main(["certify", "latch", "--cell", "rnn", "--set", *weights, "--semantics", "indicator", "--json"])
    assert json.loads(capsys.readouterr().out)["problem"]["semantics"] == "indicator"


@pytest.mark.parametrize("activation, slope", [("hard_sigmoid", F(1, 5)), ("hard_sigmoid_pytorch", F(1, 6))])
def test_a_hard_sigmoid_rnn_latch_is_exactly_its_threshold_network_at_gain_1(activation, slope):
    """solve --activation hard_sigmoid: weights whose every reachable gate clears the saturation point; the
    real network, run here in Fractions on every input up to length 12 with its hard sigmoid, is exactly
    right, and certify proves it for every length at gain 1."""
    import itertools

    from automata_rnn.questions.certify import solve_and_certify

    found = solve_and_certify(Problem(load_automaton("latch"), get_cell("rnn")), activation=activation)
    assert found.gain is not None and found.gain.certified
    assert found.gain.gain == 1 and found.gain.epsilon == 0 and found.gain.saturated_gates == 1 / (2 * slope)
    w = found.weights
    latch = load_automaton("latch")
    for n in range(13):
        for word in itertools.product("01", repeat=n):
            h, outputs = F(0), [0]
            for x in word:
                v = int(x) * w["U_h"] + h * w["W_h"] + w["b_h"]
                h = min(F(1), max(F(0), slope * v + F(1, 2)))
                outputs.append(int(h > F(1, 2)))
                assert h in (0, 1)
            assert outputs == latch.outputs(word)


def test_weights_whose_threshold_network_fails_are_not_certified_with_the_real_failure(capsys):
    """Not bad input: exit 1, the threshold network's failing input named, and the real network's own failing
    input at gain 1, which an independent float64 run confirms."""
    import json

    from automata_rnn.cli.main import main
    from automata_rnn.questions.simulate import simulate_word

    assert main(["certify", "latch", "--cell", "rnn", "--set", "U_h=1", "W_h=-1", "b_h=1", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["certified"] is False and out["fails_at_gain"] == "1" and "fails on '0'" in out["reason"]
    p = Problem(load_automaton("latch"), get_cell("rnn"))
    assert not simulate_word(p, {"U_h": F(1), "W_h": F(-1), "b_h": F(1)}, out["fails_on"]).agrees


def test_a_box_left_says_by_how_much():
    """Below the certified gain the latch's image of the box around code 0 leaves it: the reason names the
    reached interval, the box, and the excess, which is the distance between them (so that two ends printed
    alike to six digits still show the box left)."""
    import re

    from automata_rnn.questions.certify import Tracker

    p = Problem(load_automaton("latch"), get_cell("rnn"))
    tracker = Tracker(p, {"U_h": F(2), "W_h": F(2), "b_h": F(-1)})
    why = tracker.check(F(3), F(1, 100))
    found = re.search(r"reaches \[(\S+), (\S+)\], (\S+) outside its box \[(\S+), (\S+)\]", why)
    low, high, past, box_low, box_high = map(float, found.groups())
    assert past > 0 and abs(past - max(box_low - low, high - box_high)) < 1e-2 * past
