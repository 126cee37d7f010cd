"""Hinted refutations: the checker of hinted steps, CaDiCaL's LRAT read and trimmed, and their round trip."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automata_rnn.exact.clauses import check_hinted
from automata_rnn.exact.labelling import Invalid
from automata_rnn.solver.trim import ProvingCadical, binary_lrat, trim_lrat

XOR = [(1, 2), (1, -2), (-1, 2), (-1, -2)]  # ids 1-4
# [1] from ids 1 (1 2: 2 is unit) and 2 (1 -2: false); then [] from 5 ([1]: 1), 3 (-1 2: 2), 4 (-1 -2: false)
XOR_STEPS = [[[1], [1, 2]], [[], [5, 3, 4]]]


def test_a_hand_refutation_is_accepted():
    assert check_hinted(XOR, XOR_STEPS) == 2


def test_a_tautology_needs_no_hints_and_an_empty_input_refutes_at_once():
    assert check_hinted(XOR, [[[1, -1], []], [[1], [1, 2]], [[], [6, 3, 4]]]) == 3
    assert check_hinted([(), (1,)], [[[], [1]]]) == 1


@pytest.mark.parametrize("steps", [
    [[[1], [1, 2]], [[], [3, 5, 4]]],  # hints out of order: 3 (-1 2) has two open literals first
    [[[1], [1]], [[], [5, 3, 4]]],  # a hint missing: no conflict
    [[[1], [1, 2, 3]], [[], [5, 3, 4]]],  # a hint after the conflict
    [[[1], [1, 2]], [[], [3, 4]]],  # 3 (-1 2) has two open literals when 5 is not used
    [[[1], [5, 2]], [[], [5, 3, 4]]],  # a step names itself
    [[[1], [1, 2]], [[], [6, 3, 4]]],  # a hint past the clauses so far
    [[[1], [0, 1, 2]], [[], [5, 3, 4]]],  # id 0
    [[[1], [-1, 2]], [[], [5, 3, 4]]],  # a negative id (LRAT's RAT steps are not read)
    [[[1], [4, 1, 2]], [[], [5, 3, 4]]],  # a hint already true: 1 taken false makes 4 (-1 -2) true
    [[[1], [1, 2]]],  # no empty clause
    [[[1], [1, 2]], [[], [5, 3, 4]], [[2], [1, 5]]],  # the empty clause not last
])
def test_every_wrong_hint_is_rejected(steps):
    with pytest.raises(Invalid):
        check_hinted(XOR, steps)


@pytest.mark.parametrize("step", [[[1], [1, 2], []], [[1]], [(1,), [1, 2]], [[1], (1, 2)], [[0], [1, 2]],
                                  [[True], [1, 2]], [[1], [1.0, 2]], {"clause": [1], "hints": [1, 2]}])
def test_a_malformed_step_is_named(step):
    with pytest.raises(Invalid, match="a hinted step is"):
        check_hinted(XOR, [step, [[], [5, 3, 4]]])


def test_a_trimmed_away_clause_still_referenced_is_rejected():
    """A proof whose middle step is dropped (or kept under the wrong id) no longer checks: the hints after it
    name other clauses, or none."""
    inputs, steps = refuted(pigeons(3))
    assert check_hinted(inputs, steps) == len(steps)
    used = {h for _, hints in steps for h in hints}
    for k in range(len(steps) - 1):
        if len(inputs) + k + 1 in used:
            with pytest.raises(Invalid):
                check_hinted(inputs, steps[:k] + steps[k + 1:])


def encode(n: int) -> bytes:
    """Binary proof number: 2|n| + (n < 0), 7 bits a byte, low first (an independent writer)."""
    u = 2 * abs(n) + (n < 0)
    out = bytearray()
    while u >= 0x80:
        out.append(u & 0x7F | 0x80)
        u >>= 7
    out.append(u)
    return bytes(out)


def lrat_bytes(lines) -> bytes:
    out = bytearray()
    for line in lines:
        if line[0] == "d":
            out += b"d" + b"".join(encode(i) for i in line[1]) + b"\0"
        else:
            cid, clause, hints = line
            out += b"a" + encode(cid) + b"".join(map(encode, clause)) + b"\0" + b"".join(map(encode, hints)) + b"\0"
    return bytes(out)


def test_binary_lrat_reads_what_an_independent_writer_wrote():
    lines = [(7, [1, -200, 70000], [1, 2, 300000]), ("d", [1, 7]), (8, [], [7, 5]), (9, [-3], [])]
    assert list(binary_lrat(lrat_bytes(lines))) == [line for line in lines if line[0] != "d"]
    assert list(binary_lrat(b"")) == []


@pytest.mark.parametrize("data", [b"x\2\0\0", b"a\4\2\0\2", b"a\4\2\0", b"d\4", b"a\x82", b"a\0\0",
                                  b"a\4\x82\0\0", b"a\4\2\0\x86\0", b"a\4\x82\x82\x82\x82\2\0\0"])
def test_a_damaged_binary_lrat_is_a_value_error(data):
    with pytest.raises(ValueError):
        binary_lrat(data)


def test_trimming_keeps_what_the_empty_clause_uses_and_numbers_inputs_between_additions():
    """CaDiCaL numbers the inputs in order among its own additions: here the inputs are ids 1, 3, 4, 5."""
    inputs = [(-1, 2), (1, 2), (1, -2), (-1, -2)]
    proof = [(2, [2, -1], [1]), (6, [2], [1]), (7, [1], [3, 4]), (8, [], [7, 2, 5])]  # 6 is not used
    steps = trim_lrat(4, binary_lrat(lrat_bytes(proof)))
    assert steps == [[[2, -1], [1]], [[1], [2, 3]], [[], [6, 5, 4]]]
    assert check_hinted(inputs, steps) == 3


@pytest.mark.parametrize("proof", [
    [(5, [1], [1, 2])],  # no empty clause
    [(5, [1], [1, -2]), (6, [], [5, 3, 4])],  # a RAT hint
    [(5, [1], [1, 6]), (6, [], [5, 3, 4])],  # a hint to a later clause
])
def test_trimming_refuses_what_it_cannot_turn_into_hinted_steps(proof):
    assert trim_lrat(4, binary_lrat(lrat_bytes(proof))) is None


def test_trimming_stops_at_the_first_empty_clause():
    assert trim_lrat(4, binary_lrat(lrat_bytes([(5, [1], [1, 2]), (6, [], [5, 3, 4]), (7, [], [1])]))) == XOR_STEPS


def pigeons(n: int) -> list[tuple[int, ...]]:
    """n + 1 pigeons in n holes: variable (p, h) is 1 + p * n + h."""
    v = [[1 + p * n + h for h in range(n)] for p in range(n + 1)]
    return ([tuple(row) for row in v] + [(-v[p][h], -v[q][h]) for h in range(n)
                                          for p, q in itertools.combinations(range(n + 1), 2)])


def refuted(inputs):
    solver = ProvingCadical(inputs)
    try:
        assert solver.solve(None, 5) is False  # a look every 5 conflicts: the proof goes on across calls
        steps = solver.refutation()
    finally:
        solver.close()
    assert steps is not None
    return inputs, steps


def satisfiable(inputs, variables: int) -> bool:
    return any(all(any((lit > 0) == bits[abs(lit) - 1] for lit in c) for c in inputs)
               for bits in itertools.product((False, True), repeat=variables))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(1, 5).flatmap(lambda v: st.sampled_from([v, -v])), min_size=1, max_size=3),
                min_size=10, max_size=40))
def test_trimmed_refutations_of_random_clauses_are_accepted(clauses):
    """Every unsatisfiable random set of clauses (brute force) is refuted by hinted steps the checker
    accepts, whose hints name only clauses before them (about 9 in 10 of these sets are unsatisfiable)."""
    inputs = [tuple(c) for c in clauses]
    if satisfiable(inputs, 5):
        return
    _, steps = refuted(inputs)
    assert check_hinted(inputs, steps) == len(steps) and steps[-1][0] == []
    assert all(h <= len(inputs) + k for k, (_, hints) in enumerate(steps) for h in hints)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(1, 5).flatmap(lambda v: st.sampled_from([v, -v])), min_size=1, max_size=3),
                min_size=10, max_size=40), st.lists(st.integers(0, 40), max_size=3))
def test_clauses_given_between_solves_are_numbered_in_order(clauses, cuts):
    """The solver searches, is given more clauses, searches again (as the decomposition's CEGAR loop does):
    a refutation at the end is accepted over all inputs in the order they were given, CaDiCaL's own
    clauses from the earlier solves among them."""
    inputs = [tuple(c) for c in clauses]
    if satisfiable(inputs, 5):
        return
    solver = ProvingCadical()
    try:
        at = 0
        for cut in sorted(set(cuts)) + [len(inputs)]:
            solver.add(inputs[at:max(at, cut)])
            at = max(at, cut)
            found = solver.solve(None, 1)
            assert found is (not (at == len(inputs) or not satisfiable(inputs[:at], 5)))
            if not found:
                break
        solver.add(inputs[at:])
        steps = solver.refutation()
    finally:
        solver.close()
    assert steps is not None
    assert check_hinted(inputs, steps) == len(steps)
