"""The JSON Schemas (draft 2020-12) of every JSON the tool writes: each command's ``--json`` answer,
certificates, weights files and training logs (docs/json.md describes them).

The schemas ship inside the package (``automata_rnn/schemas/NAME.schema.json``); each has the ``$id``
``urn:automata-rnn:schema:NAME:VERSION`` and refers to the others by those ids, never by a path or a URL,
so that validating needs no network.  Reading a schema needs the standard library only; validating needs
the ``jsonschema`` package (``pip install jsonschema``), imported when first asked.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from automata_rnn.verdicts import BadInput

ID_PREFIX = "urn:automata-rnn:schema:"
_SUFFIX = ".schema.json"


@functools.cache
def schema_names() -> tuple[str, ...]:
    """The names of the shipped schemas, sorted (``solve``, ``certificate``, ``weights-file``, ...)."""
    folder = resources.files("automata_rnn") / "schemas"
    return tuple(sorted(entry.name[: -len(_SUFFIX)] for entry in folder.iterdir() if entry.name.endswith(_SUFFIX)))


@functools.cache
def _text(name: str) -> str:
    if name not in schema_names():
        raise BadInput(f"no schema called {name!r} (known: {', '.join(schema_names())})")
    return (resources.files("automata_rnn") / "schemas" / (name + _SUFFIX)).read_text(encoding="utf-8")


def schema(name: str) -> dict[str, Any]:
    """The schema called ``name`` as a fresh JSON object; BadInput naming the known ones for any other name."""
    return json.loads(_text(name))


def schema_id(name: str) -> str:
    """The ``$id`` of the schema called ``name``: ``urn:automata-rnn:schema:NAME:VERSION``."""
    return schema(name)["$id"]


def _needs_jsonschema() -> None:
    """ImportError saying what to install when the validator is missing."""
    try:
        import jsonschema  # noqa: F401
        import referencing  # noqa: F401
    except ImportError:
        raise ImportError("validating against the schemas needs jsonschema 4.18 or later: pip install jsonschema "
                          "(reading them does not)") from None


@functools.cache
def _registry():
    """Every shipped schema, under its ``$id``, for resolving the ``$ref``s between them."""
    from referencing import Registry, Resource

    resources_by_id = [(schema_id(n), Resource.from_contents(schema(n))) for n in schema_names()]
    return Registry().with_resources(resources_by_id)


@functools.cache
def _validator(name: str):
    _needs_jsonschema()
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema(name), registry=_registry())


def problems(name: str, obj: Any) -> list[str]:
    """Every way ``obj`` fails the schema called ``name``, one line each (where, then what); [] if it is valid.
    Where the schema allows several forms, the lines are those of the form ``obj`` comes closest to.
    Needs ``jsonschema``."""
    found = [leaf for e in _validator(name).iter_errors(obj) for leaf in _explained(e)]
    found.sort(key=lambda e: list(map(str, e.absolute_path)))
    return [f"at /{'/'.join(map(str, e.absolute_path))}: {_short(e.message)}" for e in found]


def _explained(error) -> list:
    """The errors that say what is wrong: for a failed anyOf / oneOf, those of the alternative that comes
    closest (not one of another type, then the fewest errors), explained in turn."""
    if not error.context:
        return [error]
    alternatives: dict = {}
    for e in error.context:
        alternatives.setdefault(e.relative_schema_path[0], []).append(e)
    depth = len(error.absolute_path)

    def distance(errs) -> tuple[bool, int]:
        other_type = any(e.validator == "type" and len(e.absolute_path) == depth for e in errs)
        return other_type, len(errs)

    closest = min(alternatives.values(), key=distance)
    return [leaf for e in closest for leaf in _explained(e)]


def _short(message: str, limit: int = 200) -> str:
    return message if len(message) <= limit else message[: limit - 3] + "..."


class SchemaMismatch(ValueError):
    """A JSON object does not have the shape its schema describes; the message says where."""


def validate(name: str, obj: Any) -> None:
    """Return if ``obj`` is valid under the schema called ``name``; SchemaMismatch listing the problems
    otherwise.  Needs ``jsonschema``."""
    found = problems(name, obj)
    if found:
        raise SchemaMismatch(f"not a valid {name} JSON ({schema_id(name)}): " + "; ".join(found[:5])
                             + (f"; and {len(found) - 5} more" if len(found) > 5 else ""))
