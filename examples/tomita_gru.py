"""Train a 2 x 50 PyTorch GRU on each Tomita grammar, then ask `automata-rnn verify` what it computes.

    python examples/tomita_gru.py --out runs/tomita-gru [--grammars 1 2 3] [--table docs/tomita-results.md]

For each grammar: an ``nn.GRU(1, 50, num_layers=2, batch_first=True)`` with an ``nn.Linear(50, 1)`` head,
trained as people train these networks: binary cross-entropy on the output after every symbol, never on
the empty word, Adam, seeded (``torch.manual_seed``, one CPU thread, so that two runs give the same
weights).  Half of each batch are uniform random words, half random walks that prefer accepting states
(uniform words almost never stay inside (10)* or 1*).  The ``state_dict`` is saved, then

    automata-rnn verify tomitaN --torch FILE --empty-word ignore --timeout 300 --memory 2G --json

answers: proved (every input of every length), a failing input (which this script re-runs in PyTorch, in
float32 as trained and in float64, to confirm), or unknown with the reason.  The table records each answer
with its time and peak memory.  This is an example, not a benchmark: it shows what a user does with the
tool, and its table (docs/tomita-results.md) is what the tool answers on networks trained this way.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from automata_rnn.interop.automata_files import load_automaton

UNITS, LAYERS = 50, 2
STEPS, BATCH, MAX_LENGTH, LR = 2000, 64, 30, 3e-3
TEST_WORDS, TEST_LENGTH = 2000, 100


class TomitaGRU(torch.nn.Module):
    """2 x 50 GRU and a linear head whose logit > 0 accepts."""

    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(1, UNITS, num_layers=LAYERS, batch_first=True)
        self.head = torch.nn.Linear(UNITS, 1)

    def forward(self, x):
        out, _ = self.gru(x)
        return self.head(out).squeeze(-1)


def sample_word(automaton, rng: random.Random, length: int) -> tuple:
    """Uniform, or a walk that moves to an accepting state with probability 0.7 when it can."""
    if rng.random() < 0.5:
        return tuple(rng.choice(automaton.alphabet) for _ in range(length))
    q, word = automaton.start, []
    for _ in range(length):
        good = [s for s in automaton.alphabet if automaton.output[automaton.step(q, s)] == 1]
        s = rng.choice(good) if good and rng.random() < 0.7 else rng.choice(automaton.alphabet)
        word.append(s)
        q = automaton.step(q, s)
    return tuple(word)


def batch(automaton, words: list) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.tensor([[float(s) for s in w] for w in words]).unsqueeze(-1)
    y = torch.tensor([[float(v) for v in automaton.outputs(w)[1:]] for w in words])
    return x, y


def train(name: str, seed: int, steps: int = STEPS) -> tuple[TomitaGRU, float, float]:
    """The trained model, its per-step accuracy on random test words of length TEST_LENGTH, and the seconds."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    automaton = load_automaton(name)
    model = TomitaGRU()
    optimiser = torch.optim.Adam(model.parameters(), lr=LR)
    start = time.monotonic()
    for _ in range(steps):
        length = rng.randint(1, MAX_LENGTH)
        x, y = batch(automaton, [sample_word(automaton, rng, length) for _ in range(BATCH)])
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x), y)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    seconds = time.monotonic() - start
    return model, test_accuracy(model, name, seed), seconds


def test_accuracy(model: TomitaGRU, name: str, seed: int) -> float:
    """Outputs right after each symbol on TEST_WORDS fresh words of length TEST_LENGTH."""
    automaton, rng = load_automaton(name), random.Random(seed + 1)
    x, y = batch(automaton, [sample_word(automaton, rng, TEST_LENGTH) for _ in range(TEST_WORDS)])
    with torch.no_grad():
        return float(((model(x) > 0).float() == y).float().mean())


def torch_output(model: TomitaGRU, word: str, dtype) -> int:
    """The model's output (logit > 0) after the last symbol of ``word``, in ``dtype``."""
    copy = TomitaGRU().to(dtype)
    copy.load_state_dict(model.state_dict())
    with torch.no_grad():
        logits = copy(torch.tensor([[float(s) for s in word]], dtype=dtype).unsqueeze(-1))
    return int(logits[0, -1] > 0)


def verify(name: str, path: Path, timeout: int, memory: str) -> tuple[dict | None, str, float, float]:
    """The verify answer (JSON, or None with the one-line reason), seconds and peak memory in MB."""
    command = [sys.executable, "-m", "automata_rnn", "verify", name, "--torch", str(path), "--empty-word",
               "ignore", "--timeout", str(timeout), "--memory", memory, "--json"]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.monotonic()
        child = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        _, _, usage = os.wait4(child.pid, 0)  # this child's own peak memory (ru_maxrss, KB on Linux)
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    megabytes = usage.ru_maxrss / 1024
    if stdout.strip().startswith("{"):
        return json.loads(stdout), "", seconds, megabytes
    return None, (stdout + stderr).strip().splitlines()[-1], seconds, megabytes


def row(number: int, seed: int, out: Path, timeout: int, memory: str, reuse: bool = False) -> str:
    name = f"tomita{number}"
    path = out / f"{name}-gru-2x50.pt"
    if reuse and path.exists():  # the same seed trains the same weights: keep the saved ones
        model, accuracy, train_seconds = train(name, seed, steps=0)
        model.load_state_dict(torch.load(path, weights_only=True))
        accuracy = test_accuracy(model, name, seed)
    else:
        model, accuracy, train_seconds = train(name, seed)
        torch.save(model.state_dict(), path)
    found, error, seconds, megabytes = verify(name, path, timeout, memory)
    if found is None:
        answer = f"unknown: {error}"
    elif "real" not in found:
        answer = f"unknown: {found['reason']}"
    elif found["verdict"] == "sat":
        answer = f"**proved** ({found['real']['boxes']} {found['real']['sets']})"
    else:
        real = found["real"]
        word = real["failing_input"]
        if word is not None and real["failure_certain"]:
            automaton = load_automaton(name)
            wrong = 1 - automaton.outputs(tuple(word))[-1]
            agree = [torch_output(model, word, d) == wrong for d in (torch.float32, torch.float64)]
            confirmed = "torch float32 and float64 confirm" if all(agree) else (
                f"torch confirms in {'float32' if agree[0] else 'float64' if agree[1] else 'neither dtype'}")
            answer = f"**fails** on `{word or 'ε'}` (length {len(word)}; {confirmed})"
        else:
            answer = f"unknown: {real['reason']}"
            if word is not None:
                answer += f"; float64 fails on `{word}` within the rounding margin"
        if real["proved_length"] is not None and real["proved_length"] > 0:
            answer += f"; proved up to length {real['proved_length']}"
        extracted = found["extracted"]
        answer += f"; extracted {len(extracted['automaton']['states'])} states" + (
            ", same outputs as the grammar" if extracted["equivalent"] else "")
    trained = "saved model" if reuse and train_seconds < 1 else f"{train_seconds:.0f} s"
    return (f"| Tomita {number} | {accuracy:.4f} | {trained} | {answer} | {seconds:.0f} s | "
            f"{megabytes:.0f} MB |")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/tomita-gru"), help="folder for the saved models")
    parser.add_argument("--grammars", type=int, nargs="+", default=list(range(1, 8)), choices=range(1, 8))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=int, default=300, help="verify's time limit per network, seconds")
    parser.add_argument("--memory", default="2G", help="verify's memory limit per network")
    parser.add_argument("--table", type=Path, help="also write the table (Markdown) here")
    parser.add_argument("--reuse", action="store_true", help="keep models already saved in --out (same seed, same "
                        "weights) and only verify them")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    lines = ["| grammar | accuracy (per step, length 100) | training | verify | time | peak memory |",
             "|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    for number in args.grammars:
        lines.append(row(number, args.seed, args.out, args.timeout, args.memory, args.reuse))
        print(lines[-1], flush=True)
    machine = f"{platform.machine()}, {platform.python_version()}, torch {torch.__version__}"
    lines.append("")
    lines.append(f"Machine: {machine}.")
    if args.table:
        args.table.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
