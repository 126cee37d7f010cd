"""A second, independent solver: cvc5 reading the SMT-LIB 2 that the encoding writes.

Optional (``pip install automata-rnn[cvc5]``): without cvc5 installed,
:func:`cvc5_verdict` returns None and callers say so.
"""

from __future__ import annotations

from automata_rnn.verdicts import Verdict


def cvc5_available() -> bool:
    try:
        import cvc5  # noqa: F401
    except ImportError:
        return False
    return True


def cvc5_verdict(smt2: str, timeout_seconds: float | None = None) -> Verdict | None:
    """'sat', 'unsat' or 'unknown' from cvc5 on an SMT-LIB 2 script; None if cvc5 is not installed."""
    try:
        import cvc5
    except ImportError:
        return None
    tm = cvc5.TermManager()
    solver = cvc5.Solver(tm)
    if timeout_seconds is not None:
        solver.setOption("tlimit-per", str(max(1, int(timeout_seconds * 1000))))
    parser = cvc5.InputParser(solver)
    parser.setStringInput(cvc5.InputLanguage.SMT_LIB_2_6, smt2 if "(check-sat)" in smt2 else smt2 + "(check-sat)\n",
                          "encoding")
    symbols = parser.getSymbolManager()
    answers = []
    while True:
        command = parser.nextCommand()
        if command.isNull():
            break
        out = command.invoke(solver, symbols)
        if out and out.strip():
            answers.append(out.strip())
    verdict = answers[-1] if answers else "unknown"
    return Verdict(verdict) if verdict in ("sat", "unsat") else Verdict.UNKNOWN
