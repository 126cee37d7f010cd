"""A grammar of the whole command line, read from the parser itself, for the command-line fuzzer.

Every subcommand and every flag that ``automata-rnn`` defines is drawn (a flag added later is fuzzed without
a change here); each value comes from a pool chosen by what the flag takes (an automaton, a cell, a number, an
assignment, a file), mixing valid, boundary and malformed values. Files are made once per run in a work
folder: valid ones (an automaton, weights written by ``solve --save``, a certificate) and each broken in one
field. Commands that train or tabulate get small sizes, so that a valid draw answers in a fraction of a second;
every draw gets ``--timeout`` unless it draws its own.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil

from hypothesis import strategies as st

from automata_rnn.cli.main import _parser

# subcommands never drawn: the tour and the proof pages take no input worth fuzzing beyond their flags, which
# test_cli.py covers, and they run for seconds
# (and `plot`, which draws the fixed figures of the textbook experiment for seconds; and `census`, which writes
# its dataset folder entry by entry so that an interrupted run resumes, also when it ends with unknown entries
# (exit 3), where the fuzzer requires that nothing was written: tests/test_census.py covers its flags)
SKIPPED = ("tour", "proofs", "plot", "census")

# (valid values, malformed or boundary values) per kind of argument; a value is drawn malformed one time in six
AUTOMATA = (["latch", "toggle", "tomita1", "tomita2", "parity", "re:(0|1)*1", "re:1*", "automaton.json"],
            ["re:(", "re:", "re:0{2,1}", "nosuch", "", "LATCH", "-", "broken-automaton.json", "automaton.txt",
             "missing.json", ".", "tomita3"])
CELLS = (["rnn", "gru", "gru-after", "gru-chung", "lstm"], ["", "GRU", "cnn", "rnn,gru"])
UNITS = (["1", "1", "2", "1,1"], ["0", "-1", "x", "1,", ",", "1.5", "99999", "2,0", "1,2"])
SEMANTICS = (["indicator", "saturated"], ["sigmoid", "", "x"])
ACTIVATIONS = (["sigmoid", "hard_sigmoid", "hard_sigmoid_pytorch"], ["relu", ""])
RATIONALS = (["1", "1/2", "2.5", "3", "0"], ["-1", "x", "1/0", "1e999", "nan", "inf", "", "--"])
SECONDS = (["0.5", "1", "2"], ["0", "-1", "x", "nan", "inf", "1e9", ""])
MEMORY = (["500M", "2G", "1T"], ["0", "-1", "x", "12", ""])
POSITIVE = (["1", "2", "3"], ["0", "-1", "x", "", "1.5", "100000"])
INTEGERS = (["0", "1", "2", "7"], ["-1", "x", "", "1.5"])
SMALL = (["1", "2"], ["0", "-3", "x", ""])
FLOATS = (["1", "0.2", "5"], ["0", "-1", "nan", "inf", "x", ""])
ASSIGNMENTS = (["U_h=1", "W_h=-2", "b_h=1/2", "b_h=0", "U_z=1", "W_r=0", "b_r=1"],
               ["U_h=x", "Q=1", "=", "U_h=", "U_h=1e400", "U_h=nan", "U_h", "l1.U_h=1", "U_h[0,0]=1", "U_h=1=2"])
CLAIMS = (["b_h <= 0", "b_h <= 0, u_h + b_h > 0, w_h + b_h > 0", "u_z <= 0, u_h > 0, w_z > 0"],
          ["u_h +", "", "q > 0", ">", "u_h > 0 or"])
WORDS = (["0101", "", "0", "1" * 40], ["012", "ab", "0 1"])
OUT_FILES = (["out.json", "out.png", "out.smt2", "out.dot"], ["nodir/out.json", ".", ""])
IN_FILES = (["weights.json", "certificate.json"], ["broken-weights.json", "broken-certificate.json", "automaton.json",
                                                   "missing.json", "not-json.json", "empty.json", "."])

# by flag (its first long spelling) or positional (its dest): the pools of values
POOLS = {
    "automaton": AUTOMATA, "--cell": CELLS, "--units": UNITS, "--semantics": SEMANTICS,
    "--activation": ACTIVATIONS, "--margin": RATIONALS, "--bound": RATIONALS, "--gain": RATIONALS,
    "--timeout": SECONDS, "--memory": MEMORY, "--max-hidden": (["1", "2"], ["0", "-1", "x"]),
    "--search-length": POSITIVE, "--workers": (["1", "2"], ["0", "x"]), "--certificate-nodes": INTEGERS,
    "--fix": ASSIGNMENTS, "--set": ASSIGNMENTS, "--against": CLAIMS, "--input": WORDS,
    "--out": OUT_FILES, "--save": OUT_FILES, "--smt2": OUT_FILES, "--weights": IN_FILES,
    "--torch": (["model.pt"], ["weights.json", "missing.pt", "not-json.json"]),
    "files": IN_FILES, "--readout": (["fc"], ["head", "", "x"]), "--seed": INTEGERS,
    "--clip": FLOATS, "--lr": FLOATS, "--epochs": SMALL, "--batch": (["5", "10"], ["0", "-1", "x"]),
    "--length": SMALL, "--sequences": (["10", "4"], ["0", "-5", "x", "1"]),
    "--automata": (["latch", "toggle"], ["nosuch", ""]), "--cells": (["rnn", "gru"], ["x"]),
    "task": (["latch-task", "latch", "toggle"], ["x", ""]),
}

# flags a subcommand always gets (a draw may give its own value instead): small work, and weights to judge
ALWAYS = {
    "train": ["--epochs", "1", "--sequences", "10", "--length", "3", "--batch", "5", "--quiet", "--no-plot"],
    "table": ["--automata", "latch", "--cells", "rnn", "--max-hidden", "1", "--workers", "1"],
    "minimize": ["--max-hidden", "2"],
}
WEIGHTS = ["--weights", "weights.json"]  # the weights file is for the GRU latch
NEEDS_WEIGHTS = ("check", "certify", "simulate", "verify", "diagram")


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = _parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: sub for name, sub in action.choices.items() if name not in SKIPPED}


def _pools(action: argparse.Action) -> tuple[list[str], list[str]]:
    key = next((o for o in action.option_strings if o.startswith("--")), action.dest)
    if action.choices and key not in POOLS:
        return [*map(str, action.choices)], ["bogus", ""]
    return POOLS.get(key, POOLS.get(action.dest, (["1"], ["x", ""])))


@st.composite
def _value(draw, action: argparse.Action) -> str:
    valid, malformed = _pools(action)
    return draw(st.sampled_from(malformed if draw(st.integers(0, 5)) == 0 else valid))


@st.composite
def command_lines(draw) -> list[str]:
    """One command line: a subcommand, its positionals, a subset of its flags with values, small work."""
    name, sub = draw(st.sampled_from(sorted(subcommands().items())))
    argv = [name]
    positional = [a for a in sub._actions if not a.option_strings]
    flags = [a for a in sub._actions if a.option_strings and not isinstance(a, argparse._HelpAction)]
    for action in positional:
        if draw(st.integers(0, 19)) == 0:
            continue  # a missing positional, now and then
        argv += draw(st.lists(_value(action), min_size=1, max_size=3)) \
            if action.nargs in ("+", "*") else [draw(_value(action))]
    for action in draw(st.lists(st.sampled_from(flags), max_size=5, unique_by=lambda a: a.dest)):
        flag = draw(st.sampled_from(action.option_strings))
        if action.nargs == 0:
            argv.append(flag)
        elif action.nargs in ("+", "*"):
            argv += [flag, *draw(st.lists(_value(action), min_size=1, max_size=4))]
        else:
            argv += [flag, draw(_value(action))]
    if draw(st.integers(0, 29)) == 0:
        argv.insert(draw(st.integers(1, len(argv))), draw(st.sampled_from(["--bogus", "-x", "--", "extra"])))
    extra = ALWAYS.get(name, [])
    if name in NEEDS_WEIGHTS and not {"--set", "--weights", "--torch"} & set(argv) and draw(st.integers(0, 3)):
        extra = WEIGHTS
    i = 0
    while i < len(extra):  # a flag, and its value unless the next word is a flag
        width = 2 if i + 1 < len(extra) and not extra[i + 1].startswith("--") else 1
        if extra[i] not in argv:
            argv += extra[i:i + width]
        i += width
    if "--timeout" not in argv and any("--timeout" in a.option_strings for a in flags):
        argv += ["--timeout", "2"]
    return argv


def make_files(folder: str) -> None:
    """The input files the pools name, valid and broken, in ``folder`` (the fuzzer's working directory)."""
    from automata_rnn.cli.main import main

    def write(name: str, text: str) -> None:
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            f.write(text)

    automaton = {"alphabet": ["0", "1"], "states": ["a", "b"], "start": "a",
                 "transitions": {"a": {"0": "a", "1": "b"}, "b": {"0": "b", "1": "b"}}, "accepting": ["b"]}
    write("automaton.json", json.dumps(automaton))
    write("automaton.txt", json.dumps(automaton))
    broken = dict(automaton, transitions={"a": {"0": "a"}, "b": {"0": "b", "1": "c"}})
    write("broken-automaton.json", json.dumps(broken))
    weights = os.path.join(folder, "weights.json")
    assert main(["solve", "latch", "--cell", "gru", "--save", weights], capture={}) == 0
    with open(weights, encoding="utf-8") as f:
        record = json.load(f)
    first = next(k for k, v in record.items() if isinstance(v, dict))
    write("broken-weights.json", json.dumps({**record, first: "x"}))
    here = os.path.dirname(os.path.abspath(__file__))
    proof = os.path.join(here, os.pardir, "proofs", "rnn-toggle-impossible.json")
    shutil.copy(proof, os.path.join(folder, "certificate.json"))
    with open(proof, encoding="utf-8") as f:
        certs = json.load(f)
    certs[0]["tree"] = {"word": []}
    write("broken-certificate.json", json.dumps(certs))
    try:
        import torch
    except ImportError:  # a plain install: `--torch model.pt` must then say that PyTorch is missing
        pass
    else:
        torch.manual_seed(0)
        torch.save(torch.nn.GRU(1, 1).state_dict(), os.path.join(folder, "model.pt"))
    write("not-json.json", "{not json")
    write("empty.json", "")
