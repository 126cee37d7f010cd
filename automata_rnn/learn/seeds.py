"""The textbook's training run over several seeds, and what each run came to.

One run of a one-unit network says little: the same settings learn with one
seed and stay at chance with the next.  :func:`textbook_seeds` trains each
seed with the same settings and :func:`outcome` classifies each run, against
the loss of predicting 1/2 for every sequence, which for the textbook's loss
(squared error / 2, summed over a minibatch of ``batch`` sequences) is
``batch / 8`` per minibatch: 12.5 for the textbook's batch of 100.  Checked in
this order:

* **diverged**: a loss, an applied gradient norm or a trained weight is not
  finite, or a trained weight is beyond :data:`DIVERGED_WEIGHT` (50) in
  absolute value.  A one-unit GRU that learned has no weight beyond 10;
  without clipping, one exploding gradient throws the weights into the
  hundreds or thousands.
* **learned**: the last epoch's mean loss per minibatch is below
  :data:`LEARNED_FRACTION` (2/5) of chance: 5 for batch 100.  A one-unit GRU
  or LSTM cannot go below 3.62 (its state lies in (-1, 1)), and it gets there
  only by telling the two kinds of sequence apart.
* **stuck**: that loss is at least :data:`STUCK_FRACTION` (24/25) of chance:
  12 for batch 100, about what predicting 1/2 everywhere gives.
* **partly learned**: in between.

The levels are made for the textbook's task: balanced labels and one output
per sequence (outputs 'final'), where chance is also where a run that learned
nothing sits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Callable, Iterable, Sequence

import numpy as np

from automata_rnn.learn.train import TrainResult, named_weights, textbook_run
from automata_rnn.verdicts import BadInput

LEARNED_FRACTION = Fraction(2, 5)
STUCK_FRACTION = Fraction(24, 25)
DIVERGED_WEIGHT = 50.0
OUTCOMES = ("learned", "partly learned", "stuck", "diverged")

__all__ = ["DIVERGED_WEIGHT", "LEARNED_FRACTION", "OUTCOMES", "STUCK_FRACTION", "SeedRun", "chance_loss",
           "criteria", "epoch_losses", "largest_weight", "outcome", "seed_run", "tally", "textbook_seeds"]


def chance_loss(batch: int) -> float:
    """The loss of a minibatch of ``batch`` sequences when every prediction is 1/2: batch * (1/2)^2 / 2."""
    return batch / 8.0


def criteria(batch: int) -> dict[str, float]:
    """The levels of :func:`outcome` for minibatches of ``batch`` sequences, as numbers a reader can check
    (each the float nearest the exact fraction of chance: 5 and 12 for batch 100)."""
    chance = Fraction(batch, 8)
    return {"chance_loss": float(chance), "learned_below": float(LEARNED_FRACTION * chance),
            "stuck_from": float(STUCK_FRACTION * chance), "diverged_weight_beyond": DIVERGED_WEIGHT}


def _check_final_outputs(result: TrainResult) -> None:
    if result.outputs != "final":
        raise BadInput("the outcome of a run is defined for one output per sequence (the textbook's task), "
                       f"not outputs {result.outputs!r}")


def epoch_losses(result: TrainResult) -> list[float]:
    """The mean loss per minibatch of each epoch, in order (an epoch is ceil(sequences / batch) minibatches;
    NaN for an epoch with a non-finite loss)."""
    per_epoch = -(-int(result.settings["sequences"]) // int(result.settings["batch"]))
    losses = np.asarray(result.loss, dtype=np.float64)
    if len(losses) == 0 or len(losses) % per_epoch:
        raise BadInput(f"{len(losses)} minibatch losses are not whole epochs of {per_epoch}")
    means = losses.reshape(-1, per_epoch).mean(axis=1)
    return [float(v) if math.isfinite(v) else float("nan") for v in means]


def largest_weight(result: TrainResult) -> float:
    """The largest absolute value among the trained weights (NaN when one is NaN)."""
    return float(max(np.max(np.abs(w)) for w in result.weights.values()))


def outcome(result: TrainResult) -> str:
    """What a run of the textbook's task came to: one of :data:`OUTCOMES`, by the levels of the module
    docstring."""
    _check_final_outputs(result)
    weights = np.concatenate([np.ravel(w) for w in result.weights.values()])
    if (not np.all(np.isfinite(result.loss)) or not np.all(np.isfinite(result.grad_norm))
            or not np.all(np.isfinite(weights)) or np.max(np.abs(weights)) > DIVERGED_WEIGHT):
        return "diverged"
    last = epoch_losses(result)[-1]
    levels = criteria(int(result.settings["batch"]))
    if last < levels["learned_below"]:
        return "learned"
    return "stuck" if last >= levels["stuck_from"] else "partly learned"


@dataclass(frozen=True)
class SeedRun:
    """One seed's run, summarised: its outcome, the first and last epoch's mean loss per minibatch, the
    largest applied gradient norm, how many minibatches clipping acted on (None without clipping), the
    largest absolute trained weight, and the trained weights by name."""

    seed: int
    outcome: str
    first_epoch_loss: float
    last_epoch_loss: float
    max_grad_norm: float
    clipped: int | None
    largest_weight: float
    weights: dict[str, float]

    def to_json(self) -> dict:
        """JSON-ready (non-finite numbers become null)."""
        return {"seed": self.seed, "outcome": self.outcome, "first_epoch_loss": _finite(self.first_epoch_loss),
                "last_epoch_loss": _finite(self.last_epoch_loss), "max_grad_norm": _finite(self.max_grad_norm),
                "clipped_minibatches": self.clipped, "largest_weight": _finite(self.largest_weight),
                "weights": {k: _finite(v) for k, v in self.weights.items()}}


def _finite(v: float) -> float | None:
    return v if math.isfinite(v) else None


def seed_run(result: TrainResult) -> SeedRun:
    """The summary of one run of the textbook's task (its seed is the one in its settings)."""
    epochs = epoch_losses(result)
    norms = np.asarray(result.grad_norm, dtype=np.float64)
    clip = result.settings.get("clip")
    # the applied norm is the clipping norm exactly when clipping acted (up to rounding of the rescaling)
    clipped = None if clip is None else int(np.sum(norms >= clip * (1 - 1e-12)))
    return SeedRun(int(result.settings["seed"]), outcome(result), epochs[0], epochs[-1],
                   float(np.max(norms)) if np.all(np.isfinite(norms)) else float("nan"), clipped,
                   largest_weight(result), named_weights(result.weights))


def tally(runs: Iterable[SeedRun]) -> dict[str, list[int]]:
    """The seeds of each outcome, every one of :data:`OUTCOMES` present, seeds in the order of ``runs``."""
    found: dict[str, list[int]] = {kind: [] for kind in OUTCOMES}
    for run in runs:
        found[run.outcome].append(run.seed)
    return found


def textbook_seeds(cell: str, clip: float | None, seeds: Sequence[int], *, epochs: int = 40, lr: float = 0.2,
                   batch: int = 100, quiet: bool = True, on_run: Callable[[SeedRun], None] | None = None,
                   activation: str = "sigmoid") -> list[SeedRun]:
    """:func:`automata_rnn.learn.train.textbook_run` once per seed, with the same settings, each summarised
    by :func:`seed_run` (and passed to ``on_run`` as soon as it ends); a run with seed s is the run of
    ``textbook_run(cell, clip, epochs, lr, batch, seed=s, activation=activation)``, number for number."""
    if not seeds:
        raise BadInput("no seeds given")
    runs = []
    for i, seed in enumerate(seeds):
        result = textbook_run(cell, clip, epochs, lr, batch, seed, quiet=quiet, activation=activation,
                              label=f"{cell} {'clip' if clip else 'noclip'} seed {seed} ({i + 1}/{len(seeds)})")
        run = seed_run(result)
        runs.append(run)
        if on_run is not None:
            on_run(run)
    return runs
