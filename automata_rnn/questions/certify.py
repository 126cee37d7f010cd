"""From threshold weights to a real network that provably works on inputs of every length.

Given exact weights W under which the threshold network implements the
automaton with every reachable pre-activation nonzero, consider the real
network (real sigmoid and tanh) with weights k W.  Around each reachable
code c put the box B(c, eps) of states within eps of c in every unit
(clipped to the cell's range).  If, for every reachable code c and input a,
the real step maps the whole box B(c, eps) into B(c', eps), where c' is the
threshold network's next code, then by induction on time the real state after
any input word lies in the box of the threshold network's code (the start
h(0) = 0 is the start code).  If moreover every box reads out the code's
output ([h_0 > 1/2], or the sign of the read-out's pre-activation), the real
network produces the automaton's output on every input of any length.

Both conditions are checked with interval arithmetic that rounds outward
(``arithmetic/interval.py``), through the same cell equations, so the check
is rigorous.  :func:`certify` searches eps and the smallest k that passes
and re-checks the reported pair.

Why a GRU unit that "keeps" the code 0 cannot be certified: a real update
gate is never exactly 1, so each step moves the state a fraction (1 - z) of
the way to the candidate tanh(.), which is never 0; over enough steps the
state leaves any box around 0, and the method reports it.  (Whether the real
network then fails depends on where the state drifts.)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

from mpmath import iv

from automata_rnn.arithmetic.exact import Affine
from automata_rnn.arithmetic.interval import IntervalOps, exact
from automata_rnn.exact.run import (
    CaseOps,
    IllDefined,
    Implements,
    Undecided,
    explore,
    read_output,
    step,
    weight_signs,
)
from automata_rnn.model.activation import get_activation
from automata_rnn.model.problem import DEFAULT_MARGIN_BOUND, Problem, encode_symbol
from automata_rnn.model.semantics import NEG, POS, ZERO, Semantics
from automata_rnn.questions.long_runs import long_run_failure
from automata_rnn.questions.paving import MAX_UNITS, prove_by_paving
from automata_rnn.questions.sizes import find_weights
from automata_rnn.questions.solve import smallest_margin
from automata_rnn.questions.verify import find_failure, prove_real
from automata_rnn.solver.context import one_question
from automata_rnn.verdicts import BadInput, InternalCheckFailed, Verdict

EPSILONS = [Fraction(2, 5), Fraction(1, 4), Fraction(1, 10), Fraction(1, 20), Fraction(1, 50), Fraction(1, 100),
            Fraction(1, 1000), Fraction(1, 10**4), Fraction(1, 10**6)]
MAX_GAIN = Fraction(10**6)


BRACKET_RATIO = Fraction(21, 20)
"""The bracket of the least safe gain is narrowed until its ends are within this ratio."""
BRACKET_STEPS = 16


@dataclass
class GainBracket:
    """The least safe gain from both sides.

    From below, ``fails_at``: a gain at which the real network gives a wrong output on ``word`` (every output
    along it decided by outward-rounded intervals, so no rounding can explain it), or None when no failure was
    found at any gain searched, down to ``searched_down_to``.  From above, ``proved_at``: the least gain found
    at which inductive intervals per automaton state prove the real network right on every input of every
    length (:func:`~automata_rnn.questions.verify.prove_real`), None if no gain below the certified one was
    proved.  ``every_gain``: proved right for every gain k > 0 (:func:`every_gain`).  Correctness need not
    be monotone in the gain: the proofs and failures hold at the gains named, ``checked`` gains in all."""

    fails_at: Fraction | None
    word: tuple | None
    searched_down_to: Fraction
    proved_at: Fraction | None = None
    every_gain: bool = False
    checked: int = 0
    open_at: Fraction | None = None   # the least gain inside the bracket with neither a proof nor a failure
    proved_by: str = ""               # the invariant that proved it at ``proved_at`` (see :func:`proof_at`)


@dataclass
class GainResult:
    """certified: the real network with weights gain * W tracks the codes within epsilon forever."""

    certified: bool
    gain: Fraction | None = None
    epsilon: Fraction | None = None
    margin: Fraction | None = None
    reason: str = ""
    codes: list = field(default_factory=list)
    transitions: int = 0
    below: GainBracket | None = None
    saturated_gates: Fraction | None = None   # a hard sigmoid's saturation point that every gate clears
    activation: str = "sigmoid"               # the real network's sigmoid, for which the gain is certified
    threshold_fails_on: tuple | None = None   # an input the threshold network gets wrong: nothing to certify

    @property
    def verdict(self) -> Verdict:
        """sat: certified at ``gain``; unknown otherwise (no certificate is no proof of failure)."""
        return Verdict.SAT if self.certified else Verdict.UNKNOWN


def state_range(problem: Problem) -> tuple[Fraction, Fraction]:
    return problem.cell.state_range


def _box(problem: Problem, code, eps: Fraction, clip: bool = True):
    """States within eps of the code in every unit; clipped to the cell's range (the real state is always
    inside it) when it is a step's input, unclipped when it is the target a step must land in."""
    low, high = state_range(problem) if clip else (None, None)
    return tuple(iv.mpf([exact(c - eps if low is None else max(low, c - eps)).a,
                         exact(c + eps if high is None else min(high, c + eps)).b]) for c in code)


def _scaled(params, k: Fraction):
    def conv(x):
        if isinstance(x, tuple):
            return tuple(conv(y) for y in x)
        return exact(x.value * k)
    return {b: conv(v) for b, v in params.items()}


class ThresholdFails(Exception):
    """The weights' threshold network does not implement the automaton: it fails on ``word``."""

    def __init__(self, word: tuple, reason: str):
        super().__init__(f"the threshold network fails on {''.join(word)!r}: {reason}")
        self.word, self.reason = word, reason


class Tracker:
    """The reachable codes of the threshold network with its transitions, and the box check; ThresholdFails
    when the threshold network does not implement the automaton."""

    def __init__(self, problem: Problem, weights: dict, activation: str = "sigmoid"):
        if problem.cell.state_parts != ("h",):
            raise BadInput(f"certify handles cells whose state is h alone, not {problem.cell.name}")
        self.problem, self.weights = problem, weights
        self.params = problem.parameters(weights)
        self.ops = IntervalOps(activation)
        result = explore(problem, weight_signs(), self.params)
        if not isinstance(result, Implements):
            raise ThresholdFails(tuple(result.word), result.reason)
        self.codes = sorted({c for c, _ in result.pairs})
        self.out = {c: read_output(problem, self.params, c, weight_signs())[0] for c in self.codes}
        self.moves = {}
        for c in self.codes:
            for a in problem.automaton.alphabet:
                self.moves[(c, a)] = step(problem, self.params, c, a, weight_signs())[0]

    def check(self, k: Fraction, eps: Fraction) -> str | None:
        """None if every box maps into its successor's box and reads its output; else the first failure."""
        p, ops = self.problem, self.ops
        params = _scaled(self.params, k)
        cut = exact(p.rule.threshold)
        for c in self.codes:
            box = _box(p, c[0], eps)
            read = box[p.top]
            if p.output == "state":
                ok = read[0].a > cut.b if self.out[c] == 1 else read[0].b <= cut.a
                if not ok:
                    return f"the box of code {_code(c)} does not read output {self.out[c]} (eps too large)"
            else:
                y = ops.add(ops.linear(read, params["W_y"]), params["b_y"])[0]
                if not (y.a > 0 if self.out[c] == 1 else y.b < 0):
                    return f"the read-out is not decided on the box of code {_code(c)}"
            for a in p.automaton.alphabet:
                x = tuple(exact(v) for v in encode_symbol(p.automaton, a))
                (new,), _ = p.stack.step(ops, params, x, (box,))
                target = _box(p, self.moves[(c, a)][0], eps, clip=False)
                for j, (v, t) in enumerate(zip(new, target)):
                    if v.a < t.a or v.b > t.b:
                        past = max(float((t.a - v.a).b), float((v.b - t.b).b))  # the excess, rounded up
                        return (f"from code {_code(c)} on input {a!r}, unit {j} reaches [{float(v.a):.6g}, "
                                f"{float(v.b):.6g}], {float(past):.3g} outside its box [{float(t.a):.6g}, "
                                f"{float(t.b):.6g}]")
        return None

    def kept_zero(self) -> str | None:
        """A GRU unit whose code 0 is kept after the start: real networks drift off it."""
        if self.problem.cell.state_range[0] == 0:  # 0 is an end of the range: a saturated value, kept stably
            return None
        for (c, a), nxt in self.moves.items():
            for j, v in enumerate(nxt[0]):
                if v == 0:
                    return (f"unit {j} keeps the code 0 (from code {_code(c)} on input {a!r}): a real update gate "
                            "is never exactly 1 and tanh is never 0, so the real state drifts off 0 on long inputs")
        return None


def _code(c) -> str:
    return "(" + ", ".join(str(v) for v in c[0]) + ")"


def _least_gain(tracker: Tracker, eps: Fraction, hi: Fraction) -> Fraction | None:
    """The least k (to 0.1%) that passes at this eps, searching below ``hi``; None if none up to MAX_GAIN."""
    k = Fraction(1)
    while tracker.check(k, eps) is not None:
        k *= 2
        if k > min(hi, MAX_GAIN):
            return None
    lo_k = k / 2 if k > 1 else Fraction(0)
    while k - lo_k > k / 1000:
        mid = (lo_k + k) / 2
        if tracker.check(mid, eps) is None:
            k = mid
        else:
            lo_k = mid
    return k


def _round_up(k: Fraction) -> Fraction:
    """k rounded up to 4 significant digits (still certified: checked again)."""
    digits = len(str(int(k))) if k >= 1 else 1
    scale = Fraction(10) ** max(0, 4 - digits)
    return Fraction(-((-k * scale).__floor__()), 1) / scale


def certify(problem: Problem, weights: dict, activation: str = "sigmoid") -> GainResult:
    """The smallest gain (over a grid of eps) for which the box invariant holds, re-checked rigorously; the
    result names the ``activation`` it is for."""
    return dataclasses.replace(_certify(problem, weights, activation), activation=activation)


def _certify(problem: Problem, weights: dict, activation: str) -> GainResult:
    try:
        tracker = Tracker(problem, weights, activation)
    except ThresholdFails as e:
        # no code to certify around; the real network as given (gain 1) is searched for a failure of its own
        word = _failure_at(problem, weights, activation, Fraction(1))
        reason = (f"the threshold network ({problem.semantics.describe()}) does not implement the automaton: it "
                  f"fails on {''.join(e.word)!r} ({e.reason}), so there are no codes to certify a gain around")
        below = None if word is None else GainBracket(Fraction(1), tuple(word), Fraction(1))
        return GainResult(False, reason=reason, below=below, threshold_fails_on=e.word)
    margin = smallest_margin(problem, weights)
    base = GainResult(False, margin=margin, codes=tracker.codes, transitions=len(tracker.moves))
    if margin is None or margin == 0:
        base.reason = ("a reachable pre-activation is exactly 0: a real gate sits at 1/2 there at every gain "
                       "(solve with --margin for weights that stay away from 0)")
        return base
    saturation = get_activation(activation, real_only=True).saturation
    if saturation is not None and margin >= saturation and not problem.cell.tanh_gates:
        # every reachable gate is a hard sigmoid at or past its saturation point, exactly 0 or 1 (the margin is
        # that of the exhaustive exact run): by induction from h(0) = 0 the real state is the code at every step
        return GainResult(True, Fraction(1), Fraction(0), margin, "", tracker.codes, len(tracker.moves),
                          saturated_gates=saturation)
    if saturation is not None and margin >= saturation:
        # the gates are exact, the tanh candidates are not: boxes around the codes at gain 1
        for eps in EPSILONS:
            if tracker.check(Fraction(1), eps) is None:
                return GainResult(True, Fraction(1), eps, margin, "", tracker.codes, len(tracker.moves),
                                  saturated_gates=saturation)
    # the drift off a kept 0 is an explanation for logistic gates only: a hard-sigmoid update gate can be
    # exactly 1, so for it the failure is reported as found, without a cause the network may not have
    drift = tracker.kept_zero() if activation == "sigmoid" else None
    best: tuple[Fraction, Fraction] | None = None
    for eps in EPSILONS:
        k = _least_gain(tracker, eps, best[0] if best else MAX_GAIN)
        if k is not None and (best is None or k < best[0]):
            best = (k, eps)
    if best is None:
        base.reason = drift or ("no gain up to 1e6 keeps every state in its box for any eps tried; first failure "
                                f"at gain 1e6, eps 1/100: {tracker.check(MAX_GAIN, Fraction(1, 100))}")
        return base
    k, eps = _round_up(best[0]), best[1]
    failure = tracker.check(k, eps)
    if failure is not None:
        raise InternalCheckFailed(f"reported gain failed its rigorous re-check: {failure}")
    if every_gain(problem, tracker) is None:
        below = GainBracket(None, None, Fraction(0), every_gain=True)
    else:
        below = tighten(problem, weights, activation, failing_gain(problem, weights, activation, k), k)
    return GainResult(True, k, eps, margin, "", tracker.codes, len(tracker.moves), below)


def _half_box_signs(code) -> Callable[[Affine], frozenset]:
    """The signs an affine form in the units ``h[j]`` takes on the half-box of ``code``: unit j in [0, 1/2) for
    code 0 and in (1/2, 1] for code 1 (each end that a real sigmoid or hard sigmoid can reach is closed)."""
    def signs(e: Affine) -> frozenset:
        high = low = e.const
        high_reached = low_reached = True
        for name, a in e.coeffs.items():
            bit = code[int(name[2:-1])]
            lo, hi = (Fraction(0), Fraction(1, 2)) if bit == 0 else (Fraction(1, 2), Fraction(1))
            lo_closed, hi_closed = bit == 0, bit == 1
            if a > 0:
                high, low = high + a * hi, low + a * lo
                high_reached, low_reached = high_reached and hi_closed, low_reached and lo_closed
            else:
                high, low = high + a * lo, low + a * hi
                high_reached, low_reached = high_reached and lo_closed, low_reached and hi_closed
        out: set[str] = set()
        if high > 0:
            out |= POS
        if low < 0:
            out |= NEG
        if (low < 0 or (low == 0 and low_reached)) and (high > 0 or (high == 0 and high_reached)):
            out |= ZERO
        return frozenset(out)
    return signs


def every_gain(problem: Problem, tracker: Tracker) -> str | None:
    """None when the real network is right for every gain k > 0; otherwise why this argument does not apply.

    For a one-layer cell whose new state is the sigmoid gate of each unit's own pre-activation (the Elman cell),
    read as [h > 1/2] or through a threshold read-out: if on the whole half-box of every reachable code (each
    unit on its code's side of 1/2) every pre-activation, of the step on every input and of the read-out, has
    the strict sign it has at the code, then a real state in the half-box of code c goes, at any gain k > 0
    (k times a pre-activation has its sign) and with any real sigmoid, into the half-box of the threshold
    network's next code, and reads that code's output.  h(0) = 0 lies in the half-box of the start code, so
    by induction the real network gives the threshold network's outputs, which the exhaustive exact run has
    checked against the automaton, on every input of every length."""
    p = problem
    if not p.cell.state_is_gate or len(p.layers) > 1:
        return "the argument for every gain is made for one layer of the Elman cell only"
    if p.output == "state" and p.rule.threshold != Fraction(1, 2):
        return f"the output rule {p.rule.name} does not cut at 1/2, where the half-boxes meet"
    state = (tuple(Affine.var(f"h[{j}]") for j in range(p.units)),)
    semantics = Semantics("saturated")
    for c in tracker.codes:
        ops = CaseOps(semantics, _half_box_signs(c[0]), p.units == 1)
        for a in p.automaton.alphabet:
            try:
                new, _ = p.stack.step(ops, tracker.params, encode_symbol(p.automaton, a), state)
            except (Undecided, IllDefined) as e:
                return (f"from code {_code(c)} on input {a!r}, the pre-activation of {e.gate} takes both signs (or 0) "
                        "on the code's half-box")
            if tuple(v.const for v in new[0]) != tuple(tracker.moves[(c, a)][0]):
                raise InternalCheckFailed(f"the half-box step from code {_code(c)} on {a!r} disagrees with the "
                                          "exact run")
        if p.output == "readout":
            y = ops.add(ops.linear(state[0][p.top], tracker.params["W_y"]), tracker.params["b_y"])[0]
            if _half_box_signs(c[0])(y) != (POS if tracker.out[c] == 1 else NEG):
                return f"the read-out's pre-activation takes both signs (or 0) on the half-box of code {_code(c)}"
    return None


def proof_at(problem: Problem, weights: dict, activation: str, gain: Fraction) -> str:
    """How the real network with weights gain * W is proved right on every input of every length, or '' when
    it is not: the reachable cells of a paving (:func:`~automata_rnn.questions.paving.prove_by_paving`, for
    networks of at most MAX_UNITS units), else inductive boxes per automaton state
    (:func:`~automata_rnn.questions.verify.prove_real`)."""
    scaled = {n: v * gain for n, v in weights.items()}
    if problem.units <= MAX_UNITS:
        paved = prove_by_paving(problem, scaled, activation)
        if paved.proved:
            return f"the reachable cells of a paving with {paved.cells} cells per unit"
    if prove_real(problem, scaled, activation).proved:
        return "inductive boxes per automaton state"
    return ""


def tighten(problem: Problem, weights: dict, activation: str, bracket: GainBracket, certified: Fraction) -> GainBracket:
    """Narrow the bracket of the least safe gain between a confirmed failure (below) and a proof (above).
    Each gain tried gets a proof (:func:`proof_at`: it becomes the upper end), else a failing input confirmed
    by outward rounding (:func:`_failure_at`: it becomes the lower end), else it stays open; the next gain
    tried is the middle of the widest gap (by ratio) between the ends and the open gains inside, so that
    an open gain does not stop the narrowing (correctness, and the methods' reach, need not be monotone in
    the gain).  Until the ends are within :data:`BRACKET_RATIO`, every gap is narrower than it, or
    :data:`BRACKET_STEPS` gains have been tried; ``open_at`` is then the least open gain left inside the
    bracket.  Without a failure below, the proof is tried at halving gains instead, down to where none is
    found."""
    high, checked, how = certified, 0, ""
    if bracket.fails_at is None:
        while checked < BRACKET_STEPS and high / 2 >= bracket.searched_down_to:
            found = proof_at(problem, weights, activation, high / 2)
            if not found:
                break
            high, checked, how = high / 2, checked + 1, found
        return dataclasses.replace(bracket, proved_at=high if high < certified else None, checked=checked + 1,
                                   proved_by=how)
    low, word = bracket.fails_at, bracket.word
    opens: list[Fraction] = []
    while high / low >= BRACKET_RATIO and checked < BRACKET_STEPS:
        points = [low] + opens + [high]
        left, right = max(zip(points, points[1:]), key=lambda gap: gap[1] / gap[0])
        if right / left < BRACKET_RATIO:
            break
        middle = (left + right) / 2
        checked += 1
        found = proof_at(problem, weights, activation, middle)
        if found:
            high, how = middle, found
        else:
            failing = _failure_at(problem, weights, activation, middle)
            if failing is not None:
                low, word = middle, failing
            else:
                opens.append(middle)
        opens = sorted(g for g in opens if low < g < high)
    return dataclasses.replace(bracket, fails_at=low, word=word, proved_at=high if high < certified else None,
                               checked=checked, open_at=opens[0] if opens else None, proved_by=how)


SEARCH_HALVINGS = 10
BISECTIONS = 8


def _failure_at(problem: Problem, weights: dict, activation: str, gain: Fraction, max_length: int = 10):
    """A failing input of the real network with weights gain * W, confirmed by outward rounding; None if none
    found (every input up to ``max_length`` and random long ones, then the pumped inputs of
    :func:`~automata_rnn.questions.long_runs.long_run_failure`, in float64)."""
    scaled = {n: v * gain for n, v in weights.items()}
    word = find_failure(problem, scaled, max_length, activation, long_runs=16, long_length=200)
    if word is not None and _fails_rigorously(problem, weights, gain, word, activation):
        return word
    return long_run_failure(problem, scaled, activation)


def failing_gain(problem: Problem, weights: dict, activation: str, certified: Fraction,
                 max_length: int = 10) -> GainBracket:
    """Bracket the least safe gain from below: gains certified / 2, / 4, ... are searched for a failing input
    (every input up to ``max_length``, then random long ones) in float64; the largest failing one found is
    refined by bisection, and its failure is confirmed with outward-rounded intervals."""
    def failure_at(gain: Fraction):
        return _failure_at(problem, weights, activation, gain, max_length)

    gain, word = certified, None
    for _ in range(SEARCH_HALVINGS):
        gain /= 2
        word = failure_at(gain)
        if word is not None:
            break
    if word is None:
        return GainBracket(None, None, gain)
    low, high = gain, gain * 2   # fails at low; no failure was found at high (or it is the certified gain)
    for _ in range(BISECTIONS):
        middle = (low + high) / 2
        found = failure_at(middle)
        if found is not None:
            low, word = middle, found
        else:
            high = middle
    return GainBracket(low, tuple(word), gain)


def _fails_rigorously(problem: Problem, weights: dict, gain: Fraction, word, activation: str) -> bool:
    """Whether the real network with weights gain * W gives a wrong output on ``word``, with each output
    along it decided by outward-rounded interval arithmetic (False when an interval straddles the cut)."""
    ops = IntervalOps(activation)
    params = _scaled(problem.parameters(weights), gain)
    state = tuple(tuple(exact(0) for _ in range(problem.units)) for _ in problem.cell.state_parts)
    expected = problem.automaton.outputs(tuple(word))
    cut = exact(problem.rule.threshold)
    for t in range(len(word) + 1):
        if t:
            x = tuple(exact(v) for v in encode_symbol(problem.automaton, word[t - 1]))
            state, _ = problem.stack.step(ops, params, x, state)
        read = state[0][problem.top]
        if problem.output == "state":
            bit = 1 if read[0].a > cut.b else 0 if read[0].b <= cut.a else None
        else:
            y = ops.add(ops.linear(read, params["W_y"]), params["b_y"])[0]
            bit = 1 if y.a > 0 else 0 if y.b < 0 else None
        if bit is None:
            return False
        if bit != expected[t]:
            return True
    return False


@dataclass
class CertifiedSolution:
    """Threshold weights searched with a margin, and the gain certified for them (``solve --certify``).

    ``problem`` is the search problem (a margin, and for gated cells the saturated codes); ``gain`` is the
    certificate for the real network at the problem's plain semantics, None when no weights were found."""

    problem: Problem
    weights: dict | None
    gain: GainResult | None
    reason: str = ""

    @property
    def verdict(self) -> Verdict:
        """sat: weights whose real network is certified at a gain; unknown otherwise (the reason says why)."""
        return Verdict.SAT if self.gain is not None and self.gain.certified else Verdict.UNKNOWN


DEFAULT_MARGIN = Fraction(1)


def searched_problem(problem: Problem, activation: str = "sigmoid") -> Problem:
    """The problem whose threshold solutions a real network can track: a margin (default 1; at least a hard
    sigmoid's saturation point, so that every reachable gate is exactly 0 or 1) with a weight bound (default
    10), and for gated cells the saturated semantics (a real tanh gives -1, not 0)."""
    gated = problem.cell.name != "rnn"
    name = "saturated" if gated and problem.semantics.name == "indicator" else problem.semantics.name
    margin = max(problem.semantics.margin or DEFAULT_MARGIN,
                 get_activation(activation, real_only=True).saturation or 0)
    bound = problem.bound if problem.bound is not None else DEFAULT_MARGIN_BOUND
    return dataclasses.replace(problem, semantics=Semantics(name, margin), bound=bound)


@one_question
def solve_and_certify(problem: Problem, timeout: float | None = None, activation: str = "sigmoid"
                      ) -> CertifiedSolution:
    """Threshold weights with a margin (for gated cells: wherever an update gate keeps a code, the candidate
    agrees with it), re-verified exactly, then the smallest certified gain of the real network."""
    search = searched_problem(problem, activation)
    verdict, weights, reason, _ = find_weights(search, timeout, robust=search.cell.name != "rnn")
    if verdict != Verdict.SAT or weights is None:
        why = reason if verdict == Verdict.UNKNOWN else (
            "z3 finds no threshold weights with this margin and bound whose kept codes agree with their "
            "candidates (a search condition, not a claim about all weights)")
        return CertifiedSolution(search, None, None, why)
    plain = dataclasses.replace(search, semantics=Semantics(search.semantics.name))
    return CertifiedSolution(search, weights, certify(plain, weights, activation))
