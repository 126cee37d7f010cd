"""The counting certificate: more pairwise distinguishable states than a network's codes.  Checked against
the checker's rejections and, independently, against the solvers: whenever counting refutes a size, no
search finds weights of that size."""

from __future__ import annotations

import copy
import dataclasses

import pytest
from hypothesis import given, settings
from strategies import automata

from automata_rnn.exact.checker import check
from automata_rnn.interop.automata_files import load_automaton
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.model.semantics import Semantics
from automata_rnn.questions.solve import solve
from automata_rnn.solver.counting import codes, counting_tree
from automata_rnn.solver.prove import certificate


def tomita3_gru(units=2, semantics="indicator"):
    return Problem(load_automaton("tomita3"), get_cell("gru"), units, Semantics(semantics), output="readout")


def counting_certificate(problem):
    tree = counting_tree(problem)
    assert tree is not None
    return certificate(problem, tree)


def test_five_states_need_more_than_the_four_codes_of_two_threshold_units():
    problem = tomita3_gru()
    assert codes(problem) == 4
    cert = counting_certificate(problem)
    assert check(cert) == (True, "accepted (1 nodes checked)")
    assert len(cert["tree"]["counting"]["words"]) == 5


def test_nothing_to_count_when_the_codes_suffice():
    assert counting_tree(tomita3_gru(3)) is None                      # 8 codes >= 5 states
    assert counting_tree(tomita3_gru(2, "saturated")) is None         # a saturated GRU unit has 3 values: 9 codes
    lstm = Problem(load_automaton("tomita3"), get_cell("lstm"), 2, output="readout")
    assert codes(lstm) == 9 and counting_tree(lstm) is None           # (h, [c > 0]) in 3 classes per unit
    saturated_lstm = dataclasses.replace(lstm, semantics=Semantics("saturated"))
    assert codes(saturated_lstm) is None and counting_tree(saturated_lstm) is None   # tanh(c) stays real


def _tampered(change):
    cert = counting_certificate(tomita3_gru())
    change(cert)
    return check(cert)


@pytest.mark.parametrize("change, reason", [
    (lambda c: c["tree"]["counting"]["words"].pop(), "not more than the 4 codes"),
    (lambda c: c["tree"]["counting"]["separators"].pop(), "not every pair"),
    (lambda c: c["tree"]["counting"]["separators"][0].__setitem__(2, []), "same output"),
    (lambda c: c["tree"]["counting"]["words"][1].append("2"), "symbols of the alphabet"),
    (lambda c: c["tree"]["counting"]["separators"][0].__setitem__(0, 3), "do not name two words in order"),
    (lambda c: c["problem"].__setitem__("units", 3), "not more than the 8 codes"),
    (lambda c: c["problem"].__setitem__("semantics", "saturated"), "not more than the 9 codes"),
    (lambda c: c["problem"].update(cell="lstm", semantics="saturated"), "saturated LSTM"),
    (lambda c: c["problem"].__setitem__("cell", "lstm"), "not more than the 9 codes"),
    (lambda c: c.update(claim="implements-region", clauses=[]), "proves nothing"),
])
def test_every_flaw_is_rejected_with_its_reason(change, reason):
    accepted, why = _tampered(change)
    assert not accepted and reason in why, why


@settings(max_examples=25, deadline=None)
@given(automata(max_states=4))
def test_counting_never_refutes_a_size_that_has_weights(a):
    """One Elman unit has two codes: counting refutes every automaton with three or more states; the
    case-split prover, which knows nothing of counting, must never find weights then."""
    problem = Problem(a, get_cell("rnn"))
    tree = counting_tree(problem)
    answer = solve(problem, timeout=60)
    if tree is not None:
        assert answer.verdict != "sat"
        assert check(certificate(problem, tree))[0]
    if answer.verdict == "sat":
        assert tree is None


def test_minimize_tomita3_gru_is_certified_without_a_second_solver(monkeypatch):
    import automata_rnn.questions.sizes as sizes
    from automata_rnn.questions.sizes import minimize

    monkeypatch.setattr(sizes, "cvc5_verdict", lambda *args, **kwargs: None)
    result = minimize(tomita3_gru(1))
    assert result.minimal == 3 and result.lower_bound.method == "certificate"
    assert check(copy.deepcopy(result.lower_bound.certificate))[0]


@settings(max_examples=40, deadline=None)
@given(automata(max_states=5, alphabet=("0", "1")) | automata(max_states=4, alphabet=("a", "b", "c")))
def test_minskys_construction_implements_every_automaton(a):
    """One Elman unit per (state, symbol) of the minimal machine, read out by a threshold unit: the exhaustive
    exact run (independent of the construction) must accept it, for the binary digit and one-hot inputs."""
    from automata_rnn.exact.run import verify_weights
    from automata_rnn.model.automata import minimize
    from automata_rnn.solver.construction import minsky_weights

    sized, weights = minsky_weights(Problem(a, get_cell("rnn")))
    assert sized.units == len(minimize(a).reachable()) * len(a.alphabet)
    assert verify_weights(sized, weights).implements


def _units_needed_over_01(a) -> int:
    """The units of the one-unit-per-state construction over {0,1}, counted from its definition: a state
    entered by some transition needs two units when one predecessor enters it on 0 only and another on 1
    only (predecessors: the states entered by some transition, and the start state at time 0), else one."""
    states = a.reachable()
    entered = {a.step(p, s) for p in states for s in "01"}
    units = 0
    for q in entered:
        only = {s for p in entered | {None} for s in "01"
                if a.step(a.start if p is None else p, s) == q != a.step(a.start if p is None else p, "10"[int(s)])}
        units += 2 if only == {"0", "1"} else 1
    return units


@settings(max_examples=40, deadline=None)
@given(automata(max_states=5, alphabet=("0", "1")) | automata(max_states=4, alphabet=("a", "b", "c")))
def test_one_unit_per_state_implements_every_automaton(a):
    """The construction of one unit per state (one per entering symbol where the predecessors' entering
    symbols are not nested): the exhaustive exact run accepts it, for the binary digit and one-hot inputs; it
    has at most Minsky's |Q| |Sigma| units and, over {0,1}, the number counted from its definition."""
    from automata_rnn.exact.run import verify_weights
    from automata_rnn.model.automata import minimize
    from automata_rnn.solver.construction import state_unit_weights

    m = minimize(a)
    sized, weights = state_unit_weights(Problem(a, get_cell("rnn")))
    assert verify_weights(sized, weights).implements
    assert sized.units <= len(m.reachable()) * len(a.alphabet)
    if set(a.alphabet) == {"0", "1"}:
        assert sized.units == _units_needed_over_01(m)


def test_minimize_reports_the_construction_when_its_search_gives_up():
    """Tomita 3's minimal machine (clean, odd1, odd0, marked, dead): clean is entered on 0 from itself and on 1
    from odd1, marked on 0 from odd0 and on 1 from itself, so each takes two units; odd1, odd0 and dead one
    each: 7 units, where Minsky's construction has 10."""
    from automata_rnn.questions.sizes import minimal_json, minimize

    result = minimize(Problem(load_automaton("tomita3"), get_cell("rnn"), output="readout"), max_hidden=2)
    assert result.minimal is None and "gives a network of 7 units" in result.reason
    assert minimal_json(result)["upper_bound"] == 7


def test_one_lstm_unit_cannot_hold_tomita3():
    """Under the indicator semantics one LSTM unit falls into 3 classes (h, [c > 0]); Tomita 3 has 5 states:
    counting refutes it at once, and the case-split prover, which knows nothing of counting, agrees."""
    problem = Problem(load_automaton("tomita3"), get_cell("lstm"))
    cert = counting_certificate(problem)
    assert check(cert)[0]
    answer = solve(problem, timeout=120)
    assert answer.verdict != "sat"
