"""The public facade: every name in ``__all__`` resolves, importing the package stays cheap, and the
examples of docs/api.md run as written."""

from __future__ import annotations

import doctest
import pathlib
import subprocess
import sys

import automata_rnn

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs" / "api.md"


def test_every_public_name_resolves():
    for name in automata_rnn.__all__:
        assert getattr(automata_rnn, name) is not None, name
    assert set(automata_rnn.__all__) <= set(dir(automata_rnn))


def test_an_unknown_name_is_an_attribute_error():
    try:
        automata_rnn.no_such_thing  # noqa: B018
    except AttributeError as e:
        assert "no_such_thing" in str(e)
    else:
        raise AssertionError("an unknown name resolved")


def test_importing_the_package_or_the_checker_loads_no_solver_and_no_numpy():
    code = ("import sys, automata_rnn, automata_rnn.exact.checker; "
            "print(sorted(m for m in ('z3', 'numpy', 'sympy', 'torch') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_docs_api_examples_run():
    failures, tried = doctest.testfile(str(DOCS), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 10
    assert failures == 0
