"""Training over several seeds (`train latch-task --seeds A-B`): the seed lists, the outcome of a run, the
summary against the runs it summarises and against single runs."""

import argparse
import json
import math
import os

import numpy as np
import pytest

from automata_rnn.cli.arguments import MAX_SEEDS, seed_list
from automata_rnn.cli.main import main
from automata_rnn.learn import seeds as sweep
from automata_rnn.learn.train import TEXTBOOK_SEED, TrainResult, textbook_run


@pytest.mark.parametrize("text,expected", [
    ("0-3", (0, 1, 2, 3)), ("5", (5,)), ("7-7", (7,)), ("0-2,9", (0, 1, 2, 9)), (" 4 - 5 , 1", (4, 5, 1)),
    (f"0-{MAX_SEEDS - 1}", tuple(range(MAX_SEEDS))),
])
def test_seed_lists(text, expected):
    assert seed_list(text) == expected


@pytest.mark.parametrize("text", ["5-2", "x", "", "-3", "0,,3", "1,0-2", "1.5", f"0-{MAX_SEEDS}",
                                  f"0-{MAX_SEEDS - 1},{MAX_SEEDS}", "0-99999999999999999999", "9" * 5000])
def test_bad_seed_lists_are_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        seed_list(text)


def test_the_commands_default_seed_is_the_libraries():
    from automata_rnn.cli import train as cli_train

    assert cli_train.TEXTBOOK_SEED == TEXTBOOK_SEED


def _result(loss, weights=None, grad_norm=None, batch=100, sequences=9998, epochs=1, clip=None, seed=0):
    weights = weights or {"U_h": np.array([[1.0]]), "b_h": np.array([0.5])}
    grad_norm = [1.0] * len(loss) if grad_norm is None else grad_norm
    settings = {"task": "latch-task", "sequences": sequences, "batch": batch, "epochs": epochs, "clip": clip,
                "seed": seed}
    return TrainResult("rnn", 1, 1, "state", "final", settings, list(loss), list(grad_norm), weights, weights)


@pytest.mark.parametrize("last,batch,kind", [
    (3.62, 100, "learned"), (4.999, 100, "learned"), (5.0, 100, "partly learned"), (11.99, 100, "partly learned"),
    (12.0, 100, "stuck"), (12.5, 100, "stuck"), (14.9, 100, "stuck"),
    (0.499, 10, "learned"), (0.5, 10, "partly learned"), (1.19, 10, "partly learned"), (1.21, 10, "stuck"),
    (1.25, 10, "stuck"),  # chance is 10 / 8 = 1.25
])
def test_outcome_reads_the_last_epoch_against_chance(last, batch, kind):
    per_epoch = -(-9998 // batch)
    loss = [12.5] * per_epoch + [last] * per_epoch  # the first epoch does not count
    assert sweep.outcome(_result(loss, batch=batch, epochs=2)) == kind
    assert sweep.chance_loss(batch) == batch * 0.5 ** 2 / 2


def test_the_levels_are_the_documented_numbers():
    assert sweep.criteria(100) == {"chance_loss": 12.5, "learned_below": 5.0, "stuck_from": 12.0,
                                   "diverged_weight_beyond": 50.0}
    assert sweep.criteria(10) == {"chance_loss": 1.25, "learned_below": 0.5, "stuck_from": 1.2,
                                  "diverged_weight_beyond": 50.0}


@pytest.mark.parametrize("change", ["weight 50.5", "weight -51", "weight nan", "loss inf", "norm nan"])
def test_outcome_diverged_beats_every_loss(change):
    weights = {"U_h": np.array([[1.0]]), "b_h": np.array([0.5])}
    loss, norms = [3.7] * 100, [1.0] * 100
    what, value = change.split()
    if what == "weight":
        weights["b_h"] = np.array([float(value)])
    elif what == "loss":
        loss[17] = float(value)
    else:
        norms[17] = float(value)
    assert sweep.outcome(_result(loss, weights, norms)) == "diverged"
    # and just inside the level it is the loss that decides
    assert sweep.outcome(_result([3.7] * 100, {"b_h": np.array([-50.0])})) == "learned"


def test_outcome_needs_whole_epochs_and_one_output_per_sequence():
    with pytest.raises(ValueError, match="whole epochs"):
        sweep.outcome(_result([12.5] * 99))
    every = _result([12.5] * 100)
    every.outputs = "every"
    with pytest.raises(ValueError, match="one output per sequence"):
        sweep.outcome(every)


def _classify(run: dict, levels: dict) -> str:
    """The outcome from a run's record alone, by the levels the summary states."""
    numbers = [run["last_epoch_loss"], run["max_grad_norm"], run["largest_weight"], *run["weights"].values()]
    if any(v is None for v in numbers) or run["largest_weight"] > levels["diverged_weight_beyond"]:
        return "diverged"
    if run["last_epoch_loss"] < levels["learned_below"]:
        return "learned"
    return "stuck" if run["last_epoch_loss"] >= levels["stuck_from"] else "partly learned"


def _train(argv, capsys) -> tuple[int, str, str]:
    code = main(["train", "latch-task", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_seeds_summary_counts_its_runs_and_each_run_is_the_single_run(tmp_path, capsys):
    # one epoch: the defaults stay near chance, a learning rate of 50 throws the weights out
    runs = []
    for extra in (["--seeds", "0-1"], ["--seeds", "2", "--lr", "50"]):
        code, out, err = _train(["--cell", "gru", "--clip", "5", "--epochs", "1", "--quiet", "--json",
                                 "--out", str(tmp_path), *extra], capsys)
        assert code == 0 and err == ""
        summary = json.loads(out)
        path, = summary.pop("files")
        assert json.loads(open(path).read()) == summary  # the file is the summary printed
        counts = {kind: sum(_classify(run, summary["criteria"]) == kind for run in summary["runs"])
                  for kind in sweep.OUTCOMES}
        assert summary["counts"] == counts
        assert sum(counts.values()) == len(summary["seeds"]) == len(summary["runs"])
        assert summary["outcomes"] == {kind: [r["seed"] for r in summary["runs"] if r["outcome"] == kind]
                                       for kind in sweep.OUTCOMES}
        runs += summary["runs"]
    assert [r["outcome"] for r in runs] == ["stuck", "stuck", "diverged"]
    assert sorted(os.listdir(tmp_path)) == ["q3-clip-gru-seeds-0-1.json", "q3-clip-gru-seeds-2.json"]

    # seed 1 of the sweep is `train --seed 1`, number for number
    code, out, _ = _train(["--cell", "gru", "--clip", "5", "--epochs", "1", "--seed", "1", "--quiet", "--json",
                           "--no-plot", "--out", str(tmp_path)], capsys)
    single = json.loads((tmp_path / "q3-clip-gru.json").read_text())
    assert code == 0 and single["settings"]["seed"] == 1
    assert runs[1]["last_epoch_loss"] == pytest.approx(np.mean(single["loss"]), rel=1e-12)
    assert runs[1]["first_epoch_loss"] == runs[1]["last_epoch_loss"]  # one epoch
    assert runs[1]["weights"] == single["weights"]
    assert runs[1]["max_grad_norm"] == max(single["grad_norm"])
    assert runs[1]["clipped_minibatches"] == sum(g >= 5 * (1 - 1e-12) for g in single["grad_norm"])


def test_seeds_text_has_a_line_per_seed_and_the_counts(tmp_path, capsys):
    code, out, err = _train(["--cell", "rnn", "--epochs", "1", "--seeds", "3,5", "--quiet", "--out", str(tmp_path)],
                            capsys)
    lines = out.splitlines()
    assert code == 0 and err == ""
    assert [line.split(":")[0] for line in lines[1:3]] == ["seed   3", "seed   5"]
    assert lines[3] == "of 2: 0 learned, 0 partly learned, 2 stuck (3, 5), 0 diverged"
    assert "learned < 5 <= partly learned < 12 <= stuck (chance 12.5)" in lines[0]
    assert lines[4] == f"wrote {tmp_path / 'q3-noclip-rnn-seeds-3_5.json'}"


@pytest.mark.parametrize("argv", [
    ["--seeds", "5-2"], ["--seeds", "x"], ["--seeds", f"0-{10 ** 9}"], ["--seeds", "0-1", "--seed", "3"],
    ["--seeds", "1,1"], ["--seeds="],
])
def test_bad_seeds_exit_2_with_one_line(tmp_path, capsys, argv):
    code, out, err = _train([*argv, "--out", str(tmp_path)], capsys)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("automata-rnn: error:") and "Traceback" not in err
    assert os.listdir(tmp_path) == []


def test_seeds_are_for_the_textbook_task_only(tmp_path, capsys):
    code, _, err = (main(["train", "latch", "--seeds", "0-1", "--out", str(tmp_path)]), *capsys.readouterr())
    assert code == 2 and "only for latch-task" in err and len(err.splitlines()) == 1


def test_textbook_seeds_are_textbook_runs():
    runs = sweep.textbook_seeds("rnn", None, [4], epochs=1)
    one = textbook_run("rnn", None, epochs=1, seed=4)
    assert runs[0] == sweep.seed_run(one)
    assert runs[0].last_epoch_loss == pytest.approx(float(np.mean(one.loss)), rel=1e-12)
    with pytest.raises(ValueError, match="no seeds"):
        sweep.textbook_seeds("rnn", None, [], epochs=1)


def test_chance_is_what_predicting_one_half_costs():
    half_everywhere = 0.5 * sum((0.5 - y) ** 2 for y in [0, 1] * 50)
    assert math.isclose(sweep.chance_loss(100), half_everywhere) and sweep.criteria(100)["chance_loss"] == 12.5
