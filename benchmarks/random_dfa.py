"""Minimal threshold units for random minimal DFAs (fixed seeds), beside Minsky's |Q|*|Sigma| units.

For 8, 16 and 32 states (three seeds each, alphabet {0,1}, Elman cell, threshold read-out):
the time to reach the minimal n (first size with verified weights, the size below excluded),
or how far the search got within the time limit.  Usage: python benchmarks/random_dfa.py [--limit SECONDS]
"""

import argparse
import random
import statistics
import time

from automata_rnn.model.automata import Automaton
from automata_rnn.model.automata import minimize as minimize_automaton
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.questions.sizes import minimize


def random_dfa(n: int, seed: int) -> Automaton:
    """A random complete DFA over {0,1} whose minimal form has exactly n states (rejection sampling)."""
    rng = random.Random(seed)
    while True:
        states = tuple(f"q{i}" for i in range(n))
        t = {(q, a): rng.choice(states) for q in states for a in "01"}
        out = {q: rng.randint(0, 1) for q in states}
        m = minimize_automaton(Automaton(f"random{n}-{seed}", ("0", "1"), states, "q0", t, out), rename=True)
        if len(m.states) == n:
            return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=float, default=120.0, help="seconds per automaton")
    ap.add_argument("--sizes", type=int, nargs="+", default=[8, 16, 32])
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    print(f"{'states':>6} {'seed':>4} {'minimal n':>9} {'excluded by':>22} {'seconds':>8} {'Minsky':>6}")
    for n in args.sizes:
        times = []
        for seed in range(args.seeds):
            a = random_dfa(n, seed)
            t = time.perf_counter()
            m = minimize(Problem(a, get_cell("rnn"), 1, output="readout"), max_hidden=10, timeout=args.limit)
            dt = time.perf_counter() - t
            tried = max((s.units for s in m.sizes), default=0)
            if m.minimal is not None:
                how = "one unit is least" if m.minimal == 1 else m.lower_bound.method
                times.append(dt)
                print(f"{n:>6} {seed:>4} {m.minimal:>9} {how:>22} {dt:>8.2f} {2 * n:>6}")
            else:
                upper = next((s.units for s in m.sizes if s.verdict == "sat"), None)
                excluded = max((s.units for s in m.sizes if s.verdict == "unsat"), default=0)
                print(f"{n:>6} {seed:>4} {'?':>9} {f'unknown: n>{excluded}' + (f', n<={upper}' if upper else ''):>22}"
                      f" {dt:>8.2f} {2 * n:>6}   (sizes tried up to {tried})")
        if times:
            print(f"{n:>6} median over solved: {statistics.median(times):.2f} s ({len(times)}/{args.seeds} solved)")


if __name__ == "__main__":
    main()
