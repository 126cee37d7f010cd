"""Diagrams: DOT text holds every state and transition, codes follow the exact runs, PNGs are whole."""

from __future__ import annotations

import dataclasses
import os
import re
import struct
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import automata, words

from automata_rnn.exact.run import trace
from automata_rnn.interop.automata_files import load_automaton
from automata_rnn.model.automata import LIBRARY, Automaton
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.model.semantics import Semantics
from automata_rnn.present import diagrams
from automata_rnn.present.diagrams import (
    Edge,
    Graph,
    Node,
    automaton_dot,
    automaton_graph,
    codes_dot,
    codes_graph,
    draw_png,
    parse_dot,
    save_diagram,
)
from automata_rnn.verdicts import ResourceLimit

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# Weights that `automata-rnn solve` finds: toggle with a textbook GRU (one unit), tomita3 with three.
TOGGLE_GRU = {"U_z": -1, "W_z": 1, "b_z": 0, "U_r": 0, "W_r": 0, "b_r": 1, "U_h": 1, "W_h": -1, "b_h": 0}
TOMITA3_GRU = {
    "U_z[0,0]": -2, "U_z[0,1]": -1, "U_z[0,2]": 2, "W_z[0,0]": -1, "W_z[0,1]": -2, "W_z[0,2]": -2,
    "W_z[1,0]": 1, "W_z[1,1]": 1, "W_z[1,2]": -2, "W_z[2,0]": -2, "W_z[2,1]": 1, "W_z[2,2]": -2,
    "b_z[0]": 1, "b_z[1]": 2, "b_z[2]": 2, "U_r[0,0]": -2, "U_r[0,1]": -1, "U_r[0,2]": -1, "W_r[0,0]": 1,
    "W_r[0,1]": -1, "W_r[0,2]": -1, "W_r[1,0]": -1, "W_r[1,1]": -1, "W_r[1,2]": -2, "W_r[2,0]": -1,
    "W_r[2,1]": 1, "W_r[2,2]": 0, "b_r[0]": 2, "b_r[1]": 2, "b_r[2]": 2, "U_h[0,0]": -1, "U_h[0,1]": -1,
    "U_h[0,2]": 0, "W_h[0,0]": -2, "W_h[0,1]": -1, "W_h[0,2]": 0, "W_h[1,0]": -1, "W_h[1,1]": -2,
    "W_h[1,2]": 1, "W_h[2,0]": -1, "W_h[2,1]": -2, "W_h[2,2]": 2, "b_h[0]": 2, "b_h[1]": 2, "b_h[2]": 0,
    "W_y[0,0]": -1, "W_y[1,0]": -2, "W_y[2,0]": 1, "b_y": 2,
}


def exact(weights):
    return {k: Fraction(v) for k, v in weights.items()}


def toggle_problem():
    return Problem(load_automaton("toggle"), get_cell("gru"))


def tomita3_problem():
    return Problem(load_automaton("tomita3"), get_cell("gru"), units=3, output="readout")


# -- reading DOT independently of the module ---------------------------------------------------------------

QUOTED = r'"((?:[^"\\]|\\.)*)"'


def unescape(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), s)


def structure(dot: str):
    """Nodes (id -> attribute text) and edges (source, target, label) of DOT text, read with regexes."""
    bare = re.sub(QUOTED, '""', dot)  # braces inside quoted names do not count
    assert bare.count("{") == bare.count("}") == 1
    assert bare.lstrip().startswith("digraph ") and bare.rstrip().endswith("}")
    assert bare.index("{") < bare.rindex("}")
    nodes, edges = {}, []
    for line in dot.splitlines()[1:-1]:
        line = line.strip()
        m = re.fullmatch(rf"{QUOTED} -> {QUOTED}(?: \[label={QUOTED}\])?;", line)
        if m:
            edges.append((unescape(m.group(1)), unescape(m.group(2)), unescape(m.group(3) or "")))
            continue
        m = re.fullmatch(rf"{QUOTED} \[(.*)\];", line)
        if m:
            nodes[unescape(m.group(1))] = m.group(2)
            continue
        assert line in ("rankdir=LR;", "node [shape=circle];"), line
    return nodes, edges


def check_automaton_dot(a: Automaton, dot: str):
    nodes, edges = structure(dot)
    starts = [n for n, attrs in nodes.items() if "shape=point" in attrs]
    assert len(starts) == 1
    assert [(s, t) for s, t, label in edges if s == starts[0]] == [(starts[0], a.start)]
    assert set(nodes) - set(starts) == set(a.states)
    for q in a.states:
        assert ("shape=doublecircle" in nodes[q]) == (a.output[q] == 1)
    labelled = {(s, t): label.split(", ") for s, t, label in edges if s not in starts}
    assert len(labelled) == len([e for e in edges if e[0] not in starts])  # parallel edges merged
    for q in a.states:
        for sym in a.alphabet:
            assert sym in labelled[(q, a.step(q, sym))], (q, sym)
    assert sum(len(v) for v in labelled.values()) == len(a.states) * len(a.alphabet)


# -- automata ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_automaton_dot_holds_every_state_and_transition(name):
    a = load_automaton(name)
    check_automaton_dot(a, automaton_dot(a))


@settings(max_examples=40, deadline=None)
@given(automata(max_states=5, alphabet=("a", "b", "c")))
def test_automaton_dot_of_random_machines(a):
    dot = automaton_dot(a)
    check_automaton_dot(a, dot)
    g = parse_dot(dot)
    assert g == automaton_graph(a)


def test_awkward_state_names_are_quoted():
    states = ('say "hi"', "back\\slash", "two\nlines", "__start", "-> {}")
    transitions = {(q, s): states[(i + j) % len(states)] for i, q in enumerate(states) for j, s in enumerate("01")}
    a = Automaton("odd {names}", ("0", "1"), states, states[0], transitions, {q: i % 2 for i, q in enumerate(states)})
    dot = automaton_dot(a)
    check_automaton_dot(a, dot)
    assert parse_dot(dot) == automaton_graph(a)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_pydot_reads_the_dot_text():
    pydot = pytest.importorskip("pydot")
    a = load_automaton("tomita3")
    (graph,) = pydot.graph_from_dot_data(automaton_dot(a))
    names = {n.get_name().strip('"') for n in graph.get_nodes()} - {"node"}
    assert set(a.states) <= names
    assert len(graph.get_edges()) == 1 + len({(q, a.step(q, s)) for q in a.states for s in a.alphabet})


def test_parse_dot_refuses_foreign_text():
    with pytest.raises(ValueError, match="not DOT text written by automata_rnn"):
        parse_dot("graph { a -- b }")
    with pytest.raises(ValueError, match="line 2"):
        parse_dot('digraph "x" {\n  a -> b;\n}\n')


# -- network codes -------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, weights", [(toggle_problem, TOGGLE_GRU), (tomita3_problem, TOMITA3_GRU)])
def test_codes_dot_follows_the_exact_runs(make, weights):
    problem, weights = make(), exact(weights)
    a = problem.automaton
    dot = codes_dot(problem, weights)
    nodes, edges = structure(dot)
    graph = codes_graph(problem, weights)
    assert parse_dot(dot) == graph
    labels = {n.id: n.label for n in graph.nodes}
    accepting = {n.id: n.accepting for n in graph.nodes}
    step = {}
    for s, t, label in edges:
        for sym in label.split(", "):
            assert (s, sym) not in step
            step[(s, sym)] = t
    start = next(t for (s, _), t in step.items() if "shape=point" in nodes[s])
    for n in labels:  # every pair has one edge per symbol
        assert all((n, sym) in step for sym in a.alphabet)
    for word in ["", "0", "1", "0110", "1101", "00000", "10101", "111000111"]:
        node = start
        for row in trace(problem, weights, word):
            if row.symbol is not None:
                node = step[(node, row.symbol)]
            label = labels[node].split("\n")
            state = _state_after(a, word[:row.t])
            assert label[-1] == state
            assert accepting[node] == (a.output[state] == 1) == bool(row.got)
            assert label[0] == _code_text(row.code[0]), (word, row.t)


def _state_after(a, word):
    q = a.start
    for sym in word:
        q = a.step(q, sym)
    return q


def _code_text(h):
    values = [str(v.numerator) if v.denominator == 1 else f"{v.numerator}/{v.denominator}" for v in h]
    return "h = " + (values[0] if len(values) == 1 else f"({', '.join(values)})")


@settings(max_examples=25, deadline=None)
@given(words(min_size=0, max_size=10))
def test_codes_graph_paths_match_traces(word):
    problem, weights = tomita3_problem(), exact(TOMITA3_GRU)
    graph = codes_graph(problem, weights)
    step = {(e.source, sym): e.target for e in graph.edges for sym in e.label.split(", ")}
    labels = {n.id: n.label for n in graph.nodes}
    node = graph.start
    for sym in word:
        node = step[(node, sym)]
    last = trace(problem, weights, word)[-1]
    assert labels[node].split("\n")[0] == _code_text(last.code[0])


def test_codes_of_a_failing_network_are_refused():
    problem = toggle_problem()
    with pytest.raises(diagrams.DoesNotImplement, match="does not implement toggle: on input '0'") as e:
        codes_dot(problem, exact({**TOGGLE_GRU, "b_r": 1, "U_z": 1, "W_z": 0, "b_h": 1, "W_h": -2}))
    assert e.value.word == ("0",) and not isinstance(e.value, ValueError)  # a finding, not bad input


def test_codes_that_do_not_stay_small_are_refused():
    never = Automaton("never", ("0", "1"), ("q",), "q", {("q", "0"): "q", ("q", "1"): "q"}, {"q": 0})
    # c counts and h = 0; under the saturated semantics tanh(c) stays real, so c itself is the code
    problem = Problem(never, get_cell("lstm"), semantics=Semantics("saturated"))
    weights = {"b_i": Fraction(1), "b_g": Fraction(1), "b_f": Fraction(1), "b_o": Fraction(-1)}
    with pytest.raises(ResourceLimit, match="too many to draw"):
        codes_graph(problem, weights, limit=50)
    # under the indicator semantics only the sign of c matters: two classes, drawn with c's sign
    graph = codes_graph(dataclasses.replace(problem, semantics=Semantics("indicator")), weights, limit=50)
    assert len(graph.nodes) == 2 and any("sign c = +" in n.label for n in graph.nodes)


# -- PNG -----------------------------------------------------------------------------------------------

def png_size(path) -> tuple[int, int]:
    with open(path, "rb") as f:
        head = f.read(33)
    assert head[:8] == PNG_MAGIC
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize("source", ["graph", "dot"])
def test_png_of_an_automaton(tmp_path, source):
    a = load_automaton("tomita3")
    out = tmp_path / "t3.png"
    draw_png(automaton_graph(a) if source == "graph" else automaton_dot(a), str(out))
    w, h = png_size(out)
    assert w > 100 and h > 100
    assert os.listdir(tmp_path) == ["t3.png"]


def test_png_of_network_codes(tmp_path):
    out = tmp_path / "codes.png"
    draw_png(codes_graph(tomita3_problem(), exact(TOMITA3_GRU)), str(out))
    assert png_size(out)[0] > 100


def test_png_of_one_node(tmp_path):
    out = tmp_path / "one.png"
    draw_png(Graph("one", [Node("a", "a", True)], [Edge("a", "a", "0, 1")], "a"), str(out))
    png_size(out)


def test_png_is_written_whole_or_not_at_all(tmp_path, monkeypatch):
    out = tmp_path / "d.png"
    broken = Graph("broken", [Node("a", "a")], [Edge("a", "b", "0")], "a")
    with pytest.raises(ValueError, match="names no node 'b'"):
        draw_png(broken, str(out))
    assert os.listdir(tmp_path) == []
    out.write_bytes(b"previous")

    def fail(*args, **kwargs):
        raise RuntimeError("renderer failed")

    monkeypatch.setattr(diagrams, "_render_png", fail)
    with pytest.raises(RuntimeError):
        draw_png(automaton_graph(load_automaton("latch")), str(out))
    assert out.read_bytes() == b"previous"
    monkeypatch.undo()

    def no_rename(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(diagrams.os, "replace", no_rename)
    with pytest.raises(OSError, match="disk full"):
        draw_png(automaton_graph(load_automaton("latch")), str(out))
    monkeypatch.undo()
    assert out.read_bytes() == b"previous"
    assert os.listdir(tmp_path) == ["d.png"]  # no temporary file left behind


def test_save_diagram_by_suffix(tmp_path):
    g = automaton_graph(load_automaton("latch"))
    save_diagram(g, str(tmp_path / "l.dot"))
    assert parse_dot((tmp_path / "l.dot").read_text()) == g
    save_diagram(g, str(tmp_path / "l.png"))
    png_size(tmp_path / "l.png")
    with pytest.raises(ValueError, match=".dot, .gv, .png"):
        save_diagram(g, str(tmp_path / "l.svg"))
    assert sorted(os.listdir(tmp_path)) == ["l.dot", "l.png"]


@pytest.mark.parametrize("n", range(1, 13))
def test_ring_layout_keeps_nodes_apart(n):
    label = "h = (1, -1, 0)\nc = (1, 1, 0)\nstate"
    g = Graph("ring", [Node(f"n{i}", label) for i in range(n)], [], "n3" if n > 3 else None)
    centres, r, _ = diagrams._layout(g)
    assert len(centres) == n
    if g.start is not None:
        assert centres[g.start][0] == min(x for x, _ in centres.values())  # the start is leftmost
    points = list(centres.values())
    for i in range(n):
        for j in range(i):
            assert ((points[i][0] - points[j][0]) ** 2 + (points[i][1] - points[j][1]) ** 2) ** 0.5 > 2 * r


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 7))
def test_png_of_rings_of_every_size(n):
    import tempfile

    nodes = [Node(f"n{i}", f"state {i}\nline", i % 2 == 0) for i in range(n)]
    edges = [Edge(f"n{i}", f"n{(i + 1) % n}", "1") for i in range(n)] + [Edge("n0", "n0", "0")]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "ring.png")
        draw_png(Graph("ring", nodes, edges, "n0"), path)
        png_size(path)
