"""Networks that always exist, side by side: Minsky's construction (one unit per state and symbol) against
one unit per state where the transitions allow it (`solver/construction.py`), for random minimal DFAs over
{0,1} (fixed seeds): units of each, and the seconds of the exhaustive exact run that verifies each.
Usage: python benchmarks/constructions.py [--sizes 8 16 32 64] [--seeds 3]
"""

import argparse
import statistics
import time

from automata_rnn.exact.run import verify_weights
from automata_rnn.model.automata import random_minimal
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.solver.construction import minsky_weights, state_unit_weights


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[8, 16, 32, 64])
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    print(f"{'states':>6} {'seed':>4} {'Minsky units':>12} {'verified in':>11} {'per state':>9} {'verified in':>11}")
    for n in args.sizes:
        ratios = []
        for seed in range(args.seeds):
            p = Problem(random_minimal(n, seed), get_cell("rnn"), 1, output="readout")
            row = []
            for build in (minsky_weights, state_unit_weights):
                sized, weights = build(p)
                t = time.perf_counter()
                ok = verify_weights(sized, weights).implements
                row.append((sized.units, time.perf_counter() - t, ok))
            if not all(ok for _, _, ok in row):
                raise SystemExit(f"{n}:{seed}: a construction failed its exact run")
            (mu, mt, _), (su, st, _) = row
            ratios.append(su / n)
            print(f"{n:>6} {seed:>4} {mu:>12} {mt:>10.2f}s {su:>9} {st:>10.2f}s", flush=True)
        print(f"{n:>6} units per state, one per state where allowed: median {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
