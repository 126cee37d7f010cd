"""The four textbook questions (CS224n 2017, assignment 3, question 3) and the tour's LSTM section answered
with bare z3, by hand.

The baseline that `automata-rnn tour` is timed against (benchmarks/tour.py): the same questions, the same
textbook equations and conventions as the tool, and nothing but the ``z3`` module.

* Row vectors: ``U`` multiplies the input x, ``W`` the previous state h (one unit, so all scalars).
* Indicator semantics: every sigmoid and tanh becomes ``[v > 0]`` in {0, 1}; h(0) = 0.
* The output is the state read as ``[h > 1/2]``. The codes are 0 and 1, so the output is the code
  itself, and a one-unit network implements the latch or the toggle exactly when, for every state
  q in {0, 1} and input x in {0, 1} (all four pairs are reachable), one step gives the next state.
  The output on the empty word, [0 > 1/2] = 0, is right for both automata.
* The LSTM unit (section (c) of the tour) is run on (h, [c > 0]), which its threshold gates read; its two
  given weight sets are checked by visiting every reachable state, and the open forget gate is refuted
  on the words up to length 2.
"""

from fractions import Fraction
from itertools import product

from z3 import And, If, Not, Or, Real, RealVal, Solver, sat, unsat

LATCH = {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 1}  # (state, input) -> next state = output
TOGGLE = {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 0}


def ind(v):
    """Threshold gate of the indicator semantics, [v > 0] (0 at exactly 0); z3 term or exact number."""
    return int(v > 0) if isinstance(v, (int, Fraction)) else If(v > 0, 1, 0)


def rnn(p, h, x):
    """Elman cell of the textbook: h' = sigmoid(x U_h + h W_h + b_h)."""
    return ind(x * p["U_h"] + h * p["W_h"] + p["b_h"])


def gru(p, h, x):
    """Textbook GRU, reset before the product: h' = z h + (1 - z) h~.

    With z, r, h in {0, 1} the products are selections (If), which keeps the z3 terms linear."""
    z = ind(x * p["U_z"] + h * p["W_z"] + p["b_z"])
    r = ind(x * p["U_r"] + h * p["W_r"] + p["b_r"])
    cand = ind(x * p["U_h"] + If(r == 1, h * p["W_h"], 0) + p["b_h"])
    return If(z == 1, h, cand)


def gru_exact(p, h, x):
    """The same GRU in plain Python on exact numbers, to re-check a z3 model."""
    z = ind(x * p["U_z"] + h * p["W_z"] + p["b_z"])
    r = ind(x * p["U_r"] + h * p["W_r"] + p["b_r"])
    cand = ind(x * p["U_h"] + (r * h) * p["W_h"] + p["b_h"])
    return z * h + (1 - z) * cand


def lstm(p, state, x):
    """One LSTM unit under the indicator semantics, on the state (h, s) with s = [c > 0].

    Every gate is 0 or 1, so from c(0) = 0 the cell state c' = f c + i g never goes below 0: c' > 0 exactly
    when f = 1 and c > 0, or i = g = 1; and h' = o [c' > 0]. Works on exact numbers and on z3 terms."""
    h, s = state
    i = ind(x * p["U_i"] + h * p["W_i"] + p["b_i"])
    f = ind(x * p["U_f"] + h * p["W_f"] + p["b_f"])
    g = ind(x * p["U_g"] + h * p["W_g"] + p["b_g"])
    o = ind(x * p["U_o"] + h * p["W_o"] + p["b_o"])
    if isinstance(h, int) and isinstance(i, int):
        s_new = int((f and s) or (i and g))
        return o * s_new, s_new
    s_new = If(Or(And(f == 1, s == 1), And(i == 1, g == 1)), 1, 0)
    return If(o == 1, s_new, 0), s_new


def lstm_right(p, spec, length):
    """Outputs [h > 1/2] = h right on every word up to ``length``: exact weights give a bool (every reachable
    (h, s, automaton state) visited, so every length), z3 weights a constraint on the words up to ``length``."""
    if all(isinstance(v, (int, Fraction)) for v in p.values()):
        seen, todo = set(), [((0, 0), 0)]
        while todo:
            state, q = todo.pop()
            if (state, q) in seen:
                continue
            seen.add((state, q))
            if state[0] != q:
                return False
            todo += [(lstm(p, state, x), spec[q, x]) for x in (0, 1)]
        return True
    facts = []
    for n in range(1, length + 1):
        for word in product((0, 1), repeat=n):
            state, q = (0, 0), 0
            for x in word:
                state, q = lstm(p, state, x), spec[q, x]
            facts.append(state[0] == q)
    return And(facts)


def params(names, fixed=()):
    """z3 reals for the free weights, exact 0 for the ones the question fixes."""
    return {n: RealVal(0) if n in fixed else Real(n) for n in names}


def implements(cell, p, spec):
    """Constraint: one step from every (state, input) pair gives the specified next state."""
    return And([cell(p, h, x) == nxt for (h, x), nxt in spec.items()])


def holds(formula):
    """True when z3 proves ``formula`` valid (its negation unsat); raises if z3 gives up."""
    s = Solver()
    s.add(Not(formula))
    result = s.check()
    if result not in (sat, unsat):
        raise RuntimeError(f"z3 answered {result}")
    return result == unsat


def equivalent(impl, cond):
    """(necessary, sufficient): implements => condition, condition => implements, each proved by z3."""
    return holds(Not(And(impl, Not(cond)))), holds(Not(And(cond, Not(impl))))


def run(word, cell, p):
    """Outputs [h > 1/2] at times 0..len(word) of a one-unit network from h(0) = 0."""
    h, out = 0, [0]
    for x in word:
        h = cell(p, h, x)
        out.append(int(h > Fraction(1, 2)))
    return out


def expected(word, spec):
    """Outputs of the automaton ``spec`` (its state is its output) at times 0..len(word)."""
    q, out = 0, [0]
    for x in word:
        q = spec[q, x]
        out.append(q)
    return out


def main():
    rnn_names = ("U_h", "W_h", "b_h")
    gru_names = ("U_z", "W_z", "b_z", "U_r", "W_r", "b_r", "U_h", "W_h", "b_h")
    report = []

    p = params(rnn_names)
    cond = And(p["b_h"] <= 0, p["U_h"] + p["b_h"] > 0, p["W_h"] + p["b_h"] > 0)
    nec, suf = equivalent(implements(rnn, p, LATCH), cond)
    report.append(("(a-i) RNN latch <=> b_h <= 0, u_h + b_h > 0, w_h + b_h > 0", nec and suf,
                   f"necessary {nec}, sufficient {suf}"))

    p = params(gru_names, fixed=("W_r", "U_r", "b_r", "b_z", "b_h"))
    cond = And(p["U_z"] <= 0, p["U_h"] > 0, p["W_z"] > 0)
    nec, suf = equivalent(implements(gru, p, LATCH), cond)
    report.append(("(a-ii) GRU latch, w_r = u_r = b_r = b_z = b_h = 0 <=> u_z <= 0, u_h > 0, w_z > 0",
                   nec and suf, f"necessary {nec}, sufficient {suf}"))

    p = params(rnn_names)
    impossible = holds(Not(implements(rnn, p, TOGGLE)))
    report.append(("(b-i) no one-unit RNN implements the toggle", impossible, "unsat" if impossible else "sat"))

    p = params(gru_names, fixed=("W_r", "U_r", "b_z", "b_h"))
    toggle = implements(gru, p, TOGGLE)
    s = Solver()
    s.add(toggle)
    found = s.check() == sat
    weights = {}
    if found:
        model = s.model()
        weights = {n: Fraction(str(model.eval(v, model_completion=True).as_fraction())) for n, v in p.items()}
    words = [w for n in range(5) for w in product((0, 1), repeat=n)]
    simulated = found and all(run(w, gru_exact, weights) == expected(w, TOGGLE) for w in words)
    textbook = found and run((0, 0, 1, 0, 0, 1, 0, 0), gru_exact, weights)[1:] == [0, 0, 1, 1, 1, 0, 0, 0]
    shown = ", ".join(f"{n} = {v}" for n, v in weights.items())
    report.append(("(b-ii) GRU toggle, w_r = u_r = b_z = b_h = 0: weights found", found and simulated and textbook,
                   f"{shown}; simulated on all {len(words)} words of length <= 4: {simulated}; "
                   f"00100100 -> 00111000: {textbook}"))
    cond = And(p["W_z"] > 0, p["b_r"] > 0, p["U_h"] > 0, p["U_z"] + p["W_z"] <= 0, p["U_h"] + p["W_h"] <= 0)
    nec, suf = equivalent(toggle, cond)
    report.append(("(b-ii) its exact condition <=> w_z > 0, b_r > 0, u_h > 0, u_z + w_z <= 0, u_h + w_h <= 0",
                   nec and suf, f"necessary {nec}, sufficient {suf}"))

    lstm_names = ("U_i", "W_i", "b_i", "U_f", "W_f", "b_f", "U_g", "W_g", "b_g", "U_o", "W_o", "b_o")
    exact = {n: 0 for n in lstm_names}
    latch = lstm_right({**exact, "b_i": 1, "b_f": 1, "U_g": 1, "b_o": 1}, LATCH, 0)
    toggle = lstm_right({**exact, "b_i": 1, "U_f": -1, "b_f": 1, "U_g": 1, "W_g": -1, "b_o": 1}, TOGGLE, 0)
    report.append(("(c) one LSTM unit implements the latch and the toggle (the weights given)", latch and toggle,
                   f"latch {latch}, toggle {toggle}"))
    p = params(lstm_names, fixed=("U_f", "W_f", "W_i", "W_o", "U_o"))
    p["b_f"], p["b_o"] = RealVal(1), RealVal(1)
    s = Solver()
    s.add(lstm_right(p, TOGGLE, 2))   # right on every word up to length 2 is necessary; unsat proves impossible
    impossible = s.check() == unsat
    report.append(("(c) with the forget gate held open no LSTM unit toggles", impossible,
                   "unsat on the words up to length 2" if impossible else "sat"))

    for title, ok, detail in report:
        print(f"{'YES' if ok else 'NO '} {title}\n    {detail}")
    return 0 if all(ok for _, ok, _ in report) else 1


if __name__ == "__main__":
    raise SystemExit(main())
