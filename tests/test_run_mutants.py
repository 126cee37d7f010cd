"""Exact runs against a reference written here from the textbook's equations (h' = [x U + h W + b > 0], a
read-out y = [h W_y + b_y > 0]): traces row by row, gate names (no unit index for one unit), ill-defined
gates under the saturated semantics, open gates with free weights, the margin and the limits."""

import itertools
from fractions import Fraction as F

import pytest

from automata_rnn.arithmetic.exact import Affine
from automata_rnn.exact.run import (
    CaseOps,
    Failure,
    Implements,
    Open,
    Stepper,
    TooLarge,
    Undecided,
    code_class,
    explore,
    initial_code,
    output_with,
    path_signs,
    read_output,
    step,
    trace,
    verify_weights,
    weight_signs,
)
from automata_rnn.model.automata import latch, toggle
from automata_rnn.model.cells import get_cell
from automata_rnn.model.problem import Problem
from automata_rnn.model.semantics import ALL, POS, Semantics

LATCH = [0, 1]  # (output of off, output of on)


def latch_outputs(word):
    on, out = False, [0]
    for s in word:
        on = on or s == "1"
        out.append(int(on))
    return out


def step01(v):
    return F(int(v > 0))


def test_trace_of_one_unit_against_the_equation():
    w = {"U_h": F(2), "W_h": F(2), "b_h": F(-1)}
    word = "00101"
    rows = trace(Problem(latch(), get_cell("rnn")), w, word)
    h, want = F(0), [(0, None, 0, 0, [], ((F(0),),), "")]
    for t, s in enumerate(word, 1):
        h = step01(int(s) * w["U_h"] + h * w["W_h"] + w["b_h"])
        want.append((t, s, latch_outputs(word)[t], int(h > F(1, 2)), [("h", int(h))], ((h,),), ""))
    assert [(r.t, r.symbol, r.expected, r.got, r.gates, r.code, r.note) for r in rows] == want


# two units and a read-out: unit 0 latches (x + h0 - 1/2), unit 1 is "not x" (1/2 - x); y = [h0 - 1/2 > 0]
TWO = {"U_h[0,0]": F(1), "U_h[0,1]": F(-1), "W_h[0,0]": F(1), "W_h[0,1]": F(0), "W_h[1,0]": F(0),
       "W_h[1,1]": F(0), "b_h[0]": F(-1, 2), "b_h[1]": F(1, 2), "W_y[0,0]": F(1), "W_y[1,0]": F(0),
       "b_y": F(-1, 2)}


def test_trace_of_two_units_and_a_read_out_against_the_equations():
    p = Problem(latch(), get_cell("rnn"), 2, output="readout")
    word = "0110"
    rows = trace(p, TWO, word)
    h = [F(0), F(0)]
    y = step01(h[0] * TWO["W_y[0,0]"] + h[1] * TWO["W_y[1,0]"] + TWO["b_y"])
    want = [(0, None, 0, int(y), [("y[0]", int(y))], ((F(0), F(0)),))]
    for t, s in enumerate(word, 1):
        x = int(s)
        h = [step01(x * TWO[f"U_h[0,{j}]"] + sum(h[i] * TWO[f"W_h[{i},{j}]"] for i in range(2)) + TWO[f"b_h[{j}]"])
             for j in range(2)]
        y = step01(h[0] * TWO["W_y[0,0]"] + h[1] * TWO["W_y[1,0]"] + TWO["b_y"])
        want.append((t, s, latch_outputs(word)[t], int(y),
                     [("h[0]", int(h[0])), ("h[1]", int(h[1])), ("y[0]", int(y))], (tuple(h),)))
    assert [(r.t, r.symbol, r.expected, r.got, r.gates, r.code) for r in rows] == want
    assert verify_weights(p, TWO).implements


def test_one_unit_gates_carry_no_index_in_every_reader():
    one = Problem(latch(), get_cell("rnn"), 1, output="readout")
    w = {"U_h": F(2), "W_h": F(2), "b_h": F(-1), "W_y": F(1), "b_y": F(-1, 2)}
    assert [g for g, _ in trace(one, w, "1")[1].gates] == ["h", "y"]
    params, signs = one.parameters(w), weight_signs()
    stepper = Stepper(one, params)
    assert [g for g, *_ in stepper.run(initial_code(one), "1", signs)[1]] == ["h"]
    assert [g for g, *_ in stepper.run(initial_code(one), None, signs)[1]] == ["y"]
    assert [g for g, *_ in read_output(one, params, initial_code(one), signs)[1]] == ["y"]
    two = Problem(latch(), get_cell("rnn"), 2, output="readout")
    params = two.parameters(TWO)
    stepper = Stepper(two, params)
    assert [g for g, *_ in stepper.run(initial_code(two), "1", signs)[1]] == ["h[0]", "h[1]"]
    assert [g for g, *_ in stepper.run(initial_code(two), None, signs)[1]] == ["y[0]"]
    assert [g for g, *_ in read_output(two, params, initial_code(two), signs)[1]] == ["y[0]"]


def test_an_ill_defined_gate_ends_the_trace_and_fails_the_run():
    """Saturated: a pre-activation exactly 0 has no large-gain limit."""
    p = Problem(latch(), get_cell("rnn"), semantics=Semantics("saturated"))
    w = {"U_h": F(2), "W_h": F(2), "b_h": F(0)}
    rows = trace(p, w, "00")
    assert len(rows) == 2
    r = rows[1]
    assert (r.t, r.symbol, r.expected, r.got, r.gates, r.code, r.note) == (
        1, "0", 0, None, [], None, "gate h has pre-activation 0 where the semantics is undefined")
    result = verify_weights(p, w).result
    assert isinstance(result, Failure) and result.word == ("0",)
    assert result.reason == "gate h has pre-activation 0 where the semantics is undefined"


def test_an_ill_defined_read_out_at_the_start():
    p = Problem(latch(), get_cell("rnn"), 2, output="readout", semantics=Semantics("saturated"))
    rows = trace(p, {**TWO, "b_y": F(0)}, "1")
    assert [(r.t, r.symbol, r.expected, r.got, r.gates, r.code, r.note) for r in rows] == [
        (0, None, 0, None, [], ((F(0), F(0)),), "read-out: gate y[0] has pre-activation 0 where the semantics "
                                                 "is undefined")]
    result = verify_weights(p, {**TWO, "b_y": F(0)}).result
    assert isinstance(result, Failure) and result.word == ()
    assert result.reason == "read-out: gate y[0] has pre-activation 0 where the semantics is undefined"


def test_free_weights_leave_the_first_gate_open():
    p = Problem(latch(), get_cell("rnn"))
    result = explore(p, path_signs({}))
    assert isinstance(result, Open)
    assert (result.gate, result.word, result.decision.expr) == ("h", ("0",), Affine.var("b_h"))
    with pytest.raises(Undecided) as err:
        Stepper(p).run(initial_code(p), "1", path_signs({Affine.var("b_h"): frozenset("-")}))
    assert str(err.value) == "gate h undecided on U_h + b_h" and err.value.gate == "h"
    # every weight but one given: still open, which verify_weights refuses to call a verdict
    with pytest.raises(ValueError, match="^an undecided gate with every weight given$"):
        verify_weights(p, {"U_h": F(2), "W_h": F(2)})


def test_failures_and_the_margin_against_hand_computations():
    failing = verify_weights(Problem(toggle(), get_cell("rnn")), {"U_h": F(1), "W_h": F(1), "b_h": F(0)})
    assert not failing.implements and isinstance(failing.result, Failure) and failing.result.word == ("1", "1")
    assert failing.margin is None
    # pre-activations of U=3, W=3, b=-1 on the reachable codes h = 0, 1: -1, 2 on "0"; 2, 5 on "1": least 1
    v = verify_weights(Problem(latch(), get_cell("rnn")), {"U_h": F(3), "W_h": F(3), "b_h": F(-1)})
    assert isinstance(v.result, Implements) and v.margin == 1
    v = verify_weights(Problem(latch(), get_cell("rnn")), {"U_h": F(3), "W_h": F(5, 2), "b_h": F(-3, 2)})
    assert v.margin == F(1)            # -3/2 and 3/2 on h = 0; 1 and 4 on h = 1


def test_the_saturated_cell_state_must_be_a_whole_number():
    ops = CaseOps(Semantics("saturated"), weight_signs())
    with pytest.raises(ValueError) as err:
        ops.squash((F(1, 2),), "tanh(c)")
    assert str(err.value) == "tanh(c): the saturated cell state should be an integer, not 1/2"
    with pytest.raises(ValueError, match="^tanh\\(c\\): the saturated cell state should be an integer, not U_i$"):
        ops.squash((Affine.var("U_i"),), "tanh(c)")


def test_the_lstm_code_class_is_the_sign_of_c():
    abstract = code_class(Problem(latch(), get_cell("lstm")))
    assert abstract(((F(1),), (F(3),))) == ((F(1),), (F(1),))
    assert abstract(((F(0),), (F(0),))) == ((F(0),), (F(0),))
    assert abstract(((F(0),), (F(-2),))) == ((F(0),), (F(-1),))
    code = ((F(1),), (F(3),))
    assert code_class(Problem(latch(), get_cell("lstm"), semantics=Semantics("saturated")))(code) == code
    assert code_class(Problem(latch(), get_cell("gru")))(((F(1),),)) == ((F(1),),)


def test_split_and_concat_and_a_stack_against_its_layers():
    ops = CaseOps(Semantics("indicator"), weight_signs())
    assert tuple(ops.split((1, 2, 3), (1, 2))) == ((1,), (2, 3)) and ops.concat(((1,), (2, 3))) == (1, 2, 3)
    # two stacked Elman units: layer 1 latches, layer 2 copies it; the stack's output is layer 2's unit
    p = Problem(latch(), get_cell("rnn"), layers=(1, 1))
    w = {"l1.U_h": F(2), "l1.W_h": F(2), "l1.b_h": F(-1), "l2.U_h": F(1), "l2.W_h": F(0), "l2.b_h": F(-1, 2)}
    word = "0100"
    h1 = h2 = F(0)
    codes = [((F(0), F(0)),)]
    for s in word:
        h1 = step01(int(s) * w["l1.U_h"] + h1 * w["l1.W_h"] + w["l1.b_h"])
        h2 = step01(h1 * w["l2.U_h"] + h2 * w["l2.W_h"] + w["l2.b_h"])
        codes.append(((h1, h2),))
    rows = trace(p, w, word)
    assert [r.code for r in rows] == codes
    assert [r.got for r in rows] == [int(c[0][1]) for c in codes] == latch_outputs(word)


def test_an_open_read_out_and_a_wrong_output_are_reported_with_their_word():
    readout = Problem(latch(), get_cell("rnn"), 1, output="readout")
    result = explore(readout, path_signs({}))
    assert isinstance(result, Open)
    assert (result.gate, result.word, result.decision.expr) == ("y", (), Affine.var("b_y"))
    # U = W = 1, b = 0 toggles on "1" and then stays on: "11" reads 1 where the toggle wants 0
    failing = verify_weights(Problem(toggle(), get_cell("rnn")), {"U_h": F(1), "W_h": F(1), "b_h": F(0)})
    assert failing.result.reason == "output 1, expected 0"


def test_the_limit_counts_pairs_beyond_it():
    """The latch has exactly two reachable (code, state) pairs: a limit of 2 is enough, 1 is not."""
    p, w = Problem(latch(), get_cell("rnn")), {"U_h": F(3), "W_h": F(3), "b_h": F(-1)}
    assert len(verify_weights(p, w, limit=2).result.pairs) == 2
    with pytest.raises(TooLarge, match="^more than 1 reachable"):
        verify_weights(p, w, limit=1)


def test_a_code_entry_never_depends_on_free_weights():
    from automata_rnn.exact.run import _known
    with pytest.raises(ValueError) as err:
        _known(Affine({"U_h": 1}, 1))
    assert str(err.value) == "a code entry depends on free weights: U_h + 1"
    assert _known(Affine(None, F(1, 2))) == F(1, 2)


def test_an_output_not_of_one_sign_is_undecided_with_its_split():
    """output_with's contract: with a sign oracle that leaves unit 0 minus the threshold open, the output
    is Undecided at the gate 'output', split on that form into its positive part and the rest."""
    p = Problem(latch(), get_cell("rnn"))
    params = p.parameters({"U_h": F(2), "W_h": F(2), "b_h": F(-1)})
    ops = CaseOps(p.semantics, lambda e: ALL, True)
    with pytest.raises(Undecided) as err:
        output_with(p, params, ops, initial_code(p), sign=lambda e: ALL)
    u = err.value
    assert u.gate == "output" and u.decision.kind == "split"
    assert u.decision.expr == Affine.lift(F(0)) - F(1, 2)
    assert u.decision.parts == (ALL & POS, ALL - POS)
    assert output_with(p, params, ops, initial_code(p), sign=lambda e: frozenset(POS)) == 1


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_explore_to_a_depth_reaches_what_the_inputs_up_to_it_reach(depth):
    """A counting LSTM cell state (saturated semantics) reaches a new code with every 1: explore with
    max_depth gives exactly the (code, state) pairs of the inputs of at most that length, run one step at
    a time."""
    p = Problem(latch(), get_cell("lstm"), semantics=Semantics("saturated"))
    weights = {n: F(0) for n in p.parameter_names()}
    weights.update({"U_i": F(1), "b_i": F(-1, 2), "b_f": F(3, 2), "b_g": F(1, 2), "W_o": F(1), "b_o": F(1, 2)})
    params = p.parameters(weights)
    found = explore(p, weight_signs(), params, max_depth=depth)
    assert isinstance(found, Implements)
    expected = set()
    for n in range(depth + 1):
        for word in itertools.product(p.automaton.alphabet, repeat=n):
            code, q = initial_code(p), p.automaton.start
            for s in word:
                code, q = step(p, params, code, s, weight_signs())[0], p.automaton.step(q, s)
            expected.add((code, q))
    assert set(found.pairs) == expected and len(found.pairs) == len(expected)
