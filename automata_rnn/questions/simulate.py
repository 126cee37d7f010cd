"""One input word through the numeric simulator, read out as a step table against the automaton."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from automata_rnn.arithmetic.simulate import encode_words, params_to_numpy, simulate
from automata_rnn.model.problem import Problem
from automata_rnn.verdicts import BadInput


@dataclass
class WordRun:
    """Per time step: the input, the gate values, the hidden state, the output read and the expected one."""

    word: str
    gain: Fraction
    activation: str
    symbols: list
    gates: dict           # name -> (time, units)
    hidden: np.ndarray    # (time + 1, units)
    outputs: list
    expected: list

    @property
    def agrees(self) -> bool:
        return self.outputs == self.expected


def read_outputs(problem: Problem, weights: dict, hidden: np.ndarray, gain: Fraction) -> list:
    """Output bits from real states ``hidden`` (time, units), or (batch, time, units) for a list per input:
    unit 0 of the top layer under the output rule, or [h W_y + b_y > 0] for a read-out unit on the top layer
    (gain applied); None where the state is not a number."""
    hidden = np.asarray(hidden)[..., problem.top]
    if problem.output == "state":
        value = hidden[..., 0] - float(problem.rule.threshold)
    else:
        params = params_to_numpy({b: problem.parameters(weights)[b] for b in ("W_y", "b_y")})
        value = float(gain) * (hidden @ params["W_y"][:, 0] + params["b_y"][0])
    return _bits((value > 0).astype(int).tolist(), np.isfinite(value).tolist())


def _bits(bits, finite):
    if isinstance(bits, list):
        return [_bits(b, f) for b, f in zip(bits, finite)]
    return bits if finite else None


def require_float64(values: dict, what: str) -> None:
    """BadInput unless every exact value is a finite float64 (a real network computes in floats)."""
    for name, q in values.items():
        if abs(q) > _FLOAT64_MAX:
            raise BadInput(f"{what} {name} is beyond float64 (its size exceeds {sys.float_info.max:.3g})")


_FLOAT64_MAX = Fraction(sys.float_info.max)


def simulate_word(problem: Problem, weights: dict, word: str, gain: Fraction = Fraction(1),
                  activation: str = "sigmoid") -> WordRun:
    """Run the network with weights ``gain * W`` on ``word``; BadInput on a bad word, or on a gain or weight
    beyond float64."""
    require_float64({"gain": gain}, "the")
    require_float64(weights, "the weight")
    a = problem.automaton
    bad = [s for s in word if s not in a.alphabet]
    if bad:
        raise BadInput(f"input symbol {bad[0]!r} is not in the alphabet {list(a.alphabet)}")
    full = {n: Fraction(0) for n in problem.parameter_names()}
    full.update(weights)
    cell_params = {b: v for b, v in params_to_numpy(problem.parameters(full)).items() if b not in ("W_y", "b_y")}
    inputs = encode_words(a, [tuple(word)]) if word else np.zeros((1, 0, problem.inputs))
    sim = simulate(problem.stack, cell_params, inputs, activation=activation, gain=float(gain), record_gates=True)
    hidden = np.asarray(sim.hidden[0])
    gates = {k: np.asarray(v[0]) for k, v in (sim.gates or {}).items()}
    return WordRun(word, gain, activation, list(word), gates, hidden, read_outputs(problem, full, hidden, gain),
                   a.outputs(tuple(word)))
