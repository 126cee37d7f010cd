"""Failures that show only in the long run: inputs that pump a loop until the real state settles.

A real network that drifts fails where its state settles: on the fixed point or cycle it reaches when an
input repeats.  :func:`pumped_words` gives the inputs u v^k w: u a short word or a shortest word to an
automaton state, v a short loop repeated up to a length, w a short suffix read from where the repetition
left the state.  :func:`long_run_failure` runs them all in float64, takes the shortest wrong prefixes,
and re-runs them on outward-rounded boxes (:func:`automata_rnn.questions.verify.confirm`): a failure is
returned only when the box of the read-out lies wholly on the wrong side, so the exact real network fails.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np

from automata_rnn.arithmetic.simulate import encode_words, params_to_numpy, simulate
from automata_rnn.model.automata import Automaton
from automata_rnn.model.problem import Problem
from automata_rnn.questions.simulate import read_outputs
from automata_rnn.questions.verify import confirm

PREFIX, LOOP, SUFFIX = 3, 3, 2
"""The longest short prefix u, loop v and suffix w of the pumped inputs u v^k w."""
PUMPED_LENGTH = 400
CONFIRMED = 8
"""At most this many wrong prefixes (shortest first) are re-run on boxes."""


def _words(alphabet, longest: int, shortest: int = 0) -> list[tuple]:
    return [w for n in range(shortest, longest + 1) for w in itertools.product(alphabet, repeat=n)]


def access_words(automaton: Automaton) -> list[tuple]:
    """A shortest input to each reachable state (breadth first, symbols in alphabet order)."""
    found: dict[str, tuple] = {automaton.start: ()}
    queue = [automaton.start]
    for q in queue:
        for s in automaton.alphabet:
            nxt = automaton.step(q, s)
            if nxt not in found:
                found[nxt] = found[q] + (s,)
                queue.append(nxt)
    return list(found.values())


def pumped_words(automaton: Automaton, length: int = PUMPED_LENGTH) -> list[tuple]:
    """The inputs u v^k w (see the module's text), each of about ``length`` symbols, without repeats."""
    alphabet = tuple(automaton.alphabet)
    prefixes = list(dict.fromkeys(_words(alphabet, PREFIX) + access_words(automaton)))
    loops = _words(alphabet, LOOP, 1)
    suffixes = _words(alphabet, SUFFIX)
    out: dict[tuple, None] = {}
    for u, v, w in itertools.product(prefixes, loops, suffixes):
        k = max(1, (length - len(u) - len(w)) // len(v))
        word = u + v * k + w
        out[word] = None
    return list(out)


def long_run_failure(problem: Problem, weights: dict, activation: str = "sigmoid", length: int = PUMPED_LENGTH,
                     count_empty: bool = True) -> tuple | None:
    """A shortest wrong prefix among the pumped inputs on which the real network (weights as given) certainly
    fails, its last output decided by outward-rounded boxes; None if none is found."""
    a = problem.automaton
    words = pumped_words(a, length)
    cell = {k: v for k, v in params_to_numpy(problem.parameters(weights)).items() if k not in ("W_y", "b_y")}
    wrong: dict[tuple, None] = {}
    by_length: dict[int, list[tuple]] = {}
    for w in words:
        by_length.setdefault(len(w), []).append(w)
    for batch in by_length.values():
        sim = simulate(problem.stack, cell, encode_words(a, batch), activation=activation)
        outputs = read_outputs(problem, weights, np.asarray(sim.hidden), Fraction(1))
        for w, got in zip(batch, outputs):
            want = a.outputs(w)
            bad = [t for t in range(0 if count_empty else 1, len(want)) if got[t] != want[t]]
            if bad:
                wrong[w[:bad[0]]] = None
    for word in sorted(wrong, key=len)[:CONFIRMED]:
        if confirm(problem, weights, word, activation).certain:
            return word
    return None
