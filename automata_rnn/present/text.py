"""How exact objects read to a person: literals, weights, tables."""

from __future__ import annotations

from fractions import Fraction
from typing import Iterable, Mapping

from automata_rnn.arithmetic.exact import Affine, format_rational, format_value
from automata_rnn.model.semantics import NEG, POS, ZERO

_SIGN_REL = {POS: ">", POS | ZERO: ">=", NEG: "<", NEG | ZERO: "<=", ZERO: "=", POS | NEG: "!="}
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "=": "=", "!=": "!="}
LATEX_REL = {">": ">", ">=": r"\geq", "<": "<", "<=": r"\leq", "=": "=", "!=": r"\neq"}


def literal_parts(e: Affine, signs: frozenset, order: Iterable[str] = ()) -> tuple[Affine, str, Fraction]:
    """(terms, rel, rhs) with the first term's coefficient positive: ``terms rel rhs``."""
    rel = _SIGN_REL.get(frozenset(signs))
    if rel is None:
        raise ValueError(f"no single relation for signs {sorted(signs)}")
    order = list(order)
    rank = {n: i for i, n in enumerate(order)}
    names = sorted(e.coeffs, key=lambda n: (rank.get(n, len(rank)), n))
    if names and e.coeffs[names[0]] < 0:
        e, rel = -e, _FLIP[rel]
    terms = Affine(e.coeffs)
    return terms, rel, -e.const


def literal_text(e: Affine, signs: frozenset, order: Iterable[str] = ()) -> str:
    """A literal as a student writes it, e.g. ``U_h + b_h > 0`` or ``W_h <= -1``."""
    order = list(order)
    terms, rel, rhs = literal_parts(e, signs, order)
    return f"{terms.terms_text(order)} {rel} {format_rational(rhs)}"


def clause_text(clause, order: Iterable[str] = ()) -> str:
    order = list(order)
    if not clause:
        return "false"
    return " or ".join(literal_text(e, s, order) for e, s in clause)


def weights_text(weights: Mapping[str, Fraction], order: Iterable[str]) -> str:
    return ", ".join(f"{n} = {format_rational(weights[n])}" for n in order if n in weights)


#: Set by the command line when standard output is a terminal: tables are then drawn with rich
#: (if it is installed); piped output stays plain text.
RICH_TABLES = False


def _rich_table(headers: list[str], rows: list[list[str]]) -> str | None:
    try:
        import io

        from rich import box
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        return None
    t = Table(*headers, box=box.SIMPLE_HEAD, header_style="bold")
    for r in rows:
        t.add_row(*[str(x) for x in r])
    buffer = io.StringIO()
    Console(file=buffer, force_terminal=True, width=200).print(t)
    return buffer.getvalue().rstrip("\n")


def table(headers: list[str], rows: list[list[str]]) -> str:
    """An aligned text table (drawn with rich on a terminal when :data:`RICH_TABLES` is set)."""
    if RICH_TABLES:
        drawn = _rich_table(headers, rows)
        if drawn is not None:
            return drawn
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    fmt = "  ".join("{:<%d}" % w for w in widths)
    lines = [fmt.format(*headers), fmt.format(*["-" * w for w in widths])]
    lines += [fmt.format(*[str(x) for x in r]) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def code_text(code) -> str:
    """A network code: the hidden state (and cell state for an LSTM) as exact numbers."""
    parts = [",".join(format_value(v) for v in part) for part in code]
    return " | ".join(parts)
