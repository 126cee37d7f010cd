"""Malformed input everywhere a user types or loads something: one clear line, exit 2, no traceback.

Each test runs the command line in-process on generated input; together they
throw well over 1000 inputs per run.  Inputs that happen to be valid must
still end in a normal exit code (0, 1 or 3) without a traceback.
"""

import contextlib
import io
import json
import os
import re
import shutil
import string

import pytest
from cli_grammar import command_lines, make_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automata_rnn.cli.main import main
from automata_rnn.exact.checker import FORMAT, check

FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck))


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def assert_clean(code, err):
    assert "Traceback" not in err
    assert code in (0, 1, 2, 3), code
    if code == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("automata-rnn: error:") and len(lines[0]) > 22, err


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=6),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12)

VALID = {"alphabet": ["0", "1"], "states": ["a", "b"], "start": "a",
         "transitions": {"a": {"0": "a", "1": "b"}, "b": {"0": "b", "1": "a"}}, "accepting": ["b"]}


@st.composite
def mutated_automata(draw):
    spec = json.loads(json.dumps(VALID))
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(sorted(spec) + ["extra"]))
        action = draw(st.sampled_from(["drop", "replace", "nest"]))
        if action == "drop":
            spec.pop(key, None)
        elif action == "replace":
            spec[key] = draw(json_values)
        elif isinstance(spec.get("transitions"), dict):
            spec["transitions"][draw(st.sampled_from(["a", "b", "c"]))] = draw(json_values)
    return spec


@FUZZ
@given(st.one_of(mutated_automata(), json_values), st.booleans())
def test_fuzz_automaton_files(tmp_path_factory, spec, as_yaml):
    path = tmp_path_factory.mktemp("a") / ("a.yaml" if as_yaml else "a.json")
    path.write_text(json.dumps(spec) if not as_yaml else json.dumps(spec).replace('"', "'"))
    code, _, err = run(["solve", str(path), "--cell", "rnn", "--timeout", "5"])
    assert_clean(code, err)


@FUZZ
@given(st.one_of(json_values, st.dictionaries(st.sampled_from(["U_h", "W_h", "b_h", "u_h", "X", "weights"]),
                                              json_values, max_size=4)),
       st.binary(max_size=20))
def test_fuzz_weights_files(tmp_path_factory, obj, raw):
    path = tmp_path_factory.mktemp("w") / "w.json"
    path.write_bytes(json.dumps(obj).encode() if raw[:1] != b"\x00" else raw)
    code, _, err = run(["check", "latch", "--cell", "rnn", "--weights", str(path)])
    assert_clean(code, err)


values = st.text(alphabet=string.printable, max_size=8) | st.sampled_from(
    ["nan", "inf", "-inf", "1/0", "1e999", "0x10", "--", "", "1/2/3", "½", "NaN"])


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(["U_h", "w_h", "b_h", "Q", "", "U_h[0,0]"]), values), min_size=1,
                max_size=3), st.sampled_from(["--set", "--fix"]))
def test_fuzz_assignments(pairs, flag):
    items = [f"{k}={v}" if i % 2 == 0 else f"{k}{v}" for i, (k, v) in enumerate(pairs)]
    cmd = ["check", "latch", "--cell", "rnn"] if flag == "--set" else ["solve", "latch", "--cell", "rnn"]
    code, _, err = run(cmd + [flag] + items)
    assert_clean(code, err)


@FUZZ
@given(st.text(alphabet="01|*+?()[]^-.{},a ", max_size=10))
def test_fuzz_regexes(pattern):
    code, _, err = run(["solve", "re:" + pattern, "--cell", "rnn", "--timeout", "5"])
    assert_clean(code, err)


WORDS = ["solve", "check", "conditions", "minimize", "certify", "table", "tour", "audit", "proofs", "latch", "toggle",
         "--cell", "rnn", "gru", "lstm", "bogus", "--units", "0", "-1", "99999", "--timeout", "-1", "nan", "--margin",
         "--bound", "--semantics", "saturated", "--output", "--max-hidden", "--against", "U_h >", "--json", "--fix",
         "--set", "--weights", "/nonexistent", "--latex", "--all-sizes", "x", "2"]


@FUZZ
@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6))
def test_fuzz_flags(argv):
    if argv[0] in ("tour", "proofs", "table") or "table" in argv or "proofs" in argv or "minimize" in argv:
        argv = ["solve"] + [a for a in argv if a not in ("tour", "proofs", "table", "minimize")]
    argv += ["--timeout", "5"] if argv[0] in ("solve", "conditions") and "--timeout" not in argv else []
    code, _, err = run(argv)
    assert_clean(code, err)


def test_huge_request_is_a_limit_reported_up_front():
    """3^9 codes are past the encoding's limit: unknown (exit 3) with the reason, before any solving."""
    code, out, err = run(["solve", "tomita3", "--cell", "gru", "--units", "9", "--semantics", "saturated"])
    assert code == 3 and "codes" in out and err == ""


@pytest.mark.parametrize("item", ["-: U_h=\r0", "W_h=1\n2", "x\x1b[2J=1"])
def test_control_characters_in_arguments_stay_on_one_line(item):
    """An argument holding a newline, a carriage return or an escape sequence is echoed escaped."""
    code, _, err = run(["check", "latch", "--cell", "rnn", "--set", "U_h=1", item])
    assert code == 2
    assert_clean(code, err)
    assert "\r" not in err and "\x1b" not in err


# The whole command line, from a grammar read off the parser (tests/cli_grammar.py): every subcommand and flag.
# FUZZ_CASES sets the number of command lines (2000 by default, the CI run); FUZZ_RANDOM=1 draws a fresh sample
# instead of the same one every run (benchmarks/fuzz.py runs 50,000 that way).
FUZZ_CASES = int(os.environ.get("FUZZ_CASES", "2000"))


@pytest.fixture(scope="module")
def fuzz_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    make_files(str(folder))
    return folder


def _certificates(obj):
    if isinstance(obj, dict):
        if obj.get("format") == FORMAT:
            yield obj
        else:
            for v in obj.values():
                yield from _certificates(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _certificates(v)


def test_fuzz_command_line(fuzz_folder, monkeypatch):
    """Exit code 0-3; exit 2 is one line on stderr; no traceback; no file left unless the command answered
    (exit 0 or 1), and never a temporary one; every certificate in a JSON answer accepted by the checker."""
    monkeypatch.chdir(fuzz_folder)
    fixtures = set(os.listdir(fuzz_folder))

    @settings(max_examples=FUZZ_CASES, deadline=None, database=None, suppress_health_check=list(HealthCheck),
              derandomize=os.environ.get("FUZZ_RANDOM") != "1")
    @given(command_lines())
    def case(argv):
        code, out, err = run(argv)
        assert_clean(code, err)
        new = set(os.listdir(fuzz_folder)) - fixtures
        try:
            assert not any(name.startswith(".tmp-") for name in new), (argv, new)
            if code in (2, 3):
                assert not new, (argv, code, new)
            if code == 3:  # unknown, with the reason (a table: every unknown entry with its reason)
                answer = json.loads(out) if "--json" in argv else None
                if isinstance(answer, list):
                    reasons = [r.get("reason") for r in answer if r.get("minimal_hidden") is None]
                elif answer is not None:
                    reasons = [answer.get("reason")]
                else:
                    reasons = re.findall(r"(?:UNKNOWN|NOT CERTIFIED)[^:\n]*: (.*)|^\* \[\d+\] [^:]*: (.*)", out, re.M)
                    reasons = ["".join(r) for r in reasons]
                assert reasons and all(isinstance(r, str) and r.strip() for r in reasons), (argv, out)
            if code == 0 and "--json" in argv:
                for cert in _certificates(json.loads(out)):
                    assert check(cert)[0], argv
        finally:
            for name in new:
                path = os.path.join(fuzz_folder, name)
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)

    case()
