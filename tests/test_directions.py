"""The direction clauses of the labelling (automata_rnn.exact.labelling): they admit every threshold function of
the points they speak of, and on the cube exactly those, counted against threshold functions enumerated here by
integer weights."""

import itertools

import pytest
from pysat.solvers import Solver

from automata_rnn.interop.automata_files import load_automaton
from automata_rnn.model.automata import Automaton, minimize
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.solver.decompose import labelling, symmetry_words

THREE_SYMBOLS = Automaton("mod3", ("a", "b", "c"), ("q0", "q1", "q2"), "q0",
                          {("q0", "a"): "q1", ("q0", "b"): "q2", ("q0", "c"): "q0",
                           ("q1", "a"): "q2", ("q1", "b"): "q0", ("q1", "c"): "q1",
                           ("q2", "a"): "q0", ("q2", "b"): "q1", ("q2", "c"): "q2"},
                          {"q0": 1, "q1": 0, "q2": 0})


def threshold_functions(vectors: list[tuple[int, ...]], largest: int) -> set[tuple[int, ...]]:
    """The bits [w.v + b > 0] on the vectors for integer weights w of size at most ``largest`` and every bias
    that makes a difference."""
    out = set()
    for w in itertools.product(range(-largest, largest + 1), repeat=len(vectors[0])):
        sums = [sum(x * y for x, y in zip(w, v)) for v in vectors]
        for t in sorted(set(sums)) + [min(sums) - 1]:
            out.add(tuple(int(s > t) for s in sums))
    return out


def admitted(clauses, variables: list[int], count: int) -> set[tuple[int, ...]]:
    """The bits on ``variables`` (all 2^k of them tried) for which the clauses are satisfiable."""
    out = set()
    with Solver(name="minisat22", bootstrap_with=clauses) as sat:
        for bits in itertools.product((0, 1), repeat=count):
            if sat.solve(assumptions=[v if b else -v for v, b in zip(variables, bits)]):
                out.add(bits)
    return out


def directions_of(problem: Problem):
    lab = labelling(problem)
    lab.symmetry(symmetry_words(lab))
    return lab, lab.directions()


def elman(aut: Automaton, units: int) -> Problem:
    return Problem(minimize(aut), get_cell("rnn"), units, output="readout")


def test_on_the_cube_of_three_the_directions_admit_exactly_the_104_threshold_functions():
    """A unit's next bit at 2 units over {0,1}: points (x, h_0, h_1), the cube {0,1}^3."""
    lab, clauses = directions_of(elman(load_automaton("tomita3"), 2))
    points = [(c, a) for c in range(lab.codes) for a in lab.symbols]
    vectors = [tuple(int(x) for x in lab.point_vector(c, a)[:-1]) for c, a in points]
    expected = threshold_functions(vectors, 2)
    assert len(expected) == 104
    assert admitted(clauses, [lab.T(c, a, 0) for c, a in points], len(points)) == expected


def test_on_the_cube_of_four_the_read_out_directions_admit_exactly_the_1882_threshold_functions():
    lab, clauses = directions_of(elman(load_automaton("tomita3"), 4))
    vectors = [tuple(int(x) for x in lab.point_vector(c, None)[:-1]) for c in range(lab.codes)]
    expected = threshold_functions(vectors, 3)
    assert len(expected) == 1882
    assert admitted(clauses, [lab.O(c) for c in range(lab.codes)], lab.codes) == expected


@pytest.mark.parametrize("cell", ["rnn", "gru", "gru-after"])
def test_off_the_cube_every_threshold_function_is_admitted_by_each_family(cell):
    """Three symbols, one-hot: the points (x(a), h) are not a cube.  Every threshold function of them is
    admitted, for every unit of every threshold family of the cell."""
    p = Problem(THREE_SYMBOLS, get_cell(cell), 2, output="readout")
    lab, clauses = directions_of(p)
    points = [(c, a) for c in range(lab.codes) for a in lab.symbols]
    vectors = [tuple(int(x) for x in lab.point_vector(c, a)[:-1]) for c, a in points]
    functions = threshold_functions(vectors, 2)
    assert len(functions) > 100
    with Solver(name="minisat22", bootstrap_with=clauses) as sat:
        for var in lab.families():
            for j in range(lab.units):
                for bits in functions:
                    assert sat.solve(assumptions=[var(c, a, j) if b else -var(c, a, j)
                                                  for (c, a), b in zip(points, bits)])


def test_the_direction_clauses_reject_the_xor_of_a_unit_and_the_input():
    """The toggle's unit at one unit: next bit = h xor x is no threshold function, and no value of the
    direction variables lets it through."""
    lab, clauses = directions_of(elman(load_automaton("toggle"), 1))
    xor = [lab.T(c, a, 0) if c ^ int(a) else -lab.T(c, a, 0) for c in range(2) for a in lab.symbols]
    with Solver(name="minisat22", bootstrap_with=clauses) as sat:
        assert not sat.solve(assumptions=xor)
