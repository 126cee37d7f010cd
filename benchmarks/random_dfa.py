"""Minimal threshold units for random minimal DFAs (fixed seeds), beside Minsky's |Q|*|Sigma| units.

For 8, 16 and 32 states (three seeds each, alphabet {0,1}, Elman cell, threshold read-out):
the time to reach the minimal n (first size with verified weights, the size below excluded),
or how far the search got within the time limit (the upper bound may be the constructed network of one unit per
state, Minsky's refined, verified when no size searched has one), for each search of `minimize` given (by default the
decomposition with z3's SAT core, as before, and with CaDiCaL), one after the other on the same automaton.
``--cell`` asks the same of another cell (a GRU: ``gru``, ``gru-chung``, ``gru-after``); Elman is the default.
Usage: python benchmarks/random_dfa.py [--limit SECONDS] [--sizes 8 10 16] [--search decompose-z3 decompose direct]
                                       [--cell rnn|gru|gru-chung|gru-after]
"""

import argparse
import statistics
import time

from automata_rnn.model.automata import random_minimal as random_dfa
from automata_rnn.model.cells import CELLS, get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.questions.sizes import SEARCHES, minimize


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=float, default=120.0, help="seconds per automaton")
    ap.add_argument("--sizes", type=int, nargs="+", default=[8, 16, 32])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--search", nargs="+", default=["decompose-z3", "decompose"], choices=SEARCHES)
    ap.add_argument("--cell", default="rnn", choices=[c for c in CELLS if c != "lstm"])
    args = ap.parse_args()
    print(f"cell {args.cell}, threshold read-out, indicator semantics, --limit {args.limit:g} s per automaton")
    print(f"{'states':>6} {'seed':>4} {'search':>12} {'minimal n':>9} {'excluded by':>22} {'seconds':>8} {'Minsky':>6}"
          "   sizes (verdict, seconds)")
    for n in args.sizes:
        times: dict[str, list[float]] = {s: [] for s in args.search}
        for seed in range(args.seeds):
            a = random_dfa(n, seed)
            for search in args.search:
                t = time.perf_counter()
                m = minimize(Problem(a, get_cell(args.cell), 1, output="readout"), max_hidden=10, timeout=args.limit,
                             search=search)
                dt = time.perf_counter() - t
                trace = " ".join(f"{s.units}:{s.verdict}/{s.seconds:.1f}" for s in m.sizes)
                if m.minimal is not None:
                    how = "one unit is least" if m.minimal == 1 else m.lower_bound.method
                    if m.lower_bound is not None and m.lower_bound.certificate is not None:
                        how += f" ({next(iter(m.lower_bound.certificate['tree']))})"
                    times[search].append(dt)
                    answer = f"{m.minimal:>9} {how:>22}"
                else:
                    upper = next((s.units for s in m.sizes if s.verdict == "sat"),
                                 m.construction[0].units if m.construction else None)
                    excluded = max((s.units for s in m.sizes if s.verdict == "unsat"), default=0)
                    answer = f"{'?':>9} {f'n>{excluded}' + (f', n<={upper}' if upper else ''):>22}"
                print(f"{n:>6} {seed:>4} {search:>12} {answer} {dt:>8.2f} {2 * n:>6}   {trace}", flush=True)
        for search, solved in times.items():
            if solved:
                print(f"{n:>6} {search}: median over solved {statistics.median(solved):.2f} s "
                      f"({len(solved)}/{args.seeds} solved)")


if __name__ == "__main__":
    main()
