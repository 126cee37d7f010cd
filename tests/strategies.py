"""Hypothesis strategies for words and Moore machines, for property-based tests.

``words`` (and ``input_sequences``) draw input words; ``automata`` draws
complete Moore machines, valid by construction; ``weights`` draws exact
weights for a problem, near or far from its gates' decision boundaries.
Words and machines shrink towards short words and small machines whose
transitions point at the first states.
"""

from __future__ import annotations

from hypothesis import strategies as st

from automata_rnn.model.automata import Automaton, minimize


def words(alphabet=("0", "1"), *, min_size: int = 0, max_size: int = 12) -> st.SearchStrategy[tuple[str, ...]]:
    """Words over ``alphabet`` as tuples of symbols, of length ``min_size`` to ``max_size``.

    A tuple is accepted by :meth:`Automaton.outputs` whatever the symbols'
    lengths.  ``alphabet`` must be non-empty.
    """
    alphabet = tuple(alphabet)
    if not alphabet:
        raise ValueError("words need a non-empty alphabet")
    return st.lists(st.sampled_from(alphabet), min_size=min_size, max_size=max_size).map(tuple)


@st.composite
def automata(draw, max_states: int = 5, alphabet=("0", "1"), *, min_states: int = 1,
             minimal: bool = False) -> Automaton:
    """Complete Moore machines over ``alphabet`` with ``min_states`` to ``max_states`` states.

    States are ``q0``, ``q1``, ...; the start is ``q0``; every (state,
    symbol) pair has a transition and every output is 0 or 1.  States may be
    unreachable or equivalent unless ``minimal``, in which case the machine is
    passed through :func:`minimize` (states renamed ``q0``, ``q1``, ... in
    breadth-first order) and may then have fewer than ``min_states`` states.
    """
    alphabet = tuple(alphabet)
    if not 1 <= min_states <= max_states:
        raise ValueError(f"need 1 <= min_states <= max_states, got {min_states} and {max_states}")
    n = draw(st.integers(min_states, max_states))
    states = tuple(f"q{i}" for i in range(n))
    targets = draw(st.lists(st.integers(0, n - 1), min_size=n * len(alphabet), max_size=n * len(alphabet)))
    outputs = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    pairs = [(q, a) for q in states for a in alphabet]
    transitions = {pair: states[t] for pair, t in zip(pairs, targets)}
    machine = Automaton("random", alphabet, states, "q0", transitions, dict(zip(states, outputs)))
    return minimize(machine, rename=True) if minimal else machine


@st.composite
def weights(draw, problem, *, near_boundary: bool | None = None, max_abs: int = 4):
    """Exact weights (name -> Fraction) for every free parameter of ``problem`` (fixed ones included).

    ``near_boundary=True`` draws weights that put some gate pre-activation of
    the threshold network exactly on 0 or within 1/8 of it (where threshold
    and real networks part ways); ``False`` draws weights whose pre-activations
    at the start code are all at least 1/2 away from 0; ``None`` mixes both.
    """
    from fractions import Fraction

    names = problem.free_names()
    values = st.fractions(min_value=-max_abs, max_value=max_abs, max_denominator=8)
    w = {n: draw(values, label=n) for n in names}
    w.update(problem.fixed)
    mode = draw(st.booleans()) if near_boundary is None else near_boundary
    if names:
        bias = [n for n in names if n.startswith("b_")] or names
        target = draw(st.sampled_from(bias), label="boundary parameter")
        if mode:
            w[target] = draw(st.sampled_from([Fraction(0), Fraction(1, 8), Fraction(-1, 8)]))
        else:
            v = w[target]
            w[target] = v if abs(v) >= Fraction(1, 2) else (Fraction(1, 2) if v >= 0 else Fraction(-1, 2))
    return w


def input_sequences(automaton, *, max_size: int = 500):
    """Input words for ``automaton`` (tuples of its symbols), up to ``max_size`` long."""
    return words(automaton.alphabet, max_size=max_size)
