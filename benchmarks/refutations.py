"""The decomposition at one size (refutations, and networks found): an earlier commit beside the working tree,
in one run.

For each case (random minimal DFA over {0,1}, Elman cell, threshold read-out, one size), `decide` runs in a
fresh process, first from a copy of the earlier commit (``git archive``), then from the working tree; the
two alternate case by case.  Printed for each: the verdict, whether its certificate was accepted (and its
proof steps), wall seconds, and the process's peak memory.
Usage: python benchmarks/refutations.py [--before 646200f] [--cases 10:0:4 10:2:4 16:0:4 8:0:3 10:0:5 10:2:5]
                                        [--timeout 900] [--before-max-proof-steps N]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RUN = """
import json, sys, time
from automata_rnn.model.automata import random_minimal
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
import automata_rnn.solver.decompose as d
states, seed, units, timeout, steps = map(int, sys.argv[1:6])
if steps and hasattr(d, "MAX_PROOF_STEPS"):
    d.MAX_PROOF_STEPS = steps
t = time.perf_counter()
r = d.decide(Problem(random_minimal(states, seed), get_cell("rnn"), units, output="readout"), timeout=timeout)
leaf = r.certificate["tree"]["labelling"] if r.certificate else {}
print(json.dumps({"verdict": str(r.verdict), "certified": r.certificate is not None,
                  "steps": len(leaf.get("hinted", leaf.get("proof", []))), "seconds": time.perf_counter() - t,
                  "reason": r.reason}))
"""


def measure(tree: Path, case: str, timeout: int, steps: int) -> str:
    """One case in a fresh process whose package is the one in ``tree``: its line of figures."""
    states, seed, units = case.split(":")
    env = dict(os.environ, PYTHONPATH=str(tree))
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", RUN, states, seed, units, str(timeout), str(steps)],
                                env=env, cwd=tree, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        out.seek(0)
        err.seek(0)
        text, errors = out.read(), err.read()
    peak = usage.ru_maxrss * 1024
    if status:
        last = (errors.strip().splitlines() or ["?"])[-1]
        return f"failed (status {status}): {last[:100]} after {wall:.1f} s, {peak / 2**30:.2f} GiB"
    r = json.loads(text.strip().splitlines()[-1])
    cert = ("network, re-verified" if r["verdict"] == "sat" else f"certified, {r['steps']:,} steps"
            if r["certified"] else f"no certificate: {r['reason'][:70]}")
    return f"{r['verdict']:>7} {cert:<55} {wall:7.1f} s {peak / 2**30:6.2f} GiB"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", default="646200f", help="the earlier commit")
    ap.add_argument("--cases", nargs="+", default=["8:0:3", "16:0:4", "10:0:4", "10:2:4", "10:0:5", "10:2:5"],
                    help="states:seed:units of random_minimal automata")
    ap.add_argument("--timeout", type=int, default=900)
    ap.add_argument("--before-max-proof-steps", type=int, default=0,
                    help="the earlier commit's bound on the conflicts of its second, proof-writing solve")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="automata-rnn-before-") as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        print(f"before: commit {args.before}; now: the working tree ({ROOT})")
        for case in args.cases:
            for name, tree, steps in (("before", Path(tmp), args.before_max_proof_steps), ("now", ROOT, 0)):
                print(f"{case:>8} {name:>6} {measure(tree, case, args.timeout, steps)}", flush=True)


if __name__ == "__main__":
    main()
