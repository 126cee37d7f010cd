"""The decomposition for the GRU in its three conventions: its networks run by an independent GRU written here,
its verdicts at every size the same as z3's on the direct encoding, each "no" with a certificate."""

import dataclasses
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import automata

from automata_rnn.exact.labelling import check_lemma
from automata_rnn.interop.automata_files import load_automaton
from automata_rnn.model import families
from automata_rnn.model.automata import Automaton
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem, encode_symbol
from automata_rnn.questions.sizes import find_weights
from automata_rnn.questions.sizes import minimize as minimal_units
from automata_rnn.solver.construction import ELMAN_INSIDE
from automata_rnn.solver.decompose import Search, applies, decide, fit
from automata_rnn.verdicts import Verdict

TOMITA = [f"tomita{k}" for k in range(1, 8)]

#: A minimal 4-state automaton (the census's random sample, seed 0) that GRUs of 2 units implement only with
#: the reset gate at work: none of 2 units with the reset gate fixed open, by the direct encoding.
NEEDS_RESET = {"name": "dfa4-12210330-0110", "alphabet": ["0", "1"], "states": ["q0", "q1", "q2", "q3"],
               "start": "q0", "transitions": {"q0": {"0": "q1", "1": "q2"}, "q1": {"0": "q2", "1": "q1"},
                                              "q2": {"0": "q0", "1": "q3"}, "q3": {"0": "q3", "1": "q0"}},
               "output": {"q0": 0, "q1": 1, "q2": 1, "q3": 0}}


def gru(aut: Automaton, cell: str, units: int, fixed=None) -> Problem:
    return Problem(aut, get_cell(cell), units, output="readout", layers=(units,), fixed=fixed or {})


def reset_open(p: Problem) -> Problem:
    """The problem with the reset gate fixed open (b_r = 1, U_r = W_r = 0) and b_hn = 0."""
    fixed = {n: Fraction(int(n.startswith("b_r"))) for n in p.parameter_names()
             if n.split("[")[0] in ("U_r", "W_r", "b_r", "b_hn")}
    return dataclasses.replace(p, fixed=fixed)


def matrix(w: dict, block: str, rows: int, cols: int) -> list[list[Fraction]]:
    if rows == cols == 1:
        return [[w[block]]]
    if rows == 1 and block.startswith("b"):
        return [[w[f"{block}[{j}]"] for j in range(cols)]] if cols > 1 else [[w[block]]]
    return [[w[f"{block}[{i},{j}]"] for j in range(cols)] for i in range(rows)]


def run_by_hand(p: Problem, w: dict, max_length: int) -> dict[str, set]:
    """Every word up to ``max_length``: the GRU's read-out, computed here from its equations with every sigma
    and tanh a threshold [v > 0], equals the automaton's output (the empty word included); returns the codes
    each state is reached with."""
    aut, n, m = p.automaton, p.units, p.inputs
    U = {g: matrix(w, "U_" + g, m, n) for g in "zrh"}
    W = {g: matrix(w, "W_" + g, n, n) for g in "zrh"}
    b = {g: matrix(w, "b_" + g, 1, n)[0] for g in "zrh"}
    bhn = matrix(w, "b_hn", 1, n)[0] if p.cell.name == "gru-after" else [Fraction(0)] * n
    Wy, by = matrix(w, "W_y", n, 1), w["b_y"]

    def affine(x, h, g, j, scale=None):
        return (sum(x[i] * U[g][i][j] for i in range(m)) + b[g][j]
                + sum((h[i] if scale is None else scale[i] * h[i]) * W[g][i][j] for i in range(n)))

    def step(h, x):
        z = [int(affine(x, h, "z", j) > 0) for j in range(n)]
        r = [int(affine(x, h, "r", j) > 0) for j in range(n)]
        if p.cell.name == "gru-after":
            cand = [int(sum(x[i] * U["h"][i][j] for i in range(m)) + b["h"][j]
                        + r[j] * (sum(h[i] * W["h"][i][j] for i in range(n)) + bhn[j]) > 0) for j in range(n)]
        else:
            cand = [int(affine(x, h, "h", j, scale=r) > 0) for j in range(n)]
        take = z if p.cell.name == "gru-chung" else [1 - v for v in z]
        return tuple(c if t else v for c, t, v in zip(cand, take, h))

    frontier = {((0,) * n, aut.start)}
    codes: dict[str, set] = {}
    for length in range(max_length + 1):
        for h, q in frontier:
            assert int(sum(h[i] * Wy[i][0] for i in range(n)) + by > 0) == aut.output[q], (aut.name, length)
            codes.setdefault(q, set()).add(h)
        frontier = {(step(h, encode_symbol(aut, s)), aut.step(q, s)) for h, q in frontier for s in aut.alphabet}
    return codes


def decided_minimum(aut: Automaton, cell: str, up_to: int) -> tuple[int | None, dict | None]:
    for n in range(1, up_to + 1):
        d = decide(gru(aut, cell, n))
        if d.verdict == Verdict.SAT:
            return n, d.weights
    return None, None


@pytest.mark.parametrize("cell", ELMAN_INSIDE)
def test_networks_found_run_right_by_an_independent_gru(cell):
    for name in ["latch", "toggle", "parity"] + TOMITA:
        aut = load_automaton(name)
        n, w = decided_minimum(aut, cell, 3)
        assert n is not None, name
        run_by_hand(gru(aut, cell, n), w, 6)


def same_verdicts(aut: Automaton, cell: str, up_to: int) -> None:
    """At each size up to the first that works: decide's "no" is z3's on the direct encoding and carries a
    certificate; the network found runs right by :func:`run_by_hand`."""
    for n in range(1, up_to + 1):
        p = gru(aut, cell, n)
        mine = decide(p)
        if mine.verdict == Verdict.SAT:
            run_by_hand(p, mine.weights, 5)
            return
        assert mine.verdict == Verdict.UNSAT and mine.certificate is not None
        assert find_weights(p).verdict == Verdict.UNSAT, (aut.name, cell, n)
    raise AssertionError(f"{aut.name}: no {cell} of {up_to} units")


@pytest.mark.parametrize("cell", ELMAN_INSIDE)
def test_every_two_state_machine_has_the_minimum_of_the_direct_search(cell):
    for aut in families.minimal_machines(2):
        same_verdicts(aut, cell, 2)


@settings(max_examples=12, deadline=None)
@given(automata(min_states=3, max_states=3, minimal=True), st.sampled_from(ELMAN_INSIDE))
def test_three_state_machines_have_the_minimum_of_the_direct_search(aut, cell):
    same_verdicts(aut, cell, 2)


def test_four_state_machines_have_the_minimum_of_the_direct_search():
    for k, aut in enumerate(families.random_minimal(4, 12, 1)):
        same_verdicts(aut, ELMAN_INSIDE[k % 3], 3)


@pytest.mark.parametrize("cell", ELMAN_INSIDE)
def test_a_network_that_needs_its_reset_gate_is_found(cell):
    """No GRU of 2 units implements this machine with its reset gate open (the direct encoding says so);
    minimize finds one of 2 units that uses it, and excludes 1 unit by counting codes."""
    aut = Automaton.from_json(NEEDS_RESET)
    assert find_weights(reset_open(gru(aut, cell, 2))).verdict == Verdict.UNSAT
    m = minimal_units(gru(aut, cell, 1), 3)
    assert m.minimal == 2 and [s.verdict for s in m.sizes] == [Verdict.UNSAT, Verdict.SAT]
    assert "counting" in m.lower_bound.certificate["tree"]
    run_by_hand(m.problem, m.weights, 7)
    assert any(v for k, v in m.weights.items() if k.startswith(("U_r", "W_r")))


def test_a_gate_is_fitted_by_weights_or_refuted_by_a_checked_lemma():
    """One gate's bits over every (code, symbol) at 2 units: [unit 0 and input] gets weights on the right
    side of 0 by at least 1 at every point; unit 0 XOR input gets no weights but a lemma that passes the
    exact check and whose clauses exclude these bits for every gate."""
    s = Search(gru(load_automaton("tomita3"), "gru", 2))
    points = [(c, a) for c in range(4) for a in "01"]
    lemmas: list = []
    conj = [(c, a, (c & 1) & int(a)) for c, a in points]
    w = fit(s.lab, s.units_lp, conj, lemmas)
    assert w is not None and not lemmas
    for c, a, bit in conj:
        pre = sum(v * x for v, x in zip(s.lab.point_vector(c, a), w))
        assert (pre >= 1) if bit else (pre <= -1)
    xor = [(c, a, (c & 1) ^ int(a)) for c, a in points]
    assert fit(s.lab, s.units_lp, xor, lemmas) is None and len(lemmas) == 1
    check_lemma(s.lab, lemmas[0])
    bits = {(c, a): bit for c, a, bit in xor}
    for clause in s.lab.lemma_clauses(lemmas[0]):  # false when every Z_j (or R_j, K_j) takes the XOR bits
        assert all(bits[c, a] == (lit < 0) for lit in clause for c, a in points
                   if abs(lit) in {v(c, a, j) for v in s.lab.families() for j in (0, 1)})


def test_what_it_speaks_of():
    aut = load_automaton("tomita4")
    assert applies(gru(aut, "gru", 2)) and applies(gru(aut, "gru-after", 5)) and applies(gru(aut, "rnn", 2))
    assert not applies(gru(aut, "lstm", 2)) and not applies(gru(aut, "gru", 6))
    assert not applies(Problem(aut, get_cell("gru"), 1, output="state"))
    assert not applies(gru(aut, "gru", 2, fixed={"b_r[0]": Fraction(1)}))


def test_a_lemma_over_the_units_points_is_a_clause_for_every_selection_reset_gate_and_candidate():
    """The XOR pattern over (input, unit 0's bit) at 2 units: checked exactly, it becomes the clause "some
    point has another bit" for Z_j, R_j and K_j of both units, and speaks of no next bit T."""
    s = Search(gru(load_automaton("tomita3"), "gru", 2))
    xor = [(1, "0", 1, Fraction(1)), (0, "1", 1, Fraction(1)), (0, "0", 0, Fraction(1)), (1, "1", 0, Fraction(1))]
    check_lemma(s.lab, xor)
    g = s.lab
    expected = {tuple(sorted((-v(1, "0", j), -v(0, "1", j), v(0, "0", j), v(1, "1", j)), key=abs))
                for v in (g.Z, g.R, g.K) for j in range(2)}
    assert set(g.lemma_clauses(xor)) == expected and len(g.lemma_clauses(xor)) == 6


@pytest.mark.parametrize("cell", ELMAN_INSIDE)
def test_constructed_network_copied_into_a_gru_bounds_the_size_past_the_sizes_searched(cell):
    """With one unit searched (Tomita 3 has 5 states: counted out), minimize still answers with a verified GRU
    of 7 units (one per state, two for the states clean and marked: tests/test_counting.py), the constructed
    Elman network in the candidate, which the GRU written here runs right."""
    m = minimal_units(gru(load_automaton("tomita3"), cell, 1), 1)
    assert m.minimal is None and m.construction is not None
    sized, weights = m.construction
    assert sized.units == 7 and sized.cell.name == cell
    run_by_hand(sized, weights, 7)
