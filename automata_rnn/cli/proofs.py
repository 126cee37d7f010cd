"""Published claims about the textbook question, answered, checked and written as proof pages.

Each claim is settled by running the tool's own commands; its page shows the
commands and what they print, and its certificates are saved beside it as
JSON.  ``automata-rnn proofs --check`` re-checks every saved certificate with
the independent checker and regenerates every page to catch stale ones.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Callable, Sequence

from automata_rnn.exact.checker import check
from automata_rnn.interop.files import dumps, write_atomic

GRU_LATCH_FIX = ["W_r=0", "U_r=0", "b_r=0", "b_z=0", "b_h=0"]
GRU_TOGGLE_FIX = ["W_r=0", "U_r=0", "b_z=0", "b_h=0"]
ANSWER_A = ["b_r=1", "U_z=1", "b_z=0", "W_z=0", "U_h=0", "b_h=1", "W_h=-2"]
ANSWER_B = ["b_r=1", "U_z=1", "b_z=0", "W_z=0", "U_h=0", "b_h=0", "W_h=-2"]
LSTM_LATCH = ["b_i=1", "b_f=1", "U_g=1", "b_o=1"]
LSTM_TOGGLE = ["b_i=1", "U_f=-1", "b_f=1", "U_g=1", "W_g=-1", "b_o=1"]
LSTM_FORGET_OPEN = ["U_f=0", "W_f=0", "b_f=1", "W_i=0", "W_o=0", "U_o=0", "b_o=1"]


@dataclass(frozen=True)
class Claim:
    """A published statement, and the commands that settle it."""

    slug: str
    title: str
    statement: str
    commands: tuple[tuple[str, ...], ...]


CLAIMS = (
    Claim("rnn-latch-conditions", "(a-i) RNN latch: the exact condition",
          "The widely given answer b_h <= 0, u_h + b_h > 0, w_h + b_h > 0 is exactly the condition "
          "for a one-unit threshold RNN to implement the latch.",
          (("conditions", "latch", "--cell", "rnn", "--against", "b_h <= 0, u_h + b_h > 0, w_h + b_h > 0"),)),
    Claim("gru-latch-conditions", "(a-ii) GRU latch with w_r = u_r = b_r = b_z = b_h = 0",
          "The widely read derivation u_z <= 0, u_h > 0, w_z > 0 is exact, although in the case "
          "h = 1, x = 1 the candidate need not be 0: z = 0 with candidate 1 also works (see the table).",
          (("conditions", "latch", "--cell", "gru", "--fix", *GRU_LATCH_FIX,
            "--against", "u_z <= 0, u_h > 0, w_z > 0"),)),
    Claim("rnn-toggle-impossible", "(b-i) No one-unit threshold RNN implements the toggle",
          "No choice of u_h, w_h, b_h makes a one-unit threshold RNN implement the toggle.",
          (("solve", "toggle", "--cell", "rnn"),)),
    Claim("gru-toggle", "(b-ii) GRU toggle with w_r = u_r = b_z = b_h = 0",
          "A one-unit GRU with these parameters fixed implements the toggle; the exact condition and "
          "small integer weights follow.",
          (("solve", "toggle", "--cell", "gru", "--fix", *GRU_TOGGLE_FIX),
           ("conditions", "toggle", "--cell", "gru", "--fix", *GRU_TOGGLE_FIX))),
    Claim("gru-toggle-answer-a", "Circulating GRU toggle answer (A)",
          "Answer (A): b_r = 1, u_z = 1, b_z = w_z = 0, u_h = 0, b_h = 1, w_h = -2 (note b_h = 1 although "
          "the question fixes b_h = 0). Under the textbook's GRU (z = 1 keeps the old state) it fails; under "
          "the other update convention of the literature, h' = (1 - z) h + z h~ (Chung et al. 2014, cell "
          "gru-chung), it toggles: the answer was written for that convention.",
          (("check", "toggle", "--cell", "gru", "--set", *ANSWER_A),
           ("solve", "toggle", "--cell", "gru", "--fix", *ANSWER_A),
           ("check", "toggle", "--cell", "gru-chung", "--set", *ANSWER_A))),
    Claim("gru-toggle-answer-b", "Circulating GRU toggle answer (B)",
          "Answer (B): answer (A) with b_h = 0, as the question fixes it. It fails under both update "
          "conventions, on the input 1: the textbook's GRU keeps the state 0 there (z = 1), and under "
          "h' = (1 - z) h + z h~ it takes the candidate, which u_h = 0 and b_h = 0 leave at 0.",
          (("check", "toggle", "--cell", "gru", "--set", *ANSWER_B),
           ("solve", "toggle", "--cell", "gru", "--fix", *ANSWER_B),
           ("check", "toggle", "--cell", "gru-chung", "--set", *ANSWER_B))),
    Claim("lstm-latch-toggle", "(c) Beyond the question: one LSTM unit, and why it needs its forget gate",
          "One LSTM unit (gates i, f, g, o; c' = f c + i g, h' = o tanh(c')) implements the latch and the toggle "
          "under the same threshold semantics, with the weights below (every weight not named is 0; `automata-rnn "
          "solve latch --cell lstm` and `solve toggle --cell lstm --fix W_i=0 W_f=0 W_o=0 U_o=0 b_o=1` find such "
          "weights). The toggle needs the forget gate: held open (u_f = w_f = 0, b_f = 1, with w_i = w_o = u_o = 0 "
          "and b_o = 1 as in those weights) no weights toggle, since the cell state c' = c + i g can then only "
          "grow, and once h = [c > 0] is 1 it stays 1.",
          (("check", "latch", "--cell", "lstm", "--set", *LSTM_LATCH),
           ("check", "toggle", "--cell", "lstm", "--set", *LSTM_TOGGLE),
           ("solve", "toggle", "--cell", "lstm", "--fix", *LSTM_FORGET_OPEN))),
)


Runner = Callable[[Sequence[str]], "tuple[int, str, object]"]
"""Runs one command line in-process: (exit code, its answer as text, its answer as JSON)."""


def _certificates(obj) -> list[dict]:
    out = []
    if isinstance(obj, dict):
        for key in ("certificate",):
            if isinstance(obj.get(key), dict):
                out.append(obj[key])
        for key in ("certificates", "claim_certificates"):
            if isinstance(obj.get(key), list):
                out += obj[key]
    unique: dict[str, dict] = {}  # a judged claim borrows the derivation's certificates: each is kept once
    for cert in out:
        unique.setdefault(json.dumps(cert, sort_keys=True), cert)
    return list(unique.values())


def settle(claim: Claim, run: Runner) -> tuple[str, list[dict], list[dict]]:
    """(markdown page, certificates, per-command JSON results) for one claim, its commands run by ``run``."""
    lines = [f"# {claim.title}", "", f"**Claim.** {claim.statement}", "",
             "Generated by `automata-rnn proofs`; re-checked by `automata-rnn proofs --check`. "
             f"Certificates: [`{claim.slug}.json`]({claim.slug}.json), checked by the independent checker "
             "(`python -m automata_rnn.exact.checker` or `automata-rnn audit`).", ""]
    certs: list[dict] = []
    results = []
    for argv in claim.commands:
        code, text, obj = run(argv)
        results.append({"command": "automata-rnn " + " ".join(_quote(a) for a in argv), "exit": code, "result": obj})
        certs += _certificates(obj)
        command = "$ automata-rnn " + " ".join(_quote(a) for a in argv)
        lines += ["```", command, text.rstrip(), f"(exit code {code})", "```", ""]
    # every question checks its certificates before it answers; `proofs --check` re-checks the saved files
    lines.append(f"All {len(certs)} certificate(s) of this page accepted by the independent checker.")
    return "\n".join(lines) + "\n", certs, results


def _quote(a: str) -> str:
    return f'"{a}"' if (" " in a or "<" in a or ">" in a) else a


def write_pages(folder: str, run: Runner) -> list[str]:
    """Write every claim's page and certificates into ``folder`` (made if need be); return the paths written."""
    os.makedirs(folder, exist_ok=True)
    written = []
    index = ["# Proofs of published claims", "",
             "Each page settles one published claim about CS224n 2017 assignment 3, question 3, "
             "with certificates checked by the independent checker.", ""]
    for claim in CLAIMS:
        page, certs, _ = settle(claim, run)
        md, js = os.path.join(folder, f"{claim.slug}.md"), os.path.join(folder, f"{claim.slug}.json")
        write_atomic(md, page)
        write_atomic(js, dumps(certs))
        written += [md, js]
        index.append(f"* [{claim.title}]({claim.slug}.md)")
    path = os.path.join(folder, "README.md")
    write_atomic(path, "\n".join(index) + "\n")
    written.append(path)
    return written


def check_pages(folder: str, run: Runner) -> list[str]:
    """Problems found: certificates on disk rejected, pages or certificates stale or missing."""
    problems = []
    for claim in CLAIMS:
        md, js = os.path.join(folder, f"{claim.slug}.md"), os.path.join(folder, f"{claim.slug}.json")
        try:
            with open(js, encoding="utf-8") as f:
                saved = json.load(f)
            with open(md, encoding="utf-8") as f:
                saved_page = f.read()
        except (OSError, ValueError) as e:
            problems.append(f"{claim.slug}: missing or unreadable ({e})")
            continue
        if not isinstance(saved, list) or not saved:
            problems.append(f"{js}: no certificates")
        for i, cert in enumerate(saved if isinstance(saved, list) else []):
            ok, why = check(cert)
            if not ok:
                problems.append(f"{js}: certificate {i} REJECTED: {why}")
        page, certs, _ = settle(claim, run)
        if page != saved_page:
            problems.append(f"{md}: stale (regenerate with `automata-rnn proofs`)")
        if certs != saved:
            problems.append(f"{js}: stale (regenerate with `automata-rnn proofs`)")
    return problems
