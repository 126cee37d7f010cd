"""What a trained (real) network computes: proofs for every length, counterexamples, extracted automata.

:func:`prove_real` abstracts the real network (real sigmoid and tanh, the
given weights, no thresholding) by boxes of hidden states, several per
automaton state q: they start around clusters of the float64 states the
network reaches in q on sample inputs, and grow by the outward-rounded image
of the cell's step (:mod:`automata_rnn.arithmetic.boxes`, the same cell
equations in vectorised box arithmetic) until inductive: every box's image
under every input lies in a box of the successor state.  Such boxes contain
every real state the network reaches with the automaton in q, for inputs of
any length; if each box also reads out q's output, the network is proved to
implement the automaton.  :func:`prove_by_parallelotopes` does the same with parallelotopes along the
principal axes of those clusters (:mod:`automata_rnn.arithmetic.parallelotopes`), followed over several steps
of zonotope images until each lands in one; :func:`prove_by_clusters` tries both, at each cluster radius.

:func:`failure_search` looks for a shortest input on which the real output is
wrong, running boxes over the tree of all inputs up to a length (so each
output is decided about the exact real network, or reported undecided with its
rounding margin), then long random inputs in float64, re-run on boxes (and,
up to 100 symbols, on mpmath intervals of higher precision when the boxes are too wide);
:func:`extract` reads an automaton off the network by quantising its states,
for comparison with the target.

Networks trained on outputs after each symbol never see the empty word: with
``count_empty=False`` the output at time 0 is not part of the question.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from mpmath import iv

from automata_rnn.arithmetic.boxes import Box, BoxOps, boxes_of, down, exact_bounds, up
from automata_rnn.arithmetic.exact import Affine
from automata_rnn.arithmetic.interval import IntervalOps
from automata_rnn.arithmetic.interval import exact as interval_of
from automata_rnn.arithmetic.parallelotopes import Parallelotope, absorb
from automata_rnn.arithmetic.simulate import encode_words, params_to_numpy, simulate
from automata_rnn.arithmetic.zonotopes import Zonotope, ZonotopeOps
from automata_rnn.exact.run import TooLarge
from automata_rnn.model.automata import Automaton, distinguishing_word, minimize, with_empty_output
from automata_rnn.model.problem import Problem, encode_symbol
from automata_rnn.model.semantics import Semantics
from automata_rnn.questions.simulate import read_outputs
from automata_rnn.questions.solve import CheckResult, check_weights
from automata_rnn.verdicts import Unsupported, Verdict


@dataclass
class RealProof:
    """proved: every input of every length gives the automaton's output.  ``boxes`` maps each abstract state
    (automaton state, cluster) to its box of hidden states (lo, hi float arrays over every state part, h then
    c); the initial state h(0) = 0 is the point box of (start, "h(0)")."""

    proved: bool
    boxes: dict
    rounds: int
    reason: str = ""
    sets: str = "boxes"
    """The invariant sets of the proof: 'boxes', or 'parallelotopes' (then ``boxes`` holds each one's bounding
    box, and ``rounds`` is the number of steps of the images checked)."""


@dataclass
class Failure:
    """An input on which the real network's output differs from the automaton's at its last step.

    ``enclosure`` bounds the read-out's value at that step (the read-out's pre-activation, or unit 0 minus
    the rule's threshold): outward-rounded boxes, so the exact real value lies in it.  ``certain``: the whole
    enclosure is on the wrong side, so the real network fails there (else the float64 run does, and the
    enclosure straddles 0 by the rounding margin).  ``undecided``: a shorter input whose output the
    enclosures could not decide, so a failing input shorter than this one is not excluded (None: none)."""

    word: tuple
    enclosure: tuple[float, float]
    certain: bool
    undecided: tuple | None = None


def _state_box(parts) -> Box:
    """One box over every state part side by side (h, then c for the LSTM)."""
    return BoxOps().concat(list(parts))


def _parts(problem: Problem, box: Box) -> tuple[Box, ...]:
    n = problem.units
    return tuple(box[..., i * n:(i + 1) * n] for i in range(len(problem.cell.state_parts)))


def _clip_h(problem: Problem, box: Box) -> Box:
    """h stays in the cell's state range (sigmoid (0, 1), gated tanh mixes (-1, 1)): cut the box there."""
    low, high = (float(v) for v in problem.cell.state_range)
    n = problem.units
    lo, hi = box.lo.copy(), box.hi.copy()
    lo[..., :n] = np.clip(lo[..., :n], low, high)
    hi[..., :n] = np.clip(hi[..., :n], low, high)
    return Box(lo, hi)


class _Network:
    """The real network on boxes: one step for a batch of (box, symbol) pairs, and the read-out's value."""

    def __init__(self, problem: Problem, weights: dict, activation: str):
        self.problem, self.ops = problem, BoxOps(activation)
        self.params = boxes_of(problem.parameters(weights))
        self.zonotopes = ZonotopeOps(activation)
        a = problem.automaton
        self.codes = {sym: np.array([float(v) for v in encode_symbol(a, sym)]) for sym in a.alphabet}

    def step(self, boxes: Box, symbols: list) -> Box:
        x = Box.point(np.stack([self.codes[s] for s in symbols]))
        new, _ = self.problem.stack.step(self.ops, self.params, x, _parts(self.problem, boxes))
        return _clip_h(self.problem, _state_box(new))

    def image(self, boxes: Box, symbols: list) -> Box:
        """The step's image of each box, enclosed twice (box arithmetic, and zonotopes that keep the linear
        dependencies a box forgets) and cut to where both enclosures agree; in chunks of IMAGE_ROWS rows."""
        out = []
        for start in range(0, len(symbols), IMAGE_ROWS):
            rows = slice(start, start + IMAGE_ROWS)
            part = boxes[rows]
            plain = self.step(part, symbols[rows])
            x = Box.point(np.stack([self.codes[s] for s in symbols[rows]]))
            ops = self.zonotopes
            state = tuple(ops.split(Zonotope.of_box(part), [self.problem.units] * len(self.problem.cell.state_parts)))
            new, _ = self.problem.stack.step(ops, self.params, x, state)
            tight = _clip_h(self.problem, ops.concat(list(new)).box())
            out.append(Box(np.maximum(plain.lo, tight.lo), np.minimum(plain.hi, tight.hi)))
        return Box(np.concatenate([b.lo for b in out]), np.concatenate([b.hi for b in out]))

    def zonotope_step(self, z: Zonotope, symbols: list) -> Zonotope:
        """The zonotope enclosure of the step's image of each row (generators kept), in chunks of IMAGE_ROWS."""
        ops, sizes = self.zonotopes, [self.problem.units] * len(self.problem.cell.state_parts)
        out = []
        for start in range(0, len(symbols), IMAGE_ROWS):
            rows = slice(start, start + IMAGE_ROWS)
            part = z.rows(rows)
            x = Box.point(np.stack([self.codes[s] for s in symbols[rows]]))
            new, _ = self.problem.stack.step(ops, self.params, x, tuple(ops.split(part, sizes)))
            out.append(ops.concat(list(new)))
        return Zonotope(np.concatenate([o.centre for o in out]), np.concatenate([o.generators for o in out]),
                        np.concatenate([o.error for o in out]))

    def zonotope_readout(self, z: Zonotope) -> Box:
        """The read-out's value on each row of ``z`` (the read-out's linear map applied to the zonotope, so
        that it keeps the row's dependencies; the state rule reads the row's box)."""
        if self.problem.output == "state":
            return self.readout(z.box())
        top = self.problem.top
        h = Zonotope(z.centre[..., top], None if z.generators is None else z.generators[..., top], z.error[..., top])
        ops = self.zonotopes
        return ops.add(ops.linear(h, self.params["W_y"]), self.params["b_y"]).box()

    def readout(self, boxes: Box) -> Box:
        """The value whose sign is the output: h W_y + b_y, or unit 0 of the top layer minus the threshold."""
        h = boxes[..., self.problem.top]
        if self.problem.output == "state":
            low, high = exact_bounds(self.problem.rule.threshold)
            # a float difference is 0 exactly when its operands are equal (gradual underflow), so a zero
            # stays exact and the sign of h - threshold at the box's ends is decided
            below, above = h.lo[..., 0:1] - high, h.hi[..., 0:1] - low
            return Box(np.where(below == 0, 0.0, down(below)), np.where(above == 0, 0.0, up(above)))
        return self.ops.add(self.ops.linear(h, self.params["W_y"]), self.params["b_y"])


def _decides(value: Box, output: np.ndarray) -> np.ndarray:
    """Per row: the read-out value's box gives the output certainly (> 0 for 1, <= 0 for 0)."""
    return np.where(output == 1, value.lo[..., 0] > 0, value.hi[..., 0] <= 0)


def _wrong(value: Box, output: np.ndarray) -> np.ndarray:
    """Per row: the box gives the other output certainly."""
    return np.where(output == 1, value.hi[..., 0] <= 0, value.lo[..., 0] > 0)


IMAGE_ROWS = 128
EXACT_ROUNDS = 5
"""Rounds in which joined boxes are not widened (a network whose gates saturate exactly, such as a hard sigmoid,
keeps states like h = 0 exactly, and a widened box around them would straddle the output rule's threshold)."""
SEED_WORDS = 2048
MAX_BOXES = 5000
SEED_LONG = (32, 200)


def _reachable(problem: Problem, weights: dict, activation: str, seed: int = 0) -> dict[str, np.ndarray]:
    """Float64 states the network reaches (times >= 1), grouped by the automaton state: every input up to
    the length with at most SEED_WORDS inputs, and SEED_LONG random long inputs."""
    a = problem.automaton
    depth = max(1, int(np.log(SEED_WORDS) / np.log(len(a.alphabet))))
    rng = np.random.default_rng(seed)
    batches = [list(itertools.product(a.alphabet, repeat=depth)),
               [tuple(rng.choice(list(a.alphabet), size=SEED_LONG[1])) for _ in range(SEED_LONG[0])]]
    found: dict[str, list] = {q: [] for q in a.states}
    full = {k: v for k, v in params_to_numpy(problem.parameters(weights)).items() if k not in ("W_y", "b_y")}
    for words in batches:
        sim = simulate(problem.stack, full, encode_words(a, words), activation=activation)
        states = np.asarray(sim.hidden) if sim.cell_state is None else np.concatenate(
            [np.asarray(sim.hidden), np.asarray(sim.cell_state)], axis=-1)
        for i, w in enumerate(words):
            q = a.start
            for t, sym in enumerate(w, start=1):
                q = a.step(q, sym)
                found[q].append(states[i, t])
    return {q: np.array(v) for q, v in found.items() if v}


def _clusters(points: np.ndarray, radius: float, limit: float = math.inf) -> list[np.ndarray]:
    """Greedy clusters in the max norm: each takes the points within ``radius`` of its first point (the
    first ``limit`` + 1 clusters only, when there are more)."""
    out: list[np.ndarray] = []
    rest = points
    while len(rest) and len(out) <= limit:
        near = np.max(np.abs(rest - rest[0]), axis=1) <= radius
        out.append(rest[near])
        rest = rest[~near]
    return out


def _origin(net: _Network, count_empty: bool) -> tuple[Box, str]:
    """h(0) = 0 as a point box, and why it does not decide the empty word's output when that counts ('' if
    it does, or does not count)."""
    problem = net.problem
    a = problem.automaton
    origin = Box.point(np.zeros((1, problem.units * len(problem.cell.state_parts))))
    if count_empty and not _decides(net.readout(origin), np.array([a.output[a.start]]))[0]:
        return origin, f"h(0) = 0 does not decide the output {a.output[a.start]} on the empty word"
    return origin, ""


def prove_real(problem: Problem, weights: dict, activation: str = "sigmoid", rounds: int = 60,
               count_empty: bool = True, radius: float = math.inf, zonotopes: bool = False,
               max_images: int = 100_000, reachable: dict | None = None) -> RealProof:
    """Try to prove the real network right on all inputs: inductive boxes per (automaton state, cluster).

    The boxes start as the bounding boxes of clusters (max-norm ``radius``; inf: one per automaton state) of
    the float64 states reached on sample inputs, then grow by the outward-rounded image of the step (a box
    arithmetic on all boxes at once): an image that no box of its successor state holds joins the nearest
    one, a little widened, or starts a box of its own when that one's centre is farther than ``radius``.
    Once every image (and every image of h(0) = 0) lies in a box of its successor state, the boxes hold
    every reachable real state, for inputs of any length; if each box also reads out its state's output
    (and h(0) the empty word's, when ``count_empty``), the network is proved right.
    ``zonotopes``: also enclose each image with :mod:`automata_rnn.arithmetic.zonotopes` and keep where the
    two enclosures agree (tighter images, about five times the time).  At most ``rounds`` rounds and
    ``max_images`` box images (a budget of work, so that the answer does not depend on the machine).
    ``reachable``: the float64 states by automaton state, when already computed (see :func:`_reachable`).
    """
    a = problem.automaton
    net = _Network(problem, weights, activation)
    origin, undecided = _origin(net, count_empty)
    if undecided:
        return RealProof(False, {(a.start, "h(0)"): origin}, 0, undecided)
    owners: list[str] = []
    lows, highs = [], []
    if reachable is None:
        reachable = _reachable(problem, weights, activation)
    for q, points in reachable.items():
        for cluster in _clusters(points, radius):
            owners.append(q)
            lows.append(cluster.min(axis=0))
            highs.append(cluster.max(axis=0))
    if not owners:
        return RealProof(False, {}, 0, "no state reached")
    if len(owners) > MAX_BOXES:
        return RealProof(False, {}, 0, f"{len(owners)} clusters of radius {radius} are past the limit of {MAX_BOXES} "
                                       "boxes")
    boxes = Box(np.array(lows), np.array(highs))
    owner = np.array(owners)
    output = np.array([a.output[q] for q in owners])
    symbols = list(a.alphabet)
    r = 0
    done = 0
    for r in range(1, rounds + 1):
        count = len(owners)
        done += (count + 1) * len(symbols)
        if done > max_images:
            return RealProof(False, _named(owners, boxes), r,
                             f"the boxes did not become inductive within {max_images} box images ({count} boxes, "
                             f"{r - 1} rounds)")
        sources = Box(np.concatenate([np.repeat(boxes.lo, len(symbols), axis=0), origin.lo.repeat(len(symbols), 0)]),
                      np.concatenate([np.repeat(boxes.hi, len(symbols), axis=0), origin.hi.repeat(len(symbols), 0)]))
        sym_of = symbols * (count + 1)
        images = net.image(sources, sym_of) if zonotopes else net.step(sources, sym_of)
        from_q = [q for q in owners for _ in symbols] + [a.start] * len(symbols)
        target = np.array([a.step(q, s) for q, s in zip(from_q, sym_of)])
        home, nearest, distance = _holders(boxes, owner, images, target)
        loose = np.flatnonzero(home < 0)
        if not len(loose):
            break
        slack = 0.0 if r <= EXACT_ROUNDS else 1e-9 * 2.0 ** ((r - EXACT_ROUNDS) / 4)
        lo, hi = boxes.lo.copy(), boxes.hi.copy()
        fresh: list[int] = []
        for i in loose:
            j = nearest[i]
            if distance[i] > radius:  # far from the nearest boxes of its state: a cluster of its own
                fresh.append(int(i))
                continue
            lo[j] = np.minimum(lo[j], images.lo[i])
            hi[j] = np.maximum(hi[j], images.hi[i])
            width = hi[j] - lo[j]
            lo[j] -= slack + width * slack
            hi[j] += slack + width * slack
        if fresh:
            lo = np.concatenate([lo, images.lo[fresh] - slack])
            hi = np.concatenate([hi, images.hi[fresh] + slack])
            owners += [str(target[i]) for i in fresh]
            owner = np.array(owners)
            output = np.array([a.output[q] for q in owners])
            if len(owners) > MAX_BOXES:
                return RealProof(False, _named(owners, Box(lo, hi)), r,
                                 f"more than {MAX_BOXES} boxes (clusters of radius {radius})")
        boxes = _clip_h(problem, Box(lo, hi))
        undecided = _undecided(net, owners, boxes, output)
        if undecided:
            return RealProof(False, _named(owners, boxes), r, undecided)
    else:
        return RealProof(False, _named(owners, boxes), r,
                         f"the boxes did not become inductive in {rounds} rounds ({len(owners)} boxes)")
    undecided = _undecided(net, owners, boxes, output)
    if undecided:
        return RealProof(False, _named(owners, boxes), r, undecided)
    return RealProof(True, _named(owners, boxes) | {(a.start, "h(0)"): origin}, r)


def _undecided(net: _Network, owners: list, boxes: Box, output: np.ndarray) -> str:
    """Why the boxes do not prove the outputs (a box whose read-out is not on its state's side), or ''."""
    fine = _decides(net.readout(boxes), output)
    if fine.all():
        return ""
    k = int(np.flatnonzero(~fine)[0])
    value = net.readout(boxes[k:k + 1])
    return (f"a box of state {owners[k]!r} does not decide its output {output[k]} (its read-out lies in "
            f"[{value.lo[0, 0]:.4g}, {value.hi[0, 0]:.4g}])")


CANDIDATES = 4


def _centres(box: Box) -> np.ndarray:
    return np.where(np.isfinite(box.lo) & np.isfinite(box.hi), box.lo * 0.5 + box.hi * 0.5, 0.0)


def _holders(boxes: Box, owner: np.ndarray, images: Box,
             target: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each image: a box of its target state that holds it (among the CANDIDATES with the nearest
    centres), or -1; the nearest of those boxes by the max norm between centres; and that distance."""
    held = np.full(len(target), -1)
    nearest = np.full(len(target), -1)
    distance = np.full(len(target), np.inf)
    centres = _centres(boxes)
    for q in np.unique(target):
        rows, mine = np.flatnonzero(target == q), np.flatnonzero(owner == q)
        if not len(mine):
            continue
        c = _centres(images[rows])
        square = (c * c).sum(1)[:, None] - 2 * c @ centres[mine].T + (centres[mine] ** 2).sum(1)[None]
        order = np.argsort(square, axis=1)[:, :CANDIDATES]
        for k in range(order.shape[1]):
            j = mine[order[:, k]]
            inside = np.all((boxes.lo[j] <= images.lo[rows]) & (images.hi[rows] <= boxes.hi[j]), axis=1)
            fresh = inside & (held[rows] < 0)
            held[rows[fresh]] = j[fresh]
            far = np.max(np.abs(centres[j] - c), axis=1)
            better = far < distance[rows]
            nearest[rows[better]] = j[better]
            distance[rows[better]] = far[better]
    return held, nearest, distance


def _named(owners: list, boxes: Box) -> dict:
    counts: dict = {}
    out = {}
    for i, q in enumerate(owners):
        counts[q] = counts.get(q, 0) + 1
        out[(q, counts[q])] = boxes[i:i + 1]
    return out


PARALLELOTOPE_DEPTH = 6
PARALLELOTOPE_IMAGES = 4000
PARALLELOTOPE_SETS = 400
"""At most this many steps from a parallelotope to the one its image lands in, zonotope images in all (each
holds 2 generators a unit) and parallelotopes per attempt."""


def prove_by_parallelotopes(problem: Problem, weights: dict, activation: str = "sigmoid", count_empty: bool = True,
                            radius: float = math.inf, inflate: float = 1.25, floor: float = 1e-4,
                            depth: int = PARALLELOTOPE_DEPTH, max_images: int = PARALLELOTOPE_IMAGES,
                            reachable: dict | None = None) -> RealProof:
    """Try to prove the real network right on all inputs with parallelotopes that follow the states' directions.

    The float64 states the network reaches in each automaton state (see :func:`prove_real`) are cut into
    clusters of max-norm ``radius`` (inf: one per automaton state); each cluster gives a parallelotope along
    its principal axes (:meth:`Parallelotope.of_points`, half-widths times ``inflate`` plus ``floor``).  From
    each parallelotope and from h(0) = 0, the zonotope images (:mod:`automata_rnn.arithmetic.zonotopes`,
    generators kept from step to step by :func:`absorb`) are followed over the tree of inputs: a branch ends
    when its image lies in a parallelotope of its automaton state (:meth:`Parallelotope.holds`), and must
    end within ``depth`` steps.  The parallelotopes and the images along the branches then hold every real
    state the network reaches, with the automaton in their state, for inputs of any length (each one's
    image under every input is in the next one or in a parallelotope); the network is proved right when
    every parallelotope and every image that a branch passes through decides its state's output (and h(0)
    the empty word's, when ``count_empty``).  At most ``max_images`` images (a budget of work).
    ``reachable`` as in :func:`prove_real`.
    """
    a = problem.automaton
    net = _Network(problem, weights, activation)
    n = problem.units * len(problem.cell.state_parts)
    origin, undecided = _origin(net, count_empty)
    if undecided:
        return RealProof(False, {(a.start, "h(0)"): origin}, 0, undecided, "parallelotopes")
    sets: list[Parallelotope] = []
    owners: list[str] = []
    if reachable is None:
        reachable = _reachable(problem, weights, activation)
    clusters: list[tuple[str, np.ndarray]] = []
    for q, points in reachable.items():
        clusters += [(q, c) for c in _clusters(points, radius, PARALLELOTOPE_SETS - len(clusters))]
        if len(clusters) > PARALLELOTOPE_SETS:
            return RealProof(False, {}, 0, f"more than {PARALLELOTOPE_SETS} clusters of radius {radius}",
                             "parallelotopes")
    for q, cluster in clusters:
        sets.append(Parallelotope.of_points(cluster, inflate, floor))
        owners.append(q)
    if not sets:
        return RealProof(False, {}, 0, "no state reached", "parallelotopes")
    named = _named(owners, Box(np.stack([p.zonotope().box().lo[0] for p in sets]),
                               np.stack([p.zonotope().box().hi[0] for p in sets])))
    whole = Zonotope(np.stack([p.centre for p in sets]), np.stack([p.generators for p in sets]),
                     np.zeros((len(sets), n)))
    undecided = _undecided_sets(net.zonotope_readout(whole), a, owners, "the parallelotope")
    if undecided:
        return RealProof(False, named, 0, undecided, "parallelotopes")
    frontier = absorb(Zonotope(np.concatenate([whole.centre, origin.lo]),
                               np.concatenate([whole.generators, np.zeros((1, n, n))]),
                               np.zeros((len(sets) + 1, n))), n)
    state = owners + [a.start]
    symbols = list(a.alphabet)
    done = 0
    for d in range(1, depth + 1):
        rows = len(state) * len(symbols)
        done += rows
        if done > max_images:
            return RealProof(False, named, d, f"the parallelotopes' images did not close within {max_images} "
                                              f"zonotope images ({len(sets)} parallelotopes, {d - 1} steps)",
                             "parallelotopes")
        sym_of = symbols * len(state)
        pick = np.repeat(np.arange(len(state)), len(symbols))
        images = net.zonotope_step(frontier.rows(pick), sym_of)
        target = [a.step(q, s) for q, s in zip(np.repeat(state, len(symbols)), sym_of)]
        reach = _coordinates(sets, owners, images, target)
        open_ = np.flatnonzero(reach > 1)
        if not len(open_):
            return RealProof(True, named | {(a.start, "h(0)"): origin}, d, "", "parallelotopes")
        left = images.rows(open_)
        undecided = _undecided_sets(net.zonotope_readout(left), a, [target[i] for i in open_], "an image")
        if undecided:
            steps = "1 step" if d == 1 else f"{d} steps"
            return RealProof(False, named, d, f"{undecided}, {steps} from a parallelotope", "parallelotopes")
        if d == depth:
            worst = reach[open_]
            return RealProof(False, named, d, f"{len(open_)} of the {rows} zonotope images {depth} steps from the "
                                              f"{len(sets)} parallelotopes lie in none of their state (in the nearest, "
                                              f"their coordinates reach {np.min(worst):.3g} to {np.max(worst):.3g}, "
                                              "1 being its edge)", "parallelotopes")
        frontier = absorb(left, n)
        state = [target[i] for i in open_]
    raise AssertionError("unreachable")


def _undecided_sets(value: Box, automaton: Automaton, states: list, what: str) -> str:
    """Why the read-out values of these sets (or images), one row each with its automaton state, do not all
    decide their states' outputs; '' when they do."""
    output = np.array([automaton.output[q] for q in states])
    fine = _decides(value, output)
    if fine.all():
        return ""
    k = int(np.flatnonzero(~fine)[0])
    return (f"{what} of state {states[k]!r} does not decide its output {output[k]} (its read-out lies in "
            f"[{value.lo[k, 0]:.4g}, {value.hi[k, 0]:.4g}])")


def _coordinates(sets: list[Parallelotope], owners: list, images: Zonotope, target: list) -> np.ndarray:
    """Per image: the least bound of its coordinates in a parallelotope of its target state among the
    CANDIDATES with the nearest centres (<= 1: it lies inside that one)."""
    best = np.full(len(target), np.inf)
    centres = np.stack([p.centre for p in sets])
    owner = np.array(owners)
    target_arr = np.array(target)
    for q in np.unique(target_arr):
        rows, mine = np.flatnonzero(target_arr == q), np.flatnonzero(owner == q)
        if not len(mine):
            continue
        chunks = np.array_split(rows, -(-len(rows) // 64))  # the distances in chunks of 64 rows
        order = np.concatenate([np.argsort(np.abs(images.centre[c][:, None, :] - centres[mine][None]).max(axis=-1),
                                           axis=1)[:, :CANDIDATES] for c in chunks])
        for j in np.unique(order):
            which = rows[np.any(order == j, axis=1)]
            best[which] = np.minimum(best[which], sets[mine[j]].coordinates(images.rows(which)))
    return best


def _real_outputs(problem: Problem, weights: dict, words: list[tuple], activation: str) -> tuple[list, np.ndarray]:
    full = {k: v for k, v in params_to_numpy(problem.parameters(weights)).items() if k not in ("W_y", "b_y")}
    sim = simulate(problem.stack, full, encode_words(problem.automaton, words), activation=activation)
    hidden = np.asarray(sim.hidden)
    return read_outputs(problem, weights, hidden, Fraction(1)), hidden


SEARCH_ROWS = 1 << 16


@dataclass
class Search:
    """What :func:`search` finds: a failure (or None), and ``proved_length``: every input of length 1 to it
    (0 to it when time 0 counts) is proved right, each output decided by outward-rounded boxes about the
    exact real network (-1: not even the first level)."""

    failure: Failure | None
    proved_length: int


def search(problem: Problem, weights: dict, max_length: int = 12, activation: str = "sigmoid",
           long_runs: int = 64, long_length: int = 2000, seed: int = 0, count_empty: bool = True) -> Search:
    """A shortest input (up to ``max_length``) on which the real network's output is wrong, decided by
    outward-rounded boxes over the tree of all inputs, level by level (at most SEARCH_ROWS inputs a level);
    else the shortest wrong prefix of one of ``long_runs`` random inputs of ``long_length`` (found in
    float64, then re-run on boxes).  A failure whose enclosure straddles 0 is returned with ``certain``
    False.  The levels whose outputs the boxes all decide right make the proved length."""
    a = problem.automaton
    net = _Network(problem, weights, activation)
    dims = problem.units * len(problem.cell.state_parts)
    level = Box.point(np.zeros((1, dims)))
    words: list[tuple] = [()]
    undecided: tuple | None = None
    proved = -1
    for length in range(0, max_length + 1):
        if length:
            if len(words) * len(a.alphabet) > SEARCH_ROWS:
                break
            words = [w + (s,) for w in words for s in a.alphabet]
            level = net.step(Box(level.lo.repeat(len(a.alphabet), 0), level.hi.repeat(len(a.alphabet), 0)),
                             [w[-1] for w in words])
        elif not count_empty:
            proved = 0
            continue
        expected = np.array([a.outputs(w)[-1] for w in words])
        value = net.readout(level)
        wrong = np.flatnonzero(_wrong(value, expected))
        if len(wrong):
            i = int(wrong[0])
            return Search(Failure(words[i], (float(value.lo[i, 0]), float(value.hi[i, 0])), True, undecided), proved)
        open_ = np.flatnonzero(~_decides(value, expected))
        if len(open_) and undecided is None:
            undecided = words[int(open_[0])]
        if undecided is None:
            proved = length
    rng = np.random.default_rng(seed)
    longs = [tuple(rng.choice(list(a.alphabet), size=long_length)) for _ in range(long_runs)]
    if not longs or long_length < 1:
        return Search(None, proved)
    outs, _ = _real_outputs(problem, weights, longs, activation)
    for w, out in zip(longs, outs):
        want = a.outputs(w)
        bad = [t for t in range(1, len(want)) if out[t] != want[t]]
        if bad:
            return Search(confirm(problem, weights, w[:bad[0]], activation, undecided), proved)
    return Search(None, proved)


def failure_search(problem: Problem, weights: dict, max_length: int = 12, activation: str = "sigmoid",
                   long_runs: int = 64, long_length: int = 2000, seed: int = 0,
                   count_empty: bool = True) -> Failure | None:
    """The failure that :func:`search` finds, or None."""
    return search(problem, weights, max_length, activation, long_runs, long_length, seed, count_empty).failure


PRECISE_LENGTH = 100
PRECISE_BITS = (256, 1024)
"""A failure that the float64 boxes do not decide, on an input of at most PRECISE_LENGTH symbols, is run again
on mpmath intervals at each of these precisions in turn: their widths start near 2^-bits instead of 2^-53,
so they stay narrow over as many more steps as the network widens them."""


def confirm(problem: Problem, weights: dict, word: tuple, activation: str = "sigmoid",
            undecided: tuple | None = None) -> Failure:
    """The failure of the real network at the end of ``word`` re-run on outward-rounded boxes: ``certain`` when
    the read-out's enclosure lies wholly on the wrong side.  When the boxes do not decide it and ``word`` has
    at most PRECISE_LENGTH symbols, it is run again on mpmath intervals of PRECISE_BITS
    (:mod:`automata_rnn.arithmetic.interval`, outward-rounded at every operation)."""
    a = problem.automaton
    net = _Network(problem, weights, activation)
    box = Box.point(np.zeros((1, problem.units * len(problem.cell.state_parts))))
    for sym in word:
        box = net.step(box, [sym])
    value = net.readout(box)
    expected = np.array([a.outputs(word)[-1]])
    if not _wrong(value, expected)[0] and len(word) <= PRECISE_LENGTH:
        for bits in PRECISE_BITS:
            low, high = _precise_readout(problem, weights, word, activation, bits)
            if (high <= 0) if expected[0] == 1 else (low > 0):
                value = Box(np.array([[low]]), np.array([[high]]))
                break
    return Failure(tuple(word), (float(value.lo[0, 0]), float(value.hi[0, 0])), bool(_wrong(value, expected)[0]),
                   undecided)


def _precise_readout(problem: Problem, weights: dict, word: tuple, activation: str, bits: int) -> tuple[float, float]:
    """Floats below and above the read-out's value at the end of ``word``, from mpmath intervals at ``bits``."""
    old = iv.prec
    iv.prec = bits
    try:
        params = {k: _intervals(block) for k, block in problem.parameters(weights).items()}
        ops = IntervalOps(activation)
        state = tuple(tuple(iv.mpf(0) for _ in range(problem.units)) for _ in problem.cell.state_parts)
        for sym in word:
            x = tuple(interval_of(v) for v in encode_symbol(problem.automaton, sym))
            state, _ = problem.stack.step(ops, params, x, state)
        h = state[0][problem.top]
        if problem.output == "state":
            value = h[0] - interval_of(problem.rule.threshold)
        else:
            value = ops.add(ops.linear(h, params["W_y"]), params["b_y"])[0]
        return float(down(float(value.a))), float(up(float(value.b)))
    finally:
        iv.prec = old


def _intervals(block):
    """A parameter block (nested tuples of exact constants) as mpmath intervals."""
    if isinstance(block, tuple):
        return tuple(_intervals(v) for v in block)
    return interval_of(block.value if isinstance(block, Affine) else block)


def find_failure(problem: Problem, weights: dict, max_length: int = 12, activation: str = "sigmoid",
                 long_runs: int = 64, long_length: int = 2000, seed: int = 0) -> tuple | None:
    """A shortest input (up to ``max_length``) on which the real output certainly differs, else the
    shortest wrong prefix of one among ``long_runs`` random inputs of ``long_length`` when its failure is
    certain; None if none is found (see :func:`failure_search`)."""
    found = failure_search(problem, weights, max_length, activation, long_runs, long_length, seed)
    return found.word if found is not None and found.certain else None


def extract(problem: Problem, weights: dict, depth: int = 10, activation: str = "sigmoid") -> Automaton:
    """The automaton read off the network: states are its hidden states quantised (each unit split at
    the middle of its range), transitions and outputs the majority over all inputs up to ``depth``."""
    a = problem.automaton
    mid = float(sum(problem.cell.state_range)) / 2
    words = list(itertools.product(a.alphabet, repeat=depth))
    outs, hidden = _real_outputs(problem, weights, words, activation)
    codes_all = (hidden > mid).astype(int)
    votes_t: dict = {}
    votes_o: dict = {}
    for i, w in enumerate(words):
        codes = [tuple(c) for c in codes_all[i].tolist()]
        for t in range(depth + 1):
            votes_o.setdefault(codes[t], []).append(outs[i][t])
            if t < depth:
                votes_t.setdefault((codes[t], w[t]), []).append(codes[t + 1])
    start = tuple(int(v > mid) for v in hidden[0, 0])
    states = sorted({c for c in votes_o} | {c for (c, _) in votes_t} | {start})
    name = {c: "".join(map(str, c)) for c in states}
    sink = "other"
    transitions, output = {}, {}
    for c in states:
        votes = votes_o.get(c, [0])
        output[name[c]] = int(sum(v or 0 for v in votes) * 2 > len(votes))
        for sym in a.alphabet:
            nxt = votes_t.get((c, sym))
            transitions[(name[c], sym)] = name[max(set(nxt), key=nxt.count)] if nxt else sink
    if sink in transitions.values():
        output[sink] = 0
        for sym in a.alphabet:
            transitions[(sink, sym)] = sink
    names = tuple(name[c] for c in states) + ((sink,) if sink in output else ())
    return minimize(Automaton(f"extracted from {problem.cell.name}", a.alphabet, names, name[start],
                              transitions, output))


def disagreement(problem: Problem, weights: dict, extracted: Automaton, depth: int, activation: str = "sigmoid",
                 also: tuple | None = None) -> tuple | None:
    """A shortest input (every input up to ``depth``, then ``also``) on which the real network's outputs differ
    from the extracted automaton's (float64 runs); None if it agrees on all of them.  An extraction is only a
    description of the network where this is None."""
    words = [w for n in range(depth + 1) for w in itertools.product(problem.automaton.alphabet, repeat=n)]
    if also is not None:
        words.append(tuple(also))
    by_length: dict[int, list[tuple]] = {}
    for w in words:
        by_length.setdefault(len(w), []).append(w)
    for length in sorted(by_length):
        batch = by_length[length]
        if length == 0:
            outs = [[read_outputs(problem, weights, np.zeros((1, problem.units)), Fraction(1))[0]]]
        else:
            outs, _ = _real_outputs(problem, weights, batch, activation)
        for w, out in zip(batch, outs):
            if out != extracted.outputs(w):
                return w
    return None


def compare(target: Automaton, extracted: Automaton):
    """None if the two machines compute the same outputs, else a shortest distinguishing input."""
    return distinguishing_word(minimize(target), extracted)


@dataclass
class Verification:
    """What ``verify`` finds about a real network and an automaton: the thresholded network checked under
    both semantics, the proof for all lengths (or why it did not close), a failing input of the real network,
    and the automaton extracted from it (``differs``: a shortest input where it differs from the target;
    ``unfaithful``: one where the real network differs from the extraction, which is then an approximation)."""

    problem: Problem
    weights: dict
    activation: str
    thresholded: dict
    proof: RealProof
    failure: Failure | None
    extracted: Automaton
    differs: tuple | None
    unfaithful: tuple | None
    count_empty: bool = True
    proved_length: int | None = None
    """When not proved for every length: every input up to this length is proved right (see :class:`Search`)."""

    @property
    def verdict(self) -> Verdict:
        """sat: proved for every input of every length; unsat: an input on which the real network certainly
        fails; unknown otherwise (no failure found, or one within the rounding margin)."""
        if self.proof.proved:
            return Verdict.SAT
        return Verdict.UNSAT if self.failure is not None and self.failure.certain else Verdict.UNKNOWN


THRESHOLDED_PAIRS = 200
THRESHOLDED_WORK = 100_000
"""At most this many weights times (code, state) pairs in the exact runs of the thresholded diagnostic (each
pair is an exact step in fractions): 200 pairs up to 500 weights, 50 at 2000."""
THRESHOLDED_WEIGHTS = 2000
"""The thresholded diagnostic runs for networks of at most this many weights: an exact step decides its gates
one at a time and runs again from the start after each decision, so its cost grows as the gates times the
weights (a 2 x 50 GRU has 300 gates and 23,101 weights: 239 s for the indicator run of the Tomita 1 network of
docs/tomita-results.md)."""


def _thresholded(problem: Problem, weights: dict, count_empty: bool = True) -> CheckResult:
    """The threshold network's exact run, a diagnostic beside the real network's proof: at most
    THRESHOLDED_PAIRS pairs (a saturated LSTM's counting cell state makes every step dearer) and
    THRESHOLDED_WORK weight-steps, on networks of at most THRESHOLDED_WEIGHTS weights, else unknown.
    Without ``count_empty``, a failure on the empty word alone is not one: the run is repeated with the
    other output there."""
    if len(weights) > THRESHOLDED_WEIGHTS:
        return CheckResult(False, None, f"unknown: not run, {len(weights)} weights are past the limit of "
                                        f"{THRESHOLDED_WEIGHTS} of the exact thresholded run (its steps decide "
                                        "their gates one at a time, each decision running the step again)")
    limit = max(1, min(THRESHOLDED_PAIRS, THRESHOLDED_WORK // len(weights)))
    try:
        result = check_weights(problem, weights, limit=limit)
        if not count_empty and result.word is not None and len(result.word) == 0:
            a = problem.automaton
            other = dataclasses.replace(problem, automaton=with_empty_output(a, 1 - a.output[a.start]))
            result = check_weights(other, weights, limit=limit)
        return result
    except TooLarge as e:
        return CheckResult(False, None, f"unknown: {e} (a cell state that counts?)")
    except Unsupported as e:  # a gate on a counting cell state that no number of peeled members settles
        return CheckResult(False, None, f"unknown: {e}")


CLUSTER_RADII = (math.inf, 0.05)
"""The cluster radii tried in turn (max norm): one set per automaton state first, then finer sets."""


def prove_by_clusters(problem: Problem, weights: dict, activation: str = "sigmoid",
                      count_empty: bool = True) -> RealProof:
    """:func:`prove_real` (boxes) and :func:`prove_by_parallelotopes` with one set per automaton state, then
    with the finer clusters of CLUSTER_RADII, until one closes; every attempt's reason otherwise."""
    tried = []
    proof = RealProof(False, {}, 0, "no attempt")
    reachable = _reachable(problem, weights, activation)
    for radius in CLUSTER_RADII:
        where = "one per state" if radius == math.inf else f"clusters of radius {radius}"
        for sets, attempt in (("boxes", prove_real), ("parallelotopes", prove_by_parallelotopes)):
            proof = attempt(problem, weights, activation, count_empty=count_empty, radius=radius,
                            reachable=reachable)
            if proof.proved or (proof.rounds == 0 and (problem.automaton.start, "h(0)") in proof.boxes):
                return proof  # proved, or h(0) itself does not decide the empty word's output
            tried.append(f"{sets}, {where}: {proof.reason}")
    return dataclasses.replace(proof, reason="; ".join(tried))


def verify(problem: Problem, weights: dict, activation: str = "sigmoid", search_length: int = 12,
           count_empty: bool = True) -> Verification:
    """Every question ``verify`` asks of a real network: exact runs under both threshold semantics, the proof
    by inductive boxes, a shortest failing input (up to ``search_length``, then long random inputs) when the
    proof does not close, and the extracted automaton with its faithfulness.  ``count_empty``: whether the
    output at time 0 (on the empty word) is part of the question."""
    thresholded = {sem: _thresholded(dataclasses.replace(problem, semantics=Semantics(sem)), weights, count_empty)
                   for sem in ("indicator", "saturated")}
    proof = prove_by_clusters(problem, weights, activation, count_empty)
    found = None if proof.proved else search(problem, weights, search_length, activation, count_empty=count_empty)
    failure = None if found is None else found.failure
    depth = min(10, search_length)
    extracted = extract(problem, weights, depth=depth, activation=activation)
    target = problem.automaton if count_empty else with_empty_output(
        problem.automaton, extracted.output[extracted.start])
    differs = compare(target, extracted)
    unfaithful = disagreement(problem, weights, extracted, depth, activation,
                              None if failure is None else failure.word)
    return Verification(problem, weights, activation, thresholded, proof, failure, extracted, differs, unfaithful,
                        count_empty, None if found is None else found.proved_length)
