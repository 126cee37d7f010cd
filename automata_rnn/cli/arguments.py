"""Argument types shared by the commands: each turns one command-line word into a value or an
``argparse.ArgumentTypeError`` with a one-line reason."""

from __future__ import annotations

import argparse
import re
from fractions import Fraction

from automata_rnn.arithmetic.exact import parse_rational
from automata_rnn.cli.limits import memory_amount
from automata_rnn.verdicts import BadInput


def rational(text: str) -> Fraction:
    """An exact rational: an integer, a decimal or p/q."""
    try:
        return parse_rational(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def positive_seconds(text: str) -> float:
    """A positive, finite number of seconds."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not v > 0 or v != v or v == float("inf"):
        raise argparse.ArgumentTypeError(f"the timeout must be a positive number of seconds, not {text!r}")
    return v


def unit_counts(text: str) -> int | tuple[int, ...]:
    """``N`` or ``N1,N2,...``: the units of one layer, or of each layer of a stack, bottom first."""
    counts = tuple(positive_int(part) for part in text.split(","))
    return counts[0] if len(counts) == 1 else counts


def positive_int(text: str) -> int:
    """A whole number, at least 1."""
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {v}")
    return v


def memory(text: str) -> int:
    """An amount of memory, ``500M`` or ``2G``: bytes."""
    try:
        return memory_amount(text)
    except BadInput as e:
        raise argparse.ArgumentTypeError(str(e)) from None


MAX_SEEDS = 100  # 15 to 30 minutes of the textbook's GRU run on a 2-core machine


def seed_list(text: str) -> tuple[int, ...]:
    """Seeds: ``A-B`` (A to B, both included), ``N``, or a comma list of both (``0-4,9``); distinct whole
    numbers >= 0 in the order given, at most :data:`MAX_SEEDS` of them."""
    seeds: list[int] = []
    for part in text.split(","):
        m = re.fullmatch(r"\s*([0-9]+)\s*(?:-\s*([0-9]+)\s*)?", part)
        if m is None:
            raise argparse.ArgumentTypeError(f"not seeds: {text!r} (write A-B, N or a comma list such as 0-4,9, "
                                             "of whole numbers >= 0)")
        try:
            first = int(m.group(1))
            last = first if m.group(2) is None else int(m.group(2))
        except ValueError:  # more digits than Python converts
            raise argparse.ArgumentTypeError(f"a seed in {text!r} is too large") from None
        if last < first:
            raise argparse.ArgumentTypeError(f"the range {part.strip()} runs backwards (write {last}-{first})")
        if len(seeds) + (last - first + 1) > MAX_SEEDS:
            raise argparse.ArgumentTypeError(f"{text!r} is more than {MAX_SEEDS} seeds: split the run")
        for seed in range(first, last + 1):
            if seed in seeds:
                raise argparse.ArgumentTypeError(f"seed {seed} is given twice in {text!r}")
            seeds.append(seed)
    return tuple(seeds)
