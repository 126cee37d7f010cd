"""Families of automata for a census: every minimal Moore machine over {0, 1} with k states (up to renaming
of states), the Tomita grammars, and seeded random samples of minimal machines of a given size.

Machines are enumerated in the breadth-first canonical form of Almeida, Moreira and Reis ("Enumeration and
generation with a string automata representation", 2007), as in the symmetry breaking of exact DFA
identification: states are numbered 0, 1, ... in the order a breadth-first search from the start meets them,
successors in alphabet order.  Every initially connected machine has exactly one such numbering, and a
minimal machine with a fixed start has no automorphism, so a canonical table with an output per state names
one machine up to renaming, and each minimal machine is named once.  Standard library only.
"""

from __future__ import annotations

import random
from typing import Iterator

from automata_rnn.model.automata import BINARY, LIBRARY, Automaton, is_minimal
from automata_rnn.verdicts import BadInput

TOMITA = tuple(f"tomita{i}" for i in range(1, 8))
MAX_SAMPLE = 10_000
"""The most machines one random sample holds."""


def canonical_tables(k: int, symbols: int = 2) -> Iterator[tuple[int, ...]]:
    """Every breadth-first canonical transition table of an initially connected machine with ``k`` states:
    the flattened rows ``t[q * symbols + a] = delta(q, a)``, in lexicographic order.

    A table is canonical when reading it in order meets the states 1, 2, ..., k - 1 first in that order,
    and each state is met before its own row is read (else it would be unreachable)."""
    if k < 1:
        return
    table = [0] * (k * symbols)

    def extend(position: int, met: int) -> Iterator[tuple[int, ...]]:
        if position == len(table):
            if met == k:
                yield tuple(table)
            return
        if position // symbols >= met:  # this row's state was never reached
            return
        for target in range(min(met + 1, k)):
            table[position] = target
            yield from extend(position + 1, max(met, target + 1))

    yield from extend(0, 1)


def machine_name(table: tuple[int, ...], outputs: tuple[int, ...]) -> str:
    """The name of the canonical machine: ``dfa<k>-<table>-<outputs>``, e.g. ``dfa2-0110-01`` (states 0 and 1,
    delta(0, 0) = 0, delta(0, 1) = 1, delta(1, 0) = 1, delta(1, 1) = 0; outputs 0 and 1): two runs of a
    census name a machine alike."""
    sep = "" if len(outputs) <= 10 else "."
    return f"dfa{len(outputs)}-{sep.join(map(str, table))}-{''.join(map(str, outputs))}"


def machine(table: tuple[int, ...], outputs: tuple[int, ...]) -> Automaton:
    """The Moore machine over {0, 1} of a canonical table (states ``q0``, ``q1``, ...; start ``q0``)."""
    states = tuple(f"q{i}" for i in range(len(outputs)))
    transitions = {(states[q], a): states[table[q * 2 + i]] for q in range(len(outputs)) for i, a in enumerate(BINARY)}
    return Automaton(machine_name(table, outputs), BINARY, states, states[0], transitions,
                     {q: o for q, o in zip(states, outputs)})


def minimal_machines(k: int) -> Iterator[Automaton]:
    """Every minimal Moore machine over {0, 1} with exactly ``k`` states, once each up to renaming of states, in
    canonical order (tables, then outputs as binary numbers)."""
    for table in canonical_tables(k):
        for bits in range(2 ** k):
            outputs = tuple((bits >> (k - 1 - i)) & 1 for i in range(k))
            m = machine(table, outputs)
            if is_minimal(m):
                yield m


def all_minimal(up_to: int) -> list[Automaton]:
    """Every minimal Moore machine over {0, 1} with 1 to ``up_to`` states, by size then canonical order."""
    return [m for k in range(1, up_to + 1) for m in minimal_machines(k)]


def tomita() -> list[Automaton]:
    """The seven Tomita grammars, as the built-in library defines them."""
    return [LIBRARY[name]() for name in TOMITA]


def random_minimal(k: int, count: int, seed: int) -> list[Automaton]:
    """``count`` distinct minimal Moore machines over {0, 1} with ``k`` states, drawn uniformly up to renaming
    with ``random.Random(seed)``: a uniform table with start 0 and uniform outputs, kept when every state is
    reachable and no two are equivalent (each minimal machine has exactly (k - 1)! such tables, so the draw is
    uniform), then put in canonical form.  BadInput when there are fewer than ``count`` such machines or
    ``count`` exceeds :data:`MAX_SAMPLE`."""
    if count > MAX_SAMPLE:
        raise BadInput(f"a random sample holds at most {MAX_SAMPLE} machines, not {count}")
    if k <= 3:  # few enough to count: a sample cannot ask for more than there are
        total = sum(1 for _ in minimal_machines(k))
        if count > total:
            raise BadInput(f"there are only {total} minimal machines with {k} state(s), not {count}")
    rng = random.Random(seed)
    found: dict[str, Automaton] = {}
    while len(found) < count:
        table = tuple(rng.randrange(k) for _ in range(2 * k))
        outputs = tuple(rng.randrange(2) for _ in range(k))
        m = machine_drawn(table, outputs)
        if m is not None:
            found.setdefault(m.name, m)
    return list(found.values())


def machine_drawn(table: tuple[int, ...], outputs: tuple[int, ...]) -> Automaton | None:
    """The canonical form of the machine with any table (start 0), or None unless it is minimal with all its
    states reachable."""
    k = len(outputs)
    order = [0]
    for q in order:  # breadth-first from the start, successors in alphabet order
        for a in range(2):
            t = table[q * 2 + a]
            if t not in order:
                order.append(t)
    if len(order) < k:
        return None
    number = {q: i for i, q in enumerate(order)}
    canonical = tuple(number[table[q * 2 + a]] for q in order for a in range(2))
    m = machine(canonical, tuple(outputs[q] for q in order))
    return m if is_minimal(m) else None
