"""The decomposed search (code labellings by SAT, units by exact LPs) against the direct encoding, its
networks re-verified, its lemmas checked exactly, and its clauses true of every network."""

import itertools
import json
from fractions import Fraction

import pytest
from hypothesis import given, settings
from pysat.solvers import Solver
from strategies import automata
from test_schemas import assert_valid, printed_json

from automata_rnn.exact.checker import FORMAT, check
from automata_rnn.exact.clauses import check_hinted, check_refutation
from automata_rnn.exact.labelling import Invalid, check_lemma
from automata_rnn.exact.run import verify_weights
from automata_rnn.interop.automata_files import load_automaton
from automata_rnn.model.automata import Automaton, minimize, random_minimal
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem, encode_symbol
from automata_rnn.questions.sizes import find_weights
from automata_rnn.questions.sizes import minimize as minimal_units
from automata_rnn.solver import decompose
from automata_rnn.solver.construction import ELMAN_INSIDE, gated_from_elman
from automata_rnn.solver.decompose import decide, labelling, lemma_json, symmetry_words
from automata_rnn.solver.trim import ProvingCadical
from automata_rnn.verdicts import Verdict


def elman(aut: Automaton, units: int) -> Problem:
    return Problem(aut, get_cell("rnn"), units, output="readout", layers=(units,))


def agrees_with_direct_encoding(aut: Automaton, max_units: int) -> None:
    """Each size up to the first that works: the same verdict as z3 on the direct encoding, and the
    decomposition's weights pass an exact run of their own."""
    for n in range(1, max_units + 1):
        p = elman(aut, n)
        mine, direct = decide(p), find_weights(p)
        assert mine.verdict == direct.verdict, (aut.name, n)
        if mine.verdict == Verdict.UNSAT:  # every refutation of CaDiCaL comes with an accepted certificate
            assert mine.certificate is not None, (aut.name, n, mine.reason, mine.checked)
            assert check(mine.certificate)[0], (aut.name, n)
        if mine.verdict == Verdict.SAT:
            assert verify_weights(p, mine.weights).implements
            return


@pytest.mark.parametrize("name", ["latch", "toggle", "parity", "tomita1", "tomita2", "tomita3", "tomita4",
                                  "tomita5", "tomita6", "tomita7"])
def test_same_verdicts_as_the_direct_encoding_on_the_textbook_automata(name):
    agrees_with_direct_encoding(load_automaton(name), 3)


@settings(max_examples=25, deadline=None)
@given(automata(max_states=4, minimal=True))
def test_same_verdicts_as_the_direct_encoding_on_random_automata(aut):
    agrees_with_direct_encoding(aut, 2)


@settings(max_examples=10, deadline=None)
@given(automata(max_states=3, alphabet=("a", "b", "c"), minimal=True))
def test_one_hot_alphabets(aut):
    agrees_with_direct_encoding(aut, 2)


def test_minimize_with_the_decomposition_gives_the_same_answer():
    aut = load_automaton("tomita5")
    direct = minimal_units(elman(aut, 1), 4, search="direct")
    decomposed = minimal_units(elman(aut, 1), 4)
    assert decomposed.minimal == direct.minimal == 3
    assert decomposed.lower_bound.method == "certificate"
    assert "labelling" in decomposed.lower_bound.certificate["tree"]
    assert verify_weights(decomposed.problem, decomposed.weights).implements


#: A random minimal automaton (benchmarks/random_dfa.py, 7 states, seed 5) that no Elman network of 3 units
#: implements; z3's SAT core once wrote a learnt clause for it that its lemma minimization had shortened
#: without the steps that justify it (implied, but neither RUP nor RAT).
RANDOM7 = {"name": "random7-5", "alphabet": ["0", "1"], "states": ["q0", "q1", "q2", "q3", "q4", "q5", "q6"],
           "start": "q0", "transitions": {"q0": {"0": "q1", "1": "q2"}, "q1": {"0": "q3", "1": "q4"},
                                          "q2": {"0": "q1", "1": "q5"}, "q3": {"0": "q4", "1": "q6"},
                                          "q4": {"0": "q0", "1": "q2"}, "q5": {"0": "q4", "1": "q0"},
                                          "q6": {"0": "q6", "1": "q1"}},
           "accepting": ["q1"]}


def test_z3s_core_refutes_with_a_drat_proof_the_checker_accepts():
    """z3's DRAT proof, in our numbering, is replayed by the checker: every input clause, then its lemmas."""
    p = elman(Automaton.from_json(RANDOM7), 3)
    d = decide(p, sat="z3")
    assert d.verdict == Verdict.UNSAT and d.certificate is not None, d.checked
    ok, why = check(d.certificate)
    assert ok and "proof clauses" in why
    proof = d.certificate["tree"]["labelling"]["proof"]
    assert proof[0] == {"inputs": input_count(p, d)}
    assert proof[-1] == [] and 1 < len(proof)


def test_cadicals_refutation_is_trimmed_with_hints_the_checker_accepts():
    """CaDiCaL's certificate holds hinted steps whose hints name only the clauses before them (inputs first),
    ending with the empty clause."""
    p = elman(Automaton.from_json(RANDOM7), 3)
    d = decide(p)
    assert d.verdict == Verdict.UNSAT and d.certificate is not None, d.checked
    ok, why = check(d.certificate)
    assert ok and "proof clauses" in why
    leaf = d.certificate["tree"]["labelling"]
    assert "proof" not in leaf
    steps, inputs = leaf["hinted"], input_count(p, d)
    assert steps[-1][0] == [] and all(clause for clause, _ in steps[:-1])
    assert all(1 <= h <= inputs + k for k, (_, hints) in enumerate(steps) for h in hints)
    assert 1 < len(steps)


def test_a_proof_too_large_for_the_memory_is_not_read(monkeypatch):
    """Refuted clauses whose proof would take more memory to read than allowed: unsat without a certificate,
    and the reason names the proof's size."""
    monkeypatch.setattr(decompose, "MAX_PROOF_MEMORY", 1000)
    d = decide(elman(Automaton.from_json(RANDOM7), 3))
    assert d.verdict == Verdict.UNSAT and d.certificate is None
    assert "too large to read" in d.reason


def input_count(p, d) -> int:
    lab = labelling(p)
    return (len(lab.base()) + len(lab.symmetry(symmetry_words(lab))) + len(lab.directions())
            + sum(len(lab.lemma_clauses(pts)) for pts in d.lemmas))


def test_a_refutation_does_not_carry_over_to_a_size_with_a_network():
    """Tomita 4's refutation at 2 units, read as one of 3 units (where a network exists) or taking one input
    clause more than there are, is rejected."""
    assert decide(elman(load_automaton("tomita4"), 3)).verdict == Verdict.SAT
    for sat in ("cadical", "z3"):
        bigger = json.loads(json.dumps(refutation(sat=sat)))
        bigger["problem"]["units"] = 3
        assert not check(bigger)[0]
    cert = refutation(sat="z3")
    past_the_end = mutant(cert, lambda node: node["proof"][0].update(inputs=node["proof"][0]["inputs"] + 1))
    assert not check(past_the_end)[0]


def test_sizes_with_more_states_than_codes_are_excluded_by_counting_first():
    """Tomita 3 (5 states) at 2 Elman units (4 codes): the counting certificate, with either search."""
    for search in ("decompose", "decompose-z3", "direct"):
        m = minimal_units(elman(load_automaton("tomita3"), 1), 3, search=search)
        assert m.minimal == 3 and "counting" in m.lower_bound.certificate["tree"], search
        assert check(m.lower_bound.certificate)[0]


@pytest.mark.parametrize("cell", ELMAN_INSIDE)
def test_an_elman_network_is_a_gru_with_the_update_gate_on_the_candidate(cell):
    """Of the two copies of Tomita 3's Elman network (3 units), the one whose update gate takes the candidate
    implements Tomita 3 in an exact run of the GRU; the other keeps h = 0 and a constant output."""
    aut = load_automaton("tomita3")
    elman_weights = decide(elman(aut, 3)).weights
    gru = Problem(aut, get_cell(cell), 3, output="readout")
    runs = [verify_weights(gru, w).implements for w in gated_from_elman(gru, elman_weights)]
    assert sorted(runs) == [False, True]
    takes_candidate = Fraction(-1) if cell in ("gru", "gru-after") else Fraction(1)  # h' = z h + (1 - z) h~ or not
    assert runs[[Fraction(1), Fraction(-1)].index(takes_candidate)]
    m = minimal_units(Problem(aut, get_cell(cell), 1, output="readout"), 3)
    assert m.minimal == 3 and verify_weights(m.problem, m.weights).implements


def test_gru_and_the_state_read_out_keep_the_direct_encoding():
    aut = load_automaton("tomita2")
    p = Problem(aut, get_cell("gru"), 1, output="readout")
    assert minimal_units(p, 3).minimal == minimal_units(p, 3, search="direct").minimal


def xor_points():
    """Unit 0's bits on the XOR pattern over (input, h_0) at one unit: on at (0,1), (1,0); off at (0,0), (1,1)."""
    return [(1, "0", 1, Fraction(1)), (0, "1", 1, Fraction(1)), (0, "0", 0, Fraction(1)), (1, "1", 0, Fraction(1))]


def test_the_xor_lemma_is_accepted_and_its_mutants_rejected():
    lab = labelling(elman(load_automaton("toggle"), 1))
    check_lemma(lab, xor_points())
    flipped = [(c, a, b, -m if k == 0 else m) for k, (c, a, b, m) in enumerate(xor_points())]
    halved = [(c, a, b, m / 2 if k == 0 else m) for k, (c, a, b, m) in enumerate(xor_points())]
    relabelled = [(c, a, 1 - b if k == 3 else b, m) for k, (c, a, b, m) in enumerate(xor_points())]
    dropped = xor_points()[:3]
    for bad in (flipped, halved, relabelled, dropped):
        with pytest.raises(Invalid):
            check_lemma(lab, bad)
    (clause,) = lab.lemma_clauses(xor_points())
    assert sorted(clause) == sorted([-lab.T(1, "0", 0), -lab.T(0, "1", 0), lab.T(0, "0", 0), lab.T(1, "1", 0)])


FOUR_SYMBOLS = Automaton("four", ("a", "b", "c", "d"), ("q0", "q1", "q2", "q3"), "q0",
                         {("q0", "a"): "q1", ("q0", "b"): "q2", ("q0", "c"): "q2", ("q0", "d"): "q3",
                          ("q1", "a"): "q2", ("q1", "b"): "q3", ("q1", "c"): "q3", ("q1", "d"): "q0",
                          ("q2", "a"): "q0", ("q2", "b"): "q2", ("q2", "c"): "q3", ("q2", "d"): "q2",
                          ("q3", "a"): "q3", ("q3", "b"): "q1", ("q3", "c"): "q2", ("q3", "d"): "q0"},
                         {"q0": 1, "q1": 0, "q2": 0, "q3": 0})


def test_every_learnt_lemma_is_a_farkas_certificate():
    """gru-after's candidate has points that the direction clauses do not speak of (reset bit 0): at 2 units
    on a machine of four symbols the search learns lemmas there, each a Farkas certificate."""
    p = Problem(FOUR_SYMBOLS, get_cell("gru-after"), 2, output="readout")
    d = decide(p)
    assert d.verdict == Verdict.SAT and d.lemmas
    lab = labelling(p)
    for points in d.lemmas:
        check_lemma(lab, points)


def network_assignment(lab, problem: Problem, weights: dict, order: list[int]) -> set[int]:
    """The true literals of the labelling variables for the network with its units renumbered: new unit k is
    old unit order[k] (an independent exact run of the Elman cell, written out here)."""
    n = lab.units
    params = problem.parameters(weights)
    inputs = problem.inputs

    def value(form):
        return form.const

    def next_code(c: int, a: str) -> int:
        x = encode_symbol(lab.automaton, a)
        old = [(c >> order.index(i)) & 1 for i in range(n)]  # old unit i is new unit order.index(i)
        bits = []
        for k in range(n):
            j = order[k]
            pre = sum(x[i] * value(params["U_h"][i][j]) for i in range(inputs))
            pre += sum(old[i] * value(params["W_h"][i][j]) for i in range(n)) + value(params["b_h"][j])
            bits.append(int(pre > 0))
        return sum(b << k for k, b in enumerate(bits))

    def read(c: int) -> int:
        old = [(c >> order.index(i)) & 1 for i in range(n)]
        return int(sum(old[i] * value(params["W_y"][i][0]) for i in range(n)) + value(params["b_y"][0]) > 0)

    true = set()
    reached, todo = {(0, lab.automaton.start)}, [(0, lab.automaton.start)]
    while todo:
        c, q = todo.pop()
        for a in lab.symbols:
            nxt = (next_code(c, a), lab.automaton.step(q, a))
            if nxt not in reached:
                reached.add(nxt)
                todo.append(nxt)
    true |= {lab.X(c, q) for c, q in reached}
    for c in range(lab.codes):
        true |= {lab.T(c, a, j) for a in lab.symbols for j in range(n) if (next_code(c, a) >> j) & 1}
        if read(c):
            true.add(lab.O(c))
    codes = []
    for k, w in enumerate(lab.words):
        c = 0
        for a in w:
            c = next_code(c, a)
        codes.append(c)
        true |= {lab.H(k, j) for j in range(n) if (c >> j) & 1}
    for j in range(n - 1):
        for k in range(1, len(lab.words)):
            if all(((codes[i] >> j) & 1) == ((codes[i] >> (j + 1)) & 1) for i in range(k)):
                true.add(lab.E(j, k))
    return true


def satisfied(clause, true: set[int]) -> bool:
    return any((lit in true) if lit > 0 else (-lit not in true) for lit in clause)


@pytest.mark.parametrize("name", ["tomita3", "tomita5", "tomita7"])
def test_the_clauses_hold_for_every_network_and_the_sorted_order_of_its_units(name):
    """Base clauses and lemmas hold for each renumbering of a network's units, and the direction clauses for
    some value of their variables; the symmetry clauses hold for the renumbering that sorts the units' columns,
    and fail for some other renumbering."""
    aut = minimize(load_automaton(name))
    p = elman(aut, 3)
    d = decide(p)
    assert d.verdict == Verdict.SAT
    lab = labelling(p)
    base = lab.base()
    symmetry = lab.symmetry(symmetry_words(lab))
    directions = lab.directions()
    lemmas = [c for points in d.lemmas for c in lab.lemma_clauses(points)]
    sorted_ok = 0
    for order in itertools.permutations(range(3)):
        true = network_assignment(lab, p, d.weights, list(order))
        assert all(satisfied(c, true) for c in base + lemmas), order
        sorted_ok += all(satisfied(c, true) for c in symmetry)
        with Solver(name="minisat22", bootstrap_with=directions) as sat:  # some direction of each difference
            assert sat.solve(assumptions=[v if v in true else -v for v in range(1, lab.O(lab.codes - 1) + 1)])
    assert 1 <= sorted_ok < 6


def refutation(name: str = "tomita4", units: int = 2, sat: str = "cadical") -> dict:
    d = decide(elman(load_automaton(name), units), sat=sat)
    assert d.verdict == Verdict.UNSAT and d.certificate is not None
    return d.certificate


def mutant(cert: dict, change) -> dict:
    copy = json.loads(json.dumps(cert))
    change(copy["tree"]["labelling"])
    return copy


@pytest.mark.parametrize("sat", ["cadical", "z3"])
def test_a_labelling_certificate_is_accepted_valid_and_its_mutants_rejected(sat):
    cert = refutation(sat=sat)
    key = "hinted" if sat == "cadical" else "proof"
    assert check(cert)[0]
    assert_valid("certificate", cert)
    assert cert["tree"]["labelling"]["directions"] is True

    def no_directions(node):
        node["directions"] = False

    def without_directions(node):
        del node["directions"]

    def no_empty_clause(node):
        node[key] = node[key][:-1]

    def wrong_clause(node):  # "the start code is not reached with the start state": neither RUP nor RAT
        if key == "proof":
            node[key].insert(1, [-1])
        else:
            node[key].insert(0, [[-1], [1]])

    def unsorted(node):
        node["symmetry_words"] = node["symmetry_words"][1:]

    def false_lemma(node):  # the XOR pattern with one bit flipped: its multipliers do not balance
        node["lemmas"].append(lemma_json([(c, a, 1 - b if k == 0 else b, m) for k, (c, a, b, m)
                                          in enumerate(xor_points())]))

    for change in (no_directions, without_directions, no_empty_clause, wrong_clause, unsorted, false_lemma):
        ok, why = check(mutant(cert, change))
        assert not ok, change.__name__
    margin = json.loads(json.dumps(cert))
    margin["problem"]["margin"] = "1"
    assert not check(margin)[0]


def two_asummability_lemmas(lab) -> list:
    """The lemmas "on at two points, off at two others with the same sum", for the units and the read-out,
    written out here: what the direction clauses say, as Farkas lemmas."""
    out = []
    for symbols in (lab.symbols, [None]):
        points = [(c, a) for c in range(lab.codes) for a in symbols]
        sums: dict[tuple, list] = {}
        for p, q in itertools.combinations(points, 2):
            sums.setdefault(tuple(x + y for x, y in zip(lab.point_vector(*p), lab.point_vector(*q))), []).append((p, q))
        out += [[(c, a, 1, Fraction(1)) for c, a in on] + [(c, a, 0, Fraction(1)) for c, a in off]
                for pairs in sums.values() for on in pairs for off in pairs if on != off]
    return out


def lemma_certificate(problem: Problem) -> dict:
    """A labelling certificate without direction clauses: the two-asummability lemmas listed instead,
    refuted by CaDiCaL's hinted steps (certificates of this form are in the committed census)."""
    lab = labelling(problem)
    words = symmetry_words(lab)
    lemmas = two_asummability_lemmas(lab)
    inputs = lab.base() + lab.symmetry(words) + [c for points in lemmas for c in lab.lemma_clauses(points)]
    solver = ProvingCadical(inputs)
    try:
        assert solver.solve(None, 1000) is False
        steps = solver.refutation()
    finally:
        solver.close()
    return {"format": FORMAT, "claim": "refutes", "problem": problem.to_json(), "hypotheses": [],
            "tree": {"labelling": {"symmetry_words": [list(w) for w in words],
                                   "lemmas": [lemma_json(points) for points in lemmas], "hinted": steps}}}


def test_a_certificate_of_listed_lemmas_is_accepted_and_its_lemmas_mutants_rejected():
    cert = lemma_certificate(elman(load_automaton("tomita4"), 2))
    assert check(cert)[0]
    assert_valid("certificate", cert)
    leaf = cert["tree"]["labelling"]
    last = next(k for k, lemma in enumerate(leaf["lemmas"]) if len(lemma["points"]) > 1)

    def negate(node):
        node["lemmas"][last]["points"][0][3] = "-" + node["lemmas"][last]["points"][0][3]

    def double(node):
        node["lemmas"][last]["points"][0][3] = str(2 * Fraction(node["lemmas"][last]["points"][0][3]))

    def flip(node):
        node["lemmas"][last]["points"][0][2] ^= 1

    def no_lemmas(node):
        node["lemmas"] = []

    def directions(node):  # the direction clauses among the inputs: the hints name other clauses
        node["directions"] = True

    for change in (negate, double, flip, no_lemmas, directions):
        ok, why = check(mutant(cert, change))
        assert not ok, change.__name__
    dropped = [check(mutant(cert, lambda node, k=k: node["lemmas"].pop(k)))[0] for k in range(len(leaf["lemmas"]))]
    assert not all(dropped)


def test_the_clause_checker_on_a_hand_refutation():
    inputs = [(1, 2), (1, -2), (-1, 2), (-1, -2)]
    assert check_refutation(inputs, [{"inputs": 4}, [1], []]) == 2
    with pytest.raises(Invalid):
        check_refutation(inputs, [{"inputs": 4}, []])
    with pytest.raises(Invalid):
        check_refutation(inputs[:3], [{"inputs": 3}, [1], []])
    with pytest.raises(Invalid):
        check_refutation(inputs, [{"inputs": 4}, [1]])


def test_the_command_line_answer_is_valid_and_audit_accepts_its_certificate(tmp_path):
    code, answer = printed_json(["minimize", "tomita6"])
    assert code == 0 and answer["minimal_hidden"] == 3
    assert_valid("minimize", answer)
    path = tmp_path / "lower.json"
    path.write_text(json.dumps(answer["lower_bound"]["certificate"]))
    code, audited = printed_json(["audit", str(path)])
    assert code == 0 and audited[0]["accepted"] and "Farkas lemmas" in audited[0]["reason"]
    bad = answer["lower_bound"]["certificate"]
    bad["tree"]["labelling"]["hinted"] = [[[], []]]
    path.write_text(json.dumps(bad))
    assert printed_json(["audit", str(path)])[0] != 0


def random_elman(states: int, seed: int, units: int) -> Problem:
    return elman(random_minimal(states, seed), units)


def test_with_as_many_states_as_codes_each_state_has_one_code_in_every_network():
    """Random 4-state automaton (seed 1) at 2 units: the counting clauses are among the base clauses, and
    every network the search finds, under each renumbering of its units, satisfies them."""
    p = random_elman(4, 1, 2)
    d = decide(p)
    assert d.verdict == Verdict.SAT
    lab = labelling(p)
    counted = lab.counting()
    assert len(counted) == 4 * 6 and set(counted) <= set(lab.base())
    for order in itertools.permutations(range(2)):
        true = network_assignment(lab, p, d.weights, list(order))
        assert all(satisfied(c, true) for c in counted), order


def test_the_counting_clauses_need_as_many_states_as_codes():
    """With fewer states than codes a state may have several codes (tomita 5's 4 states at 3 units: the
    network found reaches its start state with code 0 and another), so "one code per state" is not among the
    checker's clauses and a proof cannot take it as a step."""
    p = elman(minimize(load_automaton("tomita5")), 3)
    d = decide(p)
    assert d.verdict == Verdict.SAT
    lab = labelling(p)
    assert lab.counting() == []
    true = network_assignment(lab, p, d.weights, [0, 1, 2])
    q = lab.automaton.start
    several = [c for c in range(lab.codes) if lab.X(c, q) in true]
    assert len(several) >= 2
    step = [-lab.X(several[1], q), -lab.X(several[0], q)]
    assert not satisfied(step, true)
    inputs = lab.base()
    with pytest.raises(Invalid, match="neither RUP nor RAT"):
        check_refutation(inputs, [{"inputs": len(inputs)}, step, []])


def test_a_refutation_with_as_many_states_as_codes_rests_on_the_counting_clauses():
    """Random 4-state automaton (seed 0) at 2 units: refuted with a certificate the checker accepts, whose
    proof does not refute the clauses without the counting clauses (the checker builds them itself): each
    counting clause replaced by a tautology, which no step may use, the hinted steps are rejected."""
    p = random_elman(4, 0, 2)
    d = decide(p)
    assert d.verdict == Verdict.UNSAT and d.certificate is not None
    assert check(d.certificate)[0]
    lab = labelling(p)
    counted = set(lab.counting())
    leaf = d.certificate["tree"]["labelling"]
    inputs = [(1, -1) if c in counted else c for c in lab.base()] + lab.symmetry(leaf["symmetry_words"])
    inputs += [c for lemma in leaf["lemmas"] for c in lab.lemma_clauses([
        (c, a, bit, Fraction(m)) for c, a, bit, m in lemma["points"]])]
    with pytest.raises(Invalid, match="does not follow from its hints"):
        check_hinted(inputs, leaf["hinted"])
