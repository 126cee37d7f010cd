"""The labelling certificate's own checks against the mutants that outlived the decomposition's tests: every
rejection of a lemma or of the symmetry words read word for word, lemmas whose multipliers are not all 1
(zeros, halves), the variables' numbering, and the symmetry clauses of one unit written out by hand from
the definition in :mod:`automata_rnn.exact.labelling`."""

from fractions import Fraction as F

import pytest

from automata_rnn.exact.labelling import Invalid, Labelling, check_lemma
from automata_rnn.model.automata import toggle
from automata_rnn.model.problem import encode_symbol


def labelling(units=1):
    a = toggle()
    return Labelling(a, units, {s: encode_symbol(a, s) for s in a.alphabet})


# XOR of (input, unit 0's bit): no threshold unit computes it
XOR = [(0, "0", 1, F(1)), (1, "1", 1, F(1)), (0, "1", 0, F(1)), (1, "0", 0, F(1))]


def invalid(lab, points):
    with pytest.raises(Invalid) as err:
        check_lemma(lab, points)
    return str(err.value)


def test_lemmas_with_multipliers_other_than_one_are_read_exactly():
    check_lemma(labelling(), XOR)
    check_lemma(labelling(), [(c, a, b, F(1, 2)) for c, a, b, _ in XOR])      # bit 1 carries 1 in all
    check_lemma(labelling(2), XOR + [(2, "0", 1, F(0))])                      # a point with multiplier 0
    check_lemma(labelling(2), XOR + [(3, "1", 0, F(0))])


@pytest.mark.parametrize("points, why", [
    ([], "a lemma has points"),
    ([(0, "0", 1, F(1)), (0, None, 0, F(1))], "a lemma speaks either of the units or of the read-out"),
    ([(0, "0", 1, F(0)), (1, "0", 0, F(0))], "the points with bit 1 carry no multiplier"),
    ([(0, "0", 1, F(0)), (1, "0", 0, F(1))], "the points with bit 1 carry no multiplier"),
    ([(2, "0", 1, F(1))] + XOR[1:], "no code 2 at 1 units"),
    ([(-1, "0", 1, F(1))] + XOR[1:], "no code -1 at 1 units"),
    ([(0, "2", 1, F(1))] + XOR[1:], "symbol '2' is not in the alphabet"),
    ([(0, "0", 2, F(1))] + XOR[1:], "bit 2 is not 0 or 1"),
    ([(0, "0", 1, F(-1))] + XOR[1:], "negative multiplier -1"),
    ([(0, "0", 1, F(1)), (0, "1", 0, F(1))], "the multiplied points do not balance: ['-1', '0', '0']"),
    ([(0, "0", 1, F(2))] + XOR[1:], "the multiplied points do not balance: ['0', '0', '1']"),
])
def test_every_flaw_of_a_lemma_is_named(points, why):
    assert invalid(labelling(), points) == why


def test_the_read_outs_lemma_over_codes():
    """(bits of c, 1): code 0 and code 1 with bit 1 against... the read-out of one unit is any threshold of
    h, so two codes cannot balance; a zero-sum of bit-1 and bit-0 points that does is refused by name."""
    assert invalid(labelling(), [(0, None, 1, F(1)), (1, None, 0, F(1))]) == \
        "the multiplied points do not balance: ['-1', '0']"


@pytest.mark.parametrize("words, why", [
    ([], "the symmetry words begin with the empty word"),
    ([["1"]], "the symmetry words begin with the empty word"),
    ([[], ["1"], ["1"]], "symmetry word '1' appears twice"),
    ([[], ["0", "1"]], "symmetry word '01': its prefix is not listed before it"),
    ([[], ["2"]], "symmetry word '2': its prefix is not listed before it"),
])
def test_every_flaw_of_the_symmetry_words_is_named(words, why):
    with pytest.raises(Invalid) as err:
        labelling(2).symmetry(words)
    assert str(err.value) == why


@pytest.mark.parametrize("units", [1, 2, 3])
def test_every_variable_has_its_own_number(units):
    lab = labelling(units)
    before = lab.count
    words = [(), ("1",), ("1", "0")]
    lab.symmetry(words)
    a, codes = lab.automaton, range(lab.codes)
    numbers = ([lab.X(c, q) for c in codes for q in a.states]
               + [lab.T(c, s, j) for c in codes for s in a.alphabet for j in range(units)]
               + [lab.O(c) for c in codes]
               + [lab.H(k, j) for k in range(len(words)) for j in range(units)]
               + [lab.E(j, k) for j in range(units - 1) for k in range(len(words))])
    assert sorted(numbers) == list(range(1, lab.count + 1))
    assert lab.count - before == len(words) * units + (units - 1) * len(words)


def test_the_symmetry_clauses_of_one_unit_written_out():
    """One unit, words (), (1): H(0) is 0; H(1) is T(code after (), '1') for each code of H(0); after each
    word's code comes the state it leads to; one unit has nothing to sort."""
    lab = labelling(1)
    clauses = lab.symmetry([[], ["1"]])
    H, T, X = lab.H, lab.T, lab.X
    expected = [(-H(0, 0),),
                (H(0, 0), -T(0, "1", 0), H(1, 0)), (H(0, 0), T(0, "1", 0), -H(1, 0)),
                (-H(0, 0), -T(1, "1", 0), H(1, 0)), (-H(0, 0), T(1, "1", 0), -H(1, 0)),
                (H(0, 0), X(0, "even")), (-H(0, 0), X(1, "even")),
                (H(1, 0), X(0, "odd")), (-H(1, 0), X(1, "odd"))]
    assert clauses == expected


def test_a_repeated_word_of_several_symbols_is_named():
    with pytest.raises(Invalid) as err:
        labelling(2).symmetry([[], ["1"], ["1", "0"], ["1", "0"]])
    assert str(err.value) == "symmetry word '10' appears twice"


def test_the_sorting_clauses_of_two_units_written_out():
    """Two units, words (), (1), (1, 0): column 0 >= column 1 lexicographically over the words after the
    empty one (whose bits are 0): H(1,0) >= H(1,1); E(0, 2) when they are equal; then, if so,
    H(2,0) >= H(2,1)."""
    lab = labelling(2)
    clauses = lab.symmetry([[], ["1"], ["1", "0"]])
    H, E = lab.H, lab.E
    assert clauses[-4:] == [(H(1, 0), -H(1, 1)), (-H(1, 0), -H(1, 1), E(0, 2)), (H(1, 0), H(1, 1), E(0, 2)),
                            (-E(0, 2), H(2, 0), -H(2, 1))]
    assert not any(E(0, 0) in map(abs, c) or E(0, 1) in map(abs, c) for c in clauses)


def test_an_automaton_with_an_unreachable_state_is_refused_by_name():
    from automata_rnn.model.automata import Automaton

    t = {("a", "0"): "a", ("a", "1"): "a", ("b", "0"): "a", ("b", "1"): "b"}
    lonely = Automaton("lonely", ("0", "1"), ("a", "b"), "a", t, {"a": 0, "b": 1})
    with pytest.raises(Invalid) as err:
        Labelling(lonely, 1, {"0": (F(0),), "1": (F(1),)})
    assert str(err.value) == "the automaton has unreachable states"


# ---- the clause database under the proof (RUP and RAT), on formulas small enough to check by hand ----

def database(*clauses):
    from automata_rnn.exact.clauses import Database

    db = Database()
    for c in clauses:
        db.add(c)
    return db


def test_units_propagate_from_the_first_one():
    db = database((-1, 2), (-2, 3), (1,))
    assert (db.truth(1), db.truth(2), db.truth(3)) == (True, True, True)
    assert not db.refuted and database((-1, 2), (-2,), (1,)).refuted


def test_a_clause_on_a_fresh_literal_is_rat_and_not_rup():
    """(3, 1) over {(1, 2)}: no clause holds -3, so every resolvent on 3 holds vacuously."""
    db = database((1, 2))
    assert not db.implies((3, 1)) and db.has_rat((3, 1))


def test_rat_needs_every_resolvent_to_be_rup():
    """(1) over {(-1, 2), (1, 2, 6), (1, 2, -6)}: not RUP (-1 alone propagates nothing), but its one
    resolvent (1, 2) is: -1 and -2 force 6 and -6."""
    db = database((-1, 2), (1, 2, 6), (1, 2, -6))
    assert not db.implies((1,)) and db.has_rat((1,))
    assert not database((-1, 2), (1, 2, 6)).has_rat((1,))


def test_a_tautological_resolvent_is_skipped_not_taken_for_the_rest():
    """(1, 3) over {(-1, -3), (-1, 4)}: the first resolvent (1, 3, -3) is a tautology, the second (1, 3, 4)
    is not RUP, so (1, 3) is not RAT."""
    db = database((-1, -3), (-1, 4))
    assert not db.implies((1, 3)) and not db.has_rat((1, 3))
    assert not database().has_rat(())


UNSAT = [(1, 2), (1, -2), (-1, 2), (-1, -2)]


def refutation_fails(inputs, steps):
    from automata_rnn.exact.clauses import check_refutation

    with pytest.raises(Invalid) as err:
        check_refutation(inputs, steps)
    return str(err.value)


def test_a_refutation_takes_its_inputs_in_chunks_and_skips_deletions():
    from automata_rnn.exact.clauses import check_refutation

    assert check_refutation(UNSAT, [{"inputs": 1}, {"inputs": 0}, {"inputs": 1}, {"inputs": 2}, [1], []]) == 2
    assert check_refutation(UNSAT, [{"inputs": 4}, {"delete": [1, 2]}, [1], []]) == 2


def test_a_rat_step_in_a_refutation():
    """(1) is RAT, not RUP, over these five clauses; once added, 2 follows, and 7 and -7 clash."""
    from automata_rnn.exact.clauses import check_refutation

    inputs = [(-1, 2), (1, 2, 6), (1, 2, -6), (-2, 7), (-2, -7)]
    assert check_refutation(inputs, [{"inputs": 5}, [1], []]) == 2


STEP = "a proof step is {inputs: k}, {delete: [literals]} or a list of nonzero literals"


@pytest.mark.parametrize("steps, why", [
    ([{"inputs": -1}], "the proof takes input clauses past the 4 there are"),
    ([{"inputs": 5}], "the proof takes input clauses past the 4 there are"),
    ([{"inputs": "4"}], "the proof takes input clauses past the 4 there are"),
    ([{"inputs": 4}, {"unknown": 1}, [1], []], STEP),
    ([{"inputs": 4}, ""], STEP),
    ([{"inputs": 4}, [1, 0], []], STEP),
    ([{"inputs": 4}, [1]], "the proof does not derive the empty clause"),
])
def test_every_flaw_of_a_refutation_is_named(steps, why):
    assert refutation_fails(UNSAT, steps) == why


@pytest.mark.parametrize("step, shown", [
    ([-1], "[-1]"),
    ([-1, 3, 4, 5, 6, 7, 8, 9], "[-1, 3, 4, 5, 6, 7, 8, 9]"),
    ([-1, 3, 4, 5, 6, 7, 8, 9, 10], "[-1, 3, 4, 5, 6, 7, 8, 9]..."),
])
def test_a_step_neither_rup_nor_rat_is_named(step, shown):
    """Over (1, 2) alone, -1 with fresh literals is not RUP, and its resolvent with (1, 2) is not RUP."""
    assert refutation_fails([(1, 2)], [{"inputs": 1}, step]) == f"proof step 0 ({shown}) is neither RUP nor RAT"


def test_a_clause_false_under_the_units_refutes_and_a_true_literal_implies():
    assert database((1,), (2,), (-1, -2)).refuted
    assert not database((1,), (-1, -2)).refuted and database((1,), (-1, -2)).truth(2) is False
    assert database((1,)).implies((1,)) and database((1,)).implies((1, 5))


def test_an_empty_input_clause_refutes_at_once():
    from automata_rnn.exact.clauses import check_refutation

    assert database((), (1,)).refuted
    assert check_refutation([(), (1,)], [{"inputs": 2}, []]) == 1
