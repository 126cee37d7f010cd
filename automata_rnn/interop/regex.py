"""Regular expressions as automata: the minimal complete Moore machine whose output after a prefix says
whether the prefix matches (automata-lib builds the DFA)."""

from __future__ import annotations

import re
from collections import deque
from typing import Iterable

from automata.base.exceptions import AutomatonException, RegexException
from automata.fa.dfa import DFA
from automata.fa.nfa import NFA

from automata_rnn.model.automata import Automaton, minimize, repeated
from automata_rnn.verdicts import BadInput

REGEX_OPERATORS = frozenset("*|()?&+.^{}[]")


def from_regex(pattern: str, alphabet: Iterable[str] = ("0", "1"), name: str | None = None) -> Automaton:
    """The minimal complete Moore machine whose output after a prefix is 1 iff the prefix matches ``pattern``.

    Symbols are single characters.  Syntax (automata-lib's): literals,
    concatenation, ``|``, ``*``, ``+``, ``?``, ``{m}``, ``{m,n}``, ``{m,}``,
    grouping ``( )``, classes ``[01]``, ``[0-1]``, ``[^0]`` (matching those of
    their symbols that are in the alphabet), ``.`` (any symbol), ``&``
    (intersection) and ``^`` (shuffle).  The empty word is ``()``, the empty
    pattern, or an empty alternative as in ``0|`` or ``(|1)``.  Quantifiers
    may be stacked (``0+?`` is ``(0+)?``).  States are named ``q0``, ``q1``,
    ... in breadth-first order.  ValueError with a one-line message for a
    malformed pattern, a literal outside the alphabet, or an alphabet that
    cannot be written in a pattern.
    """
    alphabet = _regex_alphabet(alphabet)
    if not isinstance(pattern, str):
        raise BadInput(f"a regular expression is a string, not {pattern!r}")
    prepared = _explicit_empty_alternatives(pattern, alphabet)
    dfa = _regex_dfa(pattern, prepared, alphabet)
    return minimize(_complete(dfa, alphabet, name or f"re:{pattern}"), rename=True)


def _regex_alphabet(alphabet: Iterable[str]) -> tuple[str, ...]:
    if isinstance(alphabet, str):
        alphabet = tuple(alphabet)
    alphabet = tuple(alphabet)
    if not alphabet:
        raise BadInput("empty alphabet")
    for a in alphabet:
        if not isinstance(a, str) or len(a) != 1:
            raise BadInput(f"regular expressions need one-character symbols, not {a!r}")
        if a in REGEX_OPERATORS or a.isspace() or a == "\\":
            raise BadInput(f"symbol {a!r} is a regular-expression operator and cannot be in the alphabet")
    if len(set(alphabet)) != len(alphabet):
        raise BadInput(f"duplicate symbol {repeated(alphabet)[0]!r} in the alphabet")
    return alphabet


def _explicit_empty_alternatives(pattern: str, alphabet: tuple[str, ...]) -> str:
    """``pattern`` with ``()`` written for each empty alternative; checks literals against the alphabet."""
    out: list[str] = []
    last = "start"  # kind of the previous token: start, (, |, or atom
    opened: list[int] = []  # positions of the open parentheses
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c.isspace():
            raise BadInput(f"bad regular expression {pattern!r}: blanks are not allowed")
        if c == "(":
            opened.append(i)
        if c == ")" and not opened:
            raise BadInput(f"bad regular expression {pattern!r}: unmatched ')' at position {i}")
        if c == ")":
            opened.pop()
        if (c == "|" and last in ("start", "(", "|")) or (c == ")" and last == "|"):
            out.append("()")
        j = _token_end(pattern, i, alphabet)
        out.append(pattern[i:j])
        last = c if c in "(|" else "atom"
        i = j
    if opened:
        raise BadInput(f"bad regular expression {pattern!r}: unclosed '(' at position {opened[-1]}")
    if last == "|":
        out.append("()")
    return "".join(out)


def _token_end(pattern: str, i: int, alphabet: tuple[str, ...]) -> int:
    """Where the token starting at ``pattern[i]`` ends: a class, a quantifier, an escape, or one character."""
    c = pattern[i]
    if c in "[{":
        j = pattern.find("]" if c == "[" else "}", i + 1)
        what = "character class" if c == "[" else "quantifier"
        if j < 0:
            raise BadInput(f"bad regular expression {pattern!r}: unterminated {what} at position {i}")
        if c == "{" and not re.fullmatch(r"\d+(,\d*)?", pattern[i + 1:j]):
            raise BadInput(f"bad regular expression {pattern!r}: bad quantifier {pattern[i:j + 1]!r} "
                             "(use {m}, {m,n} or {m,})")
        return j + 1
    if c == "\\":
        if i + 1 == len(pattern):
            raise BadInput(f"bad regular expression {pattern!r}: it ends with a backslash")
        literal = pattern[i + 1]
        if literal.isalpha() and literal.lower() in "dsw":
            return i + 2
        _check_literal(pattern, literal, alphabet)
        return i + 2
    if c not in REGEX_OPERATORS:
        _check_literal(pattern, c, alphabet)
    return i + 1


def _check_literal(pattern: str, symbol: str, alphabet: tuple[str, ...]) -> None:
    if symbol not in alphabet:
        raise BadInput(f"bad regular expression {pattern!r}: symbol {symbol!r} is not in the alphabet "
                         f"({', '.join(map(repr, alphabet))})")


def _regex_dfa(pattern: str, prepared: str, alphabet: tuple[str, ...]):
    try:
        return DFA.from_nfa(NFA.from_regex(prepared, input_symbols=set(alphabet)))
    except (AutomatonException, RegexException) as e:
        raise BadInput(f"bad regular expression {pattern!r}: {_readable(str(e))}") from None


def _readable(message: str) -> str:
    """automata-lib's parser message with its token names (``<UnionToken: |>``) shown as the characters."""
    message = re.sub(r"'?<(?:\w+Token: )?([^<>]*)>'?", r"'\1'", message)
    return " ".join(message.split()).rstrip(".")


def _complete(dfa, alphabet: tuple[str, ...], name: str) -> Automaton:
    """An automata-lib DFA as a complete Moore machine over ``alphabet`` (a sink for missing moves)."""
    names = {dfa.initial_state: "q0"}
    queue = deque([dfa.initial_state])
    transitions: dict[tuple[str, str], str] = {}
    sink = False
    while queue:
        d = queue.popleft()
        row = dfa.transitions.get(d, {})
        for s in alphabet:
            if s not in row:
                transitions[(names[d], s)] = "sink"
                sink = True
                continue
            if row[s] not in names:
                names[row[s]] = f"q{len(names)}"
                queue.append(row[s])
            transitions[(names[d], s)] = names[row[s]]
    output = {n: int(d in dfa.final_states) for d, n in names.items()}
    if sink:
        transitions.update({("sink", s): "sink" for s in alphabet})
        output["sink"] = 0
    return Automaton(name, alphabet, tuple(output), "q0", transitions, output)


