"""Diagrams: an automaton, and the codes a network reaches under exact weights, as Graphviz DOT or PNG.

A :class:`Graph` is nodes (identifier, label, accepting or not), labelled
edges and a start node.  :func:`automaton_graph` draws a Moore machine: its
states, an arrow into the start state, accepting states (output 1) as double
circles, one edge per (state, target) labelled with every symbol leading there.
:func:`codes_graph` draws the network: one node per reachable pair (code,
automaton state) of the exhaustive exact run, labelled with the code and the
state, edges by input.

:meth:`Graph.to_dot` writes DOT text for Graphviz; :func:`draw_png` renders a
PNG with matplotlib alone (nodes on a circle, curved arrows, self-loops
outwards), so no Graphviz program is needed.  Files are written whole or not
at all.
"""

from __future__ import annotations

import io
import math
import os
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Mapping

from automata_rnn.arithmetic.exact import format_value
from automata_rnn.exact.run import Failure, Implements, TooLarge, code_class, explore, step, weight_signs
from automata_rnn.interop.files import write_atomic
from automata_rnn.model.automata import Automaton
from automata_rnn.model.problem import Problem
from automata_rnn.verdicts import BadInput, Error, ResourceLimit

__all__ = ["DoesNotImplement", "Edge", "Graph", "Node", "automaton_dot", "automaton_graph", "codes_dot",
           "codes_graph", "draw_png", "parse_dot", "save_diagram"]

DIAGRAM_SUFFIXES = (".dot", ".gv", ".png")


class DoesNotImplement(Error):
    """The network's codes are not drawn because it fails on ``word`` (a shortest failing input)."""

    def __init__(self, message: str, word: tuple[str, ...], reason: str):
        super().__init__(message)
        self.word, self.reason = word, reason


@dataclass(frozen=True)
class Node:
    """A node: ``id`` unique in its graph, ``label`` shown (may hold newlines), ``accepting`` drawn doubled."""

    id: str
    label: str
    accepting: bool = False


@dataclass(frozen=True)
class Edge:
    """An edge from ``source`` to ``target`` labelled ``label`` (the symbols, comma-separated)."""

    source: str
    target: str
    label: str


@dataclass
class Graph:
    """A directed graph with labelled nodes and edges and an optional start node (drawn with an arrow into it)."""

    name: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    start: str | None = None

    def validate(self) -> None:
        """ValueError unless node identifiers are unique and every edge and the start name a node."""
        ids = [n.id for n in self.nodes]
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                raise BadInput(f"diagram {self.name!r}: node {i!r} appears twice")
            seen.add(i)
        for e in self.edges:
            for end in (e.source, e.target):
                if end not in seen:
                    raise BadInput(f"diagram {self.name!r}: edge {e.source!r} -> {e.target!r} names no node {end!r}")
        if self.start is not None and self.start not in seen:
            raise BadInput(f"diagram {self.name!r}: start {self.start!r} is not a node")

    def to_dot(self) -> str:
        """Graphviz DOT text: left to right, circles, accepting nodes as double circles, an invisible
        point with an arrow into the start node.  Every identifier and label is quoted."""
        self.validate()
        lines = [f"digraph {_quote(self.name)} {{", "  rankdir=LR;", "  node [shape=circle];"]
        start_id = None
        if self.start is not None:
            start_id = _fresh("__start", {n.id for n in self.nodes})
            lines.append(f"  {_quote(start_id)} [shape=point, label=\"\"];")
        for n in self.nodes:
            shape = "doublecircle" if n.accepting else "circle"
            lines.append(f"  {_quote(n.id)} [shape={shape}, label={_quote(n.label)}];")
        if start_id is not None and self.start is not None:
            lines.append(f"  {_quote(start_id)} -> {_quote(self.start)};")
        for e in self.edges:
            lines.append(f"  {_quote(e.source)} -> {_quote(e.target)} [label={_quote(e.label)}];")
        lines.append("}")
        return "\n".join(lines) + "\n"


def _fresh(base: str, taken: set[str]) -> str:
    name = base
    while name in taken:
        name = "_" + name
    return name


def _quote(text: str) -> str:
    """A DOT quoted string: backslashes and quotes escaped, newlines as ``\\n``."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), body)


def _merged_edges(pairs) -> list[Edge]:
    """(source, symbol, target) triples as edges, parallel ones merged, in first-seen order."""
    merged: dict[tuple[str, str], list[str]] = {}
    for source, symbol, target in pairs:
        merged.setdefault((source, target), []).append(symbol)
    return [Edge(s, t, ", ".join(symbols)) for (s, t), symbols in merged.items()]


# -- automata ------------------------------------------------------------------------------------------

def automaton_graph(a: Automaton) -> Graph:
    """The automaton's states (accepting = output 1), its start, and its transitions, parallel ones merged."""
    nodes = [Node(q, q, a.output[q] == 1) for q in a.states]
    edges = _merged_edges((q, s, a.step(q, s)) for q in a.states for s in a.alphabet)
    return Graph(a.name, nodes, edges, a.start)


def automaton_dot(a: Automaton) -> str:
    """DOT text of :func:`automaton_graph`."""
    return automaton_graph(a).to_dot()


# -- network codes -------------------------------------------------------------------------------------

def _code_label(problem: Problem, code, state: str) -> str:
    """The code, one line per state part; a part the exploration reads only by its sign (an LSTM's cell
    state under the indicator semantics, see :func:`exact.run.code_class`) is shown as its signs."""
    lines = []
    signs_only = bool(problem.cell.unscaled) and problem.semantics.thresholds_squash
    for part, values in zip(problem.cell.state_parts, code):
        if signs_only and part in problem.cell.unscaled:
            text = ["+" if v > 0 else "-" if v < 0 else "0" for v in values]
            part = f"sign {part}"
        else:
            text = [format_value(v) for v in values]
        lines.append(f"{part} = {text[0]}" if len(text) == 1 else f"{part} = ({', '.join(text)})")
    return "\n".join(lines + [state])


def codes_graph(problem: Problem, weights: Mapping[str, Fraction], limit: int = 1000) -> Graph:
    """The network's reachable (code, automaton state) pairs under exact ``weights`` (unnamed parameters
    are 0), each labelled with the code (one line per state part, e.g. ``h = (1, -1)``) and the state,
    accepting when the state's output is 1; edges by input symbol, parallel ones merged.

    :class:`DoesNotImplement` (a ValueError) with the shortest failing input if the network does not
    implement the automaton; ValueError if it reaches more than ``limit`` pairs.
    """
    full = {n: Fraction(0) for n in problem.parameter_names()}
    full.update(weights)
    params = problem.parameters(full)
    signs = weight_signs()
    a = problem.automaton
    try:
        result = explore(problem, signs, params, limit=limit)
    except TooLarge as e:
        raise ResourceLimit(f"the network's reachable codes are too many to draw: {e}") from None
    if isinstance(result, Failure):
        word = "".join(result.word) if all(len(s) == 1 for s in result.word) else " ".join(result.word)
        raise DoesNotImplement(f"the network does not implement {a.name}: on input {word!r}, {result.reason} "
                               f"(check shows the trace)", result.word, result.reason)
    if not isinstance(result, Implements):
        raise RuntimeError("an undecided gate with every weight given")
    # one node per class of codes that behave alike (the codes themselves, except an indicator LSTM's c)
    klass = code_class(problem)
    ids = {(klass(code), q): f"p{i}" for i, (code, q) in enumerate(result.pairs)}
    nodes = [Node(ids[(klass(code), q)], _code_label(problem, code, q), a.output[q] == 1)
             for code, q in result.pairs]
    triples = []
    for code, q in result.pairs:
        for symbol in a.alphabet:
            nxt, _ = step(problem, params, code, symbol, signs)
            target = (klass(nxt), a.step(q, symbol))
            if target not in ids:
                raise RuntimeError(f"step from {(code, q)} on {symbol!r} left the explored pairs")
            triples.append((ids[(klass(code), q)], symbol, ids[target]))
    return Graph(f"{a.name} ({problem.cell.name})", nodes, _merged_edges(triples), ids[(klass(result.pairs[0][0]),
                                                                                         result.pairs[0][1])])


def codes_dot(problem: Problem, weights: Mapping[str, Fraction]) -> str:
    """DOT text of :func:`codes_graph`."""
    return codes_graph(problem, weights).to_dot()


# -- reading DOT back ----------------------------------------------------------------------------------

_Q = r'"(?:[^"\\]|\\.)*"'
_ATTR = re.compile(rf"(\w+)\s*=\s*({_Q}|[\w.]+)")
_NODE = re.compile(rf"^({_Q})\s*\[(.*)\]\s*;$")
_EDGE = re.compile(rf"^({_Q})\s*->\s*({_Q})\s*(?:\[(.*)\])?\s*;$")
_HEAD = re.compile(rf"^digraph\s+({_Q})\s*\{{$")


def _attrs(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    return {k: _unquote(v) if v.startswith('"') else v for k, v in _ATTR.findall(text)}


def parse_dot(text: str) -> Graph:
    """The :class:`Graph` of DOT text written by :meth:`Graph.to_dot` (the subset it writes: one
    statement per line, quoted identifiers).  ValueError naming the first line it does not read."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    head = _HEAD.match(lines[0]) if lines else None
    if head is None or lines[-1] != "}":
        raise BadInput("not DOT text written by automata_rnn.present.diagrams (expected 'digraph \"NAME\" { ... }')")
    graph = Graph(_unquote(head.group(1)))
    points: set[str] = set()
    for number, line in enumerate(lines[1:-1], 2):
        if line in ("rankdir=LR;", "node [shape=circle];"):
            continue
        m = _EDGE.match(line)
        if m:
            source, target = _unquote(m.group(1)), _unquote(m.group(2))
            if source in points:
                graph.start = target
            else:
                graph.edges.append(Edge(source, target, _attrs(m.group(3)).get("label", "")))
            continue
        m = _NODE.match(line)
        if m:
            ident, attrs = _unquote(m.group(1)), _attrs(m.group(2))
            if attrs.get("shape") == "point":
                points.add(ident)
            else:
                graph.nodes.append(Node(ident, attrs.get("label", ident), attrs.get("shape") == "doublecircle"))
            continue
        raise BadInput(f"DOT line {number} is not one automata_rnn.present.diagrams writes: {line!r}")
    graph.validate()
    return graph


# -- PNG -----------------------------------------------------------------------------------------------

_FONT = 9          # points, node labels
_EDGE_FONT = 8     # points, edge labels
_INCH = 1.0        # inches per layout unit


def _rotate(v: tuple[float, float], degrees: float) -> tuple[float, float]:
    t = math.radians(degrees)
    return (v[0] * math.cos(t) - v[1] * math.sin(t), v[0] * math.sin(t) + v[1] * math.cos(t))


def _toward(centre: tuple[float, float], direction: tuple[float, float], degrees: float,
            distance: float) -> tuple[float, float]:
    """The point at ``distance`` from ``centre`` along ``direction`` turned by ``degrees``."""
    v = _rotate(direction, degrees)
    return (centre[0] + distance * v[0], centre[1] + distance * v[1])


def _layout(graph: Graph) -> tuple[dict[str, tuple[float, float]], float, float]:
    """Node centres on a circle (the start node leftmost, then clockwise), the node radius and the
    circle's radius, in inches, so that neighbouring nodes and their labels do not overlap."""
    def size(label: str) -> float:
        lines = label.split("\n")
        width = max(len(s) for s in lines) * 0.6 * _FONT / 72
        height = len(lines) * 1.25 * _FONT / 72
        return 0.5 * math.hypot(width, height) + 0.08

    r = max([0.3] + [size(n.label) for n in graph.nodes])
    order = [n.id for n in graph.nodes]
    if graph.start is not None:
        k = order.index(graph.start)
        order = order[k:] + order[:k]
    n = len(order)
    ring = 0.0 if n == 1 else (r + 0.45) / math.sin(math.pi / n)
    centres = {}
    for i, ident in enumerate(order):
        angle = math.pi - 2 * math.pi * i / n
        centres[ident] = (ring * math.cos(angle), ring * math.sin(angle))
    return centres, r, ring


def _render_png(graph: Graph, dpi: int) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, FancyArrowPatch
    from matplotlib.path import Path

    centres, r, _ = _layout(graph)
    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.axis("off")
    seen: list[tuple[float, float]] = []  # points the drawing reaches, for the limits

    def outward(ident: str) -> tuple[float, float]:
        x, y = centres[ident]
        d = math.hypot(x, y)
        return (x / d, y / d) if d > 1e-9 else (0.0, 1.0)

    patches = {}
    for node in graph.nodes:
        c = centres[node.id]
        outer = Circle(c, r, fill=True, facecolor="white", edgecolor="black", linewidth=1.2, zorder=2)
        ax.add_patch(outer)
        if node.accepting:
            ax.add_patch(Circle(c, r * 0.86, fill=False, edgecolor="black", linewidth=1.0, zorder=3))
        ax.text(c[0], c[1], node.label, ha="center", va="center", fontsize=_FONT, family="sans-serif", zorder=4)
        patches[node.id] = outer
        seen += [(c[0] - r, c[1] - r), (c[0] + r, c[1] + r)]

    box = dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.9)

    def arrow(*args, **kwargs) -> FancyArrowPatch:
        return FancyArrowPatch(*args, arrowstyle="-|>", mutation_scale=12, linewidth=1.0, color="black",
                               zorder=1, **kwargs)

    for e in graph.edges:
        a, b = centres[e.source], centres[e.target]
        if e.source == e.target:
            u = outward(e.source)
            if e.source == graph.start:
                u = _rotate(u, 35)
            path = Path([_toward(a, u, 25, r), _toward(a, u, 40, 2.6 * r), _toward(a, u, -40, 2.6 * r),
                         _toward(a, u, -25, r)], [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4])
            ax.add_patch(arrow(path=path))
            lx, ly = _toward(a, u, 0, 2.2 * r)
            seen += [_toward(a, u, 30, 2.2 * r), _toward(a, u, -30, 2.2 * r), _toward(a, u, 0, 2.6 * r)]
        else:
            rad = 0.2
            ax.add_patch(arrow(a, b, patchA=patches[e.source], patchB=patches[e.target],
                               connectionstyle=f"arc3,rad={rad}"))
            dx, dy = b[0] - a[0], b[1] - a[1]
            lx, ly = (a[0] + b[0]) / 2 + rad * dy / 2, (a[1] + b[1]) / 2 - rad * dx / 2
        ax.text(lx, ly, e.label, ha="center", va="center", fontsize=_EDGE_FONT, family="sans-serif", bbox=box,
                zorder=5)

    if graph.start is not None:
        u = _rotate(outward(graph.start), -50)
        c = centres[graph.start]
        tail = (c[0] + u[0] * (r + 0.6), c[1] + u[1] * (r + 0.6))
        head = (c[0] + u[0] * r, c[1] + u[1] * r)
        ax.add_patch(arrow(tail, head))
        seen.append(tail)
    margin = 0.25
    x0, x1 = min(p[0] for p in seen) - margin, max(p[0] for p in seen) + margin
    y0, y1 = min(p[1] for p in seen) - margin, max(p[1] for p in seen) + margin
    title = 0.35
    fig.set_size_inches((x1 - x0) * _INCH, (y1 - y0 + title) * _INCH)
    ax.set_position((0, 0, 1, (y1 - y0) / (y1 - y0 + title)))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    fig.text(0.5, 1 - title / 2 / (y1 - y0 + title), graph.name, ha="center", va="center", fontsize=_FONT + 2)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=dpi, facecolor="white")
    return out.getvalue()


def draw_png(graph_description: Graph | str, path: str, *, dpi: int = 150) -> None:
    """Render a :class:`Graph` (or DOT text written by this module) as a PNG file at ``path``.

    Nodes sit on a circle, the start node leftmost with an arrow into it;
    accepting nodes are double circles; edges are curved arrows with their
    labels, self-loops point outwards.  The image is rendered in memory first
    and written through a temporary file and a rename, so ``path`` is either
    the whole new PNG or untouched.  ValueError for a graph that does not hold
    together (see :meth:`Graph.validate`) or DOT text this module does not read.
    """
    graph = parse_dot(graph_description) if isinstance(graph_description, str) else graph_description
    graph.validate()
    if not graph.nodes:
        raise BadInput(f"diagram {graph.name!r} has no nodes")
    write_atomic(path, _render_png(graph, dpi))


def save_diagram(graph: Graph, path: str) -> None:
    """Write ``graph`` as DOT text (``.dot``, ``.gv``) or a PNG (``.png``), chosen by the suffix, atomically."""
    suffix = os.path.splitext(str(path))[1].lower()
    if suffix not in DIAGRAM_SUFFIXES:
        raise BadInput(f"diagram file {path!r}: expected a name ending in {', '.join(DIAGRAM_SUFFIXES)}")
    if suffix == ".png":
        draw_png(graph, path)
    else:
        write_atomic(path, graph.to_dot())
