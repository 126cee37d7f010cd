"""The commands ``train`` and ``plot``: parse, call :mod:`automata_rnn.learn.train` and
:mod:`automata_rnn.present.plots`, print.

``automata-rnn train latch-task --cell gru [--clip 5]`` is the textbook's
experiment and writes ``q3-{clip|noclip}-{cell}.png`` and ``.json`` in
``--out``, or with ``--seeds A-B`` trains each seed and counts what the runs came to (one JSON summary,
no figures); ``automata-rnn train AUTOMATON --cell C --units N`` trains on random
words labelled by any automaton.  ``automata-rnn plot dynamics|gradients``
draws the other figures.  Bad input raises BadInput with a one-line message.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any

from automata_rnn.cli.answer import emit
from automata_rnn.cli.arguments import MAX_SEEDS, seed_list, unit_counts
from automata_rnn.interop.files import dumps, write_atomic
from automata_rnn.model.activation import REAL_ACTIVATIONS, get_activation
from automata_rnn.model.cells import CELLS, get_cell
from automata_rnn.verdicts import BadInput

TEXTBOOK_TASK = "latch-task"
TEXTBOOK_SEED = 0  # the default seed; automata_rnn.learn.train.TEXTBOOK_SEED, without importing NumPy to parse
EXIT_OK = 0

__all__ = ["add_parsers", "run"]


def add_parsers(subparsers, parser_class=None) -> None:
    """Add the subcommands ``train`` and ``plot`` to an argparse subparsers object (whose own parser class
    is used; ``parser_class`` is accepted for symmetry with the other commands)."""
    t = subparsers.add_parser(
        "train", help="train a cell by gradient descent (the textbook's latch-task, or any automaton)",
        description="Train a recurrent cell. 'latch-task' is the textbook's experiment (9998 sequences of length "
                    "20, one unit, SGD); an automaton name, file or re:PATTERN trains on random words it labels.")
    t.add_argument("task", help=f"{TEXTBOOK_TASK} (the textbook experiment) or an automaton (latch, parity, ...)")
    t.add_argument("--cell", default="gru", help=f"cell: {', '.join(CELLS)} (default gru)")
    t.add_argument("--units", type=unit_counts, default=None,
                   help="hidden units (default 1; latch-task: 1 only); N1,N2,... for a stack of layers, bottom first")
    t.add_argument("--activation", default="sigmoid",
                   help=f"the sigmoid gates (and the rnn cell's unit): {', '.join(REAL_ACTIVATIONS)} (default "
                        "sigmoid); tanh stays tanh, the prediction stays the logistic sigmoid")
    t.add_argument("--clip", type=float, default=None, help="clip the gradients' global norm at this value")
    t.add_argument("--epochs", type=int, default=None, help="epochs (default 40 for latch-task, 20 otherwise)")
    t.add_argument("--lr", type=float, default=None,
                   help="learning rate (default 0.2 for SGD, 0.01 for Adam)")
    t.add_argument("--batch", type=int, default=None, help="minibatch size (default 100 for latch-task, 50 otherwise)")
    t.add_argument("--seed", type=int, default=None,
                   help=f"seed of the initial weights and the data order (default {TEXTBOOK_SEED})")
    t.add_argument("--seeds", type=seed_list, default=None, metavar="A-B",
                   help=f"{TEXTBOOK_TASK} only: train each seed of A-B (or N, or a comma list such as 0-4,9; at "
                        f"most {MAX_SEEDS}) with the same settings; print one line per seed and how many learned, "
                        "partly learned, stuck or diverged; write one JSON summary, no figures")
    t.add_argument("--optimizer", choices=("sgd", "adam"), default=None,
                   help="automata only (default adam); latch-task uses SGD")
    t.add_argument("--outputs", choices=("every", "final"), default=None,
                   help="automata only: predict at every step (default) or at the end")
    t.add_argument("--length", type=int, default=None, help="automata only: word length (default 20)")
    t.add_argument("--sequences", type=int, default=None, help="automata only: training words (default 2000)")
    t.add_argument("--out", default=".", help="folder for the figure and the JSON record (default .)")
    t.add_argument("--no-plot", action="store_true", help="write the JSON record only")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument("--json", action="store_true", help="print JSON")

    p = subparsers.add_parser("plot", help="figures: cell dynamics, or gradients through time",
                              description="dynamics: h(t) against h(t-1) for the RNN and the GRU on the starter's "
                                          "random parameters (q3-0-dynamics.png, q3-1-dynamics.png); gradients: "
                                          "|d loss / d h(k)| per step for rnn, gru, lstm (q3-gradients.png).")
    p.add_argument("figure", help="dynamics or gradients")
    p.add_argument("--out", default=".", help="folder (default .)")
    p.add_argument("--seed", type=int, default=None,
                   help="dynamics: numpy seed of the parameters (default 41); gradients: seed of the "
                        "initialisations (default 0)")
    p.add_argument("--trained", action="store_true",
                   help="gradients: also train each cell on latch-task (40 epochs, no clipping) and plot it")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print JSON")


def run(args) -> int:
    """Carry out ``train`` or ``plot`` (as parsed by :func:`add_parsers`); 0 when done."""
    if args.command == "train":
        return _train(args)
    if args.command == "plot":
        return _plot(args)
    raise BadInput(f"unknown command {args.command!r} (known: train, plot)")


# -- helpers -------------------------------------------------------------------------------------

def writable_folder(path: str) -> str:
    """``path`` as a folder that exists, or that can be made, and takes new files; BadInput saying why not
    otherwise.  Nothing is made here: :func:`made_folder` makes the folder when the first file is written, so that
    a command that fails leaves no folder behind."""
    probe = os.path.abspath(path)
    while not os.path.exists(probe) and os.path.dirname(probe) != probe:
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise BadInput(f"--out {path!r} is not a folder" if probe == os.path.abspath(path)
                       else f"cannot create the folder --out {path!r}: {probe!r} is not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise BadInput(f"cannot write to the folder --out {path!r}: {probe!r} is not writable")
    return path


def made_folder(folder: str) -> str:
    """``folder``, made if it is missing (checked beforehand by :func:`writable_folder`)."""
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise BadInput(f"cannot create the folder --out {folder!r}: {e.strerror}") from None
    return folder


def _needs_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise BadInput("figures need matplotlib: pip install matplotlib (or pass --no-plot)") from None


def _write_json(path: str, obj) -> str:
    """Write ``obj`` as JSON, whole or not at all (its folder made if need be)."""
    made_folder(os.path.dirname(path) or ".")
    return write_atomic(path, dumps(obj))


def _activation_suffix(activation: str) -> str:
    """What a file name adds for the activation: nothing for the textbook's sigmoid, '-NAME' otherwise, so
    that runs with different gates never overwrite each other's files."""
    return "" if activation == "sigmoid" else f"-{activation}"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "automaton"


def _summary_text(result, paths: list[str]) -> str:
    loss, norms = result.loss, result.grad_norm
    per_epoch = len(loss) // max(1, result.settings["epochs"])
    first = _mean(loss[:per_epoch])
    last = _mean(loss[-per_epoch:])
    clip = result.settings.get("clip")
    lines = [
        f"{result.cell}, {result.units} unit{'s' if result.units > 1 else ''}, activation {result.activation}, "
        f"on {result.settings['task']} "
        f"({'with gradient clipping at %g' % clip if clip else 'without gradient clipping'}): "
        f"{len(loss)} minibatches in {result.seconds:.1f} s",
        f"mean loss per minibatch: first epoch {first:.4g}, last epoch {last:.4g}",
        f"gradient norm (applied): max {_max(norms):.3g}, median {_median(norms):.3g}, last {norms[-1]:.3g}",
    ]
    if result.accuracy is not None:
        lines.append(f"outputs right on fresh words: {result.accuracy:.4f}")
    weights = result.named_weights()
    if len(weights) <= 16:
        lines.append("weights: " + ", ".join(f"{k} = {v:.4g}" for k, v in weights.items()))
    else:
        lines.append(f"weights: {len(weights)} numbers, in the JSON record")
    lines += [f"wrote {p}" for p in paths]
    return "\n".join(lines)


def _finite(values):
    return [v for v in values if math.isfinite(v)]


def _mean(values) -> float:
    v = _finite(values)
    return sum(v) / len(v) if v else float("nan")


def _max(values) -> float:
    v = _finite(values)
    return max(v) if v else float("nan")


def _median(values) -> float:
    v = sorted(_finite(values))
    return v[len(v) // 2] if v else float("nan")


# -- train ---------------------------------------------------------------------------------------

_AUTOMATA_ONLY = ("optimizer", "outputs", "length", "sequences")


def _train(args) -> int:
    from automata_rnn.learn import train

    cell = get_cell(args.cell).name
    activation = get_activation(args.activation, real_only=True).name
    seeds = getattr(args, "seeds", None)
    if seeds is not None and args.task != TEXTBOOK_TASK:
        raise BadInput(f"--seeds: only for {TEXTBOOK_TASK}, whose runs it classifies by the textbook's loss levels")
    if seeds is not None and args.seed is not None:
        raise BadInput("give --seed or --seeds, not both")
    seed = TEXTBOOK_SEED if args.seed is None else args.seed
    if args.task == TEXTBOOK_TASK:
        if args.units not in (None, 1):
            raise BadInput(f"{TEXTBOOK_TASK} is the textbook's one-unit experiment; "
                             f"for {args.units} units train an automaton, e.g. `train latch --units {args.units}`")
        given = [f"--{k}" for k in _AUTOMATA_ONLY if getattr(args, k, None) is not None]
        if given:
            raise BadInput(f"{', '.join(given)}: only for automata, not for {TEXTBOOK_TASK}")
        settings: dict[str, Any] = dict(epochs=40 if args.epochs is None else args.epochs,
                                        lr=0.2 if args.lr is None else args.lr,
                                        batch=100 if args.batch is None else args.batch, seed=seed)
        train._check_settings(settings["epochs"], settings["lr"], settings["batch"], args.clip, "sgd")
        out = writable_folder(args.out)
        if seeds is not None:
            del settings["seed"]
            return _train_seeds(args, cell, activation, seeds, settings, out)
        if not args.no_plot:
            _needs_matplotlib()
        result = train.textbook_run(cell, args.clip, quiet=args.quiet, activation=activation, **settings)
        stem = f"q3-{'clip' if args.clip is not None else 'noclip'}-{cell}{_activation_suffix(activation)}"
    else:
        from automata_rnn.interop.automata_files import load_automaton

        automaton = load_automaton(args.task)
        units = 1 if args.units is None else args.units
        settings = dict(epochs=20 if args.epochs is None else args.epochs, lr=args.lr,
                        batch=50 if args.batch is None else args.batch, seed=seed,
                        optimizer=args.optimizer or "adam", outputs=args.outputs or "every",
                        length=20 if args.length is None else args.length,
                        sequences=2000 if args.sequences is None else args.sequences)
        lr = settings["lr"]
        train._check_settings(settings["epochs"], (0.2 if settings["optimizer"] == "sgd" else 0.01) if lr is None
                              else lr, settings["batch"], args.clip, settings["optimizer"])
        out = writable_folder(args.out)
        if not args.no_plot:
            _needs_matplotlib()
        result = train.train_automaton(automaton, cell, units, clip=args.clip, quiet=args.quiet,
                                       activation=activation, **settings)
        size = "x".join(map(str, units)) if isinstance(units, tuple) else str(units)
        stem = (f"train-{_slug(automaton.name)}-{cell}-{size}u-{'clip' if args.clip is not None else 'noclip'}"
                f"{_activation_suffix(activation)}")

    paths = []
    if not args.no_plot:
        from automata_rnn.present import plots

        made_folder(out)

        gates = "" if activation == "sigmoid" else f", {activation} gates"
        if args.task == TEXTBOOK_TASK and not gates:
            paths.append(plots.textbook_training_plot(result, out))
        else:
            data = (f"sequences of length {result.settings['length']}" if args.task == TEXTBOOK_TASK
                    else result.settings["task"])
            title = (f"{cell} ({result.units} unit{'s' if result.units > 1 else ''}{gates}) on {data} "
                     f"({'with' if result.clipped else 'without'} gradient clipping)")
            paths.append(plots.training_plot(result.loss, result.grad_norm, title, os.path.join(out, stem + ".png"),
                                             args.clip))
    record = result.to_json()
    paths.append(_write_json(os.path.join(out, stem + ".json"), record))
    summary = {k: v for k, v in record.items() if k not in ("loss", "grad_norm", "initial_weights")}
    summary["final_loss"] = record["loss"][-1]
    summary["final_grad_norm"] = record["grad_norm"][-1]
    summary["files"] = paths
    emit(args, _summary_text(result, paths), summary)
    return EXIT_OK


def _seeds_name(seeds) -> str:
    """Seeds as runs of consecutive numbers: (0, 1, 2, 7, 9, 10) -> '0-2_7_9-10' (a part of a file name)."""
    parts: list[list[int]] = []
    for s in seeds:
        if parts and s == parts[-1][1] + 1:
            parts[-1][1] = s
        else:
            parts.append([s, s])
    return "_".join(str(a) if a == b else f"{a}-{b}" for a, b in parts)


def _seed_line(run) -> str:
    clipped = "" if run.clipped is None else f", clipped in {run.clipped}"
    return (f"seed {run.seed:3d}: {run.outcome:14s} last-epoch loss {run.last_epoch_loss:7.3f} (first "
            f"{run.first_epoch_loss:.3f}); gradient norm max {run.max_grad_norm:.3g}{clipped}; "
            f"largest |weight| {run.largest_weight:.3g}")


def _train_seeds(args, cell: str, activation: str, seeds, settings: dict, out: str) -> int:
    """``train latch-task --seeds A-B``: every seed with the same settings, one line each, the count of each
    outcome, and one JSON summary in ``out``."""
    from automata_rnn.learn import seeds as sweep

    runs = sweep.textbook_seeds(cell, args.clip, seeds, quiet=args.quiet, activation=activation, **settings)
    found = sweep.tally(runs)
    levels = sweep.criteria(settings["batch"])
    clip = args.clip
    name = (f"q3-{'clip' if clip is not None else 'noclip'}-{cell}{_activation_suffix(activation)}"
            f"-seeds-{_seeds_name(seeds)}.json")
    summary = {"task": TEXTBOOK_TASK, "cell": cell, "activation": activation, "settings": {**settings, "clip": clip},
               "seeds": list(seeds), "criteria": levels,
               "counts": {kind: len(found[kind]) for kind in sweep.OUTCOMES}, "outcomes": found,
               "runs": [run.to_json() for run in runs]}
    path = _write_json(os.path.join(out, name), summary)
    summary["files"] = [path]
    clipping = f"with gradient clipping at {clip:g}" if clip is not None else "without gradient clipping"
    head = (f"{cell} (activation {activation}) on {TEXTBOOK_TASK} ({clipping}), "
            f"{settings['epochs']} epoch{'s' if settings['epochs'] > 1 else ''}, "
            f"{len(seeds)} seed{'s' if len(seeds) > 1 else ''}; "
            f"by the last epoch's mean loss per minibatch: learned < {levels['learned_below']:g} <= partly learned "
            f"< {levels['stuck_from']:g} <= stuck (chance {levels['chance_loss']:g}); diverged: a weight beyond "
            f"{levels['diverged_weight_beyond']:g} or a number not finite")
    counts = ", ".join(f"{len(found[kind])} {kind}" + (f" ({', '.join(map(str, found[kind]))})" if found[kind] else "")
                       for kind in sweep.OUTCOMES)
    text = "\n".join([head, *(_seed_line(run) for run in runs), f"of {len(seeds)}: {counts}", f"wrote {path}"])
    emit(args, text, summary)
    return EXIT_OK


# -- plot ----------------------------------------------------------------------------------------

def _plot(args) -> int:
    if args.figure not in ("dynamics", "gradients"):
        raise BadInput(f"unknown figure {args.figure!r} (known: dynamics, gradients)")
    if args.seed is not None and args.seed < 0:
        raise BadInput(f"the seed must be a whole number >= 0, not {args.seed}")
    out = writable_folder(args.out)
    _needs_matplotlib()
    from automata_rnn.present import plots

    made_folder(out)

    if args.figure == "dynamics":
        seed = plots.DYNAMICS_SEED if args.seed is None else args.seed
        paths = plots.dynamics_plots(out, seed=seed)
        obj = {"figure": "dynamics", "seed": seed, "parameters": plots.dynamics_parameters(seed), "files": paths}
    else:
        trained = None
        if args.trained:
            from automata_rnn.learn.train import textbook_run

            trained = {f"{c}, trained (seed {TEXTBOOK_SEED})": (c, textbook_run(c, None, quiet=args.quiet).weights)
                       for c in ("rnn", "gru", "lstm")}
        seed = 0 if args.seed is None else args.seed
        paths = [plots.gradient_plot(out, trained=trained, seed=seed)]
        obj = {"figure": "gradients", "seed": seed, "trained": bool(args.trained), "files": paths}
    emit(args, "\n".join(f"wrote {p}" for p in paths), obj)
    return EXIT_OK
