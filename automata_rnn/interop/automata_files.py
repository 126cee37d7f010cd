"""Automata from outside: specification files (JSON or YAML), and the one loader that reads a built-in name,
a file or ``re:PATTERN`` (regular expressions: :mod:`automata_rnn.interop.regex`).

PyYAML and automata-lib are imported when a YAML file or a regular expression is first read: automata-lib
pulls in networkx (about 0.15 s), which most commands never need.
"""

from __future__ import annotations

import json
import os

from automata_rnn.model.automata import LIBRARY, Automaton, Pairs, minimize
from automata_rnn.verdicts import BadInput

SPEC_SUFFIXES = (".json", ".yaml", ".yml")


def read_spec(path: str | os.PathLike) -> Automaton:
    """The automaton in a JSON or YAML file (``.json``, ``.yaml``, ``.yml``), as written (not minimised).

    The file holds the form of :meth:`Automaton.from_json`; the automaton is
    named after the file unless it has a ``name``.  Every defect (missing
    file, syntax error, duplicate key, bad transition table) raises
    ValueError with a one-line message that starts with the file name.
    """
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in SPEC_SUFFIXES:
        raise BadInput(f"{path}: unsupported file type {suffix or '(none)'!r} (use .json, .yaml or .yml)")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise BadInput(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"{path}: cannot read: {e}") from None
    obj = _parse_json(text, path) if suffix == ".json" else _parse_yaml(text, path)
    stem = os.path.splitext(os.path.basename(path))[0]
    try:
        return Automaton.from_json(obj, name=stem)
    except ValueError as e:
        raise BadInput(f"{path}: {e}") from None


def _parse_json(text: str, path: str):
    try:
        return json.loads(text, object_pairs_hook=Pairs)
    except json.JSONDecodeError as e:
        raise BadInput(f"{path}: JSON syntax error at line {e.lineno}, column {e.colno}: {e.msg}") from None


def _parse_yaml(text: str, path: str):
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader())
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise BadInput(f"{path}: YAML syntax error{where}: {e.problem or e.context}") from None
    except yaml.YAMLError as e:
        raise BadInput(f"{path}: YAML error: {' '.join(str(e).split())}") from None
    except TypeError as e:
        raise BadInput(f"{path}: unusable YAML key: {e}") from None


_LOADER = None


def _yaml_loader():
    """PyYAML's safe loader, with mappings read as :class:`Pairs` so duplicate keys are reported."""
    global _LOADER
    if _LOADER is None:
        import yaml

        class SpecLoader(yaml.SafeLoader):
            pass

        def mapping(loader, node):
            loader.flatten_mapping(node)
            return Pairs((loader.construct_object(k, deep=True), loader.construct_object(v, deep=True))
                          for k, v in node.value)

        SpecLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
        _LOADER = SpecLoader
    return _LOADER


def load_automaton(spec: str) -> Automaton:
    """The minimal automaton named by ``spec``: a built-in name, a .json/.yaml/.yml file, or ``re:PATTERN``.

    Regular expressions are over {0, 1} (see :func:`from_regex`).  ValueError
    with a one-line message otherwise, naming the built-ins.
    """
    if not isinstance(spec, str):
        raise BadInput(f"an automaton is named by a string, not {spec!r}")
    if spec in LIBRARY:
        return minimize(LIBRARY[spec]())
    if spec.startswith("re:"):
        from automata_rnn.interop.regex import from_regex

        if not spec[3:].strip():
            raise BadInput("empty regular expression after re: (write re:() for the language of the empty word)")
        return from_regex(spec[3:])
    if spec.lower().endswith(SPEC_SUFFIXES) or os.path.exists(spec):
        return minimize(read_spec(spec))
    raise BadInput(f"unknown automaton {spec!r}: give a built-in ({', '.join(LIBRARY)}), "
                     f"a .json/.yaml/.yml file, or re:PATTERN")
