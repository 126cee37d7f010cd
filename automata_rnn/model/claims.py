"""Claimed conditions: parse a Boolean combination of linear (in)equalities over the weights.

Accepted: ``and``/``or``/``not`` (also ``&``, ``|``, ``∧``, ``∨``, ``¬``, ``&&``,
``||``), a comma or ``;`` for "and", comparisons ``> >= < <= = == !=`` (also
``≥ ≤ ≠``, chained like ``0 < U_h <= 1``), ``+ - * /`` with exact numbers, and
the problem's parameter names (lowercase aliases accepted).  A formula is a
nested tuple: ``("lit", E, signs)``, ``("and", [..])``, ``("or", [..])``,
``("not", f)`` where ``E signs`` means "E takes one of these signs".
"""

from __future__ import annotations

import ast
import re
from fractions import Fraction
from typing import Mapping

from automata_rnn.arithmetic.exact import Affine
from automata_rnn.model.problem import canonical_name
from automata_rnn.model.semantics import ALL, NEG, POS, ZERO
from automata_rnn.verdicts import BadInput

REL_SIGNS = {">": POS, ">=": POS | ZERO, "<": NEG, "<=": NEG | ZERO, "==": ZERO, "!=": POS | NEG}
_AST_REL = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!="}


def _normalise(text: str) -> str:
    t = text
    for a, b in (("≥", ">="), ("≤", "<="), ("≠", "!="), ("∧", " and "), ("∨", " or "), ("¬", " not "),
                 ("&&", " and "), ("||", " or "), ("&", " and "), ("|", " or "), ("−", "-")):
        t = t.replace(a, b)
    t = re.sub(r"(?<![<>=!])=(?!=)", "==", t)
    t = re.sub(r"\bAND\b", "and", t)
    t = re.sub(r"\bOR\b", "or", t)
    t = re.sub(r"\bNOT\b", "not", t)
    parts = [p.strip() for p in re.split(r"[,;]", t) if p.strip()]
    if not parts:
        raise BadInput("empty condition")
    return " and ".join(f"({p})" for p in parts)


def parse_claim(text: str, names: list[str], fixed: Mapping[str, Fraction]) -> tuple:
    """Parse a claimed condition into a formula over affine forms in the free parameters."""
    try:
        tree = ast.parse(_normalise(text), mode="eval").body
    except SyntaxError:
        raise BadInput(f"cannot parse condition {text!r}") from None

    def term(node) -> Affine:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            return Affine(None, Fraction(str(node.value)))
        if isinstance(node, ast.Name):
            n = canonical_name(node.id, names)
            return Affine(None, fixed[n]) if n in fixed else Affine.var(n)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            t = term(node.operand)
            return -t if isinstance(node.op, ast.USub) else t
        if isinstance(node, ast.BinOp):
            a, b = term(node.left), term(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                if not (a.is_constant or b.is_constant):
                    raise BadInput(f"condition {text!r} is not linear")
                return a * b
            if isinstance(node.op, ast.Div):
                if not b.is_constant or b.const == 0:
                    raise BadInput(f"condition {text!r}: division by a non-constant or by zero")
                return a * (1 / b.const)
        raise BadInput(f"condition {text!r}: unsupported expression {ast.unparse(node)!r}")

    def formula(node) -> tuple:
        if isinstance(node, ast.BoolOp):
            return ("and" if isinstance(node.op, ast.And) else "or", [formula(v) for v in node.values])
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return ("not", formula(node.operand))
        if isinstance(node, ast.Compare):
            lits, left = [], term(node.left)
            for op, right_node in zip(node.ops, node.comparators):
                right = term(right_node)
                rel = _AST_REL.get(type(op))
                if rel is None:
                    raise BadInput(f"condition {text!r}: unsupported comparison")
                lits.append(("lit", left - right, REL_SIGNS[rel]))
                left = right
            return lits[0] if len(lits) == 1 else ("and", lits)
        raise BadInput(f"condition {text!r}: expected comparisons joined by and/or/not")

    return formula(tree)


def evaluate(f: tuple, weights: Mapping[str, Fraction]) -> bool:
    """The exact truth value of a formula at a full assignment of the weights."""
    kind = f[0]
    if kind == "lit":
        v = f[1].evaluate(weights)
        return _sign(v) <= f[2]
    if kind == "not":
        return not evaluate(f[1], weights)
    vals = [evaluate(g, weights) for g in f[1]]
    return all(vals) if kind == "and" else any(vals)


def _nnf(f: tuple, negate: bool = False) -> tuple:
    kind = f[0]
    if kind == "lit":
        return ("lit", f[1], ALL - f[2]) if negate else f
    if kind == "not":
        return _nnf(f[1], not negate)
    flip = {"and": "or", "or": "and"}
    return (flip[kind] if negate else kind, [_nnf(g, negate) for g in f[1]])


def to_cnf(f: tuple, max_clauses: int = 4096) -> list[list[tuple[Affine, frozenset]]]:
    """Clauses (lists of (E, signs) literals) whose conjunction is equivalent to the formula."""
    def go(g) -> list[list]:
        if g[0] == "lit":
            if g[2] == ALL:
                return []
            return [[(g[1], g[2])]] if g[2] else [[]]
        if g[0] == "and":
            out = []
            for h in g[1]:
                out += go(h)
            return out
        result: list[list] = [[]]
        for h in g[1]:
            cs = go(h)
            result = [a + b for a in result for b in cs]
            if len(result) > max_clauses:
                raise BadInput("condition too large to put in conjunctive normal form")
        return result

    clauses = []
    for c in go(_nnf(f)):
        if any(e.is_constant and _sign(e.const) <= s for e, s in c):
            continue  # a constant true literal: the clause always holds
        merged: dict[Affine, frozenset] = {}
        for e, s in c:
            if not e.is_constant:
                e, s = _canonical(e, s)
                merged[e] = merged.get(e, frozenset()) | s
        if any(s == ALL for s in merged.values()):
            continue  # literals on one form that cover every sign: the clause always holds
        clauses.append(list(merged.items()))
    return clauses


def _canonical(e: Affine, s: frozenset) -> tuple[Affine, frozenset]:
    """The same literal over the form scaled so that its first coefficient is 1 (signs flipped if it was
    negative), so that literals on one atom written differently meet."""
    first = e.coeffs[min(e.coeffs)]
    if first < 0:
        s = frozenset({"+": "-", "-": "+", "0": "0"}[x] for x in s)
    return e * (1 / first), s


def _sign(q: Fraction) -> frozenset:
    return POS if q > 0 else NEG if q < 0 else ZERO
