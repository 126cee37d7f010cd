"""Weights and output files: exact JSON forms, atomic writes."""

from __future__ import annotations

import io
import json
import math
from fractions import Fraction
from typing import Mapping

from automata_rnn.arithmetic.exact import parse_rational
from automata_rnn.interop.files import dumps, json_number, write_atomic
from automata_rnn.model.problem import canonical_name
from automata_rnn.verdicts import BadInput


def parse_assignments(items: list[str], names: list[str], what: str = "--set") -> dict[str, Fraction]:
    """``NAME=VALUE`` items (exact rationals, lowercase aliases) as a name -> Fraction map."""
    out: dict[str, Fraction] = {}
    for item in items:
        if "=" not in item:
            raise BadInput(f"{what} {item!r}: expected NAME=VALUE")
        name, value = item.split("=", 1)
        n = canonical_name(name.strip(), names)
        try:
            out[n] = parse_rational(value)
        except ValueError as e:
            raise BadInput(f"{what} {item!r}: {e}") from None
    return out




def weights_json(weights: Mapping[str, Fraction], order: list[str]) -> dict:
    return {n: json_number(weights[n]) for n in order if n in weights}


def _value(name: str, v) -> Fraction:
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise BadInput(f"weight {name!r}: {v!r} is not a number")
    if isinstance(v, float) and not math.isfinite(v):
        raise BadInput(f"weight {name!r}: {v} is not finite")
    try:
        return parse_rational(v)
    except ValueError as e:
        raise BadInput(f"weight {name!r}: {e}") from None


def load_weights(path: str, names: list[str]) -> dict[str, Fraction]:
    """A weights file: JSON (the object ``solve --json`` prints, or a flat name -> value object; exact
    values as integers or "p/q" strings) or NumPy ``.npz`` (one array per block, e.g. ``U_h`` of shape
    (inputs, units), or one scalar per name; floats are read exactly as the binary fractions they are)."""
    if str(path).endswith(".npz"):
        return _load_npz(path, names)
    try:
        with open(path, encoding="utf-8") as f:
            obj = json.load(f)
    except FileNotFoundError:
        raise BadInput(f"weights file {path!r} not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"weights file {path!r}: cannot read ({e})") from None
    except json.JSONDecodeError as e:
        raise BadInput(f"weights file {path!r}: malformed JSON at line {e.lineno} column {e.colno}") from None
    if isinstance(obj, dict) and "weights" in obj:
        obj = obj["weights"]
    if not isinstance(obj, dict):
        raise BadInput(f"weights file {path!r}: expected an object mapping names to values")
    out = {}
    for k, v in obj.items():
        try:
            n = canonical_name(str(k), names)
        except ValueError as e:
            raise BadInput(f"weights file {path!r}: {e}") from None
        out[n] = _value(n, v)
    return out






def _load_npz(path: str, names: list[str]) -> dict[str, Fraction]:
    import numpy as np

    try:
        data = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise BadInput(f"weights file {path!r} not found") from None
    except (OSError, ValueError) as e:
        raise BadInput(f"weights file {path!r}: not a readable .npz archive ({e})") from None
    out: dict[str, Fraction] = {}
    with data:
        for key in data.files:
            arr = data[key]
            if arr.dtype.kind not in "iuf":
                raise BadInput(f"weights file {path!r}: array {key!r} is not numeric")
            flat = arr.reshape(-1)
            if arr.ndim == 0 or flat.size == 1 and key in names:
                targets = [canonical_name(key, names)]
            else:
                targets = [n for n in names if n.startswith(key + "[")]
                if not targets:
                    raise BadInput(f"weights file {path!r}: unknown block or parameter {key!r}")
                if len(targets) != flat.size:
                    raise BadInput(f"weights file {path!r}: block {key!r} has {flat.size} values, "
                                     f"expected {len(targets)}")
            for n, v in zip(targets, flat.tolist()):
                out[n] = _value(n, v)
    return out


RECORDED = ("cell", "units", "layers", "output", "output_rule", "activation")


def recorded_network(path: str) -> dict:
    """What a JSON weights file records of its network beside the weights (cell, units, read-out, output
    rule, activation), so that every command reads the network the way it was trained or solved.  Empty for
    a flat or unreadable file (:func:`load_weights` reports those)."""
    if str(path).endswith(".npz"):
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            obj = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    if not isinstance(obj, dict) or "weights" not in obj:
        return {}
    return {k: obj[k] for k in RECORDED if isinstance(obj.get(k), (str, int, list)) and not isinstance(obj[k], bool)}


def save_weights(path: str, weights: Mapping[str, Fraction], order: list[str], blocks,
                 network: Mapping[str, object] | None = None) -> None:
    """Write weights as exact JSON (``.json``, with the ``network`` facts of :data:`RECORDED` beside them) or
    float64 arrays per block (``.npz``), atomically."""
    if str(path).endswith(".npz"):
        import numpy as np

        from automata_rnn.model.cells import element_names

        arrays = {}
        for block, shape in blocks:
            arrays[block] = np.array([float(weights[n]) for n in element_names(block, shape)],
                                     dtype=np.float64).reshape(shape)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        write_atomic(path, buffer.getvalue())
        return
    write_atomic(path, dumps({**dict(network or {}), "weights": weights_json(weights, order)}))
