"""The checker against the mutants that outlived its other tests: each rejection is read word for word (the
reason is what a sceptical reader gets, so it must name the flaw exactly), flaws that once crashed the
checker must be reasons too, and sound certificates that a mutant would refuse must be accepted. The
all-sizes relaxation is compared with facts written out by hand from its definition."""

import copy
import json
from fractions import Fraction as F

import pytest

from automata_rnn.arithmetic.exact import Affine
from automata_rnn.exact.checker import FORMAT, _main, check, relaxation_facts
from automata_rnn.model.automata import Automaton, latch, toggle
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.model.semantics import Semantics


def affine(const=0, **coeffs):
    return {"coeffs": {k: str(v) for k, v in coeffs.items()}, "const": str(const)}


def refutes(problem, tree, hypotheses=()):
    return {"format": FORMAT, "claim": "refutes", "problem": problem.to_json(),
            "hypotheses": [{"expr": e, "signs": s} for e, s in hypotheses], "tree": tree}


def reason(cert):
    ok, why = check(cert)
    assert not ok, why
    return why


# the textbook toggle refuted for the Elman cell (README): split on b_h, then U_h + b_h, then W_h + b_h
TOGGLE_TREE = {"split": affine(b_h=1), "branches": [
    {"signs": "+", "node": {"word": ["0"]}},
    {"signs": "0-", "node": {"split": affine(U_h=1, b_h=1), "branches": [
        {"signs": "+", "node": {"split": affine(W_h=1, b_h=1), "branches": [
            {"signs": "+", "node": {"split": affine(U_h=1, W_h=1, b_h=1), "branches": [
                {"signs": "+", "node": {"word": ["1", "1"]}},
                {"signs": "0-", "node": {"farkas": [
                    {"expr": affine(b_h=-1), "rel": ">=", "multiplier": "1"},
                    {"expr": affine(U_h=1, b_h=1), "rel": ">", "multiplier": "1"},
                    {"expr": affine(W_h=1, b_h=1), "rel": ">", "multiplier": "1"},
                    {"expr": affine(U_h=-1, W_h=-1, b_h=-1), "rel": ">=", "multiplier": "1"}]}}]}},
            {"signs": "0-", "node": {"word": ["1", "0"]}}]}},
        {"signs": "0-", "node": {"word": ["1"]}}]}}]}


@pytest.fixture
def toggle_cert():
    return refutes(Problem(toggle(), get_cell("rnn")), copy.deepcopy(TOGGLE_TREE))


def test_the_hand_written_toggle_refutation_is_accepted(toggle_cert):
    assert check(toggle_cert) == (True, "accepted (9 nodes checked)")
    del toggle_cert["hypotheses"]          # no hypotheses at all: the claim is about every weight
    assert check(toggle_cert) == (True, "accepted (9 nodes checked)")


def test_a_zero_multiplier_is_a_legitimate_farkas_multiplier(toggle_cert):
    """Farkas multipliers are non-negative, not positive: an extra fact times 0 changes no sum."""
    leaf = toggle_cert["tree"]["branches"][1]["node"]["branches"][0]["node"]["branches"][0]["node"]
    leaf = leaf["branches"][1]["node"]
    leaf["farkas"].append({"expr": affine(b_h=-1), "rel": ">=", "multiplier": "0"})
    assert check(toggle_cert)[0]


def test_hypotheses_on_one_form_are_a_conjunction():
    """U_h > 0 and U_h >= 0 together leave U_h > 0 available, whatever their order."""
    p = Problem(latch(), get_cell("rnn"))
    tree = {"farkas": [{"expr": affine(U_h=1), "rel": ">", "multiplier": "1"},
                       {"expr": affine(U_h=-1), "rel": ">=", "multiplier": "1"}]}
    for order in (["+", "0+"], ["0+", "+"]):
        hyps = [(affine(U_h=1), s) for s in order] + [(affine(U_h=-1), "0+")]
        assert check(refutes(p, tree, hyps))[0], order


def test_word_leaf_messages(toggle_cert):
    toggle_cert["tree"]["branches"][0]["node"] = {"word": "0"}
    assert reason(toggle_cert) == "a word leaf holds a list of symbols"
    toggle_cert["tree"]["branches"][0]["node"] = {"word": ["1", "0"]}   # b_h > 0 says nothing of U_h + b_h
    assert reason(toggle_cert) == "word '10': gate h is not decided on this path"
    # b_h <= 0 and U_h + b_h <= 0: the state stays 0 on "1", where the toggle wants 1
    c = refutes(Problem(toggle(), get_cell("rnn")), {"word": ["1", "1"]}, [(affine(b_h=1), "0-"),
                                                                             (affine(U_h=1, b_h=1), "0-")])
    assert check(c)[0]
    c = refutes(Problem(toggle(), get_cell("rnn")), {"word": ["0", "0"]}, [(affine(b_h=1), "0-")])
    assert reason(c) == "word '00' does not fail on this path"


def test_an_ill_defined_gate_is_a_failure():
    """Under the saturated semantics a pre-activation exactly 0 has no limit: the run fails there."""
    p = Problem(latch(), get_cell("rnn"), semantics=Semantics("saturated"))
    assert check(refutes(p, {"word": ["0"]}, [(affine(b_h=1), "0")]))[0]


def test_a_threshold_read_out_is_read_with_its_weights_and_the_facts():
    """Two units and a read-out unit sigma(h W_y + b_y): the output is decided by the facts on b_y."""
    p = Problem(latch(), get_cell("rnn"), 2, output="readout")
    # b_y > 0: at h(0) = 0 the read-out says 1, the latch 0
    assert check(refutes(p, {"word": []}, [(affine(b_y=1), "+")]))[0]
    # b_y <= 0 and both units stay off on "1": the read-out says 0, the latch 1
    hyps = [(affine(b_y=1), "0-"), (affine(**{"U_h[0,0]": 1, "b_h[0]": 1}), "0-"),
            (affine(**{"U_h[0,1]": 1, "b_h[1]": 1}), "0-")]
    assert check(refutes(p, {"word": ["1"]}, hyps))[0]
    assert reason(refutes(p, {"word": ["0"]}, hyps[:1])) == "word '0': gate h[0] is not decided on this path"


def test_tree_and_split_messages(toggle_cert):
    c = copy.deepcopy(toggle_cert)
    c["tree"]["branches"][0]["node"] = "leaf"
    assert reason(c) == "a tree node is an object"
    c = copy.deepcopy(toggle_cert)
    c["tree"]["branches"][1]["node"]["split"] = affine(3)
    assert reason(c) == "a split on a constant"
    c = copy.deepcopy(toggle_cert)
    c["tree"]["branches"][0] = ["+", {"word": ["0"]}]
    assert reason(c) == "a branch is {signs, node}"
    c = copy.deepcopy(toggle_cert)
    del c["tree"]["branches"][0]["signs"]
    assert reason(c) == "malformed certificate: not a sign set: ''"
    c = copy.deepcopy(toggle_cert)
    c["tree"]["branches"][1]["signs"] = "-"
    assert reason(c) == "split on b_h: branches cover +-, not +-0"
    c = copy.deepcopy(toggle_cert)
    c["tree"] = {}
    assert reason(c) == "the certificate has no tree: every claim needs one"


def test_farkas_messages(toggle_cert):
    def leaf(c):
        return c["tree"]["branches"][1]["node"]["branches"][0]["node"]["branches"][0]["node"]["branches"][1]["node"]
    c = copy.deepcopy(toggle_cert)
    leaf(c)["farkas"] = {}
    assert reason(c) == "a Farkas leaf lists its multiplied facts"
    c = copy.deepcopy(toggle_cert)
    leaf(c)["farkas"][0] = "b_h <= 0"
    assert reason(c) == "a Farkas item is {expr, rel, multiplier}"
    c = copy.deepcopy(toggle_cert)
    leaf(c)["farkas"][3]["multiplier"] = "1/2"      # the sum keeps -U_h/2 - W_h/2 - b_h/2 ... : parameters left
    assert reason(c).startswith("Farkas combination leaves parameters: ")
    # -b_h >= 0 alone: 0 + 0 >= 0 is no contradiction, and the message says which relation it got
    p = Problem(latch(), get_cell("rnn"))
    hyps = [(affine(b_h=1), "0-"), (affine(b_h=1), "0-")]
    tree = {"farkas": [{"expr": affine(b_h=-1), "rel": ">=", "multiplier": "1"},
                       {"expr": affine(b_h=1), "rel": ">=", "multiplier": "0"}]}
    tree["farkas"][1] = {"expr": affine(b_h=-1), "rel": ">=", "multiplier": "-1"}
    assert reason(refutes(p, tree, hyps)) == "negative multiplier -1 on -b_h >= 0"
    hyps = [(affine(U_h=1), "+"), (affine(U_h=-1), "0+")]
    tree = {"farkas": [{"expr": affine(U_h=-1), "rel": ">=", "multiplier": "2"},
                       {"expr": affine(U_h=-1), "rel": ">=", "multiplier": "-2"}]}
    assert reason(refutes(p, tree, hyps)).startswith("negative multiplier -2")
    tree = {"farkas": [{"expr": affine(1, U_h=-1), "rel": ">=", "multiplier": "1"}]}
    hyps = [(affine(1, U_h=-1), "0+")]
    assert reason(refutes(p, tree, hyps)) == "Farkas combination leaves parameters: -U_h + 1"
    tree = {"farkas": [{"expr": affine(U_h=1), "rel": ">", "multiplier": "1"},
                       {"expr": affine(1, U_h=-1), "rel": ">=", "multiplier": "1"}]}
    hyps = [(affine(U_h=1), "+"), (affine(1, U_h=-1), "0+")]
    assert reason(refutes(p, tree, hyps)) == "Farkas combination gives 1 > 0, no contradiction"
    tree["farkas"][0]["rel"], hyps[0] = ">=", (affine(U_h=1), "0+")
    assert reason(refutes(p, tree, hyps)) == "Farkas combination gives 1 >= 0, no contradiction"


def test_literal_and_envelope_messages(toggle_cert):
    c = copy.deepcopy(toggle_cert)
    c["hypotheses"] = [{"signs": "+"}]
    assert reason(c) == "a literal is {expr, signs}"
    c["hypotheses"] = [5]
    assert reason(c) == "a literal is {expr, signs}"
    c = copy.deepcopy(toggle_cert)
    c["claim"] = "implements-region"
    assert reason(c) == "an implements-region claim lists its clauses"
    p = Problem(latch(), get_cell("lstm"), semantics=Semantics("saturated"))
    assert reason(refutes(p, {"word": []})) == (
        "no certificate speaks of free weights of a saturated LSTM: its hidden state o tanh(c) is irrational, "
        "so its atoms are not linear in the weights")


def mod3():
    """Outputs 1 exactly when the number of 1s read is a multiple of 3: three states, pairwise distinguishable."""
    t = {(f"q{i}", "0"): f"q{i}" for i in range(3)}
    t.update({(f"q{i}", "1"): f"q{(i + 1) % 3}" for i in range(3)})
    return Automaton("mod3", ("0", "1"), ("q0", "q1", "q2"), "q0", t, {"q0": 1, "q1": 0, "q2": 0})


COUNTING = {"words": [[], ["1"], ["1", "1"]], "separators": [[0, 1, []], [0, 2, []], [1, 2, ["1"]]]}


def counting(separators=None, words=None, problem=None):
    node = {"words": COUNTING["words"] if words is None else words,
            "separators": COUNTING["separators"] if separators is None else separators}
    return refutes(problem or Problem(mod3(), get_cell("rnn")), {"counting": node})


def test_counting_three_states_on_one_unit():
    """One Elman unit has 2 codes under the indicator semantics; mod 3 needs 3 pairwise separated ones."""
    assert check(counting()) == (True, "accepted (1 nodes checked)")


@pytest.mark.parametrize("node,message", [
    ("leaf", "a counting leaf is {words, separators}"),
    ({"words": COUNTING["words"]}, "a counting leaf is {words, separators}"),
    ({"separators": COUNTING["separators"]}, "a counting leaf is {words, separators}"),
    ({"words": COUNTING["words"], "separators": "all"}, "a counting leaf is {words, separators}"),
    ({"words": [[], ["2"], ["1", "1"]], "separators": []}, "a counting word is a list of symbols of the alphabet"),
    ({"words": [[], ["1"]], "separators": [[0, 1, []]]}, "2 words are not more than the 2 codes of 1 unit(s)"),
])
def test_counting_leaf_shape_messages(node, message):
    c = counting()
    c["tree"]["counting"] = node
    assert reason(c) == message


@pytest.mark.parametrize("bad,message", [
    ([0, 1], "a separator is [i, j, suffix]"),
    ([0, 1, [], 7], "a separator is [i, j, suffix]"),
    ([0, 1, "1"], "a separator is [i, j, suffix]"),
    ({0: 0, 1: 1, 2: []}, "a separator is [i, j, suffix]"),
    ([0, 0, []], "separator indices 0, 0 do not name two words in order"),
    ([1, 0, []], "separator indices 1, 0 do not name two words in order"),
    ([1, 3, []], "separator indices 1, 3 do not name two words in order"),
    ([-1, 1, []], "separator indices -1, 1 do not name two words in order"),
    ([0, 1, ["x"]], "a separator's suffix is a list of symbols of the alphabet"),
    ([1, 2, ["0", "0"]], "words 1 and 2 give the same output after suffix '00'"),
])
def test_separator_messages(bad, message):
    seps = copy.deepcopy(COUNTING["separators"])
    seps[0] = bad
    assert reason(counting(seps)) == message


def test_every_pair_must_be_separated():
    assert reason(counting(COUNTING["separators"][:2])) == "not every pair of words is separated"
    # the same pair twice does not stand for a missing one
    seps = COUNTING["separators"][:2] + [COUNTING["separators"][0]]
    assert reason(counting(seps)) == "not every pair of words is separated"


def test_counting_needs_finitely_many_codes_and_a_refutation():
    lstm = Problem(mod3(), get_cell("lstm"), semantics=Semantics("saturated"),
                   fixed={n: F(0) for n in get_cell("lstm").element_names(1, 1)})
    assert reason(counting(problem=lstm)) == "the lstm cell's codes are not finitely many: nothing to count"
    c = counting()
    c["claim"], c["clauses"] = "implements-region", []
    assert reason(c) == "a counting argument proves nothing for claim 'implements-region'"


def test_region_leaf_messages():
    from automata_rnn.exact.checker import FORMAT as fmt
    p = Problem(latch(), get_cell("rnn"))
    region = {"format": fmt, "claim": "implements-region", "problem": p.to_json(),
              "clauses": [[{"expr": affine(b_h=1), "signs": "+"}]], "tree": {"clause": 1}}
    assert reason(region) == "no hypothesis clause 1"
    region["tree"] = {"verified": False}
    assert reason(region) == "unknown or misplaced tree node with keys ['verified']"
    # the region b_h <= 0: b_h > 0 falsifies the clause; under U_h + b_h <= 0 as well the latch never turns on
    region["clauses"] = [[{"expr": affine(b_h=1), "signs": "0-"}]]
    region["tree"] = {"split": affine(b_h=1), "branches": [
        {"signs": "+", "node": {"clause": 0}},
        {"signs": "0-", "node": {"split": affine(U_h=1, b_h=1), "branches": [
            {"signs": "0-", "node": {"verified": True}}, {"signs": "+", "node": {"verified": True}}]}}]}
    assert reason(region) == "exhaustive run fails on word '1'"
    # with U_h + b_h > 0 the state after "1" is 1, and from there "0" needs the sign of W_h + b_h
    region["tree"]["branches"][1]["node"]["branches"][0]["node"] = {"word": ["1"]}
    assert reason(region) == "a failing word proves nothing for claim 'implements-region'"
    region["tree"]["branches"][1]["node"]["branches"].reverse()
    assert reason(region) == "exhaustive run meets an undecided gate on word '10'"
    free = dict(region, tree={"verified": True}, clauses=[])
    assert reason(free) == "exhaustive run meets an undecided gate on word '0'"
    two = Problem(toggle(), get_cell("rnn"), fixed={"U_h": F(1), "W_h": F(1), "b_h": F(0)})
    fixed = dict(region, problem=two.to_json(), tree={"verified": True}, clauses=[])
    assert reason(fixed) == "exhaustive run fails on word '11'"


def test_all_sizes_scope_messages():
    def all_sizes(problem, tree):
        return {"format": FORMAT, "claim": "refutes-all-sizes", "problem": problem.to_json(), "tree": tree}
    stack = Problem(toggle(), get_cell("rnn"), layers=(1, 1))
    assert reason(all_sizes(stack, {"word": []})) == "the all-sizes relaxation is for one layer, not a stack"
    gru = Problem(toggle(), get_cell("gru"))
    assert reason(all_sizes(gru, {"word": []})) == (
        "the all-sizes relaxation is for Elman cells whose output is a unit, without margin")
    fixed = Problem(toggle(), get_cell("rnn"), fixed={"b_h": F(0)})
    assert reason(all_sizes(fixed, {"word": []})) == (
        "an all-sizes claim speaks of every network: no fixed weights and no weight bound")
    rnn = Problem(toggle(), get_cell("rnn"))
    assert reason(all_sizes(rnn, {"word": []})) == "the empty input must give 0, and h(0) = 0 does read as 0"
    assert reason(all_sizes(rnn, {"word": ["1"]})) == (
        "an all-sizes tree is the empty word or one Farkas leaf over the relaxation")
    starts_on = Automaton("on", ("0", "1"), ("a",), "a", {("a", "0"): "a", ("a", "1"): "a"}, {"a": 1})
    assert check(all_sizes(Problem(starts_on, get_cell("rnn")), {"word": []})) == (
        True, "accepted: the empty input must give 1, but h(0) = 0 reads as 0 at every size")


@pytest.mark.parametrize("semantics", ["indicator", "saturated"])
def test_the_relaxation_is_its_definition_written_out(semantics):
    """Latch: from off, "0" stays off and "1" turns on; from on, both stay on. Off means <= 0 under the
    indicator semantics (sigma -> [v > 0]) and < 0 under the saturated one (v = 0 is no limit)."""
    off = frozenset("-0") if semantics == "indicator" else frozenset("-")
    on = frozenset("+")
    u, c_off, c_on = Affine.var("U_h"), Affine.var("c[off]"), Affine.var("c[on]")
    expected = {c_off: off, c_off + u: on, c_on: on, c_on + u: on}
    assert relaxation_facts(Problem(latch(), get_cell("rnn"), semantics=Semantics(semantics))) == expected


def test_the_relaxation_with_one_hot_inputs():
    t = {("e", "a"): "o", ("e", "b"): "e", ("o", "a"): "e", ("o", "b"): "o"}
    parity = Automaton("parity-ab", ("a", "b"), ("e", "o"), "e", t, {"e": 0, "o": 1})
    ua, ub = Affine.var("U_h[0,0]"), Affine.var("U_h[1,0]")
    ce, co = Affine.var("c[e]"), Affine.var("c[o]")
    off, on = frozenset("-0"), frozenset("+")
    expected = {ce + ua: on, ce + ub: off, co + ua: off, co + ub: on}
    assert relaxation_facts(Problem(parity, get_cell("rnn"))) == expected


def test_command_line_counts_every_bad_file(tmp_path, capsys, monkeypatch, toggle_cert):
    good, bad, broken = tmp_path / "good.json", tmp_path / "bad.json", tmp_path / "broken.json"
    good.write_text(json.dumps(toggle_cert))
    tampered = copy.deepcopy(toggle_cert)
    tampered["tree"]["branches"][0]["node"] = {"word": []}
    bad.write_text(json.dumps(tampered))
    broken.write_text("{")
    # a rejection followed by an unreadable file, or by an accepted one, still fails the run
    assert _main([str(bad), str(broken)]) == 1
    assert _main([str(broken), str(bad)]) == 1
    assert _main([str(bad), str(good)]) == 1
    capsys.readouterr()
    # an unreadable file does not stop the files after it
    assert _main([str(broken), str(good)]) == 1
    assert "good.json: ACCEPTED" in capsys.readouterr().out
    # without arguments it reads the command line, file names after the program name
    monkeypatch.setattr("sys.argv", ["checker", str(good)])
    assert _main() == 0
    assert capsys.readouterr().out == f"{good}: ACCEPTED: accepted (9 nodes checked)\n"
    monkeypatch.setattr("sys.argv", ["checker", str(bad)])
    assert _main() == 1


def test_a_verified_leaf_past_the_exploration_limit_is_rejected_with_the_limit(monkeypatch):
    """A run too large to finish proves nothing: the leaf is rejected and the reason is the limit's own."""
    from automata_rnn.exact import checker
    from automata_rnn.exact.run import TooLarge

    def too_large(problem, signs):
        raise TooLarge("more than 100000 reachable (code, state) pairs")
    monkeypatch.setattr(checker, "explore", too_large)
    p = Problem(latch(), get_cell("rnn"), fixed={"U_h": F(2), "W_h": F(2), "b_h": F(-1)})
    cert = {"format": FORMAT, "claim": "implements-region", "problem": p.to_json(), "clauses": [],
            "tree": {"verified": True}}
    assert reason(cert) == "more than 100000 reachable (code, state) pairs"
    monkeypatch.undo()
    assert check(cert)[0]       # the same weights do latch (README: U_h=2 W_h=2 b_h=-1)


# ---- the labelling certificate (a clause refutation over code labellings with Farkas lemmas) ----

# the toggle refuted for one Elman unit with a threshold read-out: the two codes must be labelled with the two
# states, and either labelling asks the unit for XOR of (code, input), which each lemma's multipliers refute
TOGGLE_LABELLING = {"symmetry_words": [[], ["1"]],
                    "lemmas": [{"points": [[0, "0", 1, "1"], [1, "1", 1, "1"], [0, "1", 0, "1"], [1, "0", 0, "1"]]},
                               {"points": [[0, "1", 1, "1"], [1, "0", 1, "1"], [0, "0", 0, "1"], [1, "1", 0, "1"]]}],
                    "proof": [{"inputs": 36}, []]}


@pytest.fixture
def labelling_cert():
    problem = Problem(toggle(), get_cell("rnn"), 1, output="readout")
    return refutes(problem, {"labelling": copy.deepcopy(TOGGLE_LABELLING)})


def test_the_toggle_labelling_refutation_is_accepted(labelling_cert):
    assert check(labelling_cert) == (True, "accepted (1 nodes checked; 2 Farkas lemmas, 1 proof clauses)")


SCOPE = ("a labelling refutation is for one layer of Elman or GRU units under the indicator semantics with a "
         "threshold read-out, no margin, no fixed weights and no weight bound")


@pytest.mark.parametrize("change", [
    {"cell": "lstm"}, {"units": 2, "layers": [1, 1]}, {"output": "state"},
    {"semantics": "saturated"}, {"margin": "1/4"}, {"fixed": {"b_h": "0"}}, {"bound": "5"},
    {"fixed": {"b_h": "0"}, "bound": None}])
def test_a_labelling_outside_its_scope_is_refused_by_name(labelling_cert, change):
    labelling_cert["problem"].update(change)
    assert reason(labelling_cert) == SCOPE


def test_a_labelling_with_hypotheses_is_refused(labelling_cert):
    labelling_cert["hypotheses"] = [{"expr": affine(b_h=1), "signs": "+"}]
    assert reason(labelling_cert) == "a labelling refutation speaks of every weight: no facts or hypotheses"


@pytest.mark.parametrize("leaf", [
    [], "labelling", {"lemmas": [], "proof": []}, {"symmetry_words": [], "proof": []},
    {"symmetry_words": [], "lemmas": []}, {"symmetry_words": "01", "lemmas": [], "proof": []},
    {"symmetry_words": [], "lemmas": [], "proof": [], "hinted": []},
    {"symmetry_words": [], "lemmas": [], "hinted": {}},
    {"symmetry_words": [], "lemmas": [], "proof": [], "directions": "yes"},
    {"symmetry_words": [], "lemmas": [], "proof": [], "directions": 1}])
def test_a_malformed_labelling_leaf_is_refused_by_name(labelling_cert, leaf):
    labelling_cert["tree"]["labelling"] = leaf
    assert reason(labelling_cert) == ("a labelling leaf is {symmetry_words, lemmas, proof} or "
                                      "{symmetry_words, lemmas, hinted}, and directions true or false if given")


@pytest.mark.parametrize("words", [["1"], [[], "1"], [[], [1]], [[], ["1", 0]]])
def test_a_malformed_symmetry_word_is_refused_by_name(labelling_cert, words):
    labelling_cert["tree"]["labelling"]["symmetry_words"] = words
    assert reason(labelling_cert) == "a symmetry word is a list of symbols"


@pytest.mark.parametrize("lemma", [[], "points", {"point": []}, {"points": {}}])
def test_a_malformed_lemma_is_refused_by_name(labelling_cert, lemma):
    labelling_cert["tree"]["labelling"]["lemmas"][1] = lemma
    assert reason(labelling_cert) == "lemma 1: a lemma is {points}"


@pytest.mark.parametrize("point", [
    (0, "0", 1), [0, "0", 1], [0, "0", 1, "1", "1"], [True, "0", 1, "1"], ["0", "0", 1, "1"], [0.0, "0", 1, "1"],
    [0, 0, 1, "1"], [0, ["0"], 1, "1"], [0, "0", "1", "1"], [0, "0", 1.0, "1"]])
def test_a_malformed_lemma_point_is_refused_by_name(labelling_cert, point):
    labelling_cert["tree"]["labelling"]["lemmas"][1]["points"][2] = point
    assert reason(labelling_cert) == "lemma 1: a lemma point is [code, symbol or null, bit, multiplier]"


def test_a_lemma_point_with_a_null_symbol_is_read(labelling_cert):
    """The read-out's points have no symbol: a null is read as such, and then judged (here: a read-out point
    does not belong in an XOR lemma over the unit's step, so the lemma is no Farkas certificate)."""
    labelling_cert["tree"]["labelling"]["lemmas"][1]["points"][2] = [0, None, 0, "1"]
    why = reason(labelling_cert)
    assert why.startswith("lemma 1: ") and "a lemma point is" not in why


def test_a_labelling_refutes_one_size_only(labelling_cert):
    labelling_cert["claim"], labelling_cert["clauses"] = "implements-region", []
    assert reason(labelling_cert) == "a labelling refutation proves nothing for claim 'implements-region'"
