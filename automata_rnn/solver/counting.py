"""The cheapest lower bound: count codes.

After k inputs that lead the automaton to pairwise distinguishable states, a network that implements it
is in k different codes (equal codes give equal outputs forever after).  Under a threshold semantics each
unit's code falls into a few classes of behaviour (:meth:`automata_rnn.model.cells.Cell.classes_per_unit`:
2 for the indicator semantics, 3 for a saturated GRU or an indicator LSTM, whose cell state is read only
through its sign), so n units have at most ``classes ** n``: with more states than that, no weights exist.
The argument is a certificate leaf the independent checker re-checks.
"""

from __future__ import annotations

import dataclasses
from collections import deque

from automata_rnn.model.automata import Automaton, distinguishing_word, minimize
from automata_rnn.model.problem import Problem


def codes(problem: Problem) -> int | None:
    """How many codes the problem's network has at most (None when a cell state can count)."""
    classes = problem.cell.classes_per_unit(problem.semantics.name)
    return None if classes is None else classes ** problem.units


def access_words(a: Automaton) -> dict[str, tuple[str, ...]]:
    """A shortest input reaching each reachable state, in breadth-first order."""
    words: dict[str, tuple[str, ...]] = {a.start: ()}
    queue = deque([a.start])
    while queue:
        q = queue.popleft()
        for s in a.alphabet:
            t = a.step(q, s)
            if t not in words:
                words[t] = words[q] + (s,)
                queue.append(t)
    return words


def counting_tree(problem: Problem) -> dict | None:
    """A ``counting`` certificate leaf refuting every weight of the problem, or None when the minimal
    automaton has no more states than the network has codes."""
    limit = codes(problem)
    a = minimize(problem.automaton)
    if limit is None or len(a.reachable()) <= limit:
        return None
    reach = access_words(a)
    states = list(reach)
    separators = []
    for i, p in enumerate(states):
        for j in range(i + 1, len(states)):
            suffix = distinguishing_word(dataclasses.replace(a, start=p), dataclasses.replace(a, start=states[j]))
            if suffix is None:  # a minimal machine's states are pairwise distinguishable
                raise AssertionError(f"states {p!r} and {states[j]!r} of a minimal machine agree")
            separators.append([i, j, list(suffix)])
    return {"counting": {"words": [list(reach[q]) for q in states], "separators": separators}}
