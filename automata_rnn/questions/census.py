"""A census: the smallest number of units of a cell for every automaton of a family, each bound checked, kept
as a dataset that an interrupted run resumes.

One *record* per (automaton, cell) is a line of ``census.jsonl`` in the dataset's folder: the machine, the
least number of units not excluded (``lower_bound``: how it is known, and the certificate of the exclusion
below it by reference, a gzip-compressed file ``cert-<hash>.json.gz`` beside the dataset that ``automata-rnn
audit`` re-checks), the fewest units with a network that works (``upper_bound``: how it is known, and its
weights), the minimal number of units when the two meet, and otherwise the reason. Every record is checked
where it is written, whatever engine computed it: each certificate by the independent checker, each network by
an exhaustive exact run. Records are appended as whole lines and flushed to disk one at a time, so that an
interrupted run leaves at most a torn last line, which the next run drops (saying so) before it computes what
is missing.

:func:`minimal_size` is the one call to the size search; :func:`task` turns its answer into a record, as
plain data in and out, so that any engine (local processes, Ray) can run it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import os
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Iterable, Iterator, NamedTuple

from automata_rnn.arithmetic.exact import parse_rational
from automata_rnn.exact.checker import check
from automata_rnn.exact.run import TooLarge, verify_weights
from automata_rnn.interop.census_archive import archived, unpack
from automata_rnn.interop.files import gzipped_json, read_json, write_atomic
from automata_rnn.interop.weights import weights_json
from automata_rnn.model.automata import Automaton
from automata_rnn.model.automata import minimize as minimal_machine
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.questions.sizes import CERTIFICATE_NODES, CONSTRUCTION, Exclusion, Minimal, exclude, minimize, resized
from automata_rnn.verdicts import BadInput, InternalCheckFailed, Verdict

FORMAT = "automata-rnn-census/1"
DATASET = "census.jsonl"
OUTPUT = "readout"
"""Every census network reads its output through a threshold unit (as ``table`` does)."""


@dataclass(frozen=True)
class Settings:
    """What a census asks of the search for each (automaton, cell); records made under other settings are not
    mixed into the same dataset.  ``timeout`` is per (automaton, cell), in seconds."""

    max_hidden: int = 4
    timeout: float | None = None
    certificate_nodes: int = CERTIFICATE_NODES

    def to_json(self) -> dict:
        return {"max_hidden": self.max_hidden, "timeout": self.timeout, "certificate_nodes": self.certificate_nodes,
                "semantics": "indicator", "output": OUTPUT}

    @staticmethod
    def from_json(obj: dict) -> "Settings":
        return Settings(obj["max_hidden"], obj["timeout"], obj["certificate_nodes"])


def problem_of(automaton: Automaton, cell: str, units: int = 1) -> Problem:
    """The question a census asks: ``units`` units of ``cell``, indicator semantics, a threshold read-out."""
    return Problem(automaton, get_cell(cell), units, output=OUTPUT)


class Size(NamedTuple):
    """What the size search knows: its answer, and the exclusion of the largest size known too small (None when
    none is)."""

    minimal: Minimal
    excluded: Exclusion | None


def minimal_size(problem: Problem, settings: Settings) -> Size:
    """The one call of a census to the size search: :func:`automata_rnn.questions.sizes.minimize` within the
    settings; when it leaves the minimum open, the largest size z3 found too small is backed by a
    certificate (or two solvers) with the time left, so that the record still carries a checked lower bound."""
    deadline = None if settings.timeout is None else time.monotonic() + settings.timeout
    m = minimize(problem, settings.max_hidden, settings.timeout, settings.certificate_nodes)
    if m.minimal is not None:
        return Size(m, m.lower_bound)
    unsat = [s.units for s in m.sizes if s.verdict == Verdict.UNSAT]
    left = None if deadline is None else deadline - time.monotonic()
    if not unsat or (left is not None and left <= 0):
        return Size(m, None)
    return Size(m, exclude(resized(problem, max(unsat)), settings.certificate_nodes, left, z3_found_unsat=True))


def certificate_name(cert: dict) -> str:
    """The file name of a certificate: ``cert-``, the first 20 hex digits of the SHA-256 of its JSON with sorted
    keys, ``.json.gz`` (a case split is large; compressed, tenfold smaller), so that equal certificates share one
    file and a name says which content it holds."""
    digest = hashlib.sha256(json.dumps(cert, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()
    return f"cert-{digest[:20]}.json.gz"


def counting_bound(states: int) -> int:
    """max(1, ceil(log2 |Q|)): n units of threshold gates have 2^n codes, and distinct states of a minimal
    machine need distinct codes."""
    return max(1, math.ceil(math.log2(states)))


def task(spec: dict) -> dict:
    """One (automaton, cell) of a census, as plain data: ``spec`` holds ``machine`` (the automaton's file form),
    ``cell`` and ``settings``; the answer holds ``record`` and ``certificates`` (file name -> certificate)."""
    automaton = Automaton.from_json(spec["machine"], spec["machine"].get("name", "automaton"))
    settings = Settings.from_json(spec["settings"])
    started = time.monotonic()
    size = minimal_size(problem_of(automaton, spec["cell"]), settings)
    return _record(automaton, spec["cell"], settings, size, time.monotonic() - started)


def spec_of(automaton: Automaton, cell: str, settings: Settings) -> dict:
    """The plain-data question :func:`task` answers."""
    return {"machine": automaton.to_json(), "cell": get_cell(cell).name, "settings": settings.to_json()}


def _record(automaton: Automaton, cell: str, settings: Settings, size: Size, seconds: float) -> dict:
    m, excluded = size
    certificates: dict[str, dict] = {}
    if excluded is not None:
        name = None
        if excluded.certificate is not None:
            name = certificate_name(excluded.certificate)
            certificates[name] = excluded.certificate
        lower = {"units": excluded.units + 1, "method": excluded.method, "certificate": name,
                 "checked": excluded.checked}
    else:
        lower = dict(NOTHING_EXCLUDED)
    upper = None
    if m.weights is not None:
        upper = {"units": m.problem.units, "method": "weights found by the search, verified by an exhaustive "
                 "exact run", "weights": weights_json(m.weights, m.problem.parameter_names())}
    elif m.construction is not None:
        built, weights = m.construction
        upper = {"units": built.units, "method": f"{CONSTRUCTION}, verified by an exhaustive exact run",
                 "weights": weights_json(weights, built.parameter_names())}
    exact = upper is not None and upper["units"] == lower["units"]
    return {"record": _about(automaton, cell, settings, seconds) | {
        "minimal_units": lower["units"] if exact else None, "lower_bound": lower, "upper_bound": upper,
        "reason": None if exact else (m.reason or "the bounds do not meet")}, "certificates": certificates}


NOTHING_EXCLUDED = {"units": 1, "method": "none needed: one unit is the least", "certificate": None, "checked": ""}


def unknown_record(automaton: Automaton, cell: str, settings: Settings, reason: str, seconds: float) -> dict:
    """A record with nothing known beyond one unit (the search was ended from outside, e.g. by a time limit)."""
    return _about(automaton, cell, settings, seconds) | {
        "minimal_units": None, "lower_bound": dict(NOTHING_EXCLUDED), "upper_bound": None, "reason": reason}


def _about(automaton: Automaton, cell: str, settings: Settings, seconds: float) -> dict:
    """What every record says besides its bounds: the machine, the cell, the settings, the reference bounds,
    the time."""
    states = len(minimal_machine(automaton).states)
    return {"format": FORMAT, "automaton": automaton.name, "machine": automaton.to_json(), "states": states,
            "cell": get_cell(cell).name, "settings": settings.to_json(), "counting_bound": counting_bound(states),
            "minsky_units": states * len(automaton.alphabet), "seconds": round(seconds, 3)}


def without_seconds(record: dict) -> dict:
    """A record without its solving time: what two runs of a census share."""
    return {k: v for k, v in record.items() if k != "seconds"}


# -- checking a record where it is written ---------------------------------------------------------------

def weights_of(upper: dict) -> dict[str, Fraction]:
    """The exact weights of a record's upper bound."""
    return {k: parse_rational(v) for k, v in upper["weights"].items()}


def checked(answer: dict) -> tuple[dict, dict[str, dict]]:
    """The record and certificates of a :func:`task` answer, after checking them here: each certificate by the
    independent checker, named by its hash and refuting the size just below the lower bound; the upper bound's
    weights by an exhaustive exact run.  InternalCheckFailed if any check fails."""
    record, certificates = answer["record"], answer["certificates"]
    if set(record) != set(RECORD_KEYS):
        raise InternalCheckFailed(f"a census record with the keys {sorted(record)}, not {sorted(RECORD_KEYS)}")
    automaton = Automaton.from_json(record["machine"], record["automaton"])
    lower, upper = record["lower_bound"], record["upper_bound"]
    for name, cert in certificates.items():
        if name != certificate_name(cert) or name != lower["certificate"]:
            raise InternalCheckFailed(f"{record['automaton']} on {record['cell']}: certificate {name} is not the one "
                                      "the record names")
        if cert.get("problem") != problem_of(automaton, record["cell"], lower["units"] - 1).to_json():
            raise InternalCheckFailed(f"{record['automaton']} on {record['cell']}: the certificate speaks of another "
                                      "question")
        ok, why = check(cert)
        if not ok:
            raise InternalCheckFailed(f"{record['automaton']} on {record['cell']}: certificate rejected: {why}")
    if lower["certificate"] is not None and lower["certificate"] not in certificates:
        raise InternalCheckFailed(f"{record['automaton']} on {record['cell']}: the certificate is missing")
    meet = upper is not None and upper["units"] == lower["units"]
    if (upper is not None and upper["units"] < lower["units"]) or record["minimal_units"] != (
            lower["units"] if meet else None):
        raise InternalCheckFailed(f"{record['automaton']} on {record['cell']}: the bounds and the minimum disagree")
    if upper is not None:
        try:
            works = verify_weights(problem_of(automaton, record["cell"], upper["units"]), weights_of(upper)).implements
        except TooLarge:
            works = False
        if not works:
            raise InternalCheckFailed(f"{record['automaton']} on {record['cell']}: the network of "
                                      f"{upper['units']} units fails the exact run")
    return record, certificates


def still_holds(record: dict, certificates: dict[str, dict]) -> bool:
    """Whether a record read back passes the checks of a new one (:func:`checked`), given the certificates
    beside it: the one it names is there and the checker accepts it, its network passes the exact run.  A
    certificate made by an earlier version whose clauses differ from this checker's fails here, and so does a
    lower bound that rests on two solvers, which this version may certify."""
    lower = record.get("lower_bound")
    if isinstance(lower, dict) and str(lower.get("method", "")).startswith("two solvers"):
        return False
    name = _certificate_of(record)
    try:
        checked({"record": record, "certificates": {} if name not in certificates else {name: certificates[name]}})
    except (ValueError, KeyError, TypeError, InternalCheckFailed):
        return False
    return True


def _certificate_of(record: dict) -> str | None:
    lower = record.get("lower_bound")
    return lower.get("certificate") if isinstance(lower, dict) else None


RECHECK_BATCH = 500
"""Records per task when a resumed census checks its records again (about a second of work each)."""


def recheck(spec: dict) -> dict:
    """A task (plain data in and out, for any engine): which of a batch of records (``spec``: ``records``, the
    ``certificates`` they name, by name) no longer hold, as their indices in the batch (``stale``)."""
    return {"stale": [i for i, record in enumerate(spec["records"]) if not still_holds(record, spec["certificates"])]}


# -- the dataset -------------------------------------------------------------------------------------------

RECORD_KEYS = ("format", "automaton", "states", "cell", "minimal_units", "lower_bound", "upper_bound", "reason",
               "counting_bound", "minsky_units", "settings", "seconds", "machine")


def line_of(record: dict) -> str:
    """A record as one line of the dataset, its keys in the order of :data:`RECORD_KEYS`."""
    return json.dumps({k: record[k] for k in RECORD_KEYS}, separators=(",", ":")) + "\n"


CHECKED = "census.checked"
"""The file beside a dataset that names the code that last checked every record in it (:func:`checking_code`)."""

CHECKING_PACKAGES = ("arithmetic", "exact", "model")
"""The subpackages whose code decides whether a record holds: the checker and its clauses, the exact run, the
cells and automata they read."""


@functools.cache
def checking_code() -> str:
    """The SHA-256 of the source of :data:`CHECKING_PACKAGES`: equal for two installs whose checks of a record
    cannot differ."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    digest = hashlib.sha256()
    for package in CHECKING_PACKAGES:
        folder = os.path.join(root, package)
        for name in sorted(n for n in os.listdir(folder) if n.endswith(".py")):
            with open(os.path.join(folder, name), "rb") as f:
                digest.update(f"{package}/{name}\0".encode() + f.read() + b"\0")
    return digest.hexdigest()


class Dataset:
    """A census in a folder: ``census.jsonl`` (one record per line), the certificates beside it, and
    :data:`CHECKED`."""

    def __init__(self, folder: str):
        self.folder = folder
        self.path = os.path.join(folder, DATASET)
        self.checked = os.path.join(folder, CHECKED)

    def checked_by_this_code(self) -> bool:
        """Whether every record in the folder was checked by this :func:`checking_code`."""
        try:
            with open(self.checked, encoding="ascii") as f:
                return f.read().strip() == checking_code()
        except (OSError, UnicodeDecodeError):
            return False

    def stamp(self) -> None:
        """Say that every record in the folder, and every record added after, is checked by this code."""
        write_atomic(self.checked, checking_code() + "\n")

    def load(self, note: Callable[[str], None]) -> dict[tuple[str, str], dict]:
        """The records already written, by (automaton, cell); a folder that holds only a packed census
        (:mod:`automata_rnn.interop.census_archive`) is unpacked first.  A torn last line (an interrupted write)
        is cut off, with a note; any other line that is not a record is BadInput (the file is not this tool's)."""
        if not os.path.exists(self.path) and archived(self.folder):
            written = unpack(self.folder)
            note(f"{self.folder}: unpacked the archived census ({written} certificates)")
        if not os.path.exists(self.path):
            return {}
        with open(self.path, "rb") as f:
            data = f.read()
        whole = data[: data.rfind(b"\n") + 1]
        records: dict[tuple[str, str], dict] = {}
        lines = whole.decode("utf-8", errors="replace").splitlines()
        for number, line in enumerate(lines, 1):
            try:
                record = json.loads(line)
                key = (record["automaton"], record["cell"])
                if record.get("format") != FORMAT:
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                raise BadInput(f"{self.path}, line {number}: not a census record") from None
            records[key] = record
        if len(whole) < len(data):
            note(f"{self.path}: dropped a torn last line ({len(data) - len(whole)} bytes, an interrupted write); "
                 "its entry is computed again")
            with open(self.path, "r+b") as f:
                f.truncate(len(whole))
                os.fsync(f.fileno())
        return records

    def batches(self, records: list[dict]) -> Iterator[dict]:
        """The records in tasks for :func:`recheck` of :data:`RECHECK_BATCH` records each, with the certificates
        they name read from the folder (one that cannot be read is left out: its record does not hold); each
        task says where its records begin (``first``)."""
        for first in range(0, len(records), RECHECK_BATCH):
            part = records[first:first + RECHECK_BATCH]
            certificates: dict[str, dict] = {}
            for record in part:
                name = _certificate_of(record)
                if name is not None and name not in certificates:
                    with contextlib.suppress(OSError, ValueError):
                        certificates[name] = read_json(os.path.join(self.folder, name))
            yield {"records": part, "certificates": certificates, "first": first}

    def forget(self, stale: Iterable[dict], kept: Iterable[dict]) -> None:
        """Remove the certificate files of ``stale`` records that no ``kept`` record names (the records
        themselves go when the dataset is next rewritten; a later line of an entry replaces an earlier one)."""
        named = {_certificate_of(r) for r in kept}
        for record in stale:
            name = _certificate_of(record)
            if name and name not in named:
                with contextlib.suppress(FileNotFoundError):
                    os.remove(os.path.join(self.folder, name))

    def add(self, record: dict, certificates: dict[str, dict]) -> None:
        """Write the record's certificates (each whole, by name), then append the record as one line, flushed to
        disk before this returns: a record on disk always finds its certificates."""
        for name, cert in certificates.items():
            path = os.path.join(self.folder, name)
            if not os.path.exists(path):
                write_atomic(path, gzipped_json(cert))
        line = line_of(record).encode("utf-8")
        with open(self.path, "ab") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def finish(self, records: Iterable[dict]) -> str:
        """Rewrite the dataset whole, in the census's order (so that a resumed run ends with the same file)."""
        return write_atomic(self.path, "".join(map(line_of, records)))


Engine = Callable[[Callable[[dict], dict], Iterable[dict]], Iterator[tuple[dict, dict]]]
"""How tasks run: ``engine(task, specs)`` yields (spec, answer) for every spec, in any order, taking the specs
as it needs them (they may be made as they are taken)."""


def in_process(function: Callable[[dict], dict], specs: Iterable[dict]) -> Iterator[tuple[dict, dict]]:
    """The plainest engine: one task after another, here."""
    for spec in specs:
        yield spec, function(spec)


@dataclass
class Census:
    """A finished census: every record in the family's order, and how many were computed by this run."""

    records: list[dict]
    computed: int
    resumed: int
    dataset: str


def census(automata: list[Automaton], cells: list[str], folder: str, settings: Settings,
           engine: Engine = in_process, function: Callable[[dict], dict] = task,
           progress: Callable[[int, int, dict], None] | None = None,
           note: Callable[[str], None] = lambda message: None) -> Census:
    """Minimal units for every (automaton, cell), kept in ``folder`` (which must exist): entries already there
    are not computed again (BadInput if they were made under other settings), unless they fail the checks of
    a new record, made again when the code that checks them has changed since (:func:`still_holds`,
    :func:`checking_code`); the others run on ``engine``
    and are checked and written one by one as they finish; the dataset is then rewritten in order.
    ``progress(k, n, record)`` is called as the k-th of the n entries to compute is written."""
    cells = [get_cell(c).name for c in cells]
    names = [a.name for a in automata]
    if len(set(names)) != len(names):
        raise BadInput("two automata of the census have the same name")
    dataset = Dataset(folder)
    done = dataset.load(note)
    for record in done.values():
        if record["settings"] != settings.to_json():
            raise BadInput(f"{dataset.path} holds a census made with other settings ({record['settings']}); "
                           "give another folder")
    current = dataset.checked_by_this_code()
    if done and not current:
        note(f"{dataset.path}: checking the {len(done)} records again (this version's checker and exact run have "
             "not checked them)")
        keys = list(done)
        stale = [keys[spec["first"] + i] for spec, answer in engine(recheck, dataset.batches([done[k] for k in keys]))
                 for i in answer["stale"]]
        if stale:
            note(f"{len(stale)} record(s) no longer pass their checks (a certificate the checker rejects, a "
                 "network the exact run rejects, or a lower bound resting on two solvers, as this version makes "
                 "them); computed again")
            dataset.forget([done.pop(key) for key in stale], done.values())
    if not current:
        dataset.stamp()
    resumed = sum((a.name, c) in done for a in automata for c in cells)
    specs = [spec_of(a, c, settings) for a in automata for c in cells if (a.name, c) not in done]
    for k, (spec, answer) in enumerate(engine(function, specs), 1):
        record, certificates = checked(answer)
        if (record["automaton"], record["cell"]) != (spec["machine"]["name"], spec["cell"]):
            raise InternalCheckFailed("an engine answered another question than the one it was given")
        dataset.add(record, certificates)
        done[(record["automaton"], record["cell"])] = record
        if progress is not None:
            progress(k, len(specs), record)
    records = [done[(a.name, c)] for a in automata for c in cells]
    return Census(records, len(specs), resumed, dataset.finish(records))


# -- what the data show --------------------------------------------------------------------------------------

def statistics(records: list[dict]) -> dict:
    """Per cell: entries, exact ones, how often the minimum is the counting bound max(1, ceil(log2 |Q|)), the
    largest gap above it (with an automaton that has it), the most units, how the exact entries' lower bounds
    are known (method -> count), the search's seconds; and per GRU cell, how often it needs
    fewer, as many or more units than the Elman cell on the same automaton (both exact)."""
    cells: dict[str, dict] = {}
    for r in records:
        s = cells.setdefault(r["cell"], {"entries": 0, "exact": 0, "at_counting_bound": 0, "largest_gap": None,
                                         "largest_gap_automaton": None, "most_units": None, "seconds": 0.0,
                                         "lower_bound_methods": {}})
        s["entries"] += 1
        s["seconds"] = round(s["seconds"] + r["seconds"], 3)
        n = r["minimal_units"]
        if n is None:
            continue
        s["exact"] += 1
        method = r["lower_bound"]["method"]
        s["lower_bound_methods"][method] = s["lower_bound_methods"].get(method, 0) + 1
        gap = n - r["counting_bound"]
        s["at_counting_bound"] += gap == 0
        if s["largest_gap"] is None or gap > s["largest_gap"]:
            s["largest_gap"], s["largest_gap_automaton"] = gap, r["automaton"]
        s["most_units"] = max(n, s["most_units"] or n)
    elman = {r["automaton"]: r["minimal_units"] for r in records if r["cell"] == "rnn"}
    against: dict[str, dict] = {}
    for r in records:
        e = elman.get(r["automaton"])
        if r["cell"] == "rnn" or e is None or r["minimal_units"] is None:
            continue
        c = against.setdefault(r["cell"], {"fewer": 0, "same": 0, "more": 0})
        c["fewer" if r["minimal_units"] < e else "same" if r["minimal_units"] == e else "more"] += 1
    return {"cells": cells, "against_rnn": against}
