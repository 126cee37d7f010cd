"""The command line: exit codes, one-line errors, JSON fields, reproducibility."""

import json
import subprocess
import sys

import pytest

from automata_rnn.cli.main import main


def run(*argv):
    r = subprocess.run([sys.executable, "-m", "automata_rnn", *argv], capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


@pytest.mark.parametrize("argv", [
    ["solve", "toggle", "--cell", "lstmx"],
    ["solve", "nosuch", "--cell", "rnn"],
    ["solve", "latch", "--fix", "U_h=nan"],
    ["solve", "latch", "--fix", "U_h=inf"],
    ["certify", "latch", "--set", "U_h=1e400"],
    ["verify", "latch", "--set", "U_h=-1e400"],
    ["solve", "latch", "--fix", "V_q=1"],
    ["solve", "latch", "--fix", "U_h"],
    ["solve", "latch", "--timeout", "-1"],
    ["solve", "latch", "--semantics", "fuzzy"],
    ["conditions", "latch", "--against", "U_h >"],
    ["conditions", "latch", "--against", "U_h * W_h > 0"],
    ["check", "latch"],
    ["check", "latch", "--weights", "/nonexistent.json"],
    ["solve", "--units", "0", "latch"],
    [],
])
def test_bad_input_is_one_line_and_exit_2(argv):
    code, out, err = run(*argv)
    assert code == 2
    if argv:
        assert err.count("\n") == 1 and err.startswith("automata-rnn: error:"), err
        assert "Traceback" not in err


def test_malformed_weights_file(tmp_path):
    bad = tmp_path / "w.json"
    bad.write_text("{ not json")
    code, _, err = run("check", "latch", "--weights", str(bad))
    assert code == 2 and "malformed JSON" in err
    bad.write_text('{"U_h": NaN}')
    code, _, err = run("check", "latch", "--weights", str(bad))
    assert code == 2 and err.count("\n") == 1


def test_solve_json_round_trips_into_check(tmp_path, capsys):
    assert main(["solve", "toggle", "--cell", "gru", "--fix", "W_r=0", "U_r=0", "b_z=0", "b_h=0", "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["verdict"] == "sat" and obj["verified"] is True
    f = tmp_path / "w.json"
    f.write_text(json.dumps(obj))
    assert main(["check", "toggle", "--cell", "gru", "--weights", str(f), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["implements"] is True


def test_check_failure_exit_1_with_counterexample(capsys):
    code = main(["check", "toggle", "--cell", "gru", "--set", "b_r=1", "U_z=1", "U_h=0", "b_h=0", "W_h=-2", "--json"])
    assert code == 1
    obj = json.loads(capsys.readouterr().out)
    assert obj["implements"] is False and obj["counterexample"]["inputs"] == "1"
    assert obj["counterexample"]["expected"] == [0, 1] and obj["counterexample"]["got"] == [0, 0]


def test_unsat_json_has_checkable_certificate(capsys):
    from automata_rnn.exact.checker import check
    assert main(["solve", "toggle", "--cell", "rnn", "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["verdict"] == "unsat" and check(obj["certificate"])[0]


def test_same_command_same_bytes():
    argv = ("conditions", "toggle", "--cell", "gru", "--fix", "W_r=0", "U_r=0", "b_z=0", "b_h=0", "--json")
    a, b = run(*argv), run(*argv)
    assert a[0] == 0 and a[1] == b[1]


def test_conditions_against_json(capsys):
    assert main(["conditions", "latch", "--cell", "gru", "--fix", "W_r=0", "U_r=0", "b_r=0", "b_z=0", "b_h=0",
                 "--against", "U_z + W_z > 0", "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["equivalent"] is True
    assert obj["necessary"] is False and obj["sufficient"] is False
    assert obj["necessary_witness"] and obj["sufficient_witness"]


def test_proof_pages_are_current():
    import os

    from automata_rnn.cli.main import run_command
    from automata_rnn.cli.proofs import check_pages
    here = os.path.join(os.path.dirname(__file__), "..", "proofs")
    assert check_pages(here, run_command) == []


def test_a_bug_is_never_reported_as_bad_input(monkeypatch, capsys):
    """A plain ValueError from inside the library is a bug: exit 70 and one line saying so, not exit 2."""
    from automata_rnn.cli import main as cli

    def broken(args):
        raise ValueError("an invariant broke")

    monkeypatch.setitem(cli.COMMANDS, "check", broken)
    assert cli.main(["check", "latch", "--set", "U_h=1"]) == 70
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "a bug" in err and "an invariant broke" in err


def test_no_answer_is_unknown_with_its_reason_in_json(monkeypatch, capsys):
    from automata_rnn.cli import main as cli
    from automata_rnn.verdicts import ResourceLimit

    def limited(args):
        raise ResourceLimit("more than 7 reachable pairs")

    monkeypatch.setitem(cli.COMMANDS, "check", limited)
    assert cli.main(["check", "latch", "--set", "U_h=1", "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out == {"verdict": "unknown", "reason": "more than 7 reachable pairs"}


def test_version(capsys):
    import automata_rnn
    from automata_rnn.cli.main import main

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"automata-rnn {automata_rnn.__version__}"


@pytest.mark.parametrize("argv, says", [
    (["solve", "re:"], "empty regular expression"),
    (["conditions", "latch", "--against", ""], "empty condition"),
])
def test_empty_inputs_are_refused_not_read_as_something(argv, says, capsys):
    from automata_rnn.cli.main import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err


def test_an_output_file_in_a_missing_folder_is_refused_and_no_folder_made(tmp_path, capsys):
    from automata_rnn.cli.main import main

    target = tmp_path / "missing" / "deeper" / "latch.png"
    assert main(["diagram", "automaton", "latch", "--out", str(target)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "missing").exists()


def test_minimize_json_without_timings_is_byte_identical_across_runs(capsys):
    from automata_rnn.cli.main import main

    outs = []
    for _ in range(2):
        assert main(["minimize", "tomita2", "--cell", "rnn", "--json", "--no-timings"]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1] and "timings" not in outs[0] and "seconds" not in outs[0]
    assert main(["minimize", "tomita2", "--cell", "rnn", "--json", "--timings"]) == 0
    assert "sizes_seconds" in json.loads(capsys.readouterr().out)["timings"]


def test_an_empty_word_failure_says_why_no_weights_help(capsys):
    from automata_rnn.cli.main import main

    assert main(["solve", "tomita1"]) == 0
    out = capsys.readouterr().out
    assert "read from h(0) = 0" in out and "tomita1 outputs 1 on the empty word" in out


def test_an_unknown_verify_answer_carries_its_reason(tmp_path):
    """The GRU latch solved under the indicator semantics reads h = 0 into a read-out pre-activation of 0:
    the real network at gain 1 decides nothing at time 0, nothing is proved and float64's failure is within
    the rounding margin. The answer is unknown, and its JSON says why in the same words as the text."""
    weights = str(tmp_path / "w.json")
    assert run("solve", "latch", "--cell", "gru", "--save", weights)[0] == 0
    argv = ["verify", "latch", "--output", "readout", "--semantics", "indicator", "--activation", "sigmoid",
            "--weights", weights, "--timeout", "20"]
    code, out, _ = run(*argv, "--json")
    text_code, text, _ = run(*argv)
    answer = json.loads(out)
    assert code == text_code == 3 and answer["verdict"] == "unknown"
    assert answer["reason"] and "UNKNOWN: " + answer["reason"] in text
