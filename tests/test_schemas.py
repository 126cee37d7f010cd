"""The JSON Schemas of the outputs (automata_rnn/schemas, docs/json.md) against the JSON the tool really
writes: the tour, the README's examples, the proof certificates, a saved weights file and training logs;
and against broken copies of it, which they must reject.  Two runs of `minimize` print the same bytes."""

from __future__ import annotations

import argparse
import contextlib
import copy
import importlib.util
import io
import json
import pathlib
import re
import shlex
import sys

import pytest

from automata_rnn.cli.main import build_parser, main
from automata_rnn.interop.schemas import ID_PREFIX, SchemaMismatch, problems, schema, schema_names, validate

jsonschema = pytest.importorskip("jsonschema")

REPO = pathlib.Path(__file__).resolve().parent.parent
PACKAGE_SCHEMAS = REPO / "automata_rnn" / "schemas"


def printed_json(argv: list[str]) -> tuple[int, object]:
    """Run a command line in-process with --json; (exit code, the JSON it printed on stdout)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main([*argv, "--json"])
    return code, json.loads(out.getvalue())


def assert_valid(name: str, obj) -> None:
    found = problems(name, obj)
    assert not found, f"{name}: " + "\n".join(found[:10])


# -- the schemas themselves --------------------------------------------------------------------------

def test_every_schema_is_draft_2020_12_with_a_versioned_urn_and_every_reference_resolves():
    from referencing import Registry, Resource

    names = schema_names()
    registry = Registry().with_resources([(schema(n)["$id"], Resource.from_contents(schema(n))) for n in names])
    for name in names:
        s = schema(name)
        jsonschema.Draft202012Validator.check_schema(s)
        assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert re.fullmatch(re.escape(ID_PREFIX + name) + r":[1-9][0-9]*", s["$id"]), s["$id"]
        resolver = registry.resolver(base_uri=s["$id"])
        for ref in _refs(s):
            resolver.lookup(ref)      # raises if a reference names no schema or no definition


def _refs(node):
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "$ref":
                yield v
            else:
                yield from _refs(v)
    elif isinstance(node, list):
        for v in node:
            yield from _refs(v)


def test_every_command_that_prints_json_has_a_schema_and_the_package_ships_every_schema_file():
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
    with_json = {name for name, p in commands.items() if any("--json" in a.option_strings for a in p._actions)}
    assert with_json and with_json <= set(schema_names())
    assert {"certificate", "certificate-file", "weights-file", "training-log"} <= set(schema_names())
    # pyproject ships automata_rnn/schemas/*.schema.json: nothing else may sit there unshipped
    assert sorted(p.name for p in PACKAGE_SCHEMAS.iterdir()) == sorted(f"{n}.schema.json" for n in schema_names())


def test_the_schemas_name_the_same_cells_semantics_rules_activations_and_claims_as_the_code():
    from automata_rnn.exact.checker import CLAIMS, FORMAT
    from automata_rnn.learn.train import READOUTS as TRAINER_READOUTS
    from automata_rnn.model.activation import ACTIVATIONS
    from automata_rnn.model.cells import CELLS
    from automata_rnn.model.network import OUTPUT_RULES, READOUTS
    from automata_rnn.model.semantics import Semantics

    defs = schema("common")["$defs"]
    assert defs["cell"]["enum"] == list(CELLS)
    assert defs["semantics"]["enum"] == list(Semantics.NAMES)
    assert defs["output"]["enum"] == list(READOUTS)
    assert defs["output_rule"]["enum"] == list(OUTPUT_RULES)
    assert defs["activation"]["enum"] == list(ACTIVATIONS)
    cert = schema("certificate")["properties"]
    assert cert["claim"]["enum"] == list(CLAIMS) and cert["format"]["const"] == FORMAT
    assert schema("training-log")["properties"]["readout"]["enum"] == list(TRAINER_READOUTS)


def test_the_schema_command_prints_the_shipped_schema(capsys):
    assert main(["schema", "certificate"]) == 0
    assert json.loads(capsys.readouterr().out) == schema("certificate")
    assert main(["schema", "no-such-output"]) == 2
    assert "invalid choice" in capsys.readouterr().err


# -- what the tool writes ----------------------------------------------------------------------------

def test_every_answer_of_the_tour_is_valid():
    code, sections = printed_json(["tour"])
    assert code == 0
    assert_valid("tour", sections)
    assert isinstance(sections, list)
    from automata_rnn.cli.proofs import CLAIMS

    results = [r for s in sections for r in s["results"]]
    assert len(results) == sum(len(c.commands) for c in CLAIMS)
    for r in results:
        assert_valid(r["command"].split()[1], r["result"])


def _readme_examples() -> list[list[str]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("## Examples", 1)[1].split("\n\n", 2)[1]
    return [shlex.split(line.split("#")[0])[1:] for line in block.splitlines()
            if line.strip().startswith("automata-rnn ")]


LSTM_TOGGLE = ["U_i=1", "W_i=-1", "b_i=0", "U_f=-1", "W_f=0", "b_f=1", "U_g=0", "W_g=0", "b_g=1", "U_o=0", "W_o=0",
               "b_o=1"]


def _runnable(argv: list[str], tmp_path: pathlib.Path) -> list[str] | None:
    """The README's command as the test runs it: training one epoch, the table on two small entries, the census
    on one-state machines, the
    LSTM's weights pinned, files it names under tmp_path (the repository's docs are never written); None when
    it needs what is not installed."""
    argv = [str(REPO / a) if a.startswith("proofs/") else a for a in argv]
    if argv[0] == "train":
        return [*argv, "--epochs", "1", "--quiet"]
    if argv[:4] == ["solve", "toggle", "--cell", "lstm"]:
        # the search takes seconds; with the weights it finds pinned, the answer has the same form
        return [*argv, "--fix", *LSTM_TOGGLE]
    if argv[0] == "table":
        return ["table", "--automata", "tomita2", "latch", "--cells", "rnn", "--workers", "1",
                "--out", "minimal-units.md"]
    if argv[0] == "census":  # the committed census takes half an hour: one-state machines, the same form
        return ["census", "all", "--states", "1", "--cells", "rnn", "--workers", "1", "--engine", "local",
                "--no-plot", "--out", "census"]
    if "--torch" in argv:
        if importlib.util.find_spec("torch") is None:
            return None
        import torch

        torch.manual_seed(0)
        torch.save(torch.nn.GRU(1, 1).state_dict(), tmp_path / argv[argv.index("--torch") + 1])
    if "--second-opinion" in argv and importlib.util.find_spec("cvc5") is None:
        return None
    return argv


def test_every_readme_example_prints_json_its_schema_accepts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    examples = _readme_examples()
    assert len(examples) >= 30 and {"solve", "check", "train", "verify", "audit", "tour"} <= {a[0] for a in examples}
    ran = 0
    for argv in examples:
        runnable = _runnable(argv, tmp_path)
        if runnable is None:
            continue
        code, obj = printed_json(runnable)
        assert code in (0, 1, 3), runnable
        assert_valid(runnable[0], obj)
        ran += 1
    assert ran >= len(examples) - 2
    # the files the examples wrote: a weights file, training logs, and the figures beside them
    assert_valid("weights-file", json.loads((tmp_path / "stack.json").read_text()))
    summaries = sorted((tmp_path / "runs").glob("*-seeds-*.json"))
    logs = sorted(set((tmp_path / "runs").glob("*.json")) - set(summaries))
    assert len(logs) == 3 and len(summaries) == 1
    for log in logs:
        assert_valid("training-log", json.loads(log.read_text()))
    assert_valid("train", json.loads(summaries[0].read_text()))  # the summary of several seeds, as printed


def test_the_proof_certificates_are_valid_certificate_files():
    from automata_rnn.cli.proofs import CLAIMS

    files = sorted((REPO / "proofs").glob("*.json"))
    assert {f.stem for f in files} == {c.slug for c in CLAIMS}
    claims = set()
    for f in files:
        certs = json.loads(f.read_text())
        assert_valid("certificate-file", certs)
        for c in certs:
            assert_valid("certificate", c)
            claims.add(c["claim"])
    assert claims == {"refutes", "implements-region"}


def test_certificates_of_every_leaf_kind_are_valid():
    """A counting leaf (more states than codes), Farkas and word leaves (solve), clause and verified leaves
    (conditions), and both all-sizes trees."""
    leaves: set[str] = set()

    def collect(node):
        if "split" in node:
            for b in node["branches"]:
                collect(b["node"])
        else:
            leaves.update(node)

    certs = [printed_json(["solve", "tomita4", "--cell", "gru"])[1]["certificate"],
             printed_json(["solve", "toggle", "--cell", "rnn"])[1]["certificate"],
             *printed_json(["conditions", "toggle", "--cell", "gru", "--fix", "W_r=0", "U_r=0", "b_z=0",
                            "b_h=0"])[1]["certificates"],
             printed_json(["solve", "parity", "--cell", "rnn", "--all-sizes"])[1]["certificate"],
             printed_json(["solve", "tomita1", "--cell", "rnn", "--all-sizes"])[1]["certificate"]]
    for c in certs:
        assert_valid("certificate", c)
        collect(c["tree"])
    assert leaves == {"counting", "farkas", "word", "clause", "verified"}
    assert {c["claim"] for c in certs} == {"refutes", "implements-region", "refutes-all-sizes"}


def test_a_saved_weights_file_and_a_stacked_training_log_are_valid_and_read_back(tmp_path):
    saved = tmp_path / "w.json"
    code, answer = printed_json(["solve", "tomita2", "--cell", "rnn", "--units", "2", "--save", str(saved)])
    assert code == 0
    record = json.loads(saved.read_text())
    assert_valid("weights-file", record)
    assert record["weights"] == answer["weights"]
    flat = tmp_path / "flat.json"
    flat.write_text(json.dumps({k.lower(): str(v) for k, v in record["weights"].items()}))
    assert_valid("weights-file", json.loads(flat.read_text()))
    assert printed_json(["check", "tomita2", "--weights", str(flat), "--units", "2"])[0] == 0

    code, summary = printed_json(["train", "parity", "--cell", "rnn", "--units", "1,1", "--epochs", "1",
                                  "--sequences", "50", "--no-plot", "--quiet", "--out", str(tmp_path)])
    assert code == 0
    assert_valid("train", summary)
    (log_path,) = summary["files"]
    log = json.loads(pathlib.Path(log_path).read_text())
    assert_valid("training-log", log)
    assert log["layers"] == [1, 1] and len(log["loss"]) == log["minibatches"]
    code, verdict = printed_json(["verify", "parity", "--weights", log_path])
    assert code in (0, 1, 3)
    assert_valid("verify", verdict)


def test_answers_of_the_other_branches_are_valid(tmp_path):
    """Answers the README does not show: not certified, unknown, --timings, --latex, proofs, plot."""
    cases = [
        (["certify", "latch", "--cell", "gru", "--set", "U_z=-2", "W_z=2", "b_z=1", "U_r=2", "b_r=1", "U_h=2",
          "b_h=1"], "certify"),
        (["solve", "toggle", "--cell", "rnn", "--certify"], "solve"),
        (["solve", "latch", "--cell", "rnn", "--all-sizes"], "solve"),
        (["minimize", "parity", "--cell", "rnn", "--max-hidden", "1", "--timings"], "minimize"),
        (["conditions", "latch", "--cell", "rnn", "--latex"], "conditions"),
        (["check", "toggle", "--cell", "rnn", "--set", "U_h=1", "W_h=1", "b_h=0", "--semantics", "saturated"],
         "check"),
        (["verify", "latch", "--cell", "rnn", "--set", "U_h=20", "W_h=20", "b_h=-10"], "verify"),
        (["check", "latch", "--cell", "lstm", "--semantics", "saturated", "--set", "U_i=1", "b_i=-1/2", "b_f=3/2",
          "b_g=1/2", "W_o=1", "b_o=1/2"], "check"),    # a cell state that counts, implements
        (["check", "latch", "--cell", "lstm", "--semantics", "saturated", "--set", "U_i=1", "b_i=-1/2", "b_f=3/2",
          "b_g=1/2", "U_o=2", "W_o=-1", "b_o=9999/10000"], "check"),    # counts, fails at length 6
        (["simulate", "latch", "--cell", "lstm", "--set", "U_i=1", "b_f=1", "U_g=1", "b_g=1", "b_o=1",
          "--input", "0110"], "simulate"),
        (["diagram", "automaton", "latch"], "diagram"),
        (["proofs", "--check", "--out", str(REPO / "proofs")], "proofs"),
        (["proofs", "--out", str(tmp_path / "proofs")], "proofs"),
        (["plot", "dynamics", "--out", str(tmp_path)], "plot"),
    ]
    for argv, name in cases:
        code, obj = printed_json(argv)
        assert code in (0, 1, 3), argv
        assert_valid(name, obj)
    code, obj = printed_json(["minimize", "parity", "--cell", "rnn", "--max-hidden", "1", "--timings"])
    assert code == 3 and obj["construction"]["units"] == 4 and len(obj["timings"]["sizes_seconds"]) == 1


def test_the_answer_of_a_command_that_runs_out_of_time_is_valid():
    code, obj = printed_json(["conditions", "latch", "--units", "3", "--timeout", "1"])
    assert code == 3 and obj["verdict"] == "unknown" and obj["reason"]
    assert_valid("conditions", obj)


# -- broken copies are rejected ------------------------------------------------------------------------

def _mutations(obj, optional: set[str]):
    """(what, copy) for every key of ``obj`` that is not optional: removed, renamed, and given a wrong type."""
    for key, value in obj.items():
        if key in optional:
            continue
        removed = {k: v for k, v in obj.items() if k != key}
        yield f"{key} removed", removed
        yield f"{key} renamed", {**removed, key + "_": value}
        yield f"{key} as a list", {**obj, key: [value]}


@pytest.fixture(scope="module")
def answers(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("answers")
    saved = tmp / "w.json"
    out = {
        "solve": printed_json(["solve", "toggle", "--cell", "rnn", "--save", str(saved)])[1],
        "solve-sat": printed_json(["solve", "latch", "--cell", "gru", "--save", str(saved)])[1],
        "check": printed_json(["check", "toggle", "--cell", "gru", "--set", "b_r=1", "U_z=1", "U_h=0", "b_h=1",
                               "W_h=-2"])[1],
        "conditions": printed_json(["conditions", "latch", "--cell", "rnn", "--against", "b_h <= 0"])[1],
        "certify": printed_json(["certify", "latch", "--cell", "rnn", "--set", "U_h=2", "W_h=2", "b_h=-1"])[1],
        "minimize": printed_json(["minimize", "tomita2", "--cell", "rnn"])[1],
        "weights-file": json.loads(saved.read_text()),
    }
    summary = printed_json(["train", "latch", "--cell", "gru", "--epochs", "1", "--sequences", "50", "--no-plot",
                            "--quiet", "--out", str(tmp)])[1]
    out["train"] = summary
    out["training-log"] = json.loads(pathlib.Path(summary["files"][0]).read_text())
    census = printed_json(["census", "all", "--states", "2", "--cells", "rnn", "--workers", "1", "--engine", "local",
                           "--no-plot", "--out", str(tmp / "census")])[1]
    out["census"] = census
    with open(census["files"]["dataset"], encoding="utf-8") as f:
        out["census-record"] = next(r for r in map(json.loads, f) if r["lower_bound"]["certificate"])
    return out


OPTIONAL = {"conditions": {"table"}, "training-log": set(), "train": set()}
SCHEMA_OF = {"solve-sat": "solve"}


@pytest.mark.parametrize("which", ["solve", "solve-sat", "check", "conditions", "certify", "minimize",
                                   "weights-file", "training-log", "train", "census", "census-record"])
def test_a_missing_renamed_or_mistyped_key_is_rejected(answers, which):
    name = SCHEMA_OF.get(which, which)
    obj = answers[which]
    assert_valid(name, obj)
    tried = 0
    for what, broken in _mutations(obj, OPTIONAL.get(which, set())):
        assert problems(name, broken), f"{which}: {what} was accepted"
        tried += 1
    assert tried >= 3 * 5


def test_broken_nested_parts_are_rejected(answers):
    solve = answers["solve"]
    cases = {
        "the problem without its cell": ("solve", ["problem", "cell"], None),
        "an unknown cell": ("solve", ["problem", "cell"], "transformer"),
        "a verdict outside sat/unsat/unknown": ("solve", ["verdict"], "yes"),
        "a certificate of another format": ("solve", ["certificate", "format"], "automata-rnn-certificate/2"),
        "a split with one branch": ("solve", ["certificate", "tree", "branches"],
                                    solve["certificate"]["tree"]["branches"][:1]),
        "a sign set out of order": ("solve", ["certificate", "tree", "branches", 0, "signs"], "-+"),
        "a fraction for a float weight": ("solve-sat", ["weights", "U_h"], 0.5),
        "a trace row without its time": ("check", ["counterexample", "trace", 0, "t"], None),
        "an automaton without its start": ("check", ["problem", "automaton", "start"], None),
        "a judgement without its witnesses": ("conditions", ["necessary_witness"], None),
        "codes as plain strings": ("certify", ["codes"], ["0", "1"]),
        "a loss that is text": ("training-log", ["loss", 0], "low"),
        "latch-task settings on an automaton": ("training-log", ["settings", "test_sequences"], None),
    }
    for what, (which, path, value) in cases.items():
        broken = copy.deepcopy(answers[which])
        parent = broken
        for step in path[:-1]:
            parent = parent[step]
        if value is None:
            del parent[path[-1]]
        else:
            parent[path[-1]] = value
        assert problems(SCHEMA_OF.get(which, which), broken), f"{which}: {what} was accepted"


def test_validate_raises_naming_where_and_passes_a_valid_answer(answers):
    validate("solve", answers["solve"])
    broken = {k: v for k, v in answers["solve"].items() if k != "verified"}
    with pytest.raises(SchemaMismatch, match="urn:automata-rnn:schema:solve:1"):
        validate("solve", broken)
    # of the forms a solve answer may take, the one it comes closest to explains what is wrong
    assert problems("solve", broken) == ["at /: 'verified' is a required property"]
    mistyped = copy.deepcopy(answers["solve-sat"])
    mistyped["weights"]["U_h"] = 0.5
    assert problems("solve", mistyped) == ["at /weights/U_h: 0.5 is not of type 'integer'"]
    assert problems("tour", [{"claim": 1}])[-1] == "at /0/claim: 1 is not of type 'string'"


def test_without_jsonschema_reading_works_and_validating_says_what_to_install(monkeypatch):
    from automata_rnn.interop import schemas

    monkeypatch.setitem(sys.modules, "jsonschema", None)     # as if it were not installed
    monkeypatch.setattr(schemas, "_validator", schemas._validator.__wrapped__)
    assert schema("solve")["$id"] == "urn:automata-rnn:schema:solve:1"
    with pytest.raises(ImportError, match="pip install jsonschema"):
        validate("solve", {})


# -- reruns --------------------------------------------------------------------------------------------

def test_two_runs_of_minimize_print_the_same_bytes_and_timings_only_when_asked(capsys):
    outs = []
    for _ in range(2):
        assert main(["minimize", "tomita5", "--cell", "gru", "--json"]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1]
    assert "timings" not in outs[0] and "seconds" not in outs[0]
    assert_valid("minimize", json.loads(outs[0]))
    assert main(["minimize", "tomita5", "--cell", "gru", "--json", "--timings"]) == 0
    timed = json.loads(capsys.readouterr().out)
    assert_valid("minimize", timed)
    assert len(timed.pop("timings")["sizes_seconds"]) == len(timed["sizes"])
    assert timed == json.loads(outs[0])
