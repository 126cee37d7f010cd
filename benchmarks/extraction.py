"""Automata extracted from small trained networks: verify's extraction and proof beside L* (AALpy).

For Tomita 2 and 4, GRUs of 3 units are trained with `train_automaton` (Adam, outputs after every symbol;
seeds 0 and 1). On each network:
* verify: the proof for every length or a failing input, and the automaton read off the network;
* L*: AALpy's run_Lstar (DFA) with the float64 network as the system under learning, and a random-word
  equivalence oracle (500 walks of length 10-30), as AALpy's RNN examples do.
For each extracted automaton: its states, the seconds, whether it is the target, and its wrong answers: the
share of test words (every word up to length 12, and 200 random words of length 100) whose last output differs
from the real network's (float64 run) and from the target's.
Needs the optional extra `lstar` (AALpy).  Usage: python benchmarks/extraction.py [--seeds 0 1]
"""

import argparse
import itertools
import time
from fractions import Fraction

import numpy as np
from aalpy.base import SUL
from aalpy.learning_algs import run_Lstar
from aalpy.oracles import RandomWordEqOracle

from automata_rnn.arithmetic.simulate import encode_words, params_to_numpy, simulate
from automata_rnn.interop.automata_files import load_automaton
from automata_rnn.learn.train import train_automaton
from automata_rnn.model.automata import distinguishing_word, minimize
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.model.semantics import Semantics
from automata_rnn.questions.simulate import read_outputs
from automata_rnn.questions.verify import verify


class NetworkSUL(SUL):
    """The real network (float64) as AALpy's system under learning: one step per symbol, output [read-out > 0]."""

    def __init__(self, problem: Problem, weights: dict):
        super().__init__()
        self.problem, self.weights = problem, weights
        self.cell = {k: v for k, v in params_to_numpy(problem.parameters(weights)).items() if k not in ("W_y", "b_y")}
        self.h = np.zeros((1, problem.units))

    def pre(self):
        self.h = np.zeros((1, self.problem.units))

    def post(self):
        pass

    def step(self, letter):
        if letter is not None:
            x = encode_words(self.problem.automaton, [(letter,)])
            self.h = simulate(self.problem.stack, self.cell, x, initial_state=self.h).hidden[:, 1]
        return bool(read_outputs(self.problem, self.weights, self.h, Fraction(1))[0])


def lstar(problem: Problem, weights: dict, seed: int):
    """The DFA that L* learns from the network (AALpy), as a function word -> last output, and its states."""
    import random
    random.seed(seed)
    alphabet = list(problem.automaton.alphabet)
    sul = NetworkSUL(problem, weights)
    oracle = RandomWordEqOracle(alphabet, sul, num_walks=500, min_walk_len=10, max_walk_len=30)
    model = run_Lstar(alphabet, sul, oracle, automaton_type="dfa", print_level=0)

    def last(word):
        model.reset_to_initial()
        out = model.current_state.is_accepting
        for s in word:
            out = model.step(s)
        return int(out)
    return last, len(model.states)


def test_words(problem: Problem, seed: int) -> list[tuple]:
    rng = np.random.default_rng(seed)
    alphabet = list(problem.automaton.alphabet)
    short = [w for n in range(13) for w in itertools.product(alphabet, repeat=n)]
    return short + [tuple(rng.choice(alphabet, size=100)) for _ in range(200)]


def network_outputs(problem: Problem, weights: dict, words: list[tuple]) -> dict[tuple, int]:
    cell = {k: v for k, v in params_to_numpy(problem.parameters(weights)).items() if k not in ("W_y", "b_y")}
    out: dict[tuple, int] = {(): read_outputs(problem, weights, np.zeros((1, problem.units)), Fraction(1))[0]}
    by_length: dict[int, list[tuple]] = {}
    for w in words:
        if w:
            by_length.setdefault(len(w), []).append(w)
    for batch in by_length.values():
        sim = simulate(problem.stack, cell, encode_words(problem.automaton, batch))
        for w, o in zip(batch, read_outputs(problem, weights, np.asarray(sim.hidden), Fraction(1))):
            out[w] = o[-1]
    return out


def wrong(last, words, truth) -> str:
    bad = [w for w in words if last(w) != truth[w]]
    return f"{100 * len(bad) / len(words):.2f} %" + (f" (first {''.join(min(bad, key=len))!r})" if bad else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    args = ap.parse_args()
    print("| network | method | states | seconds | the target? | wrong vs the network | wrong vs the target | "
          "verify's verdict |")
    print("|---|---|---|---|---|---|---|---|")
    for name in ("tomita2", "tomita4"):
        target = load_automaton(name)
        for seed in args.seeds:
            trained = train_automaton(name, "gru", 3, seed=seed)
            weights = {k: Fraction(v) for k, v in trained.named_weights().items()}
            problem = Problem(target, get_cell("gru"), 3, Semantics("saturated"), output="readout")
            words = test_words(problem, seed)
            net = network_outputs(problem, weights, words)
            truth = {w: target.outputs(w)[-1] for w in words}
            label = f"{name}, gru 3 units, seed {seed} (accuracy {trained.accuracy:.3f})"
            start = time.perf_counter()
            found = verify(problem, weights)
            seconds = time.perf_counter() - start
            extracted = found.extracted

            def by_extraction(w, e=extracted):
                return e.outputs(w)[-1]
            verdict = {"sat": "proved", "unsat": f"fails on {''.join(found.failure.word)!r}" if found.failure else "",
                       "unknown": "unknown"}[str(found.verdict)]
            same = distinguishing_word(minimize(target), extracted) is None
            print(f"| {label} | verify | {len(extracted.states)} | {seconds:.1f} | {'yes' if same else 'no'} | "
                  f"{wrong(by_extraction, words, net)} | {wrong(by_extraction, words, truth)} | {verdict} |",
                  flush=True)
            start = time.perf_counter()
            learned, states = lstar(problem, weights, seed)
            seconds = time.perf_counter() - start
            same = all(learned(w) == truth[w] for w in words)
            print(f"| {label} | L* (AALpy) | {states} | {seconds:.1f} | {'on every test word' if same else 'no'} | "
                  f"{wrong(learned, words, net)} | {wrong(learned, words, truth)} | – |", flush=True)


if __name__ == "__main__":
    main()
