"""Proofs for every length from a paving: the reachable grid cells of the real network, per automaton state.

The cell's state range (each unit in [0, 1] for the Elman cell, [-1, 1] for gated cells) is cut into a
grid of ``cells`` equal intervals per unit.  An abstract state is a pair (automaton state q, grid cell).
Starting from the outward-rounded image of h(0) = 0 under each input, every abstract state reached is
stepped on every input with the box arithmetic of :mod:`automata_rnn.arithmetic.boxes` (the exact real
image of the whole grid cell lies in the computed box), and every grid cell that box meets joins the
successor automaton state, until nothing new is reached.  By induction on time, the real state after any
input of any length with the automaton in q lies in a grid cell reached with q.  If every such cell reads
out q's output (decided by outward-rounded intervals), and h(0) the empty word's, the real network is
right on every input of every length.

One box per automaton state overestimates the image of a wide box (the same unit enters several gates, a
dependency interval arithmetic forgets); small grid cells keep each image nearly as tight as the real
one, at a cost of ``cells ** units`` cells at most, so the method is for networks of a few units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from automata_rnn.arithmetic.boxes import Box, BoxOps, boxes_of, exact_bounds
from automata_rnn.model.problem import Problem, encode_symbol

RESOLUTIONS = (16, 64, 256, 1024, 4096)
"""Grid cells per unit tried in turn (the reached cells, not the grid, are what costs: at most MAX_REACHED)."""
MAX_UNITS = 24
"""Pavings are tried for networks of at most this many units (a grid cell's image may meet 2 ** units cells of
a grid as fine as it: the limit on cells reached then stops the paving)."""
MAX_REACHED = 200_000
CHUNK = 4096


@dataclass
class PavedProof:
    """proved: every input of every length gives the automaton's output.  ``cells``: grid cells per unit of
    the last paving tried; ``reached``: the (automaton state, grid cell) pairs it reached; ``reason``: why
    it does not prove, '' when it does."""

    proved: bool
    cells: int
    reached: int
    reason: str = ""


class _Paving:
    """The grid, the real step on boxes, and the read-out's decision, for one network."""

    def __init__(self, problem: Problem, weights: dict, activation: str, cells: int):
        if problem.cell.state_parts != ("h",):
            raise ValueError(f"a paving covers cells whose state is h alone, not {problem.cell.name}")
        self.problem, self.cells = problem, cells
        self.ops = BoxOps(activation)
        self.params = boxes_of(problem.parameters(weights))
        low, high = (float(v) for v in problem.cell.state_range)
        self.low, self.high = low, high
        self.edges = np.linspace(low, high, cells + 1)
        self.dims = problem.units
        self.symbols = list(problem.automaton.alphabet)
        self.codes = {s: np.array([float(v) for v in encode_symbol(problem.automaton, s)]) for s in self.symbols}

    def step(self, box: Box, symbol: str) -> Box:
        x = Box.point(np.tile(self.codes[symbol], (box.shape[0], 1)))
        (new,), _ = self.problem.stack.step(self.ops, self.params, x, (box,))
        return new.clip(self.low, self.high)

    def decides(self, box: Box, output: np.ndarray) -> np.ndarray:
        """Per row: the whole box reads ``output`` (1: the read-out's value > 0; 0: <= 0), rigorously."""
        p = self.problem
        h = box[..., p.top]
        if p.output == "state":
            low, high = exact_bounds(p.rule.threshold)
            return np.where(output == 1, h.lo[..., 0] > high, h.hi[..., 0] <= low)
        y = self.ops.add(self.ops.linear(h, self.params["W_y"]), self.params["b_y"])
        return np.where(output == 1, y.lo[..., 0] > 0, y.hi[..., 0] <= 0)

    def box_of(self, index: np.ndarray) -> Box:
        """The grid cells of the rows of ``index`` (cell numbers per unit) as boxes."""
        return Box(self.edges[index], self.edges[index + 1])

    def covering(self, image: Box) -> tuple[np.ndarray, np.ndarray]:
        """Per row and unit, the first and last grid cell the box meets (closed cells: a shared edge
        counts for both)."""
        first = np.searchsorted(self.edges, image.lo, side="right") - 1
        last = np.searchsorted(self.edges, image.hi, side="left") - 1
        return np.clip(first, 0, self.cells - 1), np.clip(np.maximum(last, first), 0, self.cells - 1)


def _met_cells(first: np.ndarray, last: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Every grid cell met by each row's range [first, last] (per unit): (row numbers, cells); None when
    they are more than ``limit``.  Rows are copied once per cell met, one unit at a time."""
    span = last - first + 1
    if float(np.prod(span.astype(float), axis=1).sum()) > limit:
        return None
    rows, cells = np.arange(len(first)), first.copy()
    for unit in np.flatnonzero(span.max(axis=0) > 1):
        width = span[rows, unit]
        copy = np.repeat(np.arange(len(rows)), width)
        offset = np.arange(len(copy)) - np.repeat(np.cumsum(width) - width, width)
        rows, cells = rows[copy], cells[copy]
        cells[:, unit] += offset
    return rows, cells


def prove_paved(problem: Problem, weights: dict, activation: str = "sigmoid", cells: int = 64,
                max_reached: int = MAX_REACHED, count_empty: bool = True) -> PavedProof:
    """Try to prove the real network (weights as given, real sigmoid/tanh) right on every input of every
    length by the reachable grid cells of a paving with ``cells`` cells per unit (see the module's text);
    at most ``max_reached`` (automaton state, cell) pairs, else not proved with the reason."""
    a = problem.automaton
    pav = _Paving(problem, weights, activation, cells)
    states = list(a.states)
    number = {q: i for i, q in enumerate(states)}
    output = np.array([a.output[q] for q in states])
    move = np.array([[number[a.step(q, s)] for s in pav.symbols] for q in states])
    origin = Box.point(np.zeros((1, pav.dims)))
    if count_empty and not pav.decides(origin, np.array([a.output[a.start]]))[0]:
        return PavedProof(False, cells, 0, f"h(0) = 0 does not decide the output {a.output[a.start]} on the "
                                           "empty word")
    seen: dict[bytes, int] = {}          # each reached (automaton state, cell) pair, as int32 bytes: its row
    rows_reached: list[np.ndarray] = []  # row r: the pair (automaton state number, cell per unit)
    frontier: list[int] = []

    def reach(owner: np.ndarray, index: np.ndarray) -> str:
        """Add the (automaton state, cell) pairs not seen yet; why the proof fails, or ''."""
        pairs = np.ascontiguousarray(np.column_stack([owner, index]).astype(np.int32))
        fresh: list[int] = []
        for i, pair in enumerate(pairs):
            key = pair.tobytes()
            if key not in seen:
                seen[key] = len(rows_reached)
                rows_reached.append(pair)
                fresh.append(i)
        if not fresh:
            return ""
        new = pairs[fresh]
        fine = pav.decides(pav.box_of(new[:, 1:]), output[new[:, 0]])
        if not fine.all():
            i = int(np.flatnonzero(~fine)[0])
            cell = ", ".join(f"[{pav.edges[j]:.4g}, {pav.edges[j + 1]:.4g}]" for j in new[i, 1:])
            return (f"a grid cell reached in state {states[new[i, 0]]!r} ({cell}) does not decide its output "
                    f"{output[new[i, 0]]} ({cells} cells per unit)")
        frontier.extend(seen[p.tobytes()] for p in new)
        if len(rows_reached) > max_reached:
            return f"more than {max_reached} grid cells reached ({cells} cells per unit)"
        return ""

    def failed(why: str) -> PavedProof:
        return PavedProof(False, cells, len(rows_reached), why)

    for s in pav.symbols:
        first, last = pav.covering(pav.step(origin, s))
        met = _met_cells(first, last, max_reached)
        if met is None:
            return failed(f"the image of h(0) meets more than {max_reached} grid cells")
        why = reach(np.full(len(met[1]), number[a.step(a.start, s)]), met[1])
        if why:
            return failed(why)
    while frontier:
        batch = np.array(frontier[:CHUNK])
        del frontier[:CHUNK]
        table = np.stack([rows_reached[r] for r in batch])
        owner, boxes = table[:, 0], pav.box_of(table[:, 1:])
        for k, s in enumerate(pav.symbols):
            first, last = pav.covering(pav.step(boxes, s))
            met = _met_cells(first, last, max_reached)
            if met is None:
                return failed(f"the images of the grid cells meet more than {max_reached} cells ({cells} cells "
                              "per unit)")
            rows, found = met
            why = reach(move[owner[rows], k], found)
            if why:
                return failed(why)
    return PavedProof(True, cells, len(rows_reached))


def prove_by_paving(problem: Problem, weights: dict, activation: str = "sigmoid",
                    resolutions=RESOLUTIONS, count_empty: bool = True) -> PavedProof:
    """:func:`prove_paved` at each resolution in turn (finer grids) until one proves; the last attempt
    otherwise (none for networks of more than MAX_UNITS units)."""
    last = PavedProof(False, 0, 0, f"pavings are tried for at most {MAX_UNITS} units, not {problem.units}")
    if problem.units > MAX_UNITS:
        return last
    for cells in resolutions:
        last = prove_paved(problem, weights, activation, cells, count_empty=count_empty)
        if last.proved:
            return last
    return last
