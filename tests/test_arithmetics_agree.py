"""One network, every arithmetic: exact, symbolic, numeric, interval and PyTorch runs agree step by step.

Hypothesis draws a network (every cell, one layer of 1 to 4 units or a stack of
two layers, both threshold semantics, binary or one-hot inputs, weights in
quarters so that float64 sums of them are exact) and an input word.  Along the
word, from the same state at every time:

* exact (Fractions, :mod:`automata_rnn.exact.run`) and symbolic (the z3 terms of
  :mod:`automata_rnn.arithmetic.symbolic`, weights free, then evaluated in a z3
  model that gives the weights their values) give the same pre-activation at
  every gate and the same next code;
* the NumPy simulator run under the semantics as its activation gives the exact
  codes, and NaN exactly where the exact run finds a gate ill-defined;
* the real network (every real activation family) at a large gain gives the
  saturated codes wherever every pre-activation of the run is clear of 0;
* outward-rounded intervals stepped from the simulator's real state enclose the
  simulator's next state, tightly, at gain 1 and at a large gain;
* PyTorch's layers (where installed, for the cells PyTorch computes) stepped
  from the same state give the same next state, inside the same enclosure.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import z3
from hypothesis import event, given, settings
from hypothesis import strategies as st
from mpmath import iv
from strategies import words

from automata_rnn.arithmetic.exact import Affine
from automata_rnn.arithmetic.interval import IntervalOps, exact
from automata_rnn.arithmetic.simulate import encode_words, simulate
from automata_rnn.arithmetic.symbolic import Z3Ops
from automata_rnn.arithmetic.tanh_values import approximate
from automata_rnn.exact.run import IllDefined, initial_code, step, weight_signs
from automata_rnn.model.activation import REAL_ACTIVATIONS
from automata_rnn.model.automata import Automaton
from automata_rnn.model.cells import CELLS, get_cell
from automata_rnn.model.problem import Problem, encode_symbol
from automata_rnn.model.semantics import Semantics

LAYERS = [(1,), (2,), (3,), (4,), (1, 1), (2, 1), (1, 2), (2, 2)]
ALL_CELLS = tuple(sorted(CELLS))
PYTORCH_CELLS = tuple(sorted(name for name, cell in CELLS.items() if cell.torch is not None))
ALPHABETS = [("0", "1"), ("a", "b", "c")]
GAIN = 1000
CLEAR = 0.05            # |pre-activation| of the threshold run below which the gain limit is not compared
FLOAT_SLACK = 1e-12     # float64 error of one simulated step, far above its few ulps
TIGHT = 1e-9            # width an enclosure of one step from a point may have

QUARTERS = st.integers(-8, 8).map(lambda k: Fraction(k, 4))
NONZERO_QUARTERS = st.integers(-8, 8).filter(bool).map(lambda k: Fraction(k, 4))


def _machine(alphabet) -> Automaton:
    """A one-state machine over ``alphabet``: only the input encoding matters to a step."""
    return Automaton("any", alphabet, ("q0",), "q0", {("q0", a): "q0" for a in alphabet}, {"q0": 0})


@st.composite
def networks(draw, semantics: str | None = None, cells: tuple[str, ...] = ALL_CELLS,
             margins: tuple[Fraction, ...] = (Fraction(0),)):
    """(problem, weights, word): a network of one layer or a stack of ``cells``, its weights in quarters (0
    among them in half the networks: exact zeros make saturated gates ill-defined), a non-empty input word.
    The semantics has one of ``margins``."""
    cell = draw(st.sampled_from(cells), label="cell")
    layers = draw(st.sampled_from(LAYERS), label="layers")
    alphabet = draw(st.sampled_from(ALPHABETS), label="alphabet")
    name = semantics or draw(st.sampled_from(Semantics.NAMES), label="semantics")
    margin = draw(st.sampled_from(margins), label="margin")
    problem = Problem(_machine(alphabet), get_cell(cell), units=sum(layers), semantics=Semantics(name, margin),
                      layers=layers)
    values = draw(st.sampled_from([QUARTERS, NONZERO_QUARTERS]), label="zero weights allowed")
    weights = {n: draw(values, label=n) for n in problem.parameter_names()}
    word = draw(words(alphabet, min_size=1, max_size=6), label="word")
    return problem, weights, word


def exact_run(problem, weights, word):
    """The exact run: codes[t] for t = 0.. and, per step, the gate log (gate, unit, pre, value).

    Ends early at a step whose gate is ill-defined; ``ill`` is that step's number (1-based) or None."""
    params = problem.parameters(weights)
    signs = weight_signs()
    codes, logs = [initial_code(problem)], []
    for t, symbol in enumerate(word, 1):
        try:
            code, log = step(problem, params, codes[-1], symbol, signs)
        except IllDefined:
            return codes, logs, t
        codes.append(code)
        logs.append(log)
    return codes, logs, None


def value_of(x) -> float:
    """A code entry as a float: a Fraction, or a form in tanh constants (a saturated LSTM's h)."""
    return approximate(x) if isinstance(x, Affine) else float(x)


def pre_magnitude(pre: Affine) -> float:
    return abs(value_of(pre if not pre.is_constant else pre.const))


def state_arrays(sim, t: int) -> list[np.ndarray]:
    """The simulator's state parts at time t of sequence 0: h, and c for the LSTM."""
    parts = [sim.hidden[0, t]]
    if sim.cell_state is not None:
        parts.append(sim.cell_state[0, t])
    return parts


def run_simulator(problem, weights, word, activation: str, gain=1):
    return simulate(problem.cell, problem.parameters(weights), encode_words(problem.automaton, [word]),
                    activation=activation, gain=gain, layers=problem.layers)


# -- exact and symbolic ---------------------------------------------------------------------------------


class SymbolicStepper:
    """Steps of the network over z3 terms with every weight a free z3 real, evaluated in one model."""

    def __init__(self, problem, weights):
        self.problem, self.ctx = problem, z3.Context()
        variables = {n: z3.Real(n, self.ctx) for n in problem.parameter_names()}

        def term(form: Affine):
            (name,) = form.coeffs
            return variables[name]

        self.params = {block: tuple(tuple(term(f) for f in row) if isinstance(row, tuple) else term(row)
                                    for row in forms)
                       for block, forms in problem.parameters().items()}
        solver = z3.Solver(ctx=self.ctx)
        solver.add(*[variables[n] == z3.RealVal(str(v), self.ctx) for n, v in weights.items()])
        assert solver.check() == z3.sat
        self.model = solver.model()

    def value(self, t) -> Fraction:
        if not z3.is_expr(t):
            return Fraction(t)
        v = self.model.eval(t, model_completion=True)
        assert z3.is_rational_value(v), v
        return Fraction(v.as_fraction())

    def step(self, code, symbol):
        """(next code, [(unit, pre value)] per gate in order) from a code of exact values."""
        ops = Z3Ops(self.problem.semantics, self.ctx)
        x = encode_symbol(self.problem.automaton, symbol)
        new, _ = self.problem.stack.step(ops, self.params, x, code)
        next_code = tuple(tuple(self.value(v) for v in part) for part in new)
        return next_code, [(unit, self.value(pre)) for _, unit, pre in ops.log]


@settings(max_examples=150, deadline=None)
@given(net=networks(margins=(Fraction(0), Fraction(1, 4))))
def test_exact_and_symbolic_arithmetics_agree_at_every_gate(net):
    problem, weights, word = net
    codes, logs, _ = exact_run(problem, weights, word)
    if problem.irrational_state:
        with pytest.raises(TypeError):  # no linear term holds the real tanh of a saturated cell state
            SymbolicStepper(problem, weights).step(initial_code(problem), word[0])
        return
    event(f"steps compared: {min(len(logs), 3)}{'+' if len(logs) >= 3 else ''}")
    symbolic = SymbolicStepper(problem, weights)
    for t, (code, log) in enumerate(zip(codes, logs)):
        next_code, gates = symbolic.step(code, word[t])
        assert next_code == codes[t + 1]
        assert gates == [(unit, pre.value) for _, unit, pre, _ in log]


# -- exact and numeric ----------------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(net=networks())
def test_the_simulator_under_a_semantics_runs_the_exact_codes(net):
    problem, weights, word = net
    codes, logs, ill = exact_run(problem, weights, word)
    event("ends ill-defined" if ill is not None else "well-defined throughout")
    sim = run_simulator(problem, weights, word, problem.semantics.name)
    for t, code in enumerate(codes):
        got = state_arrays(sim, t)
        assert not any(np.isnan(p).any() for p in got)
        for part, values in zip(got, code):
            np.testing.assert_allclose(part, [value_of(v) for v in values], rtol=0,
                                       atol=0 if not problem.irrational_state else FLOAT_SLACK)
    if ill is not None:
        reached = [pre for _, _, pre, _ in logs[-1]] if logs else []
        if problem.irrational_state and any(not pre.is_constant for pre in reached):
            return  # a float sum of irrational terms need not be exactly the 0 it is exactly
        assert any(np.isnan(p).any() for p in state_arrays(sim, ill))


def assert_gain_limit(problem, weights, word, activation: str) -> None:
    """The real network at gain GAIN runs the exact codes for as long as every pre-activation of the exact run
    is at least CLEAR from 0 (its gates are then within exp(-GAIN * CLEAR) of the threshold values)."""
    codes, logs, _ = exact_run(problem, weights, word)
    clear = 0
    while clear < len(logs) and all(pre_magnitude(pre) >= CLEAR for _, _, pre, _ in logs[clear]):
        clear += 1
    event(f"steps compared past the start: {min(clear, 3)}{'+' if clear >= 3 else ''}")
    sim = run_simulator(problem, weights, word, activation, gain=GAIN)
    for t in range(clear + 1):
        for part, values in zip(state_arrays(sim, t), codes[t]):
            np.testing.assert_allclose(part, [value_of(v) for v in values], rtol=0, atol=1e-9)


@settings(max_examples=120, deadline=None)
@given(net=networks(semantics="saturated"), activation=st.sampled_from(REAL_ACTIVATIONS))
def test_the_real_network_at_a_large_gain_runs_the_saturated_codes(net, activation):
    assert_gain_limit(*net, activation)


@settings(max_examples=60, deadline=None)
@given(net=networks("indicator", ("rnn",)))
def test_the_elman_network_at_a_large_gain_runs_the_indicator_codes(net):
    """The Elman cell has no tanh gate: its indicator and saturated runs agree wherever both are defined."""
    assert_gain_limit(*net, "sigmoid")


# -- numeric, interval and PyTorch ----------------------------------------------------------------------


def interval_step(problem, weights, gain, activation, state, symbol):
    """The enclosure of one real step of the network with weights times ``gain`` from a float64 state."""
    scaled = {n: v * gain for n, v in weights.items()}
    params = {block: tuple(tuple(exact(f.value) for f in row) if isinstance(row, tuple) else exact(row.value)
                           for row in forms)
              for block, forms in problem.parameters(scaled).items()}
    x = tuple(exact(v) for v in encode_symbol(problem.automaton, symbol))
    point = tuple(tuple(exact(Fraction(float(v))) for v in part) for part in state)
    new, _ = problem.stack.step(IntervalOps(activation), params, x, point)
    return new


def assert_encloses(enclosure, values) -> None:
    for box, v in zip(enclosure, np.asarray(values, dtype=float)):
        assert float(box.a) - FLOAT_SLACK <= v <= float(box.b) + FLOAT_SLACK, (v, box)
        assert float(box.b) - float(box.a) <= TIGHT, box


@settings(max_examples=80, deadline=None)
@given(net=networks(semantics="saturated"), activation=st.sampled_from(REAL_ACTIVATIONS),
       gain=st.sampled_from([1, GAIN]))
def test_intervals_enclose_every_simulated_step(net, activation, gain):
    problem, weights, word = net
    sim = run_simulator(problem, weights, word, activation, gain=gain)
    for t, symbol in enumerate(word):
        enclosure = interval_step(problem, weights, gain, activation, state_arrays(sim, t), symbol)
        for box, part in zip(enclosure, state_arrays(sim, t + 1)):
            assert_encloses(box, part)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_pytorch_layers_step_alike_inside_the_enclosure(data):
    """Each layer of the stack as its own PyTorch layer (the layer below's new state its input), started
    from the simulator's state at every time, gives the simulator's next state, inside the enclosure."""
    torch = pytest.importorskip("torch")
    from automata_rnn.interop.pytorch import to_torch

    problem, weights, word = data.draw(networks("saturated", PYTORCH_CELLS), label="network")
    cell = problem.cell.name
    gain = data.draw(st.sampled_from([1, 8]), label="gain")
    sim = run_simulator(problem, weights, word, "sigmoid", gain=gain)
    slices = problem.layer_slices()
    modules = []
    for k, (prefix, units) in enumerate(slices):
        own = {n[len(prefix):]: v * gain for n, v in weights.items() if n.startswith(prefix)}
        width = problem.inputs if k == 0 else slices[k - 1][1].stop - slices[k - 1][1].start
        modules.append(to_torch(cell, own, units.stop - units.start, width))
    for t, symbol in enumerate(word):
        before, after = state_arrays(sim, t), state_arrays(sim, t + 1)
        enclosure = interval_step(problem, weights, gain, "sigmoid", before, symbol)
        below = np.array([float(v) for v in encode_symbol(problem.automaton, symbol)])
        for module, (_, units) in zip(modules, slices):
            x = torch.from_numpy(below.reshape(1, 1, -1))
            state = [torch.from_numpy(np.ascontiguousarray(p[units]).reshape(1, 1, -1)) for p in before]
            with torch.no_grad():
                _, out = module(x, state[0] if len(state) == 1 else tuple(state))
            got = [out] if len(state) == 1 else list(out)
            for part, expected, box in zip(got, after, enclosure):
                values = part[0, 0].numpy()
                np.testing.assert_allclose(values, expected[units], rtol=0, atol=FLOAT_SLACK)
                assert_encloses(box[units], values)
            below = after[0][units]


@settings(max_examples=60, deadline=None)
@given(net=networks(semantics="saturated"), activation=st.sampled_from(REAL_ACTIVATIONS),
       radius=st.sampled_from([Fraction(1, 64), Fraction(1, 4)]), seed=st.integers(0, 2 ** 16))
def test_intervals_from_a_box_enclose_the_steps_of_its_points(net, activation, radius, seed):
    """From a box around a state, the enclosure of one step holds the simulated step of every point drawn
    in the box (its corner of lows, its corner of highs, and random points): the gates' ranges are those of
    whole intervals here, not of points."""
    problem, weights, word = net
    symbol = word[0]
    rng = np.random.default_rng(seed)
    parts = len(problem.cell.state_parts)
    centre = [rng.uniform(-1, 1, problem.units) for _ in range(parts)]
    ops = IntervalOps(activation)
    params = {block: tuple(tuple(exact(f.value) for f in row) if isinstance(row, tuple) else exact(row.value)
                           for row in forms)
              for block, forms in problem.parameters(weights).items()}
    box = tuple(tuple(exact(Fraction(float(v))) + exact(radius) * iv.mpf([-1, 1]) for v in part)
                for part in centre)
    x = tuple(exact(v) for v in encode_symbol(problem.automaton, symbol))
    enclosure, _ = problem.stack.step(ops, params, x, box)
    offsets = np.concatenate([-np.ones((1, problem.units)), np.ones((1, problem.units)),
                              rng.uniform(-1, 1, (30, problem.units))])
    starts = [c + float(radius) * offsets for c in centre]
    sim = simulate(problem.cell, problem.parameters(weights),
                   np.repeat(encode_words(problem.automaton, [(symbol,)]), len(offsets), axis=0),
                   activation=activation, layers=problem.layers, initial_state=starts)
    nexts = [sim.hidden[:, 1]] + ([sim.cell_state[:, 1]] if sim.cell_state is not None else [])
    for boxes, points in zip(enclosure, nexts):
        for j, b in enumerate(boxes):
            assert float(b.a) - FLOAT_SLACK <= points[:, j].min() and points[:, j].max() <= float(b.b) + FLOAT_SLACK
