"""Moore machines: the automata a recurrent cell is asked to implement.

An :class:`Automaton` has a finite input alphabet, states, a start state, a
total transition function and an output (0 or 1) per state; the output of the
start state is the output on the empty word.

The built-in :data:`LIBRARY` holds the latch, toggle, parity, first-bit, the
seven Tomita grammars and mod-k counters; files and regular expressions are
read by :mod:`automata_rnn.interop.automata_files`.  Standard library only.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

from automata_rnn.verdicts import BadInput

FIELDS = ("name", "alphabet", "states", "start", "transitions", "accepting", "output")
YAML_QUOTING = "quote it in YAML, e.g. '0' or 'on'"


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
            raise BadInput(f"automaton {self.name!r}: {problems[0]}")

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
        """Build from the file form; ValueError with a one-line message on any defect.

        The form is an object with ``alphabet`` (a list of symbols, strings),
        ``states`` (a list of strings), ``start``, ``transitions`` (state ->
        {symbol: state}, one entry per pair) and either ``accepting`` (the
        states whose output is 1) or ``output`` (state -> 0 or 1); ``name`` is
        optional.  Mappings read by :func:`read_spec` also report duplicate keys.
        """
        if not isinstance(obj, dict):
            raise BadInput("automaton: expected an object with alphabet, states, start, transitions, accepting")
        _check_fields(obj)
        alphabet = _alphabet_field(obj["alphabet"])
        states = _states_field(obj["states"])
        start = obj["start"]
        if not isinstance(start, str):
            raise BadInput(f"automaton: start state {start!r} is not a string ({YAML_QUOTING})")
        transitions = _transitions_field(obj["transitions"])
        output = _output_field(obj, states)
        label = obj.get("name", name)
        if not isinstance(label, str):
            raise BadInput(f"automaton: name {label!r} is not a string")
        return Automaton(label, alphabet, states, start, transitions, output)


def _duplicates(mapping) -> list:
    """Keys that occurred more than once where the mapping was read (see :class:`Pairs`)."""
    return list(getattr(mapping, "duplicates", ()))


class Pairs(dict):
    """A dict read from a file that remembers which keys were given twice."""

    def __init__(self, pairs: Iterable[tuple] = ()):
        super().__init__()
        self.duplicates: list = []
        for k, v in pairs:
            if k in self and k not in self.duplicates:
                self.duplicates.append(k)
            self[k] = v


def _check_fields(obj: dict) -> None:
    for key in _duplicates(obj):
        raise BadInput(f"automaton: duplicate field {key!r}")
    for key in obj:
        if key not in FIELDS:
            raise BadInput(f"automaton: unknown field {key!r} (fields: {', '.join(FIELDS)})")
    for key in ("alphabet", "states", "start", "transitions"):
        if key not in obj:
            raise BadInput(f"automaton: missing field {key!r}")
    if "accepting" in obj and "output" in obj:
        raise BadInput("automaton: give either 'accepting' or 'output', not both")
    if "accepting" not in obj and "output" not in obj:
        raise BadInput("automaton: missing field 'accepting' (or an 'output' map from states to 0 or 1)")


def _alphabet_field(alphabet) -> tuple[str, ...]:
    if not isinstance(alphabet, list):
        raise BadInput("automaton: 'alphabet' must be a list of symbols")
    if not alphabet:
        raise BadInput("automaton: empty alphabet")
    for a in alphabet:
        if not isinstance(a, str):
            raise BadInput(f"automaton: symbol {a!r} is not a string ({YAML_QUOTING})")
        if not a:
            raise BadInput("automaton: the empty string is not a symbol")
    return tuple(alphabet)


def _states_field(states) -> tuple[str, ...]:
    if not isinstance(states, list):
        raise BadInput("automaton: 'states' must be a list of state names")
    for q in states:
        if not isinstance(q, str):
            raise BadInput(f"automaton: state {q!r} is not a string ({YAML_QUOTING})")
    return tuple(states)


def _transitions_field(table) -> dict[tuple[str, str], str]:
    if not isinstance(table, dict):
        raise BadInput("automaton: 'transitions' must map each state to {symbol: state}")
    for q in _duplicates(table):
        raise BadInput(f"automaton: transitions of state {q!r} are given twice")
    transitions: dict[tuple[str, str], str] = {}
    for q, row in table.items():
        if not isinstance(q, str):
            raise BadInput(f"automaton: state {q!r} in 'transitions' is not a string ({YAML_QUOTING})")
        if not isinstance(row, dict):
            raise BadInput(f"automaton: transitions of state {q!r} must map symbols to states")
        for a in _duplicates(row):
            raise BadInput(f"automaton: duplicate transition from {q!r} on {a!r}")
        for a, t in row.items():
            if not isinstance(a, str):
                raise BadInput(f"automaton: symbol {a!r} in the transitions of {q!r} is not a string "
                                 f"({YAML_QUOTING})")
            if not isinstance(t, str):
                raise BadInput(f"automaton: transition ({q!r}, {a!r}) must name a state, not {t!r}")
            transitions[(q, a)] = t
    return transitions


def _output_field(obj: dict, states: tuple[str, ...]) -> dict[str, int]:
    if "output" in obj:
        return _output_map(obj["output"])
    accepting = obj["accepting"]
    if not isinstance(accepting, list):
        raise BadInput("automaton: 'accepting' must be a list of states")
    for q in accepting:
        if q not in states:
            raise BadInput(f"automaton: accepting state {q!r} is not among the states")
    return {q: int(q in accepting) for q in states}


def _output_map(out) -> dict[str, int]:
    if not isinstance(out, dict):
        raise BadInput("automaton: 'output' must map each state to 0 or 1")
    for q in _duplicates(out):
        raise BadInput(f"automaton: output of state {q!r} is given twice")
    output = {}
    for q, v in out.items():
        if v not in (0, 1) or not isinstance(v, (int, bool)):
            raise BadInput(f"automaton: output of state {q!r} must be 0 or 1, not {v!r}")
        output[q] = int(v)
    return output


def validation_errors(m: Automaton) -> list[str]:
    """Every defect of a Moore machine, as one-line messages (empty if it is well formed)."""
    errs: list[str] = []
    if not m.alphabet:
        errs.append("empty alphabet")
    errs += [f"duplicate symbol {a!r} in the alphabet" for a in repeated(m.alphabet)]
    if not m.states:
        errs.append("no states")
    errs += [f"duplicate state {q!r}" for q in repeated(m.states)]
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
        if q not in m.output:
            errs.append(f"missing output for state {q!r}")
        elif m.output[q] not in (0, 1):
            errs.append(f"output of state {q!r} must be 0 or 1")
    errs += [f"output given for unknown state {q!r}" for q in m.output if q not in m.states]
    return errs


def repeated(items: Iterable[str]) -> list[str]:
    """The items given more than once, each once, in order of their second appearance."""
    seen: set[str] = set()
    twice: list[str] = []
    for x in items:
        if x in seen and x not in twice:
            twice.append(x)
        seen.add(x)
    return twice


# --- minimisation and equivalence -------------------------------------------

def equivalence_classes(a: Automaton, states: Iterable[str] | None = None) -> dict[str, int]:
    """Moore equivalence on ``states`` (default: all): q ~ p iff every word gives both the same outputs.

    Returns a class number per state; equal numbers mean equivalent states.
    Computed by partition refinement, starting from the split by output.
    """
    states = list(a.states if states is None else states)
    block = {q: a.output[q] for q in states}
    count = len(set(block.values()))
    while True:
        ids: dict[tuple, int] = {}
        refined = {q: ids.setdefault(_signature(a, q, block), len(ids)) for q in states}
        if len(ids) == count:
            return refined
        block, count = refined, len(ids)


def _signature(a: Automaton, q: str, block: Mapping[str, int]) -> tuple:
    return (block[q],) + tuple(block[a.step(q, s)] for s in a.alphabet)


def minimize(a: Automaton, *, rename: bool = False) -> Automaton:
    """The minimal Moore machine with the same outputs on every word.

    Unreachable states are dropped and equivalent states merged.  States are
    listed in breadth-first order from the start (successors in alphabet
    order).  Each state keeps the name of the first of its merged states in
    that order, or is named ``q0``, ``q1``, ... in that order if ``rename``.
    The result depends only on ``a``, and ``minimize(minimize(a)) ==
    minimize(a)``.
    """
    order = a.reachable()
    cls = equivalence_classes(a, order)
    first: dict[int, str] = {}
    for q in order:
        first.setdefault(cls[q], q)
    classes = _class_order(a, cls, first)
    names = {c: (f"q{i}" if rename else first[c]) for i, c in enumerate(classes)}
    transitions = {(names[c], s): names[cls[a.step(first[c], s)]] for c in classes for s in a.alphabet}
    output = {names[c]: a.output[first[c]] for c in classes}
    return Automaton(a.name, a.alphabet, tuple(names[c] for c in classes), names[cls[a.start]],
                     transitions, output)


def _class_order(a: Automaton, cls: Mapping[str, int], first: Mapping[int, str]) -> list[int]:
    """Classes in breadth-first order of the quotient machine, successors in alphabet order."""
    seen = [cls[a.start]]
    queue = deque(seen)
    while queue:
        c = queue.popleft()
        for s in a.alphabet:
            d = cls[a.step(first[c], s)]
            if d not in seen:
                seen.append(d)
                queue.append(d)
    return seen


def is_minimal(a: Automaton) -> bool:
    """Every state is reachable and no two states are equivalent."""
    return len(a.reachable()) == len(a.states) and len(set(equivalence_classes(a).values())) == len(a.states)


def distinguishing_word(a: Automaton, b: Automaton) -> tuple[str, ...] | None:
    """A shortest word on which ``a`` and ``b`` end with different outputs, or None if they agree on all words.

    Both machines must have the same alphabet (as a set); ValueError otherwise.
    """
    if set(a.alphabet) != set(b.alphabet):
        raise BadInput(f"automata {a.name!r} and {b.name!r} have different alphabets")
    start = (a.start, b.start)
    parent: dict[tuple[str, str], tuple[tuple[str, str], str] | None] = {start: None}
    queue = deque([start])
    while queue:
        p, q = pair = queue.popleft()
        if a.output[p] != b.output[q]:
            return _word_to(pair, parent)
        for s in a.alphabet:
            nxt = (a.step(p, s), b.step(q, s))
            if nxt not in parent:
                parent[nxt] = (pair, s)
                queue.append(nxt)
    return None


def with_empty_output(a: Automaton, bit: int) -> Automaton:
    """The same machine on every nonempty word, with output ``bit`` on the empty word: a fresh start state
    that moves as the old start does (the old start stays, for the words that come back to it)."""
    if a.output[a.start] == bit:
        return a
    fresh = a.start + "'"
    while fresh in a.states:
        fresh += "'"
    transitions = dict(a.transitions)
    transitions.update({(fresh, s): a.step(a.start, s) for s in a.alphabet})
    return Automaton(a.name, a.alphabet, (fresh,) + a.states, fresh, transitions, {**a.output, fresh: bit})


def _word_to(node, parent) -> tuple[str, ...]:
    word: list[str] = []
    while parent[node] is not None:
        node, s = parent[node]
        word.append(s)
    return tuple(reversed(word))


# --- built-in automata ------------------------------------------------------

BINARY = ("0", "1")


def from_table(name: str, start: str, rows: Mapping[str, tuple[str, str]], accepting: Iterable[str]) -> Automaton:
    """A machine over {0, 1} from rows ``state: (next on 0, next on 1)``; states in the order of ``rows``."""
    accepting = set(accepting)
    transitions = {(q, a): t for q, row in rows.items() for a, t in zip(BINARY, row)}
    output = {q: int(q in accepting) for q in rows}
    return Automaton(name, BINARY, tuple(rows), start, transitions, output)


def latch() -> Automaton:
    """Output 1 from the first 1 onwards, forever (CS224n 2017, assignment 3, q3a)."""
    t = {("off", "0"): "off", ("off", "1"): "on", ("on", "0"): "on", ("on", "1"): "on"}
    return Automaton("latch", ("0", "1"), ("off", "on"), "off", t, {"off": 0, "on": 1})


def toggle() -> Automaton:
    """Flip the output at every 1: the parity of the number of 1s (q3b)."""
    t = {("even", "0"): "even", ("even", "1"): "odd", ("odd", "0"): "odd", ("odd", "1"): "even"}
    return Automaton("toggle", ("0", "1"), ("even", "odd"), "even", t, {"even": 0, "odd": 1})


def parity() -> Automaton:
    """Output 1 iff an odd number of 1s has been read: the language of :func:`toggle`."""
    return from_table("parity", "even", {"even": ("even", "odd"), "odd": ("odd", "even")}, ["odd"])


def first_bit() -> Automaton:
    """Output 1 iff the first symbol read is 1; 0 on the empty word."""
    rows = {"empty": ("zero", "one"), "zero": ("zero", "zero"), "one": ("one", "one")}
    return from_table("first-bit", "empty", rows, ["one"])


def tomita1() -> Automaton:
    """Tomita 1: 1*."""
    return from_table("tomita1", "ones", {"ones": ("dead", "ones"), "dead": ("dead", "dead")}, ["ones"])


def tomita2() -> Automaton:
    """Tomita 2: (10)*."""
    rows = {"even": ("dead", "one"), "dead": ("dead", "dead"), "one": ("even", "dead")}
    return from_table("tomita2", "even", rows, ["even"])


def tomita3() -> Automaton:
    """Tomita 3: no odd-length run of 1s is followed, anywhere later, by an odd-length run of 0s.

    Runs are maximal.  ``odd1`` is inside an odd run of 1s with none completed
    before; ``marked`` is after a completed odd run of 1s and not inside an odd
    run of 0s; ``odd0`` is inside an odd run of 0s after one (rejected if the
    run ends here); ``dead`` is after such a run has ended.
    """
    rows = {
        "clean": ("clean", "odd1"),
        "odd1": ("odd0", "clean"),
        "odd0": ("marked", "dead"),
        "marked": ("odd0", "marked"),
        "dead": ("dead", "dead"),
    }
    return from_table("tomita3", "clean", rows, ["clean", "odd1", "marked"])


def tomita4() -> Automaton:
    """Tomita 4: no 000 substring."""
    rows = {"z0": ("z1", "z0"), "z1": ("z2", "z0"), "z2": ("dead", "z0"), "dead": ("dead", "dead")}
    return from_table("tomita4", "z0", rows, ["z0", "z1", "z2"])


def tomita5() -> Automaton:
    """Tomita 5: an even number of 0s and an even number of 1s."""
    rows = {"ee": ("oe", "eo"), "oe": ("ee", "oo"), "eo": ("oo", "ee"), "oo": ("eo", "oe")}
    return from_table("tomita5", "ee", rows, ["ee"])


def tomita6() -> Automaton:
    """Tomita 6: (#0 - #1) = 0 mod 3."""
    rows = {"d0": ("d1", "d2"), "d1": ("d2", "d0"), "d2": ("d0", "d1")}
    return from_table("tomita6", "d0", rows, ["d0"])


def tomita7() -> Automaton:
    """Tomita 7: 0*1*0*1*."""
    rows = {
        "zeros1": ("zeros1", "ones1"),
        "ones1": ("zeros2", "ones1"),
        "zeros2": ("zeros2", "ones2"),
        "ones2": ("dead", "ones2"),
        "dead": ("dead", "dead"),
    }
    return from_table("tomita7", "zeros1", rows, ["zeros1", "ones1", "zeros2", "ones2"])


def counter(k: int) -> Automaton:
    """Output 1 iff the number of 1s read is 0 mod ``k`` (k >= 1); states ``c0`` .. ``c{k-1}``."""
    if not isinstance(k, int) or k < 1:
        raise BadInput(f"a counter needs a modulus k >= 1, not {k!r}")
    rows = {f"c{i}": (f"c{i}", f"c{(i + 1) % k}") for i in range(k)}
    return from_table(f"mod{k}", "c0", rows, ["c0"])


def _counter(k: int) -> Callable[[], Automaton]:
    def make() -> Automaton:
        return counter(k)

    make.__name__ = f"mod{k}"
    make.__doc__ = f"Output 1 iff the number of 1s read is 0 mod {k}."
    return make


LIBRARY: dict[str, Callable[[], Automaton]] = {
    "latch": latch,
    "toggle": toggle,
    "parity": parity,
    "first-bit": first_bit,
    "tomita1": tomita1,
    "tomita2": tomita2,
    "tomita3": tomita3,
    "tomita4": tomita4,
    "tomita5": tomita5,
    "tomita6": tomita6,
    "tomita7": tomita7,
    **{f"mod{k}": _counter(k) for k in range(2, 6)},
}


def random_minimal(n: int, seed: int) -> Automaton:
    """A random complete DFA over {0,1} whose minimal form has exactly n states (rejection sampling with
    ``random.Random(seed)``: the same automaton for the same n and seed), minimised, states q0, q1, ..."""
    rng = random.Random(seed)
    while True:
        states = tuple(f"q{i}" for i in range(n))
        t = {(q, a): rng.choice(states) for q in states for a in "01"}
        out = {q: rng.randint(0, 1) for q in states}
        m = minimize(Automaton(f"random{n}-{seed}", ("0", "1"), states, "q0", t, out), rename=True)
        if len(m.states) == n:
            return m
