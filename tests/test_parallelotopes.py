"""Parallelotope invariant sets: the containment test never holds a point outside (exact coordinates in
fractions), the zonotope images of a parallelotope hold the exact images of its points (mpmath at 200 bits),
and the sets prove a network that boxes cannot."""

import math
from fractions import Fraction as F

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from mpmath import iv

from automata_rnn.arithmetic.boxes import Box, boxes_of
from automata_rnn.arithmetic.interval import IntervalOps, exact
from automata_rnn.arithmetic.parallelotopes import Parallelotope, absorb
from automata_rnn.arithmetic.simulate import encode_words, params_to_numpy, simulate
from automata_rnn.arithmetic.zonotopes import Zonotope, ZonotopeOps
from automata_rnn.model.automata import from_table
from automata_rnn.model.cells import get_cell
from automata_rnn.model.network import stack
from automata_rnn.model.problem import Problem
from automata_rnn.questions.simulate import read_outputs
from automata_rnn.questions.verify import prove_by_parallelotopes, prove_real, verify


def exact_solve(g: np.ndarray, y: list) -> list:
    """e with e G = y, in fractions (Gaussian elimination on G^T e^T = y^T)."""
    n = len(y)
    rows = [[F(float(g[j, i])) for j in range(n)] + [y[i]] for i in range(n)]
    for col in range(n):
        pivot = next(r for r in range(col, n) if rows[r][col] != 0)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(n):
            if r != col and rows[r][col] != 0:
                f = rows[r][col] / rows[col][col]
                rows[r] = [a - f * b for a, b in zip(rows[r], rows[col])]
    return [rows[i][n] / rows[i][i] for i in range(n)]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.floats(0.3, 1.2))
def test_a_held_zonotope_has_every_point_inside(seed, scale):
    """A zonotope that is the parallelotope shrunk or grown by ``scale`` about a shifted centre, with an error
    box: when ``holds`` says it lies inside, every corner of it drawn has exact coordinates in [-1, 1]; it
    is held when its largest coordinate (the shift's, plus scale, plus the error box's) is below 0.95, and
    not when above 1."""
    rng = np.random.default_rng(seed)
    n = 3
    g = rng.normal(0, 1, (n, n)) + 3 * np.eye(n)
    p = Parallelotope.of(rng.normal(0, 1, n), g)
    shift = rng.uniform(-0.05, 0.05, n)
    error = rng.uniform(0, 0.02, n)
    gens = scale * rng.choice([-1.0, 1.0], n)[:, None] * g  # the generators, scaled and some flipped
    z = Zonotope((p.centre + shift)[None], gens[None], error[None])
    held = bool(p.holds(z)[0])
    inverse = np.linalg.inv(g)
    largest = float((np.abs(shift @ inverse) + scale + error @ np.abs(inverse)).max())
    if largest < 0.95:
        assert held
    if largest > 1:
        assert not held
    for _ in range(12):
        e = rng.choice([-1.0, 1.0], n)
        d = rng.choice([-1.0, 1.0], n)
        point = [F(float(z.centre[0, i])) + sum(F(float(e[k])) * F(float(gens[k, i])) for k in range(n))
                 + F(float(d[i])) * F(float(error[i])) for i in range(n)]
        coords = exact_solve(g, [point[i] - F(float(p.centre[i])) for i in range(n)])
        if held:
            assert all(abs(c) <= 1 for c in coords)


def exact_step(net, params, x, state):
    """The exact step at a point (Fractions, or mpmath intervals around one), enclosed at 200 bits."""
    old = iv.prec
    iv.prec = 200
    try:
        p = {k: tuple(tuple(exact(v) for v in row) for row in blk) if isinstance(blk[0], tuple)
             else tuple(exact(v) for v in blk) for k, blk in params.items()}
        point = tuple(exact(v) if isinstance(v, F) else v for v in state)  # Fractions, or intervals already
        new, _ = net.step(IntervalOps(), p, tuple(exact(v) for v in x), (point,))
        return list(new[0])
    finally:
        iv.prec = old


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 2 ** 32 - 1))
def test_two_zonotope_steps_of_a_parallelotope_hold_the_exact_steps_of_its_points(seed):
    """Two PyTorch GRU layers (3 then 2 units): a random parallelotope's zonotope image, absorbed and stepped
    again, holds the exact two-step image of points drawn in it (each a Fraction, each step mpmath's)."""
    rng = np.random.default_rng(seed)
    net = stack(get_cell("gru-after"), (3, 2), 1)
    params = {}
    for b in net.blocks:
        shape = b.shape(5, 1)
        values = np.vectorize(F)(rng.normal(0, 2, shape).astype(np.float32).astype(np.float64))
        params[b.name] = tuple(map(tuple, values)) if len(shape) == 2 else tuple(values)
    n = 5
    points = rng.uniform(-0.6, 0.6, (1, n)) + rng.normal(0, 0.05, (40, n)) @ rng.normal(0, 1, (n, n))
    p = Parallelotope.of_points(points, 1.1, 1e-3)
    ops, bp = ZonotopeOps(), boxes_of(params)
    word = [float(v) for v in rng.integers(0, 2, 2)]
    z = p.zonotope()
    for bit in word:
        (z,), _ = net.step(ops, bp, Box.point(np.array([[bit]])), (z,))
        z = absorb(z, n)
    box = z.box()
    for _ in range(4):
        e = rng.uniform(-1, 1, n)
        state = [F(float(p.centre[i])) + sum(F(float(e[k])) * F(float(p.generators[k, i])) for k in range(n))
                 for i in range(n)]
        for bit in word:
            state = exact_step(net, params, [F(bit)], state)
        for i, v in enumerate(state):
            assert box.lo[0, i] <= v.a and v.b <= box.hi[0, i]


def rotating_rnn():
    """Two sigmoid units whose state spirals into (1/2, 1/2): near it the step is 0.8 times a rotation by 45
    degrees, which a box's image widens by 0.8 sqrt 2 > 1 at every step; the read-out h_0 - 3/4 stays
    negative (the spiral's highest h_0 is 0.7254), so the network computes the automaton that never accepts."""
    a = from_table("never", "q", {"q": ("q", "q")}, [])
    p = Problem(a, get_cell("rnn"), units=2, output="readout")
    c = s = math.cos(math.pi / 4)
    w_h = np.array([[c, s], [-s, c]]) * 3.2
    b_h = -0.5 * w_h.sum(axis=0)
    w = {n: F(0) for n in p.parameter_names()}
    for i in range(2):
        w[f"b_h[{i}]"] = F(float(b_h[i]))
        for j in range(2):
            w[f"W_h[{i},{j}]"] = F(float(w_h[i, j]))
    w["W_y[0,0]"], w["b_y"] = F(1), F(-3, 4)
    return p, w


def test_parallelotopes_prove_a_network_that_boxes_cannot():
    p, w = rotating_rnn()
    for radius in (math.inf, 0.05):
        assert not prove_real(p, w, radius=radius).proved
        assert not prove_real(p, w, radius=radius, zonotopes=True).proved
    proof = prove_by_parallelotopes(p, w, radius=0.05)
    assert proof.proved and proof.sets == "parallelotopes", proof.reason
    found = verify(p, w, search_length=6)
    assert found.verdict == "sat" and found.proof.sets == "parallelotopes"
    # the float64 network agrees on long inputs (an independent run of the same network)
    params = params_to_numpy({k: v for k, v in p.parameters(w).items() if k not in ("W_y", "b_y")})
    word = tuple(np.random.default_rng(0).choice(["0", "1"], 3000))
    sim = simulate(p.cell, params, encode_words(p.automaton, [word]), layers=p.layers)
    assert read_outputs(p, w, np.asarray(sim.hidden[0]), F(1)) == p.automaton.outputs(word)


def test_a_parallelotope_that_reads_both_outputs_is_no_proof():
    """At read-out threshold 0.72 the spiral's h_0 reaches 0.7254 > 0.72: the network fails, and no
    parallelotope proof is given (the search confirms the failure on boxes)."""
    p, w = rotating_rnn()
    w["b_y"] = F(-72, 100)
    for radius in (math.inf, 0.05):
        assert not prove_by_parallelotopes(p, w, radius=radius).proved
    assert verify(p, w, search_length=6).verdict == "unsat"
