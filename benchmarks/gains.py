"""The least safe gain, bracketed by certify, beside the closed-form gains of stable encodings.

Section ``solutions``: `certify`'s bracket [k_low, k_high] for the latch, toggle and Tomita solutions of the
docs (a confirmed failure at k_low, a proof at k_high), with the ratio and the time.
Section ``encodings``: for Tomita 1-7 and three random minimal 10-state DFAs (seeds 0-2 of
``random_minimal``, as benchmarks/random_dfa.py), the closed-form weight strength of the Omlin-Giles
second-order encoding and of the Minsky-style first-order network of automata_rnn/solver/construction.py
under the same bounding criterion (docs/gains.md gives the derivation), beside certify's bracket for that
first-order network and for the minimal network whose weights docs/gains.md lists.
Usage: python benchmarks/gains.py [--section solutions encodings]
"""

import argparse
import re
import time
from fractions import Fraction
from pathlib import Path

from mpmath import mp, mpf

from automata_rnn.interop.automata_files import load_automaton
from automata_rnn.model.automata import Automaton, minimize, random_minimal
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.model.semantics import Semantics
from automata_rnn.questions.certify import certify
from automata_rnn.solver.construction import minsky_weights

DOCS = Path(__file__).resolve().parent.parent / "docs"


def least_strength(r: int, cap: Fraction = Fraction(1, 2)) -> mpf:
    """min over 0 < eps < min(1/(2r), cap) of ln((1 - eps) / eps) / (1/2 - r eps): the least H with an eps for
    which H (1/2 - r eps) >= ln((1 - eps) / eps), i.e. g(H (1/2 - r eps)) >= 1 - eps for the logistic g."""
    mp.dps = 30

    def f(e):
        return mp.log((1 - e) / e) / (mpf(1) / 2 - r * e)

    lo, hi = mpf(10) ** -12, min(mpf(1) / (2 * r), mpf(cap.numerator) / cap.denominator) - mpf(10) ** -12
    for _ in range(200):   # f is convex on the interval: golden-section search
        a, b = lo + (hi - lo) * 0.382, lo + (hi - lo) * 0.618
        lo, hi = (lo, b) if f(a) < f(b) else (a, hi)
    return f((lo + hi) / 2)


def predecessors(a: Automaton) -> int:
    """The most states that one symbol sends into one state: max over (q, s) of |{p : delta(p, s) = q}|."""
    states = a.reachable()
    return max(sum(a.step(p, s) == q for p in states) for q in states for s in a.alphabet)


def minsky_r(a: Automaton) -> int:
    """r of the first-order network: the most predecessor units of a unit (q, s) whose q is not where the
    start state goes on s, and the most non-predecessor units of one whose q is (docs/gains.md)."""
    states, symbols = a.reachable(), list(a.alphabet)
    n = len(states) * len(symbols)
    worst = 1
    for q in states:
        for s in symbols:
            preds = sum(a.step(p, s) == q for p in states) * len(symbols)
            worst = max(worst, n - preds if a.step(a.start, s) == q else preds)
    return worst


def bracket_text(r) -> str:
    b = r.below
    if not r.certified:
        return "not certified"
    if b is None:
        return f"(?, {float(r.gain):.4g}]"
    if b.every_gain:
        return "every k > 0"
    high = b.proved_at if b.proved_at is not None else r.gain
    if b.fails_at is None:
        return f"(?, {float(high):.4g}]"
    return f"({float(b.fails_at):.4g}, {float(high):.4g}] ratio {float(high / b.fails_at):.3f}"


def doc_weights(readout: bool = False) -> dict:
    """The weights docs/gains.md lists ("* automaton, cell, N units: name = value, ...", read as [h_0 > 1/2],
    or "* automaton, cell, N units (read-out): ...", read by the threshold read-out unit): (automaton, cell)
    -> (units, weights)."""
    out = {}
    for line in (DOCS / "gains.md").read_text().splitlines():
        m = re.match(r"\* (\w+), ([\w-]+), (\d+) units( \(read-out\))?: (.*)", line)
        if m and bool(m.group(4)) == readout:
            pairs = re.findall(r"([\w\[\],]+) = (-?[\d/]+)", m.group(5))
            out[(m.group(1), m.group(2))] = (int(m.group(3)), {k: Fraction(v) for k, v in pairs})
    return out


def solved() -> list:
    """The solve --certify solutions whose weights docs/gains.md records (read as [h_0 > 1/2])."""
    return [(name, cell, units, w) for (name, cell), (units, w) in doc_weights().items()]


def solutions():
    print("| automaton | cell | units | bracket of the least safe gain | proof at k_high | seconds |")
    print("|---|---|---|---|---|---|")
    cases = [(n, c, u, "state", Semantics("saturated"), w) for n, c, u, w in solved()]
    cases.insert(0, ("latch", "rnn", 1, "state", Semantics("saturated"),
                     {"U_h": Fraction(2), "W_h": Fraction(2), "b_h": Fraction(-1)}))
    for (name, cell), (units, w) in doc_weights(readout=True).items():
        if cell == "rnn" and name.startswith("tomita") or (name, cell) == ("parity", "rnn"):
            cases.append((name, cell, units, "readout", Semantics("saturated"), w))
    for name, cell, units, output, sem, w in cases:
        p = Problem(load_automaton(name), get_cell(cell), units, sem, output=output)
        start = time.perf_counter()
        r = certify(p, w)
        how = r.below.proved_by if r.below is not None and r.below.proved_at is not None else ""
        print(f"| {name} | {cell} | {units} | {bracket_text(r)} | {how} | {time.perf_counter() - start:.1f} |",
              flush=True)


def encodings():
    print("| automaton | states | r (2nd order) | H, Omlin-Giles | units (1st order) | r | k, closed form | "
          "certify, 1st-order network | certify, minimal network | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    docs = doc_weights(readout=True)
    automata = [load_automaton(f"tomita{i}") for i in range(1, 8)] + [random_minimal(10, s) for s in range(3)]
    for a in automata:
        a = minimize(a)
        start = time.perf_counter()
        r2 = max(2, predecessors(a))
        second = least_strength(r2, Fraction(1, 2 * max(1, sum(a.output[q] for q in a.reachable()))))
        p, w = minsky_weights(Problem(a, get_cell("rnn"), semantics=Semantics("indicator")))
        r1 = minsky_r(a)
        first = certify(p, w)
        minimal = "-"
        if (a.name, "rnn") in docs:
            units, mw = docs[(a.name, "rnn")]
            minimal = bracket_text(certify(Problem(a, get_cell("rnn"), units, Semantics("saturated"),
                                                   output="readout"), mw))
        print(f"| {a.name} | {len(a.states)} | {r2} | {float(second):.4f} | {p.units} | {r1} | "
              f"{float(least_strength(r1, Fraction(1, 2 * p.units))):.4f} | {bracket_text(first)} | {minimal} | "
              f"{time.perf_counter() - start:.1f} |", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--section", nargs="+", default=["solutions", "encodings"], choices=["solutions", "encodings"])
    args = ap.parse_args()
    for section in args.section:
        {"solutions": solutions, "encodings": encodings}[section]()
        print()


if __name__ == "__main__":
    main()
