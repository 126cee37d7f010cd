"""Box arithmetic against mpmath: every enclosure holds the exact real value of the cells' equations,
computed by mpmath's intervals at 200 bits at points drawn inside the boxes; point runs stay tight and agree
with the float64 simulator."""

from fractions import Fraction as F

import numpy as np
import pytest
from mpmath import iv, mp

from automata_rnn.arithmetic.boxes import (
    EXP_ERROR,
    Box,
    BoxOps,
    box_of,
    boxes_of,
    exact_bounds,
    sigmoid_above,
    sigmoid_below,
)
from automata_rnn.arithmetic.interval import IntervalOps, exact
from automata_rnn.arithmetic.simulate import params_to_numpy, simulate
from automata_rnn.arithmetic.zonotopes import Zonotope, ZonotopeOps
from automata_rnn.model.cells import get_cell
from automata_rnn.model.network import stack

CELLS = ["rnn", "gru", "gru-after", "gru-chung", "lstm"]


def random_params(cell, layers, inputs, rng, scale=2.0):
    """Exact float weights (dyadic, as stored by PyTorch) plus one bias that no float holds (1/3)."""
    net = stack(cell, layers, inputs)
    units = sum(layers)
    params = {}
    for b in net.blocks:
        shape = b.shape(units, inputs)
        values = np.vectorize(F)(rng.normal(0, scale, shape).astype(np.float32).astype(np.float64))
        params[b.name] = tuple(map(tuple, values)) if len(shape) == 2 else tuple(values)
    first_bias = next(b.name for b in net.blocks if b.kind == "bias")
    params[first_bias] = (F(1, 3),) + params[first_bias][1:]
    return net, params


def reference_step(net, params, x, state, prec=200):
    """The exact step's value at a point, to within 2^-190: mpmath intervals at high precision."""
    old = iv.prec
    iv.prec = prec
    try:
        p = {k: tuple(tuple(exact(v) for v in row) for row in blk) if isinstance(blk[0], tuple)
             else tuple(exact(v) for v in blk) for k, blk in params.items()}
        s = tuple(tuple(exact(F(v)) for v in part) for part in state)
        new, _ = net.step(IntervalOps(), p, tuple(exact(F(v)) for v in x), s)
        return [[(x.a, x.b) for x in part] for part in new]
    finally:
        iv.prec = old


@pytest.mark.parametrize("cell", CELLS)
def test_a_step_of_a_box_holds_the_exact_step_of_its_points(cell):
    rng = np.random.default_rng(CELLS.index(cell))
    net, params = random_params(get_cell(cell), (3, 2), 1, rng)
    units = 5
    parts = len(net.state_parts)
    centre = [rng.uniform(-0.9, 0.9, (4, units)) for _ in range(parts)]
    width = [rng.uniform(0, 0.05, (4, units)) for _ in range(parts)]
    boxes = tuple(Box(c - w, c + w) for c, w in zip(centre, width))
    x = Box.point(rng.integers(0, 2, (4, 1)).astype(np.float64))
    new, _ = net.step(BoxOps(), boxes_of(params), x, boxes)
    for row in range(4):
        for _ in range(5):
            point = [c[row] + w[row] * rng.uniform(-1, 1, units) for c, w in zip(centre, width)]
            exact_new = reference_step(net, params, x.lo[row], point)
            for box, values in zip(new, exact_new):
                for j, (a, b) in enumerate(values):
                    assert box.lo[row, j] <= a and b <= box.hi[row, j]


@pytest.mark.parametrize("activation", ["sigmoid", "hard_sigmoid", "hard_sigmoid_pytorch"])
def test_point_runs_are_tight_and_hold_the_exact_run(activation):
    """Twenty steps of two layers of 8 PyTorch GRU units from 0: the box holds mpmath's enclosure at every
    step, is narrower than 1e-9 (widths grow with the network's gain on boxes), and the float64 simulator
    lies inside it up to its own rounding."""
    rng = np.random.default_rng(7)
    cell = get_cell("gru-after")
    net, params = random_params(cell, (8, 8), 1, rng, scale=1.0)
    word = rng.integers(0, 2, 20)
    ops, box_params = BoxOps(activation), boxes_of(params)
    state = (Box.point(np.zeros((1, 16))),)
    reference = (tuple(exact(0) for _ in range(16)),)
    ip = {k: tuple(tuple(exact(v) for v in row) for row in blk) if isinstance(blk[0], tuple)
          else tuple(exact(v) for v in blk) for k, blk in params.items()}
    sim = simulate(cell, params_to_numpy(params), word.reshape(1, -1, 1).astype(np.float64), layers=(8, 8),
                   activation=activation)
    old = iv.prec
    iv.prec = 120
    try:
        for t, bit in enumerate(word, start=1):
            state, _ = net.step(ops, box_params, Box.point(np.array([[float(bit)]])), state)
            reference, _ = net.step(IntervalOps(activation), ip, (exact(int(bit)),), reference)
            lo, hi = state[0].lo[0], state[0].hi[0]
            assert all(lo[j] <= v.a and v.b <= hi[j] for j, v in enumerate(reference[0]))
            assert np.all(hi - lo < 1e-9)
            assert np.all(np.abs(sim.hidden[0, t] - (lo + hi) / 2) <= (hi - lo) / 2 + 1e-12)
    finally:
        iv.prec = old


def test_gates_hold_the_exact_sigmoid_and_tanh_far_out():
    """Ends from -800 to 800 (exp overflows and underflows): the exact values lie between the bounds."""
    v = np.concatenate([np.linspace(-800, 800, 401), [-745.5, -709.9, 0.0, 1e-300, -1e-300, 36.7, 37.5]])
    low, high = sigmoid_below(v), sigmoid_above(v)
    tanh = BoxOps().tanh(Box.point(v))
    old, old_mp = iv.prec, mp.prec
    iv.prec, mp.prec = 200, 300
    try:
        for i, x in enumerate(v):
            s = 1 / (1 + iv.exp(-exact(F(x))))
            t = mp.tanh(mp.mpf(x))  # mpmath's own tanh at 300 bits, not the identity the boxes use
            assert low[i] <= s.a and s.b <= high[i]
            assert mp.mpf(tanh.lo[i]) <= t <= mp.mpf(tanh.hi[i])
    finally:
        iv.prec, mp.prec = old, old_mp
    assert np.all(high - low <= 1e-14)  # the exp margin, 16 ulps, and a few roundings


def test_numpy_exp_is_well_inside_the_margin_the_gates_allow():
    """The gates assume NumPy's exp within EXP_ERROR (16 ulps) of the exact value: on 20,000 random points
    over its whole range its error stays under 2^-50 relative, a quarter of that."""
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.uniform(-700, 700, 10_000), rng.normal(0, 3, 10_000)])
    e = np.exp(x)
    old = mp.prec
    mp.prec = 120
    try:
        for xi, ei in zip(x, e):
            true = mp.exp(mp.mpf(xi))
            assert abs(mp.mpf(ei) - true) <= true * mp.mpf(2) ** -50
    finally:
        mp.prec = old
    assert EXP_ERROR == 2.0 ** -48


def test_constants_are_enclosed_exactly():
    assert exact_bounds(F(1, 2)) == (0.5, 0.5)
    a, b = exact_bounds(F(1, 3))
    assert F(a) < F(1, 3) < F(b) and np.nextafter(a, 2) == b
    box = box_of(((F(1, 10), F(-7, 3)), (F(0), F(10) ** 400)))
    assert box.lo[1, 1] > 1e308 and box.hi[1, 1] == np.inf
    assert F(box.lo[0, 0]) < F(1, 10) < F(box.hi[0, 0])


def test_a_wide_product_is_enclosed():
    """v M for a box of 200 entries: the exact extreme values (at the box's corners, by sign of M) are inside."""
    rng = np.random.default_rng(3)
    m = rng.normal(size=(200, 3))
    c = rng.normal(size=(1, 200))
    w = rng.uniform(0, 1e-3, (1, 200))
    out = BoxOps().linear(Box(c - w, c + w), Box.point(m))
    for j in range(3):
        corner_low = np.where(m[:, j] > 0, c - w, c + w)[0]
        corner_high = np.where(m[:, j] > 0, c + w, c - w)[0]
        exact_low = sum(F(a) * F(b) for a, b in zip(corner_low, m[:, j]))
        exact_high = sum(F(a) * F(b) for a, b in zip(corner_high, m[:, j]))
        assert F(out.lo[0, j]) <= exact_low and exact_high <= F(out.hi[0, j])
        assert out.hi[0, j] - out.lo[0, j] < float(exact_high - exact_low) + 1e-10  # gamma_200 |c| |M|


@pytest.mark.parametrize("cell", CELLS)
def test_a_zonotope_step_holds_the_exact_step_and_is_no_wider_than_needed(cell):
    """The zonotope image of a box holds the exact step of points drawn in it (mpmath, 200 bits)."""
    rng = np.random.default_rng(10 + CELLS.index(cell))
    net, params = random_params(get_cell(cell), (3, 2), 1, rng)
    units = 5
    parts = len(net.state_parts)
    centre = [rng.uniform(-0.9, 0.9, (4, units)) for _ in range(parts)]
    width = [rng.uniform(0, 0.05, (4, units)) for _ in range(parts)]
    start = Zonotope.of_box(Box(np.concatenate([c - w for c, w in zip(centre, width)], -1),
                                np.concatenate([c + w for c, w in zip(centre, width)], -1)))
    ops = ZonotopeOps()
    x = Box.point(rng.integers(0, 2, (4, 1)).astype(np.float64))
    new, _ = net.step(ops, boxes_of(params), x, tuple(ops.split(start, [units] * parts)))
    boxes = [z.box() for z in new]
    for row in range(4):
        for _ in range(5):
            point = [c[row] + w[row] * rng.uniform(-1, 1, units) for c, w in zip(centre, width)]
            for box, values in zip(boxes, reference_step(net, params, x.lo[row], point)):
                for j, (a, b) in enumerate(values):
                    assert box.lo[row, j] <= a and b <= box.hi[row, j]


def test_exact_zeros_stay_exact_so_a_state_kept_at_0_reads_its_output():
    """A product with an exact 0 factor, a sum with an exact 0 term, 1 - 0 and 1 - 1 are exact in floats:
    a GRU whose hard-sigmoid update gate is exactly 1 keeps h = 0 exactly, so the rule [h > 0] reads 0 there
    (outward rounding of these would give a box straddling 0 that decides nothing)."""
    from fractions import Fraction

    from automata_rnn.arithmetic.boxes import Box, BoxOps, boxes_of
    from automata_rnn.model.automata import latch
    from automata_rnn.model.cells import get_cell
    from automata_rnn.model.problem import Problem, encode_symbol

    ops = BoxOps("hard_sigmoid")
    zero, one = Box.point(np.zeros((1, 1))), Box.point(np.ones((1, 1)))
    wide = Box(np.full((1, 1), -3.0), np.full((1, 1), 2.5))
    assert ops.mul(zero, wide) == zero and ops.add(zero, zero) == zero and ops.one_minus(one) == zero
    assert ops.one_minus(zero) == one and ops.linear(zero, wide) == zero
    p = Problem(latch(), get_cell("gru"))
    weights = {n: Fraction(0) for n in p.parameter_names()} | {"b_z": Fraction(5), "U_h": Fraction(2),
                                                              "b_h": Fraction(1, 3)}
    x = Box.point(np.array([[float(v) for v in encode_symbol(p.automaton, "0")]]))
    (h,), _ = p.stack.step(ops, boxes_of(p.parameters(weights)), x, (zero,))
    assert h == zero
