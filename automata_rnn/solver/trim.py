"""Reading CaDiCaL's binary proofs, and trimming an LRAT refutation to what its empty clause depends on.

CaDiCaL 1.9.5 can write each clause it adds with the ids of the clauses whose unit propagation implies it
(LRAT): then the clauses the empty clause depends on are found by marking back from it along the hints
(backward core marking, as drat-trim does on DRAT), and only those are kept, renumbered, as hinted steps
that :func:`automata_rnn.exact.clauses.check_hinted` checks in time linear in the hints.  Most of what a
solver learns is never used; here about a quarter of the clauses of a large refutation go.

:func:`binary_lrat` decodes the binary format with NumPy, far faster than converting a proof to text line
by line (as PySAT's ``get_proof`` does for DRAT).
"""

from __future__ import annotations

import contextlib
import gc
import os
import tempfile
import time
from dataclasses import dataclass
from typing import Iterator, Sequence

import numpy as np
from pysat.solvers import Solver, pysolvers

_ADD, _DELETE = 0x61, 0x64  # 'a' and 'd': the first byte of each line of a binary proof


@dataclass(frozen=True)
class Additions:
    """The additions of a binary LRAT proof, in order, as slices of one array of numbers: addition k has
    the id ``values[first[k]]``, the literals ``values[first[k] + 1:middle[k]]`` and the hints
    ``values[middle[k]:last[k]]``.  Iterating gives (id, clause, hints) with lists."""

    values: np.ndarray  # int32
    first: np.ndarray  # int64, one per addition
    middle: np.ndarray
    last: np.ndarray

    def __len__(self) -> int:
        return len(self.first)

    def __iter__(self) -> Iterator[tuple[int, list[int], list[int]]]:
        v = self.values
        for f, m, e in zip(self.first.tolist(), self.middle.tolist(), self.last.tolist()):
            yield int(v[f]), v[f + 1:m].tolist(), v[m:e].tolist()


_CHUNK = 1 << 24
"""Bytes of a proof decoded at a time (bounds the temporary arrays)."""


def _decode(data: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` numbers written in ``data`` (bytes of whole numbers only): u = 2|n| + (n < 0), 7 bits
    a byte, low bits first, the high bit of each byte but the last set, at most 4 bytes (ids and
    variables below 2^27).  ValueError if one is longer or is 0."""
    out = np.empty(count, dtype=np.int32)
    done = 0
    begin = 0
    while begin < len(data):
        stop = min(begin + _CHUNK, len(data))
        while stop < len(data) and data[stop - 1] >= 0x80:  # a chunk ends where a number ends
            stop += 1
        part = data[begin:stop]
        ends = np.flatnonzero(part < 0x80)
        starts = np.concatenate(([0], ends[:-1] + 1))
        length = ends - starts + 1
        if len(length) and length.max() > 4:
            raise ValueError("a number of a binary proof is too large")
        u = np.zeros(len(ends), dtype=np.int64)
        for k in range(4):
            some = length > k
            u[some] |= (part[starts[some] + k].astype(np.int64) & 0x7F) << (7 * k)
        if (u < 2).any():
            raise ValueError("a binary proof names variable or clause 0")
        out[done:done + len(u)] = np.where(u & 1, -(u >> 1), u >> 1)
        done += len(u)
        begin = stop
    if done != count:
        raise ValueError("a number of a binary proof runs into the end of its line")
    return out


def binary_lrat(data: bytes) -> Additions:
    """The added clauses of a binary LRAT proof (deletions skipped); ValueError if it is not one.

    An addition is 'a', its id, its literals, a zero byte, its hints (ids; a negative one starts a RAT
    step), a zero byte; a deletion is 'd', ids, a zero byte.  Each number n is written as the variable-
    length number 2|n| + (n < 0), whose last byte is never zero, so zero bytes end the parts."""
    b = np.frombuffer(data, dtype=np.uint8)
    zeros = np.flatnonzero(b == 0).tolist()
    added: list[int] = []  # where each addition begins
    middles: list[int] = []  # its first zero byte
    closes: list[int] = []  # its second
    start = k = 0
    try:
        while start < len(data):
            if data[start] == _ADD:
                added.append(start)
                middles.append(zeros[k])
                closes.append(zeros[k + 1])
                start, k = zeros[k + 1] + 1, k + 2
            elif data[start] == _DELETE:
                start, k = zeros[k] + 1, k + 1
            else:
                raise ValueError("a binary LRAT line begins with 'a' or 'd'")
    except IndexError:
        raise ValueError("a binary LRAT line ends with a zero byte, an addition with two") from None
    a, m, c = (np.array(x, dtype=np.int64) for x in (added, middles, closes))
    if len(a) and ((m <= a + 1).any() or (b[m - 1] >= 0x80).any() or ((b[c - 1] >= 0x80) & (c - 1 > m)).any()):
        raise ValueError("a binary LRAT addition begins with its id, and each number ends before a zero byte")
    keep = np.zeros(len(b) + 1, dtype=np.int8)  # the bytes of the additions' numbers
    for where, step in ((a + 1, 1), (m, -1), (m + 1, 1), (c, -1)):
        keep[where] += step  # no position twice in one of these
    body = b[np.cumsum(keep[:-1], dtype=np.int8).astype(bool)]
    del keep
    last = np.concatenate((body < 0x80, [False]))  # one more: a last part may be empty
    # numbers in each part (the id and literals; the hints), counted between where the parts begin in ``body``
    sizes = np.stack([m - a - 1, c - m - 1], axis=1).ravel()
    begins = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    counts = np.add.reduceat(last, begins, dtype=np.int64) if len(a) else sizes
    counts = np.where(sizes > 0, counts, 0)
    del last
    values = _decode(body, int(counts.sum()))
    bounds = np.concatenate(([0], np.cumsum(counts)))
    first, middle, last_ = bounds[0:-1:2], bounds[1::2], bounds[2::2]
    if (middle <= first).any() or (values[first] <= 0).any():
        raise ValueError("a binary LRAT addition begins with its (positive) id")
    return Additions(values, first, middle, last_)


def trim_lrat(inputs: int, proof: Additions) -> list[list[list[int]]] | None:
    """The hinted steps ``[clause, hints]`` of the LRAT ``proof`` (over ``inputs`` input clauses) that the
    first empty clause depends on, in order, the empty clause last; in the proof, an id that no addition
    takes is the next input clause's (the inputs numbered in order between the additions, as CaDiCaL
    does), and in the steps, clause ids count from 1, the inputs first, then the steps kept.  None if the
    proof has no empty clause, a RAT step (a negative hint) is needed, or a hint names a clause not given
    before its step.  Works on arrays: a refutation of a million steps takes a few seconds and about the
    memory of its proof file."""
    v = proof.values
    empty = np.flatnonzero(proof.middle == proof.first + 1)
    if not len(empty):
        return None
    end = int(empty[0])
    ids = v[proof.first[:end + 1]].astype(np.int64)
    if not (np.diff(ids) > 0).all() and len(np.unique(ids)) != len(ids):  # CaDiCaL's ids increase
        return None
    size = int(ids.max()) + inputs + 2
    step_of = np.full(size, -2, dtype=np.int64)  # -2: no clause, -1: an input, else the addition
    step_of[ids] = np.arange(end + 1)
    free = np.flatnonzero(step_of[1:] == -2)[:inputs] + 1
    step_of[free] = -1
    lengths = proof.last[:end + 1] - proof.middle[:end + 1]
    hints = v[_ranges(proof.middle[:end + 1], proof.last[:end + 1])].astype(np.int64)
    if (hints <= 0).any() or (hints >= size).any():
        return None
    named = step_of[hints]
    del hints
    if (named == -2).any() or (named >= np.repeat(np.arange(end + 1), lengths)).any():
        return None
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    needed = np.zeros(end + 1, dtype=bool)
    needed[end] = True
    for n in range(end, -1, -1):
        if needed[n]:
            used = named[offsets[n]:offsets[n + 1]]
            needed[used[used >= 0]] = True
    kept = np.flatnonzero(needed)
    number = np.zeros(size, dtype=np.int64)
    number[free] = np.arange(1, inputs + 1)
    number[ids[kept]] = inputs + 1 + np.arange(len(kept))
    hints_kept = number[v[_ranges(proof.middle[kept], proof.last[kept])]]
    literals = v[_ranges(proof.first[kept] + 1, proof.middle[kept])]
    return _steps(literals, proof.middle[kept] - proof.first[kept] - 1, hints_kept, lengths[kept])


def _ranges(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """The positions first[k] .. last[k] - 1 of every k, in order, as one array."""
    lengths = last - first
    total = int(lengths.sum())
    return np.repeat(first - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths) + np.arange(total)


def _steps(literals: np.ndarray, widths: np.ndarray, hints: np.ndarray, lengths: np.ndarray
           ) -> list[list[list[int]]]:
    """The steps [clause, hints] as lists (clause k: the next ``widths[k]`` literals; its hints: the next
    ``lengths[k]``), each number one shared int object: a million steps hold tens of millions of numbers,
    one object each would take gigabytes."""
    top = int(np.abs(literals).max(initial=0))
    lits = list(range(-top, top + 1))
    ids = list(range(int(hints.max(initial=0)) + 1))
    steps: list[list[list[int]]] = []
    at_lit = at_hint = 0
    block = 20_000
    for s in range(0, len(lengths), block):
        w, n = widths[s:s + block].tolist(), lengths[s:s + block].tolist()
        some_lits = list(map(lits.__getitem__, (literals[at_lit:at_lit + sum(w)] + top).tolist()))
        some_hints = list(map(ids.__getitem__, hints[at_hint:at_hint + sum(n)].tolist()))
        at_lit += sum(w)
        at_hint += sum(n)
        i = j = 0
        for wk, nk in zip(w, n):
            steps.append([some_lits[i:i + wk], some_hints[j:j + nk]])
            i += wk
            j += nk
    return steps


MEMORY_PER_PROOF_BYTE = 12
"""Bytes of memory at the peak of reading and trimming a byte of binary LRAT (measured: a proof of 227 MB,
1.3 million conflicts, read and trimmed at 2.7 GB)."""


class ProvingCadical:
    """CaDiCaL 1.9.5 through PySAT, writing every clause it derives with its hints (binary LRAT) to a
    temporary file from the first clause on: an incremental SAT solver whose refutation, whenever it
    comes, is read from that file (:meth:`refutation`) without solving again.  Input clauses may be added
    between solves; CaDiCaL numbers them in order among its own additions, as :func:`trim_lrat` reads."""

    def __init__(self, clauses: Sequence[Sequence[int]] = ()):
        self.solver = Solver(name="cadical195")
        self.inputs = 0
        backend = self.solver.solver  # PySAT writes DRAT unless LRAT is chosen before the proof file is named
        backend.configure({"lrat": 1, "binary": 1})
        backend.prfile = tempfile.TemporaryFile()
        backend.prfp = pysolvers.cadical195_tracepr(backend.cadical, backend.prfile)
        self.add(clauses)

    def add(self, clauses: Sequence[Sequence[int]]) -> None:
        for c in clauses:
            self.solver.add_clause(list(c))
        self.inputs += len(clauses)

    def solve(self, deadline: float | None, every: int) -> bool | None:
        """Whether the clauses so far are satisfiable; None when the deadline (time.monotonic) passes first,
        looked at after every ``every`` conflicts (PySAT cannot interrupt CaDiCaL)."""
        while deadline is None or time.monotonic() < deadline:
            self.solver.conf_budget(every)
            found = self.solver.solve_limited()
            if found is not None:
                return found
        return None

    def proof_bytes(self) -> int:
        """The size of the proof written so far."""
        backend = self.solver.solver
        pysolvers.flushpr(backend.prfp)
        return os.fstat(backend.prfile.fileno()).st_size

    def refutation(self) -> list[list[list[int]]] | None:
        """After a solve that found the clauses unsatisfiable: the trimmed hinted steps of the refutation
        (:func:`trim_lrat` over every input clause given so far); None if the proof does not refute them by
        hinted RUP steps."""
        backend = self.solver.solver
        pysolvers.flushpr(backend.prfp)
        backend.prfile.seek(0)
        with paused_gc():
            return trim_lrat(self.inputs, binary_lrat(backend.prfile.read()))

    def model(self) -> list[int]:
        return self.solver.get_model()

    def close(self) -> None:
        self.solver.delete()


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Python's cycle collector off for a while: a proof is millions of small lists, which it would scan
    again and again as they are made (it doubles the time to read one), though they hold no cycles."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
