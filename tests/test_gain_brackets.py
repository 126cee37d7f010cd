"""The brackets of the least safe gain that docs/gains.md claims, each side checked: at k_low the float64
simulator (an independent run, not the search that found the input) gets the reported input wrong; at
k_high the paving of the reachable grid cells proves the real network right on every input of every
length; and k_high / k_low < 21/20."""

import re
from fractions import Fraction as F
from pathlib import Path

import pytest

from automata_rnn.interop.automata_files import load_automaton
from automata_rnn.model.automata import minimize, random_minimal
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.model.semantics import Semantics
from automata_rnn.questions.paving import prove_by_paving
from automata_rnn.questions.simulate import simulate_word
from automata_rnn.solver.construction import minsky_weights

BRACKETS = [  # automaton, cell, units, output, k_low, failing input at k_low, k_high (benchmarks/gains.py)
    ("latch", "gru", 1, "state", F("7533/4096"), '1' + '0' * 51, F("247347/131072")),
    ("latch", "gru-after", 1, "state", F("103381/51200"), '1' + '0' * 36, F("8543591/4096000")),
    ("latch", "gru-chung", 1, "state", F("7533/4096"), '1' + '0' * 51, F("247347/131072")),
    ("toggle", "gru-after", 1, "state", F("227439/204800"), '101' + '0' * 28, F("15028049/13107200")),
    ("toggle", "gru", 2, "state", F("76563/32000"), '1' + '0' * 48, F("640197/256000")),
    ("toggle", "gru-chung", 2, "state", F("152241/64000"), '1' + '0' * 10, F("1275223/512000")),
    ("tomita2", "rnn", 2, "readout", F("1549449/512000"), '10' * 74, F("12721599/4096000")),
    ("tomita3", "rnn", 3, "readout", F("2138433/512000"), '0' * 82, F("35092687/8192000")),
    ("tomita4", "rnn", 3, "readout", F("253313/64000"), '000' + '10' * 95, F("4176719/1024000")),
    ("tomita5", "rnn", 3, "readout", F("2380201/1024000"), '0' + '1' * 141, F("79415159/32768000")),
    ("tomita6", "rnn", 3, "readout", F("536081/128000"), '10' * 30, F("8795263/2048000")),
    ("tomita7", "rnn", 3, "readout", F("1879229/512000"), '001' + '0' * 393 + '10', F("31204627/8192000")),
    ("parity", "rnn", 2, "readout", F("47619/20480"), '0' * 150, F("19732581/8192000")),
]


def weights(name, cell):
    """The weights docs/gains.md records for the network it brackets."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "gains.md").read_text()
    line = re.search(rf"^\* {name}, {cell}, \d+ units(?: \(read-out\))?: (.*)$", text, re.M)
    if line is None:
        raise LookupError((name, cell))
    return {k: F(v) for k, v in re.findall(r"([\w\[\],]+) = (-?[\d/]+)", line.group(1))}


@pytest.mark.parametrize("name, cell, units, output, low, word, high", BRACKETS,
                         ids=[f"{b[0]}-{b[1]}" for b in BRACKETS])
def test_each_side_of_the_bracket(name, cell, units, output, low, word, high):
    p = Problem(load_automaton(name), get_cell(cell), units, Semantics("saturated"), output=output)
    w = weights(name, cell)
    assert high / low < F(21, 20)
    assert not simulate_word(p, w, word, gain=low).agrees
    assert simulate_word(p, w, word, gain=high).agrees
    assert prove_by_paving(p, {k: v * high for k, v in w.items()}).proved


CONSTRUCTION = [  # Minsky-style networks of solver/construction.py: automaton, k_low, failing input, k_high
    ("tomita1", F("57721/10240"), '1' * 92, F("95811/16384")),
    ("tomita2", F("29463/5120"), '10' * 37, F("12305713/2048000")),
    ("tomita3", F("39537/6400"), '100' + '1' * 117, F("666399/102400")),
    ("tomita4", F("590673/102400"), '001' * 21 + '00', F("3963843/655360")),
    ("tomita5", F("25041/5120"), '0' * 20, F("1854507/327680")),
    ("tomita6", F("4625691/1024000"), '01' * 24, F("79442069/16384000")),
    ("tomita7", F("175911/25600"), '10' + '1' * 77, F("2932041/409600")),
    ("random10-0", F("633717/102400"),
     ('0000110110011001101101101100010111000110100011011000010000101111110100000111111001010110100110111011'
      '00000001101111100100000000011100101111011011100001010111111111101001011010111111' '10111100'),
     F("2530557/327680")),
    ("random10-1", F("12933/2048"), '1011100011111010000010000100100110100101110100111000101001010101',
     F("13233333/1638400")),
    ("random10-2", F("334821/51200"), '1010011011111100101100101011000011001101110010000111', F("1311981/163840")),
]


@pytest.mark.parametrize("name, low, word, high", CONSTRUCTION, ids=[c[0] for c in CONSTRUCTION])
def test_each_side_of_the_bracket_of_a_construction_network(name, low, word, high):
    automaton = random_minimal(10, int(name[-1])) if name.startswith("random") else load_automaton(name)
    p, w = minsky_weights(Problem(minimize(automaton), get_cell("rnn"), semantics=Semantics("indicator")))
    assert not simulate_word(p, w, word, gain=low).agrees
    assert simulate_word(p, w, word, gain=high).agrees
    assert prove_by_paving(p, {k: v * high for k, v in w.items()}).proved


@pytest.mark.parametrize("index", [3, 8, 11], ids=lambda i: f"{BRACKETS[i][0]}-{BRACKETS[i][1]}")
def test_the_paving_proves_nothing_where_the_network_fails(index):
    """Soundness: at k_low the float64 network fails on the reported input, so no paving may close there."""
    name, cell, units, output, low, word, _ = BRACKETS[index]
    p = Problem(load_automaton(name), get_cell(cell), units, Semantics("saturated"), output=output)
    w = weights(name, cell)
    assert not simulate_word(p, w, word, gain=low).agrees
    assert not prove_by_paving(p, {k: v * low for k, v in w.items()}).proved
