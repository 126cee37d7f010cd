"""What a trained (real) network computes: proofs for every length, counterexamples, extracted automata.

:func:`prove_real` abstracts the real network (real sigmoid and tanh, the
given weights, no thresholding) per automaton state: one box of hidden states
per state q, starting from the point h(0) = 0 for the start state, grown by
the interval image of the cell's step until the boxes are inductive
(every box's image under every input lies in the successor state's box).
Such boxes contain every real state the network reaches with the automaton in
q, for inputs of any length; if each box also reads out q's output, the
network is proved to implement the automaton.  Images are computed with
outward-rounded intervals through the same cell equations.

:func:`find_failure` looks for a concrete input on which the network's real
output differs (all inputs up to a length, breadth-first: the first found is
a shortest one), and :func:`extract` reads an automaton off the network by
quantising its states, for comparison with the target.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import deque
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from mpmath import iv

from automata_rnn.arithmetic.interval import IntervalOps, exact
from automata_rnn.arithmetic.simulate import encode_words, params_to_numpy, simulate
from automata_rnn.exact.run import TooLarge
from automata_rnn.model.automata import Automaton, distinguishing_word, minimize
from automata_rnn.model.problem import Problem, encode_symbol
from automata_rnn.model.semantics import Semantics
from automata_rnn.questions.simulate import read_outputs
from automata_rnn.questions.solve import CheckResult, check_weights
from automata_rnn.verdicts import Unsupported, Verdict


@dataclass
class RealProof:
    """proved: every input of every length gives the automaton's output (boxes per automaton state)."""

    proved: bool
    boxes: dict
    rounds: int
    reason: str = ""


def _join(a, b):
    return tuple(tuple(iv.mpf([min(x.a, y.a), max(x.b, y.b)]) for x, y in zip(pa, pb)) for pa, pb in zip(a, b))


def _inside(a, b) -> bool:
    return all(x.a >= y.a and x.b <= y.b for pa, pb in zip(a, b) for x, y in zip(pa, pb))


def _inflate(box, amount: float):
    return tuple(tuple(iv.mpf([x.a - amount - (x.b - x.a) * 0.05, x.b + amount + (x.b - x.a) * 0.05]) for x in part)
                 for part in box)


def _interval_params(problem: Problem, weights: dict):
    def conv(x):
        return tuple(conv(y) for y in x) if isinstance(x, tuple) else exact(x.value)
    return {b: conv(v) for b, v in problem.parameters(weights).items()}


def _key(problem: Problem, q: str, box) -> tuple:
    """Which abstract state a box belongs to: the automaton state and the nearest code of its centre."""
    values = problem.cell.code_values("saturated") or (-1, 0, 1)
    centre = [(float(x.a) + float(x.b)) / 2 for x in box[0]]
    return (q, tuple(min(values, key=lambda v: abs(v - c)) for c in centre))


def _clip(problem: Problem, box):
    if problem.cell.state_parts != ("h",):
        return box
    low, high = (float(v) for v in problem.cell.state_range)
    return (tuple(iv.mpf([max(x.a, low), min(x.b, high)]) for x in box[0]),)


def prove_real(problem: Problem, weights: dict, activation: str = "sigmoid", rounds: int = 60) -> RealProof:
    """Try to prove the real network right on all inputs: inductive boxes per (automaton state, code).

    Boxes start at h(0) = 0 for the start state and grow by the interval image of the step; each image
    goes to the successor state, keyed by the code nearest its centre.  Once no image leaves its box
    (after a little widening), the boxes contain every reachable real state, for inputs of any length.
    """
    a, ops = problem.automaton, IntervalOps(activation)
    params = _interval_params(problem, weights)
    n = problem.units
    start = tuple(tuple(exact(0) for _ in range(n)) for _ in problem.cell.state_parts)

    def image(box, sym):
        x = tuple(exact(v) for v in encode_symbol(a, sym))
        new, _ = problem.stack.step(ops, params, x, box)
        return _clip(problem, new)

    # the initial state is a point of its own: no image joins it, so later boxes need not contain h(0) = 0
    boxes: dict = {(a.start, "h(0)"): start}
    r = 0
    for r in range(rounds):
        changed = False
        queue = deque(boxes)
        while queue:
            key = queue.popleft()
            for sym in a.alphabet:
                img = image(boxes[key], sym)
                target = _key(problem, a.step(key[0], sym), img)
                if target not in boxes:
                    boxes[target] = img
                    queue.append(target)
                    changed = True
                elif not _inside(img, boxes[target]):
                    boxes[target] = _join(boxes[target], img)
                    changed = True
            if len(boxes) > 10_000:
                return RealProof(False, boxes, r + 1, "more than 10000 abstract states")
        if not changed:
            break
        if r >= 10:  # widen a little: inductive boxes usually sit just outside the iterates
            boxes = {k: b if k[1] == "h(0)" else _clip(problem, _inflate(b, 1e-9 * 2 ** (r - 10)))
                     for k, b in boxes.items()}
    for key, b in boxes.items():
        for sym in a.alphabet:
            img = image(b, sym)
            home = boxes.get(_key(problem, a.step(key[0], sym), img))
            if home is None or not _inside(img, home):
                return RealProof(False, boxes, r + 1, f"the boxes did not become inductive in {rounds} rounds "
                                                      f"(state {key[0]!r}, input {sym!r})")
    for (q, _), b in boxes.items():
        h = b[0][problem.top]
        if problem.output == "state":
            cut = exact(problem.rule.threshold)
            ok = h[0].a > cut.b if a.output[q] == 1 else h[0].b <= cut.a
        else:
            y = ops.add(ops.linear(h, params["W_y"]), params["b_y"])[0]
            ok = y.a > 0 if a.output[q] == 1 else y.b < 0
        if not ok:
            span = f"[{float(h[0].a):.4g}, {float(h[0].b):.4g}]"
            return RealProof(False, boxes, r + 1,
                             f"a box of state {q!r} does not decide its output {a.output[q]} (unit 0 in {span})")
    return RealProof(True, boxes, r + 1)


def _real_outputs(problem: Problem, weights: dict, words: list[tuple], activation: str) -> tuple[list, np.ndarray]:
    full = {k: v for k, v in params_to_numpy(problem.parameters(weights)).items() if k not in ("W_y", "b_y")}
    sim = simulate(problem.stack, full, encode_words(problem.automaton, words), activation=activation)
    hidden = np.asarray(sim.hidden)
    return [read_outputs(problem, weights, hidden[i], Fraction(1)) for i in range(len(words))], hidden


def find_failure(problem: Problem, weights: dict, max_length: int = 12, activation: str = "sigmoid",
                 long_runs: int = 64, long_length: int = 2000, seed: int = 0) -> tuple | None:
    """A shortest input (up to ``max_length``) on which the real output differs, else one among
    ``long_runs`` random inputs of ``long_length``; None if none is found."""
    a = problem.automaton
    for length in range(0, max_length + 1):
        words = list(itertools.product(a.alphabet, repeat=length))
        if not words:
            continue
        outs, _ = _real_outputs(problem, weights, words, activation)
        for w, out in zip(words, outs):
            if out != a.outputs(w):
                return w
    rng = np.random.default_rng(seed)
    words = [tuple(rng.choice(list(a.alphabet), size=long_length)) for _ in range(long_runs)]
    outs, _ = _real_outputs(problem, weights, words, activation)
    for w, out in zip(words, outs):
        if out != a.outputs(w):
            first = next(i for i, (x, y) in enumerate(zip(out, a.outputs(w))) if x != y)
            return w[:first]
    return None


def extract(problem: Problem, weights: dict, depth: int = 10, activation: str = "sigmoid") -> Automaton:
    """The automaton read off the network: states are its hidden states quantised (each unit split at
    the middle of its range), transitions and outputs the majority over all inputs up to ``depth``."""
    a = problem.automaton
    mid = float(sum(problem.cell.state_range)) / 2
    words = list(itertools.product(a.alphabet, repeat=depth))
    outs, hidden = _real_outputs(problem, weights, words, activation)
    votes_t: dict = {}
    votes_o: dict = {}
    for i, w in enumerate(words):
        codes = [tuple(int(v > mid) for v in hidden[i, t]) for t in range(depth + 1)]
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
    from the extracted automaton's; None if it agrees on all of them.  An extraction is only a description of
    the network where this is None."""
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
    failure: tuple | None
    extracted: Automaton
    differs: tuple | None
    unfaithful: tuple | None

    @property
    def verdict(self) -> Verdict:
        """sat: proved for every input of every length; unsat: a failing input; unknown otherwise."""
        if self.proof.proved:
            return Verdict.SAT
        return Verdict.UNSAT if self.failure is not None else Verdict.UNKNOWN


THRESHOLDED_PAIRS = 200


def _thresholded(problem: Problem, weights: dict) -> CheckResult:
    """The threshold network's exact run, a diagnostic beside the real network's proof: at most
    THRESHOLDED_PAIRS pairs (a saturated LSTM's counting cell state makes every step dearer), else unknown."""
    try:
        return check_weights(problem, weights, limit=THRESHOLDED_PAIRS)
    except TooLarge as e:
        return CheckResult(False, None, f"unknown: {e} (a cell state that counts?)")
    except Unsupported as e:  # a gate on a counting cell state that no number of peeled members settles
        return CheckResult(False, None, f"unknown: {e}")


def verify(problem: Problem, weights: dict, activation: str = "sigmoid", search_length: int = 12) -> Verification:
    """Every question ``verify`` asks of a real network: exact runs under both threshold semantics, the proof
    by inductive boxes, a shortest failing input (up to ``search_length``, then long random inputs) when the
    proof does not close, and the extracted automaton with its faithfulness."""
    thresholded = {sem: _thresholded(dataclasses.replace(problem, semantics=Semantics(sem)), weights)
                   for sem in ("indicator", "saturated")}
    proof = prove_real(problem, weights, activation)
    failure = None if proof.proved else find_failure(problem, weights, search_length, activation)
    depth = min(10, search_length)
    extracted = extract(problem, weights, depth=depth, activation=activation)
    differs = compare(problem.automaton, extracted)
    unfaithful = disagreement(problem, weights, extracted, depth, activation, failure)
    return Verification(problem, weights, activation, thresholded, proof, failure, extracted, differs, unfaithful)
