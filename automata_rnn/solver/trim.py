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
import tempfile
import time
from typing import Iterator, Sequence

import numpy as np
from pysat.solvers import Solver, pysolvers

from automata_rnn.verdicts import InternalCheckFailed

_ADD, _DELETE = 0x61, 0x64  # 'a' and 'd': the first byte of each line of a binary proof


def _varints(b: np.ndarray, body: np.ndarray) -> tuple[list[int], np.ndarray]:
    """The numbers written in the bytes where ``body`` holds, and for each byte position how many of them
    end before it.  A number n is written as u = 2|n| + (n < 0), 7 bits a byte, low bits first, the high
    bit of each byte but the last set: so its last byte is never zero, and zero bytes can end lines.
    ValueError if one runs past its bytes or is 0."""
    data = b[body].astype(np.int32)
    last = data < 0x80
    if len(data) and not last[-1]:
        raise ValueError("a number of a binary proof runs into the end of its line")
    first = np.flatnonzero(np.concatenate(([True], last[:-1]))) if len(data) else np.zeros(0, np.int64)
    which = np.cumsum(last, dtype=np.int32) - last  # the number each byte belongs to
    shift = 7 * (np.arange(len(data), dtype=np.int32) - first[which])
    if len(shift) and shift.max() > 21:
        raise ValueError("a number of a binary proof is too large")  # 4 bytes: ids and variables below 2^27
    u = np.add.reduceat((data & 0x7F) << shift, first) if len(first) else np.zeros(0, np.int32)
    if (u < 2).any():
        raise ValueError("a binary proof names variable or clause 0")
    ending = np.zeros(len(b) + 1, dtype=np.int32)
    ending[np.flatnonzero(body)[last] + 1] = 1
    return np.where(u & 1, -(u >> 1), u >> 1).tolist(), np.cumsum(ending, dtype=np.int64)


def binary_lrat(data: bytes) -> list[tuple[int, list[int], list[int]]]:
    """The added clauses of a binary LRAT proof as (id, clause, hints), in order (deletions skipped);
    ValueError if it is not one.

    An addition is 'a', its id, its literals, a zero byte, its hints (ids; a negative one starts a RAT
    step), a zero byte; a deletion is 'd', ids, a zero byte.  Each number n is written as the variable-
    length number 2|n| + (n < 0), whose last byte is never zero, so zero bytes end the parts."""
    b = np.frombuffer(data, dtype=np.uint8)
    zero = np.flatnonzero(b == 0)
    zeros = zero.tolist()
    marks: list[int] = []
    adds: list[int] = []  # the index in ``zeros`` of each addition's first zero
    added: list[int] = []  # where each addition begins
    start = k = 0
    try:
        while start < len(data):
            marks.append(start)
            if data[start] == _ADD:
                adds.append(k)
                added.append(start)
                start, k = zeros[k + 1] + 1, k + 2
            elif data[start] == _DELETE:
                start, k = zeros[k] + 1, k + 1
            else:
                raise ValueError("a binary LRAT line begins with 'a' or 'd'")
    except IndexError:
        raise ValueError("a binary LRAT line ends with a zero byte, an addition with two") from None
    body = np.ones(len(b), dtype=bool)
    body[zero] = False
    body[marks] = False
    values, before = _varints(b, body)
    first = np.array(adds, dtype=np.int64)
    out = []
    for i, j, e in zip(before[np.array(added, dtype=np.int64) + 1].tolist(), before[zero[first]].tolist(),
                       before[zero[first + 1]].tolist()):
        if j <= i or values[i] <= 0:
            raise ValueError("a binary LRAT addition begins with its (positive) id")
        out.append((values[i], values[i + 1:j], values[j:e]))
    return out


def trim_lrat(inputs: int, proof: Sequence[tuple[int, list[int], list[int]]]) -> list[list[list[int]]] | None:
    """The hinted steps ``[clause, hints]`` of the LRAT ``proof`` (additions (id, clause, hints) over
    ``inputs`` input clauses) that the first empty clause depends on, in order, the empty clause last; in
    the proof, an id that no addition takes is the next input clause's (the inputs numbered in order
    between the additions, as CaDiCaL does), and in the steps, clause ids count from 1, the inputs first,
    then the steps kept.  None if the proof has no empty clause, a RAT step (a negative hint) is needed, or
    a hint names a clause not given before its step."""
    end = next((n for n, (_, clause, _) in enumerate(proof) if not clause), None)
    if end is None:
        return None
    proof = proof[:end + 1]
    step_of = {cid: n for n, (cid, _, _) in enumerate(proof)}
    ours: dict[int, int] = {}
    cid = 0
    while len(ours) < inputs:
        cid += 1
        if cid not in step_of:
            ours[cid] = len(ours) + 1
    needed = bytearray(len(proof))
    needed[end] = 1
    for n in range(end, -1, -1):
        if needed[n]:
            for h in proof[n][2]:
                if h <= 0 or (h not in ours and step_of.get(h, n) >= n):
                    return None
                if h in step_of:
                    needed[step_of[h]] = 1
    steps: list[list[list[int]]] = []
    for n, (cid, clause, hints) in enumerate(proof):
        if needed[n]:
            steps.append([clause, [ours[h] for h in hints]])
            ours[cid] = inputs + len(steps)
    return steps


def refute(inputs: Sequence[Sequence[int]], deadline: float | None, max_conflicts: int, every: int
           ) -> tuple[list[list[list[int]]] | None, str]:
    """CaDiCaL 1.9.5's refutation of ``inputs`` as trimmed hinted steps (:func:`trim_lrat`), or None and
    why not: more than ``max_conflicts`` conflicts, the deadline (time.monotonic, looked at after every
    ``every`` conflicts: PySAT cannot interrupt CaDiCaL) passed, or a proof that is not hinted RUP steps.
    InternalCheckFailed if CaDiCaL satisfies the clauses: they were refuted."""
    solver = Solver(name="cadical195")
    backend = solver.solver  # PySAT writes DRAT unless LRAT is chosen before the proof file is named
    try:
        backend.configure({"lrat": 1, "binary": 1})
        backend.prfile = tempfile.TemporaryFile()
        backend.prfp = pysolvers.cadical195_tracepr(backend.cadical, backend.prfile)
        for c in inputs:
            solver.add_clause(list(c))
        while True:
            if deadline is not None and time.monotonic() >= deadline:
                return None, "timeout while CaDiCaL 1.9.5 wrote the proof with hints"
            if solver.accum_stats().get("conflicts", 0) > max_conflicts:
                return None, f"the proof with hints takes more than {max_conflicts} conflicts"
            solver.conf_budget(every)
            found = solver.solve_limited()
            if found is not None:
                break
        if found:
            raise InternalCheckFailed("CaDiCaL 1.9.5 satisfies clauses that were refuted")
        pysolvers.flushpr(backend.prfp)
        backend.prfile.seek(0)
        steps = trim_lrat(len(inputs), binary_lrat(backend.prfile.read()))
    finally:
        solver.delete()
    if steps is None:
        return None, "CaDiCaL 1.9.5's proof does not refute the clauses by hinted RUP steps"
    return steps, ""


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
