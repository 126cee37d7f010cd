"""Argument types shared by the commands: each turns one command-line word into a value or an
``argparse.ArgumentTypeError`` with a one-line reason."""

from __future__ import annotations

import argparse
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
