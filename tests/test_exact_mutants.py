"""Exact affine forms at the corners their other tests leave open: every shortcut of the arithmetic must agree
with the definition (value at a point, the hash contract: equal forms hash alike), and every refusal says
what it refused."""

from fractions import Fraction as F

import pytest

from automata_rnn.arithmetic.exact import Affine, format_rational, format_value, parse_rational
from automata_rnn.verdicts import BadInput

U, W, B = Affine.var("U_h"), Affine.var("W_h"), Affine.var("b_h")
POINT = {"U_h": F(3, 7), "W_h": F(-2), "b_h": F(5, 3)}


def same(f, g):
    """Equal as forms, hence equal hashes and the same coefficient listing (sorted by name, no zeros)."""
    return f == g and hash(f) == hash(g) and list(f.coeffs.items()) == list(g.coeffs.items())


@pytest.mark.parametrize("text,message", [
    (True, "not a number: True"), (False, "not a number: False"),
    (float("nan"), "not a finite number: nan"), (float("inf"), "not a finite number: inf"),
    (float("-inf"), "not a finite number: -inf"), ("", "not a finite number: ''"), ("  ", "not a finite number: '  '"),
    ("NaN", "not a finite number: 'NaN'"), ("-inf", "not a finite number: '-inf'"),
    ("1/0", "not an exact number: '1/0' (use forms like 2, -1/2, 0.25)"),
    ("2x", "not an exact number: '2x' (use forms like 2, -1/2, 0.25)"),
    (None, "not an exact number: None (use forms like 2, -1/2, 0.25)"),
])
def test_parse_rational_refusals_word_for_word(text, message):
    with pytest.raises(BadInput) as err:
        parse_rational(text)
    assert str(err.value) == message


def test_parse_rational_values_are_exact():
    assert parse_rational(0.1) == F(3602879701896397, 36028797018963968)   # the double nearest 0.1, exactly
    assert parse_rational("0.1") == F(1, 10)
    assert type(parse_rational(3)) is F and type(parse_rational(F(1, 3))) is F
    assert parse_rational("1e3") == 1000 and parse_rational("-3/6") == F(-1, 2)


def test_format_value():
    assert format_value(F(6, 4)) == "3/2" and format_value(F(-4, 2)) == "-2" and format_value(0) == "0"
    assert format_value(Affine({"U_h": 2}, -1)) == "2 U_h - 1"
    assert format_rational(F(-1, 3)) == "-1/3"


def test_construction_drops_zeros_and_orders_names():
    f = Affine({"b": 1, "a": 2, "z": 0, "c": F(0)}, 4)
    assert list(f.coeffs) == ["a", "b"] and f.const == 4 and type(f.const) is F
    assert same(Affine({"b": 1, "a": 2}), Affine({"a": 2, "b": 1}))
    assert same(Affine({"a": 2}), Affine({"a": F(2)})) and Affine({"a": 0}).is_constant


def test_sums_are_ordered_and_cancel():
    assert same(B + U, U + B) and same(W + B + U, Affine({"U_h": 1, "W_h": 1, "b_h": 1}))
    assert same((U + W) + (-U), W) and same((U + W) - W - U, Affine())
    assert same(U + 0, U) and same(0 + U, U) and same(U + Affine(None, 0), U)
    assert same(U + 2, Affine({"U_h": 1}, 2)) and same(U + Affine(None, F(1, 2)), Affine({"U_h": 1}, F(1, 2)))
    assert same(Affine() + U, U) and same(Affine(None, 3) + U, Affine({"U_h": 1}, 3))
    assert same(Affine(None, 1) + Affine(None, 2), Affine(None, 3))
    total = Affine()
    for name in ("c", "a", "b", "a"):
        total = total + Affine.var(name)
    assert same(total, Affine({"a": 2, "b": 1, "c": 1}))


def test_differences_and_negation_against_values():
    f = 2 * U - W + F(1, 2)
    assert (3 - f).evaluate(POINT) == 3 - f.evaluate(POINT)
    assert (f - 3).evaluate(POINT) == f.evaluate(POINT) - 3
    assert same(-f, Affine({"U_h": -2, "W_h": 1}, F(-1, 2)))
    assert same(f - f, Affine())


def test_products_by_numbers():
    f = U - 2 * B + 1
    assert same(f * 0.5, Affine({"U_h": F(1, 2), "b_h": -1}, F(1, 2)))
    assert same(f * 0, Affine()) and same(0 * f, Affine()) and same(f * 1, f)
    assert same(f * Affine(None, 3), Affine({"U_h": 3, "b_h": -6}, 3))
    assert same(Affine(None, -1) * f, -f)
    assert same(Affine(None, 2) * Affine(None, 3), Affine(None, 6))
    with pytest.raises(ValueError) as err:
        _ = (U + 1) * (W - 1)
    assert str(err.value) == "product of two non-constant forms (U_h + 1) * (W_h - 1) is not affine"


def test_lift_value_and_equality():
    assert Affine.lift(U) is U and same(Affine.lift(2), Affine(None, 2))
    assert type(Affine.lift(2).const) is F and same(Affine.lift(F(2, 3)), Affine(None, F(2, 3)))
    assert Affine(None, 2).value == 2
    with pytest.raises(ValueError) as err:
        _ = (U + 1).value
    assert str(err.value) == "U_h + 1 is not constant"
    assert Affine(None, F(1, 2)) == F(1, 2) and Affine(None, 2) == 2 and Affine(None, 2) != 3
    assert U != "U_h" and U != U + 1 and U != 2 * U and U != W


def test_substitute_and_evaluate():
    f = 2 * U - W + 1
    assert same(f.substitute({"U_h": 3}), Affine({"W_h": -1}, 7))
    assert same(f.substitute({}), f) and same(f.substitute({"x": 1}), f)
    assert f.evaluate(POINT) == 2 * POINT["U_h"] - POINT["W_h"] + 1
    with pytest.raises(ValueError, match="^-W_h \\+ 3 is not constant$"):   # W_h left open
        f.evaluate({"U_h": 1})


def test_json_round_trip_and_refusals():
    f = Affine({"U_h": F(1, 2), "W_h": -3}, F(-1, 3))
    assert f.to_json() == {"coeffs": {"U_h": "1/2", "W_h": "-3"}, "const": "-1/3"}
    assert same(Affine.from_json(f.to_json()), f)
    assert same(Affine.from_json({}), Affine()) and same(Affine.from_json({"const": "2"}), Affine(None, 2))
    assert same(Affine.from_json({"coeffs": {"U_h": 1}}), U)
    for bad in ([], "U_h", {"coeffs": ["U_h"]}, {"coeffs": "U_h"}):
        with pytest.raises(BadInput) as err:
            Affine.from_json(bad)
        assert str(err.value) == "an affine form is an object {coeffs: {name: value}, const: value}"


def test_text():
    f = Affine({"W_h": -1, "U_h": 1, "b_h": F(-3, 2)}, -2)
    assert str(f) == "U_h - W_h - 3/2 b_h - 2" and repr(f) == "Affine(U_h - W_h - 3/2 b_h - 2)"
    assert f.terms_text(["b_h", "W_h"]) == "-3/2 b_h - W_h + U_h"
    assert f.terms_text(["W_h"]) == "-W_h + U_h - 3/2 b_h"
    assert str(Affine({"U_h": 2}, F(1, 2))) == "2 U_h + 1/2" and str(-U) == "-U_h" and str(Affine()) == "0"
    assert str(Affine({"U_h": -2})) == "-2 U_h" and str(Affine(None, -1)) == "-1"


def test_a_float_factor_is_taken_at_its_exact_value():
    """Exact numbers stay exact: a float factor enters as the rational it is, never as float arithmetic."""
    f = Affine({"U_h": F(1, 3)}, F(2, 7)) * 0.1
    assert all(type(v) is F for v in [*f.coeffs.values(), f.const])
    assert f.coeffs["U_h"] == F(1, 3) * F(0.1) and f.const == F(2, 7) * F(0.1)
