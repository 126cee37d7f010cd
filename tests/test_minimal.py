"""Networks of several units: the direct encoding against the independent case-split prover,
minimal sizes whose weights verify and whose smaller size is excluded."""

import dataclasses
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import automata

from automata_rnn.exact.checker import check
from automata_rnn.interop.automata_files import load_automaton
from automata_rnn.model.automata import random_minimal
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.model.semantics import Semantics
from automata_rnn.questions.sizes import exclude, find_weights, minimize, table
from automata_rnn.solver.cvc5 import cvc5_verdict
from automata_rnn.solver.encode import Encoding
from automata_rnn.solver.prove import TreeLimit, implements, prove


def readout(aut, cell, units, semantics="indicator"):
    return Problem(aut, get_cell(cell), units, Semantics(semantics), output="readout")


@settings(max_examples=40)
@given(automata(max_states=3, minimal=True), st.sampled_from(["rnn", "gru", "gru-after"]),
       st.sampled_from(["indicator", "saturated"]), st.sampled_from(["state", "readout"]))
def test_encoding_agrees_with_the_case_split_prover(aut, cell, semantics, output):
    p = Problem(aut, get_cell(cell), 1, Semantics(semantics), output=output)
    verdict, weights, _, _ = find_weights(p)
    try:
        proof = prove(p, max_nodes=3000, stop_at_region=True)
    except TreeLimit:
        return

    assert (verdict == "sat") == bool(proof.regions)
    if verdict == "sat":
        assert implements(p, weights)
    else:
        from automata_rnn.solver.prove import certificate
        assert check(certificate(p, proof.tree))[0]


@settings(max_examples=15)
@given(automata(max_states=3, minimal=True), st.sampled_from(["rnn", "gru"]))
def test_minimize_answer_verifies_and_the_size_below_is_refuted(aut, cell):
    m = minimize(readout(aut, cell, 1), max_hidden=3)
    if m.minimal is None:
        return
    assert implements(m.problem, m.weights)
    if m.minimal > 1:
        below = dataclasses.replace(m.problem, units=m.minimal - 1)
        assert m.lower_bound.units == m.minimal - 1
        if m.lower_bound.certificate is not None:
            assert check(m.lower_bound.certificate)[0]
        else:
            assert cvc5_verdict(Encoding(below).smt2()) == "unsat"
        assert find_weights(below)[0] == "unsat"


def test_symmetry_breaking_keeps_the_verdict():
    for name in ("tomita2", "tomita4", "parity"):
        for n in (1, 2):
            p = readout(load_automaton(name), "rnn", n)
            a = Encoding(p, symmetry_breaking=True).solver().check()
            b = Encoding(p, symmetry_breaking=False).solver().check()
            assert a == b


def test_parity_needs_two_codes_for_one_state():
    """Two Elman units compute parity, though no labelling with one code per state exists."""
    p = readout(load_automaton("parity"), "rnn", 2)
    verdict, weights, _, _ = find_weights(p)
    assert verdict == "sat" and implements(p, weights)
    from automata_rnn.exact.run import Implements, explore, weight_signs
    pairs = explore(p, weight_signs(), p.parameters(weights)).pairs
    codes_per_state = {}
    for code, q in pairs:
        codes_per_state.setdefault(q, set()).add(code)
    assert isinstance(explore(p, weight_signs(), p.parameters(weights)), Implements)
    assert len(pairs) >= 2


@pytest.mark.parametrize("name,cell,expected", [("toggle", "rnn", 2), ("tomita2", "gru", 2), ("latch", "rnn", 1)])
def test_known_minimal_sizes(name, cell, expected):
    m = minimize(readout(load_automaton(name), cell, 1))
    assert m.minimal == expected


def test_exclusion_by_certificate_is_checked():
    e = exclude(readout(load_automaton("toggle"), "rnn", 1))
    assert e.method == "certificate" and check(e.certificate)[0]


def test_parity_refuted_for_every_size_and_tampering_caught():
    from automata_rnn.questions.sizes import refute_all_sizes
    p = Problem(load_automaton("parity"), get_cell("rnn"), 1)
    cert = refute_all_sizes(p)
    assert check(cert)[0]
    bad = dataclasses.replace  # noqa: F841
    import copy
    t = copy.deepcopy(cert)
    t["tree"]["farkas"].pop()
    assert not check(t)[0]
    t = copy.deepcopy(cert)
    t["problem"]["automaton"] = load_automaton("latch").to_json()
    assert not check(t)[0]


@settings(max_examples=25)
@given(automata(max_states=3, minimal=True), st.integers(1, 3), st.sampled_from(["indicator", "saturated"]))
def test_all_sizes_relaxation_never_excludes_a_network_that_exists(aut, units, semantics):
    from automata_rnn.questions.sizes import refute_all_sizes
    p = Problem(aut, get_cell("rnn"), units, Semantics(semantics), output="state")
    verdict, weights, _, _ = find_weights(p)
    if verdict == "sat":
        assert refute_all_sizes(dataclasses.replace(p, units=1)) is None


def test_table_reports_each_entry_once_in_order_as_it_is_known():
    """Progress names the k-th of n entries, k = 1..n in table order, with the entry the table then holds."""
    seen = []
    rows = table([load_automaton("latch"), load_automaton("toggle")], ["rnn", "gru"], max_hidden=1,
                 progress=lambda k, n, row: seen.append((k, n, row)))
    assert [(k, n) for k, n, _ in seen] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert [row for _, _, row in seen] == rows
    assert [(r["automaton"], r["cell"]) for r in rows] == [("latch", "rnn"), ("latch", "gru"), ("toggle", "rnn"),
                                                          ("toggle", "gru")]


def test_minimize_answers_for_the_lstm_through_the_prover():
    """The LSTM has no direct encoding (its cell state can count): one unit toggles (weights re-verified
    here), and one unit cannot hold Tomita 3 (five states, three classes of (h, [c > 0])): a counting
    certificate the checker accepts."""
    from automata_rnn.exact.checker import check
    from automata_rnn.exact.run import verify_weights
    from automata_rnn.model.automata import toggle, tomita3
    from automata_rnn.model.cells import get_cell
    from automata_rnn.model.problem import Problem
    from automata_rnn.questions.sizes import minimize

    m = minimize(Problem(toggle(), get_cell("lstm"), output="readout"), max_hidden=1)
    assert m.minimal == 1 and verify_weights(m.problem, m.weights).implements
    m = minimize(Problem(tomita3(), get_cell("lstm"), output="readout"), max_hidden=1)
    assert m.minimal is None and m.sizes[0].verdict == "unsat"
    assert check(m.sizes[0].exclusion.certificate)[0]


def test_an_encoding_not_built_in_time_is_unknown_within_the_time():
    """Building the direct encoding of 16 states at 6 units takes tens of seconds: with a second's time
    the answer is unknown, saying so, a few seconds later (not after the build)."""
    p = Problem(random_minimal(16, 0), get_cell("rnn"), 6, output="readout")
    t = time.monotonic()
    found = find_weights(p, 1.0)
    assert time.monotonic() - t < 10
    assert found.verdict == "unknown" and "building the direct encoding" in found.reason
