"""Labelling refutations: a DRAT proof (before) beside the trimmed proof with hints (now).

For each automaton, the decomposition's search (`decompose.Search`) runs at the given size until its
clauses are refuted; then both certificates are made from the same clauses and checked: before, CaDiCaL
1.5.3 refutes them again and its DRAT proof is read through PySAT's get_proof, every added clause replayed
by the checker (RUP, else RAT); now, `Cadical.refutation` (the search's own LRAT proof from CaDiCaL 1.9.5,
trimmed to what the empty clause depends on, each step checked from its hints).  Printed: clauses in the
proof, certificate JSON bytes, producer seconds (re-solving and reading / reading and trimming), checker
seconds.
Usage: python benchmarks/proofs.py [--cases 16:0:4 8:0:3 8:1:3 8:2:3 7:5:3] [--no-before-check-above N]
"""

import argparse
import json
import time

from pysat.solvers import Solver

from automata_rnn.exact.checker import FORMAT, check
from automata_rnn.model.automata import random_minimal
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.solver.decompose import Search, lemma_json
from automata_rnn.solver.trim import paused_gc


def certificate(search: Search, proof: dict) -> dict:
    return {"format": FORMAT, "claim": "refutes", "problem": search.problem.to_json(), "hypotheses": [],
            "tree": {"labelling": {"symmetry_words": [list(w) for w in search.words],
                                   "lemmas": [lemma_json(p) for p in search.lemmas], **proof}}}


def measure(search: Search, core, limit: int) -> None:
    """Print both certificates' figures for the refuted clauses of ``search``."""
    with paused_gc():
        t = time.perf_counter()
        steps: list = [{"inputs": len(search.inputs)}]
        drat = Solver(name="cadical153", bootstrap_with=search.inputs, with_proof=True)
        if drat.solve():
            raise SystemExit("CaDiCaL 1.5.3 satisfies refuted clauses")
        for line in drat.get_proof():
            parts = line.split()
            if parts[:1] != ["d"]:
                steps.append([int(x) for x in parts[:-1]])
        if steps[-1] != []:
            steps.append([])
        produced = time.perf_counter() - t
        cert = certificate(search, {"proof": steps})
        size = len(json.dumps(cert, separators=(",", ":")))
        if len(steps) - 1 <= limit:
            t = time.perf_counter()
            ok, why = check(cert)
            checked = f"{time.perf_counter() - t:8.1f}" if ok else why
        else:
            checked = "not run"
        print(f"{'before':>8} {len(steps) - 2:>9,} {size:>12,} {produced:>9.1f} {checked:>8}", flush=True)
        del cert, steps
        t = time.perf_counter()
        found = core.refutation(search.inputs, search.lab.count, None)
        produced = time.perf_counter() - t
        if found is None:
            print(f"{'now':>8} no proof: {core.reason}")
            return
        cert = certificate(search, found)
        size = len(json.dumps(cert, separators=(",", ":")))
        t = time.perf_counter()
        ok, why = check(cert)
        checked = f"{time.perf_counter() - t:8.1f}" if ok else why
        print(f"{'now':>8} {len(found['hinted']):>9,} {size:>12,} {produced:>9.1f} {checked:>8}", flush=True)


class Measured(Search):
    """The search, measuring both certificates instead of making one."""

    limit = 0

    def certificate(self, core, deadline):
        measure(self, core, self.limit)
        return None, "measured"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", nargs="+", default=["16:0:4", "8:0:3", "8:1:3", "8:2:3", "7:5:3"],
                    help="states:seed:units of random_minimal automata")
    ap.add_argument("--no-before-check-above", type=int, default=10**9, dest="limit",
                    help="skip the DRAT check of proofs with more added clauses")
    args = ap.parse_args()
    Measured.limit = args.limit
    print(f"{'proof':>8} {'clauses':>9} {'cert bytes':>12} {'producer':>9} {'checker':>8}  (seconds)")
    for case in args.cases:
        states, seed, units = map(int, case.split(":"))
        problem = Problem(random_minimal(states, seed), get_cell("rnn"), units, output="readout")
        t = time.perf_counter()
        print(f"{states} states, seed {seed}, {units} units:", flush=True)
        decided = Measured(problem).run(None)
        print(f"{'':>8} search {decided.verdict} in {decided.rounds} rounds, {time.perf_counter() - t:.1f} s in all")


if __name__ == "__main__":
    main()
