"""The census: the canonical enumeration against a brute-force count up to renaming, the census against
`minimize` run directly, every certificate it writes accepted by the checker, and a resumed census (after a
torn line or an interrupted run) ending with the same dataset; Ray, when installed, gives the same dataset."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import itertools
import json
import lzma
import os
import pathlib
import random
import signal
import subprocess
import sys
import tarfile
import time

import pytest

from automata_rnn.cli.census import guarded, local_engine
from automata_rnn.cli.main import main
from automata_rnn.exact.checker import check
from automata_rnn.interop import census_archive
from automata_rnn.interop.files import gzipped_json, read_json
from automata_rnn.interop.schemas import problems
from automata_rnn.model import families
from automata_rnn.model.automata import BINARY
from automata_rnn.questions import census as cs
from automata_rnn.questions.sizes import minimize
from automata_rnn.verdicts import BadInput, InternalCheckFailed

# -- the enumeration --------------------------------------------------------------------------------------


def _brute_force_classes(k: int) -> set:
    """Every Moore machine over {0, 1} with states 0..k-1 and start 0 whose states are all reachable and
    pairwise distinguishable, up to renaming: found by trying every table and output, reachability by a
    fixed point, distinguishability by comparing outputs on every word of length < k (enough for k states),
    and renaming by the least relabelling over all permutations that fix the start."""
    words = [w for n in range(k) for w in itertools.product(range(2), repeat=n)]
    classes = set()
    for table in itertools.product(range(k), repeat=2 * k):
        reach = {0}
        while True:
            more = reach | {table[2 * q + a] for q in reach for a in range(2)}
            if more == reach:
                break
            reach = more
        if len(reach) < k:
            continue
        for outputs in itertools.product(range(2), repeat=k):
            def run(q, w, table=table, outputs=outputs):
                for a in w:
                    q = table[2 * q + a]
                return outputs[q]
            if len({tuple(run(q, w) for w in words) for q in range(k)}) < k:
                continue
            keys = []
            for rest in itertools.permutations(range(1, k)):
                name = (0, *rest)          # state q is called name[q]
                back = {name[q]: q for q in range(k)}
                keys.append((tuple(name[table[2 * back[p] + a]] for p in range(k) for a in range(2)),
                             tuple(outputs[back[p]] for p in range(k))))
            classes.add(min(keys))
    return classes


def _key(m) -> tuple:
    """The brute force's key of an enumerated machine (its states are q0, q1, ... with start q0)."""
    k = len(m.states)
    index = {q: i for i, q in enumerate(m.states)}
    keys = []
    for rest in itertools.permutations(range(1, k)):
        name = (0, *rest)
        back = {name[index[q]]: q for q in m.states}
        keys.append((tuple(name[index[m.step(back[p], a)]] for p in range(k) for a in BINARY),
                     tuple(m.output[back[p]] for p in range(k))))
    return min(keys)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_the_canonical_enumeration_names_each_minimal_machine_once_as_brute_force_finds_them(k):
    enumerated = list(families.minimal_machines(k))
    keys = [_key(m) for m in enumerated]
    assert len(set(keys)) == len(keys)                       # no machine twice up to renaming
    assert set(keys) == _brute_force_classes(k)              # and every one
    assert len(enumerated) == {1: 2, 2: 24, 3: 1028}[k]       # Almeida, Moreira and Reis's counts
    assert len({m.name for m in enumerated}) == len(enumerated)


def test_canonical_tables_count_the_initially_connected_machines():
    # 1, 12, 216, 5248 initially connected deterministic automata over two symbols (Almeida et al., 2007)
    assert [sum(1 for _ in families.canonical_tables(k)) for k in range(1, 5)] == [1, 12, 216, 5248]


def test_a_random_sample_is_seeded_distinct_minimal_and_canonical():
    sample = families.random_minimal(3, 40, seed=7)
    assert [m.name for m in sample] == [m.name for m in families.random_minimal(3, 40, seed=7)]
    assert [m.name for m in sample] != [m.name for m in families.random_minimal(3, 40, seed=8)]
    every = {m.name: _key(m) for m in families.minimal_machines(3)}
    assert len({m.name for m in sample}) == 40 and all(every[m.name] == _key(m) for m in sample)
    assert all(len(m.states) == 6 for m in families.random_minimal(6, 5, seed=0))
    with pytest.raises(BadInput, match="only 24"):
        families.random_minimal(2, 25, seed=0)
    assert len(families.random_minimal(2, 24, seed=0)) == 24


# -- the census against minimize -----------------------------------------------------------------------------

SETTINGS = cs.Settings(max_hidden=3)


@pytest.fixture(scope="module")
def two_states(tmp_path_factory):
    """The census of every minimal machine with up to 2 states, on the three cells, in a folder."""
    folder = tmp_path_factory.mktemp("census")
    automata = families.all_minimal(2)
    result = cs.census(automata, ["rnn", "gru", "gru-after"], str(folder), SETTINGS)
    return automata, folder, result


def test_the_census_agrees_with_minimize_run_directly(two_states):
    automata, _, result = two_states
    assert len(result.records) == 26 * 3 and result.computed == 78 and result.resumed == 0
    by_key = {(r["automaton"], r["cell"]): r for r in result.records}
    for a in automata:
        for cell in ("rnn", "gru", "gru-after"):
            m = minimize(cs.problem_of(a, cell), SETTINGS.max_hidden)
            r = by_key[(a.name, cell)]
            assert m.minimal is not None and r["minimal_units"] == m.minimal, (a.name, cell)
            assert r["lower_bound"]["units"] == r["upper_bound"]["units"] == m.minimal
            assert problems("census-record", r) == []
    # complementing the outputs (the read-out's weights and bias negated, the bias moved by less than the least
    # margin) never changes a minimum
    for (name, cell), r in by_key.items():
        k, table, outputs = name.split("-")
        flipped = "".join("1" if o == "0" else "0" for o in outputs)
        assert by_key[(f"{k}-{table}-{flipped}", cell)]["minimal_units"] == r["minimal_units"]
    # the toggle's machine (parity of 1s) needs two Elman units, and one GRU unit
    assert by_key[("dfa2-0110-01", "rnn")]["minimal_units"] == 2
    assert by_key[("dfa2-0110-01", "gru")]["minimal_units"] == 1


def test_every_certificate_written_is_accepted_and_refutes_the_size_below(two_states):
    _, folder, result = two_states
    files = sorted(p for p in os.listdir(folder) if p.startswith("cert-"))
    named = {r["lower_bound"]["certificate"]: r for r in result.records if r["lower_bound"]["certificate"]}
    assert files and sorted(named) == files
    for name, record in named.items():
        cert = read_json(folder / name)
        assert check(cert)[0]
        assert cert["problem"]["units"] == record["lower_bound"]["units"] - 1 == record["minimal_units"] - 1
        assert cert["problem"]["cell"] == record["cell"] and cert["problem"]["automaton"] == record["machine"]
        assert cs.certificate_name(cert) == name
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["audit", *(str(folder / f) for f in files), "--json"]) == 0


def test_audit_reads_gzip_certificates_and_rejects_a_tampered_or_broken_one(two_states, tmp_path):
    _, folder, result = two_states
    name = next(r["lower_bound"]["certificate"] for r in result.records if r["lower_bound"]["certificate"])
    cert = read_json(folder / name)
    tampered = tmp_path / "tampered.json.gz"
    tampered.write_bytes(gzipped_json({**cert, "tree": {"word": []}}))
    not_gzip = tmp_path / "plain.json.gz"
    not_gzip.write_text(json.dumps(cert))
    assert _run(["audit", str(folder / name)])[0] == 0
    code, out, _ = _run(["audit", str(tampered)])
    assert code == 1 and "REJECTED" in out
    code, _, err = _run(["audit", str(not_gzip)])
    assert code == 2 and "not a gzip file" in err and len(err.strip().splitlines()) == 1


def _without_seconds(path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [cs.without_seconds(json.loads(line)) for line in f]


def test_a_torn_last_line_is_dropped_with_a_note_and_the_resumed_census_is_the_same(two_states, tmp_path):
    automata, folder, result = two_states
    whole = (folder / cs.DATASET).read_bytes()
    lines = whole.splitlines(keepends=True)
    (tmp_path / cs.DATASET).write_bytes(b"".join(lines[:70]) + lines[70][:25])   # killed mid-line
    for name in os.listdir(folder):
        if name.startswith("cert-") or name == cs.CHECKED:
            (tmp_path / name).write_bytes((folder / name).read_bytes())
    notes: list[str] = []
    again = cs.census(automata, ["rnn", "gru", "gru-after"], str(tmp_path), SETTINGS, note=notes.append)
    assert again.resumed == 70 and again.computed == 8
    assert len(notes) == 1 and "torn last line" in notes[0]          # checked by this code: not checked again
    assert _without_seconds(tmp_path / cs.DATASET) == _without_seconds(folder / cs.DATASET)
    # run once more: nothing left to compute, the same file
    before = (tmp_path / cs.DATASET).read_bytes()
    assert cs.census(automata, ["rnn", "gru", "gru-after"], str(tmp_path), SETTINGS).computed == 0
    assert (tmp_path / cs.DATASET).read_bytes() == before


def test_an_interrupted_census_resumes_from_what_it_wrote(two_states, tmp_path):
    automata, folder, _ = two_states

    def interrupted(function, specs):
        for spec in specs[:10]:
            yield spec, function(spec)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cs.census(automata, ["rnn"], str(tmp_path), SETTINGS, engine=interrupted)
    assert len((tmp_path / cs.DATASET).read_text().splitlines()) == 10
    again = cs.census(automata, ["rnn"], str(tmp_path), SETTINGS)
    assert again.resumed == 10 and again.computed == 16
    elman = [r for r in _without_seconds(folder / cs.DATASET) if r["cell"] == "rnn"]
    assert _without_seconds(tmp_path / cs.DATASET) == elman


def _processes_naming(marker: str) -> list[int]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    found.append(int(pid))
        except OSError:
            pass
    return found


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_a_census_ended_mid_run_leaves_no_process_and_resumes_to_the_same_dataset(two_states, tmp_path):
    automata, folder, _ = two_states
    out = tmp_path / "ended"
    env = dict(os.environ, PYTHONPATH=str(pathlib.Path(__file__).resolve().parent.parent))
    child = subprocess.Popen([sys.executable, "-m", "automata_rnn", "census", "all", "--states", "2", "--cells",
                              "rnn", "--max-hidden", "3", "--engine", "local", "--workers", "2", "--no-plot",
                              "--out", str(out)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (out / cs.DATASET).exists():
        time.sleep(0.05)
    child.send_signal(signal.SIGTERM)
    assert child.wait(10) == 130 and b"interrupted" in child.stderr.read()
    time.sleep(0.5)                      # the workers poll for their parent every 0.2 s
    assert _processes_naming(str(out)) == []
    written = len((out / cs.DATASET).read_text().splitlines())
    assert 1 <= written < 26
    again = cs.census(automata, ["rnn"], str(out), SETTINGS)
    assert again.resumed == written and again.computed == 26 - written
    elman = [r for r in _without_seconds(folder / cs.DATASET) if r["cell"] == "rnn"]
    assert _without_seconds(out / cs.DATASET) == elman


def test_a_packed_census_unpacks_to_the_same_files_and_resumes_with_nothing_to_compute(two_states, tmp_path):
    automata, made, result = two_states
    names = sorted({r["lower_bound"]["certificate"] for r in result.records} - {None})
    folder = tmp_path / "made"
    folder.mkdir()
    for name in names + [cs.DATASET]:
        (folder / name).write_bytes((made / name).read_bytes())
    (folder / "census.csv").write_text("automaton\n" + "".join(f"{a.name}\n" for a in automata))
    tmp_path = tmp_path / "unpacked"
    tmp_path.mkdir()
    written = census_archive.pack(str(folder), names)
    first = [pathlib.Path(p).read_bytes() for p in written]
    assert [pathlib.Path(p).read_bytes() for p in census_archive.pack(str(folder), names)] == first  # stable
    for path in written:
        (tmp_path / os.path.basename(path)).write_bytes(pathlib.Path(path).read_bytes())
    notes: list[str] = []
    again = cs.census(automata, ["rnn", "gru", "gru-after"], str(tmp_path), SETTINGS, note=notes.append)
    assert again.computed == 0 and again.resumed == len(result.records)
    assert notes == [f"{tmp_path}: unpacked the archived census ({len(names)} certificates)",
                     f"{tmp_path / cs.DATASET}: checking the {len(result.records)} records again (this version's "
                     "checker and exact run have not checked them)"]
    for name in names + ["census.csv"]:
        assert (tmp_path / name).read_bytes() == (folder / name).read_bytes()
    assert (tmp_path / cs.DATASET).read_bytes() == (folder / cs.DATASET).read_bytes()
    (tmp_path / cs.DATASET).unlink()
    (tmp_path / names[0]).unlink()
    with open(tmp_path / census_archive.CERTIFICATES, "r+b") as f:     # a damaged archive: one clear error
        f.seek(200)
        f.write(b"\0" * 64)
    with pytest.raises(BadInput, match="damaged census archive"):
        cs.census(automata, ["rnn"], str(tmp_path), SETTINGS)
    assert not (tmp_path / cs.DATASET).exists()


def test_a_resumed_record_whose_certificate_the_checker_rejects_is_computed_again(two_states, tmp_path):
    automata, folder, result = two_states
    for name in os.listdir(folder):
        if name.startswith("cert-") or name == cs.DATASET:
            (tmp_path / name).write_bytes((folder / name).read_bytes())
    elman = [r for r in result.records if r["cell"] == "rnn" and r["lower_bound"]["certificate"]]
    stale, other = elman[0], elman[1]          # a certificate made under other clauses: here, another machine's
    (tmp_path / stale["lower_bound"]["certificate"]).write_bytes((tmp_path / other["lower_bound"]["certificate"])
                                                                 .read_bytes())
    batch = next(cs.Dataset(str(tmp_path)).batches([stale, other]))
    assert cs.recheck(batch)["stale"] == [0]
    notes: list[str] = []
    again = cs.census(automata, ["rnn", "gru", "gru-after"], str(tmp_path), SETTINGS, engine=local_engine(2),
                      note=notes.append)                                  # checked again on two processes
    assert again.computed == 1 and again.resumed == len(result.records) - 1
    assert len(notes) == 2 and "checking the" in notes[0]
    assert notes[1].startswith("1 record(s)") and "computed again" in notes[1]
    assert _without_seconds(tmp_path / cs.DATASET) == _without_seconds(folder / cs.DATASET)
    assert (tmp_path / stale["lower_bound"]["certificate"]).read_bytes() == \
        (folder / stale["lower_bound"]["certificate"]).read_bytes()
    assert (tmp_path / cs.CHECKED).read_text().strip() == cs.checking_code()
    (tmp_path / stale["lower_bound"]["certificate"]).write_bytes(b"")     # checked by this code: not read again
    assert cs.census(automata, ["rnn"], str(tmp_path), SETTINGS).computed == 0
    (tmp_path / cs.CHECKED).write_text("0" * 64 + "\n")                # by other code: read, and made again
    assert cs.census(automata, ["rnn"], str(tmp_path), SETTINGS).computed == 1


def test_a_census_made_with_other_settings_or_a_foreign_line_is_refused(two_states, tmp_path):
    automata, folder, _ = two_states
    with pytest.raises(BadInput, match="other settings"):
        cs.census(automata, ["rnn"], str(folder), cs.Settings(max_hidden=2))
    (tmp_path / cs.DATASET).write_text('{"not": "a record"}\n')
    with pytest.raises(BadInput, match="line 1: not a census record"):
        cs.census(automata, ["rnn"], str(tmp_path), SETTINGS)


def test_a_record_that_fails_its_check_is_never_written(two_states, tmp_path):
    automata, _, _ = two_states
    toggle = next(a for a in automata if a.name == "dfa2-0110-01")
    spec = cs.spec_of(toggle, "rnn", SETTINGS)
    answer = cs.task(spec)
    assert cs.checked(answer)[0]["minimal_units"] == 2
    wrong_weights = json.loads(json.dumps(answer))
    wrong_weights["record"]["upper_bound"]["weights"] = {k: 0 for k in answer["record"]["upper_bound"]["weights"]}
    wrong_cert = json.loads(json.dumps(answer))
    (name, cert), = wrong_cert["certificates"].items()
    cert["tree"] = {"word": []}
    for broken in (wrong_weights, wrong_cert):
        with pytest.raises(InternalCheckFailed):
            cs.checked(broken)

    def engine(function, specs):
        for s in specs:
            yield s, wrong_weights
    with pytest.raises(InternalCheckFailed):
        cs.census([toggle], ["rnn"], str(tmp_path), SETTINGS, engine=engine)
    assert not (tmp_path / cs.DATASET).exists()


def test_an_entry_past_its_time_limit_is_recorded_unknown_with_the_reason(monkeypatch):
    monkeypatch.setattr(cs, "task", lambda spec: time.sleep(30))    # the child runs this, and is ended
    spec = cs.spec_of(families.tomita()[0], "rnn", SETTINGS)
    started = time.monotonic()
    answer = guarded(0.3, None)(spec)
    assert time.monotonic() - started < 5
    record = cs.checked(answer)[0]
    assert record["minimal_units"] is None and "time limit of 0.3 s" in record["reason"]
    assert problems("census-record", record) == []


# -- the command ------------------------------------------------------------------------------------------


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_the_command_writes_the_dataset_csv_and_figure_and_prints_json_its_schema_accepts(tmp_path):
    folder = tmp_path / "one-state"
    argv = ["census", "all", "--states", "1", "--cells", "rnn", "gru", "--max-hidden", "2", "--workers", "1",
            "--engine", "local", "--out", str(folder), "--json"]
    code, out, _ = _run(argv)
    assert code == 0
    obj = json.loads(out)
    assert problems("census", obj) == []
    assert obj["entries"] == 4 and obj["exact"] == 4 and obj["computed"] == 4
    assert sorted(os.listdir(folder)) == ["census.checked", "census.csv", "census.jsonl", "census.png"]
    rows = (folder / "census.csv").read_text().splitlines()
    assert rows[0].startswith("automaton,states,cell,minimal_units") and len(rows) == 5
    code, out, _ = _run([a for a in argv if a != "--json"])
    assert code == 0 and "computed now: 0 on local (1 process); already in the dataset: 4" in out
    # one-state machines (constant output 0 or 1): one unit of either cell, at the counting bound
    assert "| rnn | 1 | 2 | 2 | 0 | 2 |" in out and "| gru | 1 | 2 | 2 | 0 | 2 |" in out


@pytest.mark.parametrize("argv, message", [
    (["census", "tomita", "--states", "3"], "takes no --states"),
    (["census", "all"], "needs --states"),
    (["census", "all", "--states", "5"], "at most 4 states"),
    (["census", "random", "--states", "2", "--count", "30"], "only 24"),
    (["census", "all", "--states", "1", "--engine", "local", "--address", "auto"], "needs --engine ray"),
    (["census", "all", "--states", "1", "--cells", "cnn"], "cnn"),
    (["census", "all", "--states", "1", "--certificate-nodes", "-1"], "0 or more"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, argv, message):
    code, out, err = _run([*argv, "--out", str(tmp_path / "c")])
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "c").exists()


def test_without_ray_asking_for_it_is_bad_input_and_the_default_runs_locally(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed: importing it fails
    code, _, err = _run(["census", "tomita", "--engine", "ray", "--out", str(tmp_path / "c")])
    assert code == 2 and "pip install 'automata-rnn[ray]'" in err
    code, out, _ = _run(["census", "all", "--states", "1", "--no-plot", "--out", str(tmp_path / "c"), "--json"])
    assert code == 0 and json.loads(out)["engine"] == "local (2 processes)"


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="needs Ray (the [ray] extra)")
def test_a_local_ray_runs_the_census_of_every_three_state_machine_to_the_committed_minima(tmp_path):
    """Every minimal DFA with up to 3 states, Elman cell, on a local Ray: the minima of the committed dataset
    (docs/census/all-3, made with local processes and the direct search), and every certificate written
    is accepted by the checker and refutes one unit fewer than the minimum."""
    code, out, _ = _run(["census", "all", "--states", "3", "--cells", "rnn", "--engine", "ray", "--workers", "2",
                         "--timeout", "120", "--no-plot", "--out", str(tmp_path / "c"), "--json"])
    assert code == 0
    answer = json.loads(out)
    assert answer["engine"] == "ray" and answer["entries"] == 1054 and answer["exact"] == 1054
    committed = pathlib.Path(__file__).parent.parent / "docs" / "census" / "all-3" / cs.DATASET
    expected = {r["automaton"]: r["minimal_units"] for r in map(json.loads, committed.read_text().splitlines())
                if r["cell"] == "rnn"}
    records = [json.loads(line) for line in (tmp_path / "c" / cs.DATASET).read_text().splitlines()]
    assert {r["automaton"]: r["minimal_units"] for r in records} == expected
    for r in records:
        name = r["lower_bound"]["certificate"]
        if name is None:
            assert r["minimal_units"] == 1
            continue
        cert = read_json(tmp_path / "c" / name)
        assert check(cert)[0] and cert["problem"]["units"] == r["minimal_units"] - 1
        assert cert["problem"]["automaton"] == r["machine"]


COMMITTED = pathlib.Path(__file__).resolve().parent.parent / "docs" / "census"


@pytest.mark.parametrize("name", ["all-3", "random-4", "all-4"])
def test_the_committed_censuses_certificates_are_accepted_by_this_checker(name):
    """A seeded sample of 200 records of each committed census: the certificate each names is in the dataset
    (packed or not), refutes the size below the record's lower bound, and this version's checker accepts it
    (a change to the clauses the checker builds would otherwise leave the published data unchecked)."""
    folder = COMMITTED / name
    if (folder / cs.DATASET).exists():
        lines = (folder / cs.DATASET).read_text().splitlines()

        def certificate(file: str) -> dict:
            return read_json(folder / file)
    else:
        lines = lzma.decompress((folder / (cs.DATASET + ".xz")).read_bytes()).decode().splitlines()
        with tarfile.open(folder / census_archive.CERTIFICATES, "r:xz") as tar:
            members = {m.name + ".gz": tar.extractfile(m).read() for m in tar}  # type: ignore[union-attr]

        def certificate(file: str) -> dict:
            return json.loads(members[file])
    records = [json.loads(line) for line in lines]
    with_certificate = [r for r in records if r["lower_bound"]["certificate"]]
    sample = random.Random(0).sample(with_certificate, min(200, len(with_certificate)))
    for record in sample:
        cert = certificate(record["lower_bound"]["certificate"])
        ok, why = check(cert)
        assert ok, f"{record['automaton']} on {record['cell']}: {why}"
        assert cert["problem"]["units"] == record["lower_bound"]["units"] - 1
