"""Moore machines: the automata a recurrent cell is asked to implement.

An :class:`Automaton` has a finite input alphabet, states, a start state, a
total transition function and an output (0 or 1) per state; the output of the
start state is the output on the empty word.  Standard library only.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Mapping


@dataclass(frozen=True)
class Automaton:
    """A complete deterministic Moore machine with outputs in {0, 1}."""

    name: str
    alphabet: tuple[str, ...]
    states: tuple[str, ...]
    start: str
    transitions: Mapping[tuple[str, str], str] = field(hash=False)
    output: Mapping[str, int] = field(hash=False)

    def __post_init__(self):
        problems = validation_errors(self)
        if problems:
            raise ValueError(f"automaton {self.name!r}: {problems[0]}")

    def step(self, state: str, symbol: str) -> str:
        return self.transitions[(state, symbol)]

    def outputs(self, word: tuple[str, ...] | str) -> list[int]:
        """Outputs at times 0..len(word): the start state's, then after each symbol."""
        q = self.start
        out = [self.output[q]]
        for a in word:
            q = self.step(q, a)
            out.append(self.output[q])
        return out

    def reachable(self) -> list[str]:
        """States reachable from the start, in breadth-first order."""
        seen = [self.start]
        queue = deque(seen)
        while queue:
            q = queue.popleft()
            for a in self.alphabet:
                t = self.step(q, a)
                if t not in seen:
                    seen.append(t)
                    queue.append(t)
        return seen

    def to_json(self) -> dict:
        """The file form: alphabet, states, start, transitions, accepting."""
        return {
            "name": self.name,
            "alphabet": list(self.alphabet),
            "states": list(self.states),
            "start": self.start,
            "transitions": {q: {a: self.transitions[(q, a)] for a in self.alphabet} for q in self.states},
            "accepting": [q for q in self.states if self.output[q] == 1],
        }

    @staticmethod
    def from_json(obj, name: str = "automaton") -> "Automaton":
        """Build from the file form; ValueError with a clear message on any defect."""
        if not isinstance(obj, dict):
            raise ValueError("an automaton is an object with alphabet, states, start, transitions, accepting")
        for key in ("alphabet", "states", "start", "transitions"):
            if key not in obj:
                raise ValueError(f"automaton: missing field {key!r}")
        alphabet, states = obj["alphabet"], obj["states"]
        if not isinstance(alphabet, list) or not all(isinstance(a, str) for a in alphabet):
            raise ValueError("automaton: 'alphabet' must be a list of strings")
        if not isinstance(states, list) or not all(isinstance(q, str) for q in states):
            raise ValueError("automaton: 'states' must be a list of strings")
        table = obj["transitions"]
        if not isinstance(table, dict):
            raise ValueError("automaton: 'transitions' must map each state to {symbol: state}")
        transitions: dict[tuple[str, str], str] = {}
        for q, row in table.items():
            if not isinstance(row, dict):
                raise ValueError(f"automaton: transitions of state {q!r} must be an object")
            for a, t in row.items():
                if not isinstance(t, str):
                    raise ValueError(f"automaton: transition ({q!r}, {a!r}) must name a state")
                transitions[(str(q), str(a))] = t
        accepting = obj.get("accepting", [])
        if "output" in obj:
            out = obj["output"]
            if not isinstance(out, dict):
                raise ValueError("automaton: 'output' must map each state to 0 or 1")
            output = dict(out)
        else:
            if not isinstance(accepting, list):
                raise ValueError("automaton: 'accepting' must be a list of states")
            unknown = [q for q in accepting if q not in states]
            if unknown:
                raise ValueError(f"automaton: accepting state {unknown[0]!r} is not among the states")
            output = {q: int(q in accepting) for q in states}
        return Automaton(str(obj.get("name", name)), tuple(alphabet), tuple(states), obj["start"],
                         transitions, output)


def validation_errors(m: Automaton) -> list[str]:
    """Every defect of a Moore machine, as one-line messages (empty if it is well formed)."""
    errs: list[str] = []
    if not m.alphabet:
        errs.append("empty alphabet")
    if len(set(m.alphabet)) != len(m.alphabet):
        errs.append("duplicate symbol in the alphabet")
    if not m.states:
        errs.append("no states")
    if len(set(m.states)) != len(m.states):
        errs.append("duplicate state")
    if m.start not in m.states:
        errs.append(f"start state {m.start!r} is not among the states")
    for (q, a), t in m.transitions.items():
        if q not in m.states:
            errs.append(f"transition from unknown state {q!r}")
        elif a not in m.alphabet:
            errs.append(f"transition on unknown symbol {a!r} from {q!r}")
        elif t not in m.states:
            errs.append(f"transition ({q!r}, {a!r}) goes to unknown state {t!r}")
    for q in m.states:
        for a in m.alphabet:
            if (q, a) not in m.transitions:
                errs.append(f"missing transition from {q!r} on {a!r}")
    for q in m.states:
        if m.output.get(q) not in (0, 1):
            errs.append(f"output of state {q!r} must be 0 or 1")
    return errs


def latch() -> Automaton:
    """Output 1 from the first 1 onwards, forever (CS224n 2017, assignment 3, q3a)."""
    t = {("off", "0"): "off", ("off", "1"): "on", ("on", "0"): "on", ("on", "1"): "on"}
    return Automaton("latch", ("0", "1"), ("off", "on"), "off", t, {"off": 0, "on": 1})


def toggle() -> Automaton:
    """Flip the output at every 1: the parity of the number of 1s (q3b)."""
    t = {("even", "0"): "even", ("even", "1"): "odd", ("odd", "0"): "odd", ("odd", "1"): "even"}
    return Automaton("toggle", ("0", "1"), ("even", "odd"), "even", t, {"even": 0, "odd": 1})


LIBRARY = {"latch": latch, "toggle": toggle}


def load_automaton(spec: str) -> Automaton:
    """A built-in automaton by name; ValueError naming the known ones otherwise."""
    if spec in LIBRARY:
        return LIBRARY[spec]()
    raise ValueError(f"unknown automaton {spec!r} (built in: {', '.join(LIBRARY)})")
