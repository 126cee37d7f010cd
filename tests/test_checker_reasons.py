"""Every way a certificate can be wrong is rejected with a reason that names it; the command-line
entry point of the checker reports per file and exits 1 on any rejection."""

import copy
import json
from fractions import Fraction as F

import pytest

from automata_rnn.exact.checker import FORMAT, _main, check
from automata_rnn.model.automata import latch, toggle
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.questions.conditions import derive
from automata_rnn.questions.solve import solve


@pytest.fixture(scope="module")
def refutation():
    return solve(Problem(toggle(), get_cell("rnn"))).certificate


@pytest.fixture(scope="module")
def region():
    c = derive(Problem(latch(), get_cell("rnn")))
    return next(x for x in c.certificates if x["claim"] == "implements-region")


def rejected(cert, phrase):
    ok, why = check(cert)
    assert not ok and phrase in why, why


def test_accepted_reasons_count_nodes(refutation, region):
    assert check(refutation) == (True, "accepted (9 nodes checked)")
    ok, why = check(region)
    assert ok and why.startswith("accepted (") and why.endswith("nodes checked)")


def test_envelope(refutation):
    rejected({"format": "x"}, f"not a certificate of format {FORMAT}")
    rejected({**refutation, "claim": "maybe"}, "unknown claim 'maybe'")
    rejected({**refutation, "problem": {"cell": "rnn"}}, "malformed certificate")
    rejected({**refutation, "hypotheses": [{"expr": {"coeffs": {}, "const": "0"}}]}, "a literal is {expr, signs}")
    rejected({**copy.deepcopy(refutation), "claim": "implements-region"}, "lists its clauses")


def test_splits(refutation):
    c = copy.deepcopy(refutation)
    c["tree"] = "leaf"
    rejected(c, "a tree node is an object")
    c = copy.deepcopy(refutation)
    c["tree"]["split"] = {"coeffs": {}, "const": "1"}
    rejected(c, "a split on a constant")
    c = copy.deepcopy(refutation)
    c["tree"]["branches"] = c["tree"]["branches"][:1]
    rejected(c, "needs at least two branches")
    c = copy.deepcopy(refutation)
    c["tree"]["branches"][0] = "case"
    rejected(c, "a branch is {signs, node}")
    c = copy.deepcopy(refutation)
    c["tree"]["branches"][1]["signs"] = "+0"
    rejected(c, "branches overlap")
    c = copy.deepcopy(refutation)
    c["tree"]["branches"][1]["signs"] = "-"
    rejected(c, "branches cover")
    c = copy.deepcopy(refutation)
    c["tree"]["branches"][0]["node"] = {"mystery": 1}
    rejected(c, "unknown or misplaced tree node with keys ['mystery']")


def _leaf(cert, kind):
    def walk(node):
        if kind in node:
            return node
        for b in node.get("branches", []):
            found = walk(b["node"])
            if found is not None:
                return found
        return None
    return walk(cert["tree"])


def test_words(refutation):
    c = copy.deepcopy(refutation)
    _leaf(c, "word")["word"] = "0"
    rejected(c, "a word leaf holds a list of symbols")
    c = copy.deepcopy(refutation)
    _leaf(c, "word")["word"] = ["2"]
    rejected(c, "symbol '2' is not in the alphabet")
    c = copy.deepcopy(refutation)
    _leaf(c, "word")["word"] = []
    rejected(c, "word '' does not fail on this path")
    c = copy.deepcopy(refutation)
    c["tree"] = {"word": ["1", "0"]}
    rejected(c, "gate h is not decided on this path")


def test_farkas_reasons(refutation):
    c = copy.deepcopy(refutation)
    leaf = _leaf(c, "farkas")
    leaf["farkas"] = []
    rejected(c, "a Farkas leaf lists its multiplied facts")
    c = copy.deepcopy(refutation)
    _leaf(c, "farkas")["farkas"][0] = 7
    rejected(c, "a Farkas item is {expr, rel, multiplier}")
    c = copy.deepcopy(refutation)
    _leaf(c, "farkas")["farkas"][0]["multiplier"] = "-1"
    rejected(c, "negative multiplier -1")
    c = copy.deepcopy(refutation)
    _leaf(c, "farkas")["farkas"][0]["expr"] = {"coeffs": {"W_h": "5"}, "const": "0"}
    rejected(c, "fact 5 W_h")
    c = copy.deepcopy(refutation)
    _leaf(c, "farkas")["farkas"].pop()
    rejected(c, "Farkas combination leaves parameters")


def test_region_reasons(region):
    c = copy.deepcopy(region)
    c["tree"] = {"clause": 99}
    rejected(c, "no hypothesis clause 99")
    c = copy.deepcopy(region)
    c["tree"] = {"clause": 0}
    rejected(c, "clause 0: literal on")
    c = copy.deepcopy(region)
    c["tree"] = {"verified": True}
    rejected(c, "meets an undecided gate")
    c = copy.deepcopy(region)
    c["clauses"] = []
    c["tree"] = {"verified": True}
    rejected(c, "meets an undecided gate")


def test_region_claim_with_all_weights_fixed_but_wrong():
    p = Problem(toggle(), get_cell("rnn"), fixed={"U_h": F(1), "W_h": F(1), "b_h": F(0)})
    cert = {"format": FORMAT, "claim": "implements-region", "problem": p.to_json(), "clauses": [],
            "tree": {"verified": True}}
    rejected(cert, "exhaustive run fails on word '1")
    cert["tree"] = {"word": ["1", "1"]}
    rejected(cert, "a failing word proves nothing for claim 'implements-region'")


def test_all_sizes_needs_an_elman_state_output():
    p = Problem(toggle(), get_cell("gru"))
    cert = {"format": FORMAT, "claim": "refutes-all-sizes", "problem": p.to_json(), "tree": {"farkas": []}}
    rejected(cert, "the all-sizes relaxation is for Elman cells whose output is a unit, without margin")


def test_command_line_checker(tmp_path, capsys, refutation):
    good, bad, broken = tmp_path / "good.json", tmp_path / "bad.json", tmp_path / "broken.json"
    good.write_text(json.dumps(refutation))
    tampered = copy.deepcopy(refutation)
    _leaf(tampered, "farkas")["farkas"][0]["multiplier"] = "-1"
    bad.write_text(json.dumps(tampered))
    broken.write_text("{")
    assert _main([str(good)]) == 0
    assert "good.json: ACCEPTED: accepted (9 nodes checked)" in capsys.readouterr().out
    assert _main([str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert "bad.json: REJECTED: negative multiplier" in out and "good.json: ACCEPTED" in out
    assert _main([str(broken)]) == 1
    assert "broken.json: cannot read" in capsys.readouterr().out
    assert _main([str(tmp_path / "missing.json")]) == 1
