"""The GRU's labelling (:mod:`automata_rnn.exact.gru_labelling`) and its certified search: its minima are
those the committed censuses found by the direct encoding, its networks run right by the independent GRU of
test_gated_decompose, its certificates pass the checker, and the checker refuses them where the clauses do not
speak of the problem."""

import copy
import json
import lzma
import pathlib
import random
from fractions import Fraction

import pytest
from test_decompose import lemma_certificate
from test_gru_decompose import NEEDS_RESET, gru, run_by_hand

from automata_rnn.exact.checker import check
from automata_rnn.exact.gru_labelling import GruAfterLabelling, GruLabelling
from automata_rnn.exact.labelling import Invalid, check_lemma
from automata_rnn.model import families
from automata_rnn.model.automata import Automaton
from automata_rnn.model.problem import encode_symbol
from automata_rnn.questions.census import problem_of
from automata_rnn.questions.sizes import minimize, resized
from automata_rnn.solver.decompose import decide
from automata_rnn.verdicts import Verdict

CENSUS = pathlib.Path(__file__).parent.parent / "docs" / "census"


def census_minima(name: str, cell: str) -> dict[str, int]:
    """The minimal units of ``cell`` by automaton in a committed census (packed or not)."""
    folder = CENSUS / name
    packed = folder / "census.jsonl.xz"
    lines = (lzma.open(packed, "rt") if packed.exists() else open(folder / "census.jsonl")).read().splitlines()
    return {r["automaton"]: r["minimal_units"] for r in map(json.loads, lines) if r["cell"] == cell}


def agrees_with_census(aut: Automaton, minimal: int, cell: str = "gru") -> None:
    """decide finds a verified network at the census's minimum and refutes the size below by a certificate
    that the checker accepts."""
    found = decide(resized(problem_of(aut, cell), minimal), 60)
    assert found.verdict == Verdict.SAT, aut.name
    run_by_hand(resized(problem_of(aut, cell), minimal), found.weights, 6)
    if minimal > 1:
        below = decide(resized(problem_of(aut, cell), minimal - 1), 60)
        assert below.verdict == Verdict.UNSAT and below.certificate is not None, aut.name
        assert check(below.certificate)[0]


def test_the_22_four_state_machines_that_need_3_gru_units_get_certificates():
    """The 22 machines of the 4-state census whose 2-unit exclusion rested on z3 and cvc5 agreeing on the direct
    encoding: refuted at 2 units by an accepted labelling certificate, a network found at 3."""
    minima = census_minima("all-4", "gru")
    hard = {name for name, m in minima.items() if m == 3}
    assert len(hard) == 22
    for aut in families.minimal_machines(4):
        if aut.name in hard:
            agrees_with_census(aut, 3)


@pytest.mark.parametrize("name", ["all-3", "random-4", "all-4"])
def test_every_lower_bound_of_a_committed_census_is_a_certificate_or_needs_none(name):
    folder = CENSUS / name
    packed = folder / "census.jsonl.xz"
    lines = (lzma.open(packed, "rt") if packed.exists() else open(folder / "census.jsonl")).read().splitlines()
    methods = {json.loads(line)["lower_bound"]["method"] for line in lines}
    assert "certificate" in methods and methods <= {"certificate", "none needed: one unit is the least"}


@pytest.mark.parametrize("cell, column", [("gru", "gru"), ("gru-chung", "gru"), ("gru-after", "gru-after")])
def test_a_sample_of_the_three_state_census_has_its_minimum(cell, column):
    """gru and gru-chung share the clauses (the selection stands for the update gate or its complement), so both
    have the census's GRU minima; gru-after has its own column, which the direct encoding computed."""
    minima = census_minima("all-3", column)
    machines = [a for a in families.all_minimal(3) if a.name in minima]
    for aut in random.Random(3).sample(machines, 40):
        agrees_with_census(aut, minima[aut.name], cell)


def test_a_network_that_needs_its_reset_gate_is_found_with_it():
    """The machine that no GRU of 2 units implements with its reset gate open: decide finds one whose reset
    gate is at work, and minimize reports 2 units."""
    aut = Automaton.from_json(NEEDS_RESET)
    found = decide(gru(aut, "gru", 2), 60)
    assert found.verdict == Verdict.SAT
    run_by_hand(gru(aut, "gru", 2), found.weights, 7)
    assert any(v for k, v in found.weights.items() if k.startswith(("U_r", "W_r")))
    assert minimize(gru(aut, "gru", 1), 3).minimal == 2


def refuted(cell="gru") -> dict:
    aut = next(a for a in families.minimal_machines(4) if a.name == "dfa4-12300321-0001")
    d = decide(resized(problem_of(aut, cell), 2), 60)
    assert d.verdict == Verdict.UNSAT and d.certificate is not None
    return d.certificate


def test_the_checker_refuses_a_gru_certificate_for_a_cell_its_clauses_do_not_speak_of():
    cert = refuted()
    for other in ("lstm",):
        bad = copy.deepcopy(cert)
        bad["problem"]["cell"] = other
        ok, why = check(bad)
        assert not ok and "labelling refutation is for" in why, why


def test_the_checker_refuses_a_gru_certificate_without_its_direction_clauses():
    cert = refuted()
    assert check(cert)[0]
    cert["tree"]["labelling"]["directions"] = False
    ok, why = check(cert)
    assert not ok and "hints" in why, why


def test_the_checker_refuses_a_gru_certificate_without_a_lemma_it_needs():
    """A certificate of listed two-asummability lemmas (no direction clauses) for the same GRU question."""
    aut = next(a for a in families.minimal_machines(4) if a.name == "dfa4-12300321-0001")
    cert = lemma_certificate(resized(problem_of(aut, "gru"), 2))
    assert check(cert)[0]
    lemmas = cert["tree"]["labelling"]["lemmas"]
    rejected = 0
    for k in range(len(lemmas)):
        bad = copy.deepcopy(cert)
        del bad["tree"]["labelling"]["lemmas"][k]
        rejected += not check(bad)[0]
    assert rejected > 0


def test_an_elman_certificate_is_not_a_gru_certificate():
    """The Elman clauses are fewer: the same proof read against the GRU's clause numbering fails."""
    aut = next(a for a in families.minimal_machines(4) if a.name == "dfa4-12300321-0001")
    elman = decide(resized(problem_of(aut, "rnn"), 2), 60)
    assert elman.verdict == Verdict.UNSAT and elman.certificate is not None
    bad = copy.deepcopy(elman.certificate)
    bad["problem"]["cell"] = "gru"
    assert not check(bad)[0]


def test_the_step_clauses_hold_of_every_gru_step():
    """For random integer weights of a GRU of 2 units, the values the network gives every variable (next bits,
    selection, reset bits, candidates at every masked code) satisfy every step clause, and flipping one next
    bit falsifies one."""
    aut = next(a for a in families.minimal_machines(4) if a.name == "dfa4-12300321-0001")
    lab = GruLabelling(aut, 2, {s: encode_symbol(aut, s) for s in aut.alphabet})
    rng = random.Random(0)
    for _ in range(30):
        w = {g: [[rng.randint(-3, 3) for _ in range(4)] for _ in range(2)] for g in "zrh"}  # (x, h0, h1, b)

        def bit(g, j, x, h, w=w):
            row = w[g][j]
            return int(row[0] * x + row[1] * h[0] + row[2] * h[1] + row[3] > 0)

        value = {}
        for c in range(4):
            h = (c & 1, c >> 1 & 1)
            for a in aut.alphabet:
                x = int(a)
                r = [bit("r", i, x, h) for i in range(2)]
                for j in range(2):
                    value[lab.Z(c, a, j)] = 1 - bit("z", j, x, h)  # the textbook's z = 1 keeps
                    value[lab.R(c, a, j)] = r[j]
                    value[lab.K(c, a, j)] = bit("h", j, x, h)
                    masked = (r[0] * h[0], r[1] * h[1])
                    cand = bit("h", j, x, masked)
                    value[lab.T(c, a, j)] = cand if value[lab.Z(c, a, j)] else h[j]

        def holds(clause, value=value):
            return any((value[abs(v)] == 1) == (v > 0) for v in clause)

        step = lab.step()
        assert all(holds(c) for c in step)
        t = lab.T(3, "1", 0)
        value[t] = 1 - value[t]
        assert not all(holds(c) for c in step)


def test_gru_after_finds_the_network_that_needs_its_reset_gate_after_the_product():
    """gru-after's candidate over its own points (x(a), r c, r, 1): decide finds the 2-unit network of the machine
    that needs its reset gate, run right by the GRU written in the tests, and refutes 1 unit by certificate."""
    aut = Automaton.from_json(NEEDS_RESET)
    found = decide(gru(aut, "gru-after", 2), 60)
    assert found.verdict == Verdict.SAT
    run_by_hand(gru(aut, "gru-after", 2), found.weights, 7)


def test_a_gru_after_lemma_with_a_point_without_a_code_speaks_of_the_candidate_only():
    """The candidate on at the reset-off point of symbol 1 and off where the reset is on at code 0 after 1, on
    at code 0 after 0 and off at the reset-off point of 0: (x, rc, r, 1) balances, (1,0,0,1) + (0,0,1,1) =
    (0,0,0,1) + (1,0,1,1) at one unit.  Checked exactly, its clause is over K and K0, one per unit."""
    aut = Automaton.from_json(NEEDS_RESET)
    lab = GruAfterLabelling(aut, 1, {s: encode_symbol(aut, s) for s in aut.alphabet})
    points = [(None, "1", 1, Fraction(1)), (0, "0", 1, Fraction(1)), (None, "0", 0, Fraction(1)),
              (0, "1", 0, Fraction(1))]
    check_lemma(lab, points)
    assert lab.lemma_clauses(points) == [tuple(sorted((-lab.K0("1", 0), -lab.K(0, "0", 0), lab.K0("0", 0),
                                                       lab.K(0, "1", 0)), key=abs))]
    with pytest.raises(Invalid):
        check_lemma(lab, points[:3] + [(1, "1", 0, Fraction(1))])
