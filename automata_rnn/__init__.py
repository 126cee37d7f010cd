"""automata_rnn: exact, certified answers about recurrent cells that behave like automata.

The public interface, importable from the package itself (``from automata_rnn import solve``); see
docs/api.md.  Each name is loaded from its module when first used, so ``import automata_rnn`` stays
cheap and the trusted checker (:mod:`automata_rnn.exact.checker`) never pulls in a solver.

The package is layered, lowest first: ``model`` (cells, network, semantics, automata, problem; standard
library only), ``exact`` (exact runs and the certificate checker; standard library only), ``arithmetic``
(numbers, NumPy, intervals, automatic differentiation, z3 terms), ``solver`` (z3 and cvc5, encodings,
the prover), ``interop`` (weights and automaton files, PyTorch), ``questions`` and ``learn``,
``present`` (reports, diagrams, plots), ``cli``.  A module imports only its own layer and those below.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    # answers and errors
    "Verdict": "verdicts",
    "BadInput": "verdicts",
    "NoAnswer": "verdicts",
    "ResourceLimit": "verdicts",
    "Unsupported": "verdicts",
    "InternalCheckFailed": "verdicts",
    # the model
    "Automaton": "model.automata",
    "LIBRARY": "model.automata",
    "get_cell": "model.cells",
    "CELLS": "model.cells",
    "OUTPUT_RULES": "model.network",
    "ACTIVATIONS": "model.activation",
    "Semantics": "model.semantics",
    "Problem": "model.problem",
    "minimal_machines": "model.families",
    "random_minimal": "model.families",
    # automata and weights from files
    "load_automaton": "interop.automata_files",
    "from_regex": "interop.regex",
    "load_weights": "interop.weights",
    "save_weights": "interop.weights",
    # the exact core
    "check_certificate": "exact.checker",
    # questions
    "solve": "questions.solve",
    "check_weights": "questions.solve",
    "derive": "questions.conditions",
    "judge": "questions.conditions",
    "minimize": "questions.sizes",
    "certify": "questions.certify",
    "simulate_word": "questions.simulate",
    "verify": "questions.verify",
    "solve_and_certify": "questions.certify",
    "prove_real": "questions.verify",
    "find_failure": "questions.verify",
    "extract": "questions.verify",
    "census": "questions.census",
    "CensusSettings": "questions.census",
    # real networks
    "simulate": "arithmetic.simulate",
    "train_automaton": "learn.train",
}
_RENAMED = {"check_certificate": "check", "CensusSettings": "Settings"}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'automata_rnn' has no attribute {name!r}")
    module = importlib.import_module(f"automata_rnn.{_PUBLIC[name]}")
    value = getattr(module, _RENAMED.get(name, name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
