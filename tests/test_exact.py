"""Exact numbers and affine forms: parsing, printing (what users read), JSON, arithmetic laws."""

from fractions import Fraction as F

import pytest
from hypothesis import given
from hypothesis import strategies as st

from automata_rnn.arithmetic.exact import Affine, format_rational, parse_rational


@pytest.mark.parametrize("text,value", [("3", F(3)), ("-1/2", F(-1, 2)), (" 0.25 ", F(1, 4)), ("2/4", F(1, 2)),
                                        (7, F(7)), (F(2, 3), F(2, 3)), (0.5, F(1, 2)), ("-0", F(0))])
def test_parse_rational_accepts(text, value):
    assert parse_rational(text) == value


@pytest.mark.parametrize("text,message", [("nan", "not a finite number"), ("inf", "not a finite number"),
                                          ("-Infinity", "not a finite number"), ("", "not a finite number"),
                                          ("1/0", "not an exact number"), ("abc", "not an exact number"),
                                          (float("nan"), "not a finite number"), (float("inf"), "not a finite number"),
                                          (True, "not a number")])
def test_parse_rational_refuses_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message):
        parse_rational(text)


def test_format_rational():
    assert [format_rational(q) for q in (F(3), F(-1, 2), F(0), 4)] == ["3", "-1/2", "0", "4"]


@pytest.mark.parametrize("form,text,terms", [
    (Affine({"U_h": 1, "b_h": 1}), "U_h + b_h", "U_h + b_h"),
    (Affine({"W_h": -1}, 2), "-W_h + 2", "-W_h"),
    (Affine({"U_h": F(1, 2), "W_h": -3}, F(-1, 3)), "1/2 U_h - 3 W_h - 1/3", "1/2 U_h - 3 W_h"),
    (Affine(None, F(-5, 2)), "-5/2", "0"),
    (Affine({"x": 0}, 0), "0", "0"),
])
def test_printing(form, text, terms):
    assert str(form) == text
    assert form.terms_text() == terms


def test_printing_follows_the_given_parameter_order():
    form = Affine({"U_h": F(1, 2), "W_h": -3})
    assert form.terms_text(["W_h", "U_h"]) == "-3 W_h + 1/2 U_h"
    assert form.terms_text(["U_h", "W_h"]) == "1/2 U_h - 3 W_h"


values = st.fractions(min_value=-5, max_value=5, max_denominator=6)
forms = st.builds(lambda a, b, c: Affine({"U_h": a, "W_h": b}, c), values, values, values)


@given(forms, forms, values)
def test_arithmetic_laws_and_json(f, g, k):
    point = {"U_h": F(2, 3), "W_h": F(-7, 5)}
    assert (f + g).evaluate(point) == f.evaluate(point) + g.evaluate(point)
    assert (f - g).evaluate(point) == f.evaluate(point) - g.evaluate(point)
    assert (f * k).evaluate(point) == f.evaluate(point) * k == (k * f).evaluate(point)
    assert (-f).evaluate(point) == -f.evaluate(point)
    assert Affine.from_json(f.to_json()) == f and hash(Affine.from_json(f.to_json())) == hash(f)
    assert f.substitute({"U_h": F(2, 3)}).evaluate({"W_h": F(-7, 5)}) == f.evaluate(point)
    assert (f - f).is_constant and (f - f).value == 0


def test_products_must_stay_affine_and_values_constant():
    with pytest.raises(ValueError, match="not affine"):
        Affine.var("U_h") * Affine.var("W_h")
    with pytest.raises(ValueError, match="not constant"):
        _ = Affine.var("U_h").value
    assert (Affine(None, 3) * Affine.var("U_h")) == Affine({"U_h": 3})
    assert Affine({"U_h": 1}) == Affine({"U_h": F(1)}) and Affine(None, 2) == 2
    with pytest.raises(ValueError):
        Affine.from_json({"coeffs": [1], "const": "0"})
