"""Moore machines: built-ins against their languages, regexes against Python's re, minimisation, spec files."""

import itertools
import json
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import automata, words

from automata_rnn.interop.automata_files import load_automaton, read_spec
from automata_rnn.interop.regex import from_regex
from automata_rnn.model.automata import LIBRARY, Automaton, distinguishing_word, is_minimal, minimize


def all_words(max_len, alphabet="01"):
    return ["".join(w) for n in range(max_len + 1) for w in itertools.product(alphabet, repeat=n)]


def words_of_length(n, alphabet="01"):
    return ["".join(w) for w in itertools.product(alphabet, repeat=n)]


def runs(w):
    """Maximal runs of w as (symbol, length)."""
    return [(k, len(list(g))) for k, g in itertools.groupby(w)]


def tomita3(w):
    odd_ones_seen = False
    for symbol, n in runs(w):
        if symbol == "0" and n % 2 == 1 and odd_ones_seen:
            return False
        if symbol == "1" and n % 2 == 1:
            odd_ones_seen = True
    return True


LANGUAGES = {
    "latch": lambda w: "1" in w,
    "toggle": lambda w: w.count("1") % 2 == 1,
    "parity": lambda w: w.count("1") % 2 == 1,
    "first-bit": lambda w: w[:1] == "1",
    "tomita1": lambda w: set(w) <= {"1"},
    "tomita2": lambda w: w == "10" * (len(w) // 2),
    "tomita3": tomita3,
    "tomita4": lambda w: "000" not in w,
    "tomita5": lambda w: w.count("0") % 2 == 0 and w.count("1") % 2 == 0,
    "tomita6": lambda w: (w.count("0") - w.count("1")) % 3 == 0,
    "tomita7": lambda w: "".join(k for k, _ in runs(w)) in "0101",  # runs alternate: 0*1*0*1*
    **{f"mod{k}": (lambda m: lambda w: w.count("1") % m == 0)(k) for k in range(2, 6)},
}


def outputs_from(a, state, word):
    out = [a.output[state]]
    for s in word:
        state = a.step(state, s)
        out.append(a.output[state])
    return out


def brute_force_minimal(a):
    """All states reachable and every two states told apart by some word of length <= |Q|."""
    if len(a.reachable()) != len(a.states):
        return False
    tests = [tuple(w) for n in range(len(a.states) + 1) for w in itertools.product(a.alphabet, repeat=n)]
    signatures = {tuple(tuple(outputs_from(a, q, w)) for w in tests) for q in a.states}
    return len(signatures) == len(a.states)


# --- built-ins ---------------------------------------------------------------

def test_library_names():
    expected = {"latch", "toggle", "parity", "first-bit", "mod2", "mod3", "mod4", "mod5"}
    expected |= {f"tomita{i}" for i in range(1, 8)}
    assert set(LIBRARY) == expected == set(LANGUAGES)


@pytest.mark.parametrize("name", sorted(LANGUAGES))
def test_builtin_agrees_with_its_language_up_to_length_10(name):
    a = LIBRARY[name]()
    in_language = LANGUAGES[name]
    for w in words_of_length(10):  # every shorter word is a prefix of one of these
        expected = [int(in_language(w[:i])) for i in range(11)]
        assert a.outputs(w) == expected, (name, w)


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_builtins_are_minimal_and_contain_or_not_the_empty_word(name):
    a = LIBRARY[name]()
    assert brute_force_minimal(a)
    assert is_minimal(a)
    assert minimize(a) == a
    assert load_automaton(name) == a
    if name.startswith("tomita") or name.startswith("mod"):
        assert a.outputs("") == [1]


def test_tomita3_reads_later_as_anywhere_later():
    # the odd run "1" is followed, not immediately, by the odd run "0"
    assert LIBRARY["tomita3"]().outputs("100110")[-1] == 0
    assert LIBRARY["tomita3"]().outputs("1001100")[-1] == 1


def test_parity_is_toggle():
    assert distinguishing_word(LIBRARY["parity"](), LIBRARY["toggle"]()) is None
    assert distinguishing_word(LIBRARY["mod2"](), LIBRARY["toggle"]()) == ()


def test_state_counts():
    counts = {name: len(f().states) for name, f in LIBRARY.items()}
    assert counts == {"latch": 2, "toggle": 2, "parity": 2, "first-bit": 3, "tomita1": 2, "tomita2": 3,
                      "tomita3": 5, "tomita4": 4, "tomita5": 4, "tomita6": 3, "tomita7": 5,
                      "mod2": 2, "mod3": 3, "mod4": 4, "mod5": 5}


# --- regular expressions -----------------------------------------------------

PATTERNS = [
    "", "()", "0", "1*", "(10)*", "0|1", "0|", "(|1)0", "1|", "[01]*1", "[01]*00[01]*", "1+0?",
    "(0|11)*", "0*1*0*1*", "(0(0|1))*", "1?(01)*0?", "[^0]*", "0{2,3}1*", "(1*01*0)*1*", "[0-1]{3,}",
    "((0|1)(0|1))*|1", "(00|11)*(01|10)?", "1(0|1){2}", "(()|0)1*", "()*", "(0*|1*)*0",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_regex_agrees_with_python_re(pattern):
    a = from_regex(pattern)
    compiled = re.compile(pattern)
    for w in words_of_length(8):
        expected = [int(compiled.fullmatch(w[:i]) is not None) for i in range(9)]
        assert a.outputs(w) == expected, (pattern, w)
    assert brute_force_minimal(a)
    assert a.states[0] == a.start == "q0"


def test_regex_over_a_larger_alphabet():
    a = from_regex("a(b|c)*", alphabet=("a", "b", "c"))
    for w in all_words(6, "abc"):
        assert a.outputs(w)[-1] == int(re.fullmatch("a(b|c)*", w) is not None), w


def test_regex_dead_state_is_kept():
    a = from_regex("1*")
    assert len(a.states) == 2 and a.outputs("01") == [1, 0, 0]


def test_regex_state_count_matches_automata_lib_minimisation():
    from automata.fa.dfa import DFA
    from automata.fa.nfa import NFA

    for pattern in ["(0|1)*1(0|1){3}", "(1*01*0)*1*", "0*1*0*1*"]:
        dfa = DFA.from_nfa(NFA.from_regex(pattern, input_symbols={"0", "1"}), minify=True)
        complete = len(dfa.states) + (1 if dfa.allow_partial and not _is_complete(dfa) else 0)
        assert len(from_regex(pattern).states) == complete


def _is_complete(dfa):
    return all(len(row) == len(dfa.input_symbols) for row in dfa.transitions.values())


@pytest.mark.parametrize("pattern, message", [
    ("(0", "unclosed '('"),
    ("0)", "unmatched ')'"),
    ("*", "'*' cannot appear at the start"),
    ("02", "symbol '2' is not in the alphabet"),
    ("0 1", "blanks are not allowed"),
    ("[01", "unterminated character class"),
    ("0{a}", "bad quantifier"),
    ("1&", "'&' cannot appear at the end"),
])
def test_bad_regex_messages(pattern, message):
    with pytest.raises(ValueError) as e:
        from_regex(pattern)
    assert message in str(e.value) and pattern in str(e.value)
    assert "\n" not in str(e.value)


def test_bad_regex_alphabet():
    with pytest.raises(ValueError, match="one-character symbols"):
        from_regex("a", alphabet=("ab",))
    with pytest.raises(ValueError, match="operator"):
        from_regex("a", alphabet=("a", "*"))


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="01|*+()", max_size=7))
def test_any_pattern_gives_a_machine_or_a_value_error(pattern):
    try:
        a = from_regex(pattern)
    except ValueError as e:
        assert "\n" not in str(e)
        return
    try:
        compiled = re.compile(pattern)
    except re.error:
        return
    if re.search(r"[*+?][*+?]", pattern):  # Python reads these as lazy or possessive
        return
    for w in all_words(5):
        assert a.outputs(w)[-1] == int(compiled.fullmatch(w) is not None), (pattern, w)


# --- minimisation ------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(automata(max_states=6), st.lists(words(max_size=12), max_size=20))
def test_minimize_preserves_outputs(a, ws):
    m = minimize(a)
    for w in ws:
        assert m.outputs(w) == a.outputs(w)
    assert distinguishing_word(a, m) is None


@settings(max_examples=150, deadline=None)
@given(automata(max_states=6))
def test_minimize_is_minimal_and_idempotent(a):
    m = minimize(a)
    assert brute_force_minimal(m)
    assert minimize(m) == m
    assert minimize(a, rename=True) == minimize(m, rename=True)
    assert m.states[0] == m.start and m.states == tuple(m.reachable())


@settings(max_examples=100, deadline=None)
@given(automata(max_states=5), automata(max_states=5))
def test_equivalent_automata_have_the_same_canonical_form(a, b):
    same = distinguishing_word(a, b) is None
    assert same == (minimize(a, rename=True) == minimize(b, rename=True))


@settings(max_examples=100, deadline=None)
@given(automata(max_states=5), automata(max_states=5))
def test_distinguishing_word_is_shortest(a, b):
    w = distinguishing_word(a, b)
    if w is None:
        return
    assert a.outputs(w)[-1] != b.outputs(w)[-1]
    assert a.outputs(w)[:-1] == b.outputs(w)[:-1]


@settings(max_examples=50, deadline=None)
@given(automata(max_states=4, alphabet=("a", "b", "c"), minimal=True))
def test_minimal_strategy(a):
    assert brute_force_minimal(a)
    assert Automaton.from_json(json.loads(json.dumps(a.to_json()))) == a


def test_minimize_merges_and_drops():
    t = {("s", "0"): "x", ("s", "1"): "y", ("x", "0"): "x", ("x", "1"): "x", ("y", "0"): "y", ("y", "1"): "y",
         ("u", "0"): "u", ("u", "1"): "s"}
    a = Automaton("m", ("0", "1"), ("u", "s", "x", "y"), "s", t, {"u": 1, "s": 0, "x": 1, "y": 1})
    m = minimize(a)
    assert m.states == ("s", "x") and m.step("s", "1") == "x"
    assert minimize(a, rename=True).states == ("q0", "q1")


# --- spec files --------------------------------------------------------------

GOOD_JSON = {"alphabet": ["0", "1"], "states": ["a", "b", "c"], "start": "a",
             "transitions": {"a": {"0": "a", "1": "b"}, "b": {"0": "c", "1": "b"}, "c": {"0": "c", "1": "b"}},
             "accepting": ["b", "c"]}

GOOD_YAML = """\
alphabet: ['0', '1']
states: [a, b]
start: a
transitions:
  a: {'0': a, '1': b}
  b: {'0': b, '1': b}
output: {a: 0, b: 1}
"""


def test_json_and_yaml_files(tmp_path):
    (tmp_path / "spec.json").write_text(json.dumps(GOOD_JSON))
    (tmp_path / "spec.yaml").write_text(GOOD_YAML)
    (tmp_path / "spec.yml").write_text(GOOD_YAML)
    a = read_spec(tmp_path / "spec.json")
    assert a.name == "spec" and len(a.states) == 3
    assert load_automaton(str(tmp_path / "spec.json")).states == ("a", "b")  # b and c merge
    for name in ("spec.yaml", "spec.yml"):
        assert distinguishing_word(load_automaton(str(tmp_path / name)), LIBRARY["latch"]()) is None


def test_to_json_round_trips():
    for f in LIBRARY.values():
        a = f()
        assert Automaton.from_json(a.to_json()) == a


def bad(tmp_path, suffix, text):
    path = tmp_path / f"bad{suffix}"
    path.write_text(text)
    with pytest.raises(ValueError) as e:
        load_automaton(str(path))
    message = str(e.value)
    assert "\n" not in message and message.startswith(str(path))
    return message


def with_(**changes):
    spec = json.loads(json.dumps(GOOD_JSON))
    spec.update(changes)
    return json.dumps(spec)


@pytest.mark.parametrize("text, message", [
    (with_(transitions={"a": {"0": "a"}, "b": {"0": "c", "1": "b"}, "c": {"0": "c", "1": "b"}}),
     "missing transition from 'a' on '1'"),
    ('{"alphabet": ["0", "1"], "states": ["a"], "start": "a", "accepting": [],'
     ' "transitions": {"a": {"0": "a", "1": "a", "1": "a"}}}', "duplicate transition from 'a' on '1'"),
    (with_(transitions={"a": {"0": "z", "1": "b"}, "b": {"0": "c", "1": "b"}, "c": {"0": "c", "1": "b"}}),
     "goes to unknown state 'z'"),
    (with_(transitions={"a": {"0": "a", "1": "b", "2": "a"}, "b": {"0": "c", "1": "b"},
                        "c": {"0": "c", "1": "b"}}), "unknown symbol '2'"),
    (with_(transitions={"a": {"0": "a", "1": "b"}, "b": {"0": "c", "1": "b"}, "c": {"0": "c", "1": "b"},
                        "d": {"0": "a", "1": "a"}}), "unknown state 'd'"),
    (with_(start="z"), "start state 'z' is not among the states"),
    (with_(accepting=["z"]), "accepting state 'z' is not among the states"),
    (with_(alphabet=[]), "empty alphabet"),
    (with_(alphabet=[0, 1]), "symbol 0 is not a string"),
    (with_(states=["a", "b", "c", "a"]), "duplicate state 'a'"),
    (with_(output={"a": 0, "b": 2, "c": 1}, accepting=None), "either 'accepting' or 'output'"),
    (json.dumps({k: v for k, v in GOOD_JSON.items() if k != "start"}), "missing field 'start'"),
    (with_(acepting=["a"]), "unknown field 'acepting'"),
    ('{"alphabet": ["0", "1"], "states": ["a"],', "JSON syntax error at line 1"),
    ("[1, 2]", "expected an object"),
])
def test_json_errors(tmp_path, text, message):
    assert message in bad(tmp_path, ".json", text)


def test_output_map_errors(tmp_path):
    spec = {k: v for k, v in GOOD_JSON.items() if k != "accepting"}
    spec["output"] = {"a": 0, "b": 2, "c": 1}
    assert "output of state 'b' must be 0 or 1" in bad(tmp_path, ".json", json.dumps(spec))
    spec["output"] = {"a": 0, "b": 1}
    assert "missing output for state 'c'" in bad(tmp_path, ".json", json.dumps(spec))


@pytest.mark.parametrize("text, message", [
    (GOOD_YAML.replace("a: {'0': a, '1': b}", "a: {'0': a, '1': b, '1': a}"),
     "duplicate transition from 'a' on '1'"),
    (GOOD_YAML.replace("['0', '1']", "[0, 1]"), "symbol 0 is not a string (quote it in YAML"),
    (GOOD_YAML.replace("a: {'0': a, '1': b}", "a: {0: a, '1': b}"), "symbol 0 in the transitions of 'a'"),
    (GOOD_YAML.replace("states: [a, b]", "states: [off, b]"), "state False is not a string"),
    (GOOD_YAML.replace("states: [a, b]", "states: [a, b"), "YAML syntax error at line"),
    (GOOD_YAML.replace("alphabet: ['0', '1']", "alphabet: []"), "empty alphabet"),
    (GOOD_YAML.replace("  b: {'0': b, '1': b}\n", ""), "missing transition from 'b' on '0'"),
])
def test_yaml_errors(tmp_path, text, message):
    assert message in bad(tmp_path, ".yaml", text)


def test_missing_file_and_unknown_spec(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        load_automaton(str(tmp_path / "absent.yaml"))
    (tmp_path / "spec.txt").write_text("{}")
    with pytest.raises(ValueError, match="unsupported file type"):
        load_automaton(str(tmp_path / "spec.txt"))
    with pytest.raises(ValueError) as e:
        load_automaton("tomita8")
    assert "tomita1" in str(e.value) and "re:PATTERN" in str(e.value)
    with pytest.raises(ValueError, match="bad regular expression"):
        load_automaton("re:(0")


def test_regex_spec():
    assert load_automaton("re:0*1*0*1*") == minimize(from_regex("0*1*0*1*"))
    assert distinguishing_word(load_automaton("re:0*1*0*1*"), LIBRARY["tomita7"]()) is None


def test_import_needs_the_standard_library_only():
    code = ("import sys, automata_rnn.model.automata; "
            "print(sorted(m for m in ('yaml', 'automata', 'hypothesis', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
