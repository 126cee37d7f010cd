"""The training experiment of CS224n 2017 assignment 3 question 3, run and summarised.

Runs the textbook's training (9998 sequences of length 20, one unit, SGD at 0.2, batch 100, 40 epochs) for
the RNN, the GRU and the LSTM, each without and with clipping at 5, with the default seed; then the GRU
over several seeds, since one run says little about a one-unit network; draws the textbook's figures, the
dynamics figures and the gradients-through-time figure into a folder; and prints a short report.

Run: python examples/textbook_q3.py [OUT_DIR] [--seeds 10] [--no-lstm]
     (OUT_DIR defaults to docs/figures; a few minutes with the default 10 seeds)
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from automata_rnn.arithmetic.autodiff import Tape
from automata_rnn.learn.seeds import OUTCOMES, criteria, epoch_losses, largest_weight, outcome
from automata_rnn.learn.train import TEXTBOOK_CLIP, TEXTBOOK_SEED, predict, textbook_run
from automata_rnn.model.cells import get_cell
from automata_rnn.present import plots


def last_epoch_loss(result) -> float:
    return epoch_losses(result)[-1]


def first_epoch_below(result, level: float = 10.0) -> int | None:
    """The first epoch (1-based) whose mean loss is below ``level``."""
    per_epoch = np.array(result.loss).reshape(-1, 100).mean(axis=1)
    below = np.nonzero(per_epoch < level)[0]
    return int(below[0]) + 1 if len(below) else None


def events(result) -> str:
    """Where the run turned: its largest gradient norm, the first epoch whose mean loss is below 10, and the
    minibatches whose gradient norm is exactly 0 (gates saturated in float64)."""
    g = np.array(result.grad_norm)
    zero = np.nonzero(g == 0)[0]
    return (f"largest gradient norm {g.max():.3g} at minibatch {int(np.argmax(g))}; mean loss below 10 first in "
            f"epoch {first_epoch_below(result) or 'none'}; gradient norm exactly 0 in {len(zero)} "
            f"minibatches" + (f", from minibatch {int(zero[0])}" if len(zero) else ""))


def accuracy_at_length(result, length: int) -> float:
    """Fraction right (prediction > 1/2 against the first element) on the two sequences of ``length``."""
    xs = np.zeros((2, length, 1))
    xs[1, 0, 0] = 1.0
    return float(np.mean((predict(result.cell, result.weights, xs) > 0.5) == np.array([False, True])))


def norms_line(result) -> str:
    g = np.array(result.grad_norm)
    first, last = np.median(g[:100]), np.median(g[-100:])
    clipped = ""
    if result.clipped:
        clipped = f", clipped in {int(np.sum(g >= TEXTBOOK_CLIP * (1 - 1e-12)))} of {len(g)} minibatches"
    return f"median first epoch {first:.3g}, last epoch {last:.3g}, max {g.max():.3g}{clipped}"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Run the textbook's training experiment and draw its figures.")
    ap.add_argument("out", nargs="?", default="docs/figures")
    ap.add_argument("--seeds", type=int, default=10, help="GRU runs over seeds 0..N-1 (default 10; 0: none)")
    ap.add_argument("--no-lstm", action="store_true")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    cells = ["rnn", "gru"] + ([] if args.no_lstm else ["lstm"])
    runs = {}
    print(f"Textbook runs, seed {TEXTBOOK_SEED} (loss = sum of squared errors / 2 over a batch of 100; "
          f"predicting 1/2 everywhere gives 12.5)")
    for cell in cells:
        for clip in (None, TEXTBOOK_CLIP):
            r = textbook_run(cell, clip)
            runs[cell, clip] = r
            path = plots.textbook_training_plot(r, args.out)
            print(f"  {cell:4s} {'clip 5 ' if clip else 'no clip'}: loss first epoch {np.mean(r.loss[:100]):.3f}, "
                  f"last epoch {last_epoch_loss(r):.3f} ({outcome(r)}); gradient norm {norms_line(r)}; "
                  f"{r.seconds:.1f} s -> {os.path.basename(path)}")
            print("         trained weights: " + ", ".join(f"{k} = {v:.3g}" for k, v in r.named_weights().items()))
            print("         " + events(r))
        same = runs[cell, None].loss == runs[cell, TEXTBOOK_CLIP].loss
        print(f"       clipping {'never triggered: the two runs are identical' if same else 'changed the run'}")

    trained = {f"{c}, trained (seed {TEXTBOOK_SEED})": (c, runs[c, None].weights) for c in cells}
    if args.seeds:
        levels = criteria(100)
        print(f"\nGRU over seeds 0..{args.seeds - 1} (last-epoch loss: learned < {levels['learned_below']:g} <= "
              f"partly learned < {levels['stuck_from']:g} <= stuck; diverged: a weight beyond "
              f"{levels['diverged_weight_beyond']:g} or a number not finite)")
        sweep = {}
        for clip in (None, TEXTBOOK_CLIP):
            counts = dict.fromkeys(OUTCOMES, 0)
            for seed in range(args.seeds):
                r = sweep[clip, seed] = textbook_run("gru", clip, seed=seed)
                kind = outcome(r)
                counts[kind] += 1
                extra = ""
                if kind == "learned":
                    w = r.weights
                    extra = (f", loss below 10 from epoch {first_epoch_below(r)}; right on length 20: "
                             f"{accuracy_at_length(r, 20):.0%}, length 21: {accuracy_at_length(r, 21):.0%}; "
                             f"b_z = {w['b_z'][0]:.2f}, W_h = {w['W_h'][0, 0]:.2f}, "
                             f"largest z on 1, 0, 0, ...: {max(update_gate(w, 21)):.4f}")
                elif kind == "diverged":
                    extra = f", largest |weight| {largest_weight(r):.3g}"
                print(f"  {'clip 5 ' if clip else 'no clip'} seed {seed}: last-epoch loss "
                      f"{last_epoch_loss(r):7.3f} {kind}{extra}")
            print(f"  {'with' if clip else 'without'} clipping: " + ", ".join(f"{v} {k}" for k, v in counts.items()))

        learned = [s for s in range(args.seeds) if outcome(sweep[None, s]) == "learned"]
        diverged = [s for s in range(args.seeds) if outcome(sweep[None, s]) == "diverged"]
        if learned:
            seed = learned[0]
            r = sweep[None, seed]
            path = seed_plot(r, seed, args.out)
            print(f"  the first seed that learned without clipping: {seed} -> {os.path.basename(path)}")
            trained[f"gru, trained (seed {seed}, learned)"] = ("gru", r.weights)
            h = trajectory(r.weights, 23)
            print("  its state after 1, 0, 0, ...: " + ", ".join(f"{v:.2f}" for v in h[:8]) + ", ...")
        if diverged:
            seed = diverged[0]
            if seed == TEXTBOOK_SEED:  # its figures are the textbook runs' above
                names = [f"q3-{'clip' if clip else 'noclip'}-gru.png" for clip in (None, TEXTBOOK_CLIP)]
            else:
                names = [os.path.basename(seed_plot(sweep[clip, seed], seed, args.out))
                         for clip in (None, TEXTBOOK_CLIP)]
            print(f"  the first seed that diverged without clipping: {seed} -> " + ", ".join(names))

    if args.seeds and "lstm" in cells:
        print(f"\nLSTM without clipping over seeds 0..{args.seeds - 1}")
        lstm = [textbook_run("lstm", None, seed=seed) for seed in range(args.seeds)]
        print("  last-epoch loss: " + ", ".join(f"{last_epoch_loss(r):.3f} ({outcome(r)})" for r in lstm))

    print("\nDynamics of the starter's random cells (numpy seed 41)")
    values = plots.dynamics_parameters()
    grid = np.linspace(-3, 3, 600001)
    for x in (0, 1):
        curves = plots.dynamics_curves(x, grid, values)
        crossings = {k: grid[:-1][np.diff(np.sign(c - grid)) != 0] for k, c in curves.items()}
        kept = np.max(np.abs(curves["gru"] - grid)[grid <= -1])
        print(f"  x = {x}: rnn crosses the identity at h = "
              + ", ".join(f"{v:.3f}" for v in crossings["rnn"]) + "; gru at h = "
              + ", ".join(f"{v:.3f}" for v in crossings["gru"])
              + f"; on [-3, -1] the gru moves the state by at most {kept:.3f}")

    print("\nGradient reaching h(k) on 1, 0, ..., 0 (length 20): geometric-mean factor per step")
    for label, (cell, weights) in trained.items():
        curves = plots.gradient_through_time(cell, weights)
        g = curves["h"]
        print(f"  {label}: |d loss / d h(20)| = {g[-1]:.3g}, |d loss / d h(0)| = {g[0]:.3g}, "
              f"factor {(g[0] / g[-1]) ** (1 / 20):.2g}")
    paths = plots.dynamics_plots(args.out)
    paths.append(plots.gradient_plot(args.out, cells=cells, trained=trained))
    print("\nwrote " + ", ".join(os.path.basename(p) for p in paths))


def _gru_run(weights, length: int) -> tuple[list[float], list[float]]:
    """h(1..length) and z(1..length) of the textbook GRU on the input 1, 0, 0, ..."""
    ops, cell = Tape(record=False), get_cell("gru")
    h, states, gates = np.zeros((1, 1)), [], []
    for t in range(length):
        (h_new,), g = cell.step(ops, weights, np.array([[1.0 if t == 0 else 0.0]]), (h,))
        h = h_new.value
        states.append(float(h[0, 0]))
        gates.append(float(g["z"].value[0, 0]))
    return states, gates


def seed_plot(result, seed: int, out: str) -> str:
    """The two-panel figure of a GRU run with a seed other than the default, named after the seed."""
    setting = "clip" if result.clipped else "noclip"
    title = (f"gru on sequences of length 20 ({'with' if result.clipped else 'without'} gradient clipping), "
             f"seed {seed}")
    return plots.training_plot(result.loss, result.grad_norm, title,
                               os.path.join(out, f"q3-{setting}-gru-seed{seed}.png"), result.settings["clip"])


def trajectory(weights, length: int) -> list[float]:
    """h(1), ..., h(length) of the textbook GRU on the input 1, 0, 0, ..."""
    return _gru_run(weights, length)[0]


def update_gate(weights, length: int) -> list[float]:
    """z(1), ..., z(length) of the textbook GRU on the input 1, 0, 0, ..."""
    return _gru_run(weights, length)[1]


if __name__ == "__main__":
    main()
