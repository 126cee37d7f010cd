"""Weights files round trip; cvc5 agrees with z3 on every published claim."""

import json

import numpy as np
import pytest

from automata_rnn.cli.main import main
from automata_rnn.cli.proofs import CLAIMS
from automata_rnn.model.cells import get_cell
from automata_rnn.solver.cvc5 import cvc5_available


def _solve_argv(argv):
    """The solve question behind a published command (same automaton, cell and fixed weights)."""
    argv = list(argv)
    fixed = []
    for flag in ("--fix", "--set"):
        if flag in argv:
            for a in argv[argv.index(flag) + 1:]:
                if a.startswith("--"):
                    break
                fixed.append(a)
    out = ["solve", argv[1], "--cell", argv[argv.index("--cell") + 1]]
    return out + (["--fix", *fixed] if fixed else [])


# the claims whose cell has finitely many codes: cvc5 reads their direct encoding (an LSTM's cell state can count)
ENCODED = sorted({tuple(_solve_argv(c)) for claim in CLAIMS for c in claim.commands
                  if get_cell(_solve_argv(c)[3]).code_values("indicator") is not None})


def test_the_lstm_claims_have_no_direct_encoding_to_ask_cvc5_about(capsys):
    assert main(["solve", "toggle", "--cell", "lstm", "--second-opinion", "cvc5"]) == 2
    assert "direct encoding" in capsys.readouterr().err


@pytest.mark.skipif(not cvc5_available(), reason="cvc5 not installed")
@pytest.mark.parametrize("argv", ENCODED)
def test_cvc5_agrees_on_every_published_claim(argv, capsys):
    assert main(list(argv) + ["--second-opinion", "cvc5", "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["second_opinion"]["agrees"] is True


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_saved_weights_load_back(tmp_path, suffix, capsys):
    path = str(tmp_path / ("w" + suffix))
    assert main(["solve", "tomita2", "--cell", "gru", "--units", "2", "--save", path, "--json"]) == 0
    solved = json.loads(capsys.readouterr().out)
    assert main(["check", "tomita2", "--cell", "gru", "--units", "2", "--weights", path, "--json"]) == 0
    checked = json.loads(capsys.readouterr().out)
    assert checked["implements"] is True
    assert checked["weights"] == solved["weights"]  # small integers survive float64 exactly


def test_npz_with_wrong_shape_is_bad_input(tmp_path, capsys):
    path = tmp_path / "w.npz"
    np.savez(path, U_h=np.zeros((3, 3)))
    assert main(["check", "latch", "--cell", "rnn", "--weights", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "U_h" in err
