"""Mutation testing of the trusted core, one module at a time, each against its own fast tests.

    pip install ".[test,mutation]"
    python benchmarks/mutation.py checker            # or: exact, cells, run, all
    python benchmarks/mutation.py checker --show     # also the diff of every surviving mutant

For each module the script copies the checkout (the files git knows, committed or not) into a
scratch folder, points mutmut (the ``[tool.mutmut]`` section of pyproject.toml) at that one module
and the tests that exercise it, runs ``mutmut run --max-children 1`` under ``nice`` with a time
limit, and prints mutants / killed / survived / score and the surviving mutants' names.
score = (killed + timeout) / mutants. tests/README.md records the figures and, for every survivor,
why no input can tell it apart from the original.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# the decomposition's tests of its certificate (not those that compare whole searches, which take minutes per
# mutant and exercise the same lemma and clause checks)
LABELLING_TESTS = [f"tests/test_decompose.py::{name}" for name in (
    "test_the_xor_lemma_is_accepted_and_its_mutants_rejected", "test_every_learnt_lemma_is_a_farkas_certificate",
    "test_the_clauses_hold_for_every_network_and_the_sorted_order_of_its_units",
    "test_a_labelling_certificate_is_accepted_valid_and_its_mutants_rejected",
    "test_the_clause_checker_on_a_hand_refutation", "test_both_sat_cores_refute_with_a_proof_the_checker_accepts",
    "test_a_refutation_does_not_carry_over_to_a_size_with_a_network")]

# module -> (file to mutate, the tests that exercise it)
MODULES: dict[str, tuple[str, list[str]]] = {
    "checker": ("automata_rnn/exact/checker.py",
                ["tests/test_checker.py", "tests/test_checker_reasons.py", "tests/test_soundness.py",
                 "tests/test_counting.py", "tests/test_checker_mutants.py", "tests/test_decompose.py"]),
    "labelling": ("automata_rnn/exact/labelling.py",
                  ["tests/test_labelling_mutants.py", "tests/test_checker_mutants.py", *LABELLING_TESTS]),
    "clauses": ("automata_rnn/exact/clauses.py",
                ["tests/test_labelling_mutants.py", "tests/test_checker_mutants.py", *LABELLING_TESTS]),
    "exact": ("automata_rnn/arithmetic/exact.py",
              ["tests/test_exact.py", "tests/test_exact_mutants.py"]),
    "cells": ("automata_rnn/model/cells.py",
              ["tests/test_cells.py", "tests/test_core.py", "tests/test_cells_mutants.py"]),
    "run": ("automata_rnn/exact/run.py",
            ["tests/test_cells.py", "tests/test_core.py", "tests/test_soundness.py", "tests/test_counting.py",
             "tests/test_checker.py", "tests/test_checker_reasons.py", "tests/test_checker_mutants.py",
             "tests/test_run_mutants.py"]),
}



def _scratch_copy(module: str, where: Path) -> Path:
    """A copy of the checkout's files (tracked or new, not ignored) with mutmut aimed at one module."""
    target = where / module
    if target.exists():
        shutil.rmtree(target)
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                           cwd=ROOT, check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target / name)
    path, tests = MODULES[module]
    tests = [t for t in tests if (target / t.split("::")[0]).exists()]
    section = "\n".join([
        "[tool.mutmut]",
        'source_paths = ["automata_rnn"]',
        f"only_mutate = {json.dumps([path])}",
        'pytest_add_cli_args = ["-p", "no:cacheprovider"]',
        'also_copy = ["proofs", "docs"]',
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
        "",
    ])
    pyproject = target / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    text, n = re.subn(r"^\[tool\.mutmut\]\n.*?(?=^\[)", section + "\n", text, flags=re.S | re.M)
    if n != 1:
        raise SystemExit("pyproject.toml has no [tool.mutmut] section to replace")
    pyproject.write_text(text, encoding="utf-8")
    return target


def _statuses(copy: Path, path: str) -> dict[str, int]:
    meta = copy / "mutants" / (path + ".meta")
    return json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]


def run_module(module: str, where: Path, timeout: float, show: bool) -> dict:
    """Run mutmut on one module; returns its figures and the survivors' names."""
    path, _ = MODULES[module]
    copy = _scratch_copy(module, where)
    env = {**os.environ, "PYTHONPATH": str(copy / "mutants"), "HYPOTHESIS_PROFILE": "ci"}
    started = time.monotonic()
    command = ["nice", "-n", "15", "mutmut", "run", "--max-children", "1"]
    proc = subprocess.run(command, cwd=copy, env=env, timeout=timeout, capture_output=True, text=True)
    if proc.returncode != 0 and "could not find any test case for any mutant" in proc.stdout:
        # mutmut 3.8.1 records no test for any function on the run that first writes the mutants into a
        # fresh folder; the same command on the folder it wrote collects them and goes on
        proc = subprocess.run(command, cwd=copy, env=env, timeout=timeout - (time.monotonic() - started),
                              capture_output=True, text=True)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"mutmut run failed on {module} (exit {proc.returncode})")
    from mutmut.stats import status_by_exit_code  # the tool's own reading of a mutant's exit code

    codes = _statuses(copy, path)
    status = {k: status_by_exit_code[c] for k, c in codes.items()}
    killed, timeout_, survived, untested = (sorted(k for k, s in status.items() if s == which)
                                            for which in ("killed", "timeout", "survived", "no tests"))
    other = sorted(f"{k}: {s}" for k, s in status.items() if s not in {"killed", "timeout", "survived", "no tests"})
    total = len(codes)
    score = (len(killed) + len(timeout_)) / total if total else 1.0
    result = {"module": path, "mutants": total, "killed": len(killed), "timeout": len(timeout_),
              "survived": len(survived), "no_tests": len(untested), "other": other,
              "score": round(100 * score, 1), "seconds": round(seconds), "surviving": survived + untested}
    print(f"{path}: {total} mutants, {len(killed)} killed, {len(timeout_)} timeout, {len(survived)} survived, "
          f"{len(untested)} without a covering test, {len(other)} other; score {100 * score:.1f} % "
          f"({seconds:.0f} s)")
    for name in survived + untested:
        print(f"  {name}")
        if show:
            diff = subprocess.run(["mutmut", "show", name], cwd=copy, env=env, capture_output=True, text=True)
            print("    " + diff.stdout.strip().replace("\n", "\n    "))
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("module", choices=[*MODULES, "all"])
    ap.add_argument("--where", type=Path, default=Path("/tmp/automata-rnn-mutation"),
                    help="scratch folder for the copies (default: %(default)s)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per module (default: %(default)s)")
    ap.add_argument("--show", action="store_true", help="print the diff of every surviving mutant")
    ap.add_argument("--json", type=Path, help="write the figures to this file")
    args = ap.parse_args(argv)
    modules = list(MODULES) if args.module == "all" else [args.module]
    results = [run_module(m, args.where, args.timeout, args.show) for m in modules]
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0 if all(r["score"] >= 90 for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
