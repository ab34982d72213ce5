"""Custom activation expressions: values and exact derivatives against mpmath, refusal of
hostile input, kink conventions, rendering, and the ``bind`` round trip.

References are written independently of the code under test: closed forms in mpmath at 50
digits, with ``mpmath.diff`` (numerical differentiation at that precision) for derivatives.
Test points stay at least 0.1 away from kinks so that ``mpmath.diff`` is meaningful there;
the kinks themselves are tested against the documented conventions.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nntrace_service.core import activations
from nntrace_service.core.activations import CATALOG, Activation, Parameter
from nntrace_service.core.binding import bind
from nntrace_service.core.errors import ExpressionError
from nntrace_service.core.expressions import FUNCTIONS, MAX_DEPTH, compile_activation

mp = mpmath.mp
mp.dps = 50

Ref = Callable[[Any], Any]

GENERIC = (-2.5, -0.7, 0.3, 1.9)
POSITIVE = (0.2, 0.9, 1.7, 3.1)


def _sig(t: Any) -> Any:
    return 1 / (1 + mpmath.exp(-t))


def _iverson(condition: bool) -> int:
    return 1 if condition else 0


# (expression, reference at 50 digits, points)
VALID: list[tuple[str, Ref, tuple[float, ...]]] = [
    ("x * sigmoid(1.702 * x)", lambda x: x * _sig(mpmath.mpf("1.702") * x), GENERIC),
    ("x ** 2", lambda x: x**2, GENERIC),
    ("x ** 3 - 2 * x + 1", lambda x: x**3 - 2 * x + 1, GENERIC),
    ("exp(-x ** 2)", lambda x: mpmath.exp(-(x**2)), GENERIC),
    ("log(1 + exp(x))", lambda x: mpmath.log(1 + mpmath.exp(x)), GENERIC),
    ("log1p(x ** 2)", lambda x: mpmath.log(1 + x**2), GENERIC),
    ("expm1(x) / (x ** 2 + 1)", lambda x: (mpmath.exp(x) - 1) / (x**2 + 1), GENERIC),
    ("sqrt(x ** 2 + 1)", lambda x: mpmath.sqrt(x**2 + 1), GENERIC),
    ("abs(x) * x", lambda x: abs(x) * x, GENERIC),
    ("tanh(x) + 0.5 * sinh(x / 2)", lambda x: mpmath.tanh(x) + mpmath.sinh(x / 2) / 2, GENERIC),
    ("cosh(x / 3)", lambda x: mpmath.cosh(x / 3), GENERIC),
    ("sin(x) * cos(2 * x)", lambda x: mpmath.sin(x) * mpmath.cos(2 * x), GENERIC),
    ("max(x, 0.5 * x)", lambda x: max(x, x / 2), GENERIC),
    ("min(x, 1)", lambda x: min(x, 1), GENERIC),
    ("where(x > 0, x, exp(x) - 1)", lambda x: x if x > 0 else mpmath.exp(x) - 1, GENERIC),
    ("clip(x, -1, 1)", lambda x: min(max(x, -1), 1), GENERIC),
    ("(x >= 0) * x ** 2", lambda x: _iverson(x >= 0) * x**2, GENERIC),
    ("x / (1 + abs(x))", lambda x: x / (1 + abs(x)), GENERIC),
    ("pi * x + e", lambda x: mpmath.pi * x + mpmath.e, GENERIC),
    ("2 ** x", lambda x: mpmath.power(2, x), GENERIC),
    ("x ** -2", lambda x: x**-2, GENERIC),
    ("x ** 0.5", lambda x: mpmath.sqrt(x), POSITIVE),
    ("x ** x", lambda x: mpmath.power(x, x), POSITIVE),
    ("log(x) / x", lambda x: mpmath.log(x) / x, POSITIVE),
    ("sigmoid(x) * (1 - sigmoid(x))", lambda x: _sig(x) * (1 - _sig(x)), GENERIC),
    ("-x + +x * 3", lambda x: 2 * x, GENERIC),
    ("(0 < x < 1) * x + 1 / x", lambda x: _iverson(0 < x < 1) * x + 1 / x, GENERIC),
    ("relu(x) + 0.1 * x", lambda x: max(x, 0) + x / 10, GENERIC),
    ("1.5e-3 * x ** 3 + sqrt(2)", lambda x: mpmath.mpf("1.5e-3") * x**3 + mpmath.sqrt(2), GENERIC),
    ("--x", lambda x: x, GENERIC),
]

TOLERANCES: dict[type, tuple[float, float]] = {
    np.float64: (1e-11, 1e-13),
    np.float32: (2e-5, 2e-6),
}


def _check(expression: str, reference: Ref, points: tuple[float, ...], dtype: type) -> None:
    activation = compile_activation(expression)
    z: np.ndarray = np.array([points, points[::-1]], dtype=dtype)  # (batch, units)
    a = activation.forward(z)
    d = activation.derivative(z, a)
    for result in (a, d):
        assert result.dtype == np.dtype(dtype)
        assert result.shape == z.shape
    rtol, atol = TOLERANCES[dtype]
    for index, value in np.ndenumerate(z):
        x = mpmath.mpf(float(value))  # the value actually given, after rounding to dtype
        want = float(reference(x))
        slope = float(mpmath.diff(reference, x))
        assert a[index] == pytest.approx(want, rel=rtol, abs=atol), ("value", expression, x)
        assert d[index] == pytest.approx(slope, rel=rtol, abs=atol), ("slope", expression, x)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize(("expression", "reference", "points"), VALID, ids=[v[0] for v in VALID])
def test_value_and_derivative_match_mpmath(
    expression: str, reference: Ref, points: tuple[float, ...], dtype: type
) -> None:
    _check(expression, reference, points, dtype)


def test_the_reference_check_can_fail() -> None:
    """Guard against a vacuous comparison: a wrong reference must be caught."""
    with pytest.raises(AssertionError):
        _check(
            "x * sigmoid(1.702 * x)", lambda x: x * _sig(mpmath.mpf("1.7") * x), GENERIC, np.float64
        )


def test_sigmoid_gelu_approximation_against_mpmath_on_a_grid() -> None:
    activation = compile_activation("x * sigmoid(1.702 * x)")
    z = np.linspace(-30, 30, 241).reshape(1, -1)
    a = activation.forward(z)
    d = activation.derivative(z, a)

    def f(x: Any) -> Any:
        return x * _sig(mpmath.mpf("1.702") * x)

    for x, got, slope in zip(z.ravel(), a.ravel(), d.ravel(), strict=True):
        assert got == pytest.approx(float(f(mpmath.mpf(x))), rel=1e-13, abs=1e-300)
        assert slope == pytest.approx(float(mpmath.diff(f, mpmath.mpf(x))), rel=1e-11, abs=1e-15)


# --------------------------------------------------------------------------------------------
# Catalog activations inside expressions
# --------------------------------------------------------------------------------------------


def _gelu(x: Any) -> Any:
    return x * (1 + mpmath.erf(x / mpmath.sqrt(2))) / 2


CATALOG_CASES = [
    pytest.param("relu(x) + 0.1 * x", lambda x: max(x, 0) + x / 10, id="relu"),
    pytest.param("2 * relu(x - 1)", lambda x: 2 * max(x - 1, 0), id="relu-shifted"),
    pytest.param("linear(x) * 3", lambda x: 3 * x, id="linear"),
    pytest.param(
        "softplus(x) - x / 2",
        lambda x: mpmath.log(1 + mpmath.exp(x)) - x / 2,
        id="softplus",
    ),
    pytest.param("elu(x)", lambda x: x if x > 0 else mpmath.exp(x) - 1, id="elu"),
    pytest.param("gelu(x)", _gelu, id="gelu"),
    pytest.param(
        "tanh(x) * softsign(x)",
        lambda x: mpmath.tanh(x) * x / (1 + abs(x)),
        id="softsign",
    ),
]


@pytest.mark.parametrize(("expression", "reference"), CATALOG_CASES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_catalog_activations_inside_expressions(
    expression: str, reference: Ref, dtype: type
) -> None:
    _check(expression, reference, GENERIC, dtype)


# Catalog names that are also built-in functions (sigmoid, tanh) are evaluated by the
# built-ins, which the mpmath table above checks.
ELEMENTWISE = sorted(
    name for name, entry in CATALOG.items() if entry.kind == "elementwise" and name not in FUNCTIONS
)


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_every_elementwise_catalog_entry_composes(name: str, dtype: type) -> None:
    """``f(2 * x - 1)`` equals the entry at 2z - 1, and its derivative carries the factor 2."""
    entry = CATALOG[name]
    if any(p.required for p in entry.parameters):
        with pytest.raises(ExpressionError, match=f"{name}\\(\\) cannot be used"):
            compile_activation(f"{name}(x)")
        return
    defaults = {p.name: p.default for p in entry.parameters}
    z: np.ndarray = np.linspace(-6, 6, 49, dtype=dtype).reshape(7, 7)
    inner: np.ndarray = (2 * z - 1).astype(dtype)
    activation = compile_activation(f"{name}(2 * x - 1)")
    a = activation.forward(z)
    d = activation.derivative(z, a)
    assert a.dtype == d.dtype == np.dtype(dtype)
    want = entry.forward(inner.copy(), **defaults)
    slope = entry.derivative(inner.copy(), want, **defaults)
    np.testing.assert_array_equal(a, want)
    np.testing.assert_allclose(d, 2 * slope, rtol=1e-6 if dtype is np.float32 else 1e-15)


def test_relu_keeps_its_convention_at_zero() -> None:
    """relu'(0) = 0 comes from the catalog's derivative, scaled by the chain rule."""
    activation = compile_activation("relu(2 * x)")
    z = np.array([[0.0, 1.0, -1.0]])
    assert activation.derivative(z, activation.forward(z)).tolist() == [[0.0, 2.0, 0.0]]


def test_catalog_function_of_a_constant_broadcasts() -> None:
    activation = compile_activation("relu(-3) + relu(2) * x")
    z = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    assert activation.forward(z).tolist() == [[2.0, 4.0], [6.0, 8.0]]
    assert activation.derivative(z, z).tolist() == [[2.0, 2.0], [2.0, 2.0]]


# --------------------------------------------------------------------------------------------
# Conventions at kinks (PyTorch): values at exactly the kink
# --------------------------------------------------------------------------------------------

KINKS = [
    ("abs(x)", 0.0, 0.0, 0.0),
    ("max(x, 0)", 0.0, 0.0, 0.5),  # torch.maximum splits a tie evenly
    ("min(x, 0)", 0.0, 0.0, 0.5),
    ("max(x, x)", 1.5, 1.5, 1.0),
    ("x > 0", 0.0, 0.0, 0.0),
    ("x >= 0", 0.0, 1.0, 0.0),
    ("clip(x, -1, 1)", 1.0, 1.0, 1.0),  # torch.clamp passes the gradient at the bound
    ("clip(x, -1, 1)", -1.0, -1.0, 1.0),
    ("clip(x, 2, 1)", 0.0, 1.0, 0.0),  # lo > hi: hi everywhere, like torch.clamp
    ("where(x > 0, x ** 2, 3 * x)", 0.0, 0.0, 3.0),
    ("sqrt(0) * x", 5.0, 0.0, 0.0),  # a constant factor stays exact (no 0 * inf)
    ("x ** 0", 0.0, 1.0, 0.0),
    ("0 ** x", 2.0, 0.0, 0.0),
]


@pytest.mark.parametrize(("expression", "x", "value", "slope"), KINKS)
def test_kink_conventions(expression: str, x: float, value: float, slope: float) -> None:
    activation = compile_activation(expression)
    z = np.array([[x]])
    a = activation.forward(z)
    assert a[0, 0] == value
    assert activation.derivative(z, a)[0, 0] == slope


# --------------------------------------------------------------------------------------------
# Floating point: undefined points give inf/nan, never exceptions or warnings
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "x", "check"),
    [
        ("log(x)", -1.0, np.isnan),
        ("1 / x", 0.0, np.isinf),
        ("exp(x)", 1000.0, np.isinf),
        ("sqrt(x)", -4.0, np.isnan),
        ("x ** 0.5", -4.0, np.isnan),
    ],
)
def test_undefined_points_are_non_finite_without_warnings(
    expression: str, x: float, check: Callable[[Any], Any]
) -> None:
    activation = compile_activation(expression)
    z = np.array([[x, 1.0]])
    a = activation.forward(z)  # filterwarnings=error turns any RuntimeWarning into a failure
    activation.derivative(z, a)
    assert check(a[0, 0])
    assert np.isfinite(a[0, 1])


def test_unused_branch_of_where_cannot_leak_overflow() -> None:
    activation = compile_activation("where(x > 100, x, exp(x))")
    z = np.array([[1000.0, 1.0]], dtype=np.float32)
    a = activation.forward(z)
    assert a.tolist() == [[1000.0, pytest.approx(np.e, rel=1e-6)]]
    assert np.isfinite(activation.derivative(z, a)).all()


def test_sigmoid_is_stable_for_large_inputs() -> None:
    activation = compile_activation("sigmoid(x)")
    z = np.array([[-1000.0, 1000.0]], dtype=np.float32)
    a = activation.forward(z)
    assert a.tolist() == [[0.0, 1.0]]
    assert activation.derivative(z, a).tolist() == [[0.0, 0.0]]


def test_constant_expression_fills_the_shape() -> None:
    activation = compile_activation("2 * pi")
    z = np.zeros((3, 4), dtype=np.float32)
    a = activation.forward(z)
    assert a.shape == (3, 4) and a.dtype == np.float32
    assert np.all(a == np.float32(2 * np.pi))
    d = activation.derivative(z, a)
    assert d.shape == (3, 4) and not d.any()
    a[0, 0] = 7  # a fresh writable array, not a broadcast view
    assert activation.forward(z)[0, 0] == np.float32(2 * np.pi)


def test_input_is_not_modified() -> None:
    z = np.array([[-1.0, 0.5, 2.0]])
    before = z.copy()
    activation = compile_activation("relu(x) * clip(x, 0, 1) + abs(x)")
    activation.derivative(z, activation.forward(z))
    assert np.array_equal(z, before)


# --------------------------------------------------------------------------------------------
# Hostile and invalid expressions
# --------------------------------------------------------------------------------------------

HOSTILE: list[tuple[str, str]] = [
    ("__import__('os')", "unknown function '__import__'"),
    ("__import__('os').system('ls')", "attribute access"),
    ("x.__class__", "attribute access"),
    ("().__class__.__bases__", "attribute access"),
    ("open('f')", "unknown function 'open'"),
    ("eval('1')", "unknown function 'eval'"),
    ("lambda: 1", "lambda"),
    ("(lambda: 1)()", "lambda"),
    ("[x for x in y]", "list comprehensions"),
    ("(x for x in y)", "generator expressions"),
    ("y + 1", "unknown name 'y'"),
    ("__builtins__", "unknown name '__builtins__'"),
    ("x ** 1000", "exponent 1000 is too large"),
    ("x ** (2 ** 10)", "exponent 1024 is too large"),
    ("9**9**9**9", "is too large"),
    ("'a' * 1000000", "text strings are not allowed"),
    ("b'a'", "text strings are not allowed"),
    ("f'{x}'", "text strings are not allowed"),
    ("(" * 5000, "nested too deeply"),
    ("x + " * 2500 + "x", "nested too deeply"),
    ("softmax(x)", "softmax"),
    ("exp(x, 2)", "exp() takes 1 argument, got 2"),
    ("max(x)", "max() takes 2 arguments, got 1"),
    ("relu(x, 1)", "relu() takes 1 argument, got 2"),
    ("exp(x=1)", "keyword arguments are not allowed"),
    ("relu(x, negative_slope=0.1)", "keyword arguments are not allowed"),
    ("exp(*x)", "starred arguments"),
    ("x if x else 1", "use where(c, a, b)"),
    ("x > 0 and x < 1", "'and'/'or' are not allowed"),
    ("not x", "'not' is not allowed"),
    ("1e400", "number is too large"),
    ("1" * 400, "number is too large"),
    ("", "empty"),
    ("   ", "empty"),
    ("True * x", "True is not allowed"),
    ("None", "None is not allowed"),
    ("x * 1j", "complex numbers"),
    ("x[0]", "indexing"),
    ("(x, 1)", "tuples are not allowed"),
    ("{x: 1}", "dicts are not allowed"),
    ("(y := 1)", "assignment expressions"),
    ("x ^ 2", "write x ** 2"),
    ("x % 2", "remainder"),
    ("x // 2", "floor division"),
    ("x == 1", "only the comparisons"),
    ("x(2)", "x is not a function"),
    ("e(2)", "e is not a function"),
    ("relux(x)", "did you mean relu"),
    ("x +", "invalid syntax"),
    ("x = 1", "invalid syntax"),
    ("x\x00", "not allowed (only ASCII"),
    ("σ(x)", "not allowed (only ASCII"),
    ("ｘ + 1", "not allowed (only ASCII"),  # Python would fold this fullwidth letter into x
]


@pytest.mark.parametrize(("text", "fragment"), HOSTILE, ids=[h[0][:40] for h in HOSTILE])
def test_hostile_or_invalid_expressions_are_refused(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_activation(text)
    assert fragment in caught.value.message
    assert caught.value.location == ("expression",)
    assert caught.value.slug == "invalid-expression"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("(" * 5000 + "x" + ")" * 5000, "brackets are nested too deeply"),
        ("(" * 5000, "brackets are nested too deeply"),
        ("-" * 20000 + "x", "too"),  # CPython's parser gives up with MemoryError here
        ("-" * 400 + "x", "nested too deeply"),
        ("x + " * 5000 + "x", "too complex to parse"),
        ("+".join(["(x*x)"] * 60), "nested too deeply"),
        ("1" * 20000, "invalid syntax"),  # beyond CPython's 4300-digit limit
    ],
    ids=[
        "balanced-parens",
        "open-parens",
        "unary-20k",
        "unary-400",
        "sum-5000",
        "sum-60",
        "digits",
    ],
)
def test_costly_expressions_are_refused_whatever_their_length(text: str, fragment: str) -> None:
    """The depth and size caps hold on their own: the length is a service limit
    (NNTRACE_MAX_EXPRESSION_LENGTH, tests/service/test_malformed.py), not the core's."""
    with pytest.raises(ExpressionError) as caught:
        compile_activation(text)
    assert fragment in caught.value.message


def test_softmax_is_refused_because_it_is_not_elementwise() -> None:
    with pytest.raises(ExpressionError, match="softmax\\(\\) works across a layer's nodes"):
        compile_activation("softmax(x)")


def _register_temporarily(monkeypatch: pytest.MonkeyPatch, activation: Activation) -> None:
    """Add a catalog entry for one test; monkeypatch restores the registry afterwards."""
    monkeypatch.setitem(CATALOG, activation.name, activation)
    monkeypatch.setitem(activations._LOOKUP, activation.name, activation.name)


def test_axis_and_unit_halving_entries_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    base = CATALOG["linear"]
    _register_temporarily(monkeypatch, replace(base, name="axisy", kind="axis", aliases=()))
    _register_temporarily(monkeypatch, replace(base, name="halfy", halves_units=True, aliases=()))
    for name in ("axisy", "halfy"):
        with pytest.raises(ExpressionError, match=f"{name}\\(\\) works across a layer's nodes"):
            compile_activation(f"{name}(x)")


def test_entries_with_required_parameters_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    required = Parameter("level", "a parameter without default")
    entry = replace(CATALOG["linear"], name="needy", parameters=(required,), aliases=())
    _register_temporarily(monkeypatch, entry)
    with pytest.raises(ExpressionError, match="needy needs parameter 'level'"):
        compile_activation("needy(x)")


def test_catalog_entries_are_looked_up_at_compile_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """An entry registered after import is usable (nothing is frozen at import time)."""
    entry = replace(
        CATALOG["linear"],
        name="triple",
        aliases=(),
        forward=lambda z: 3 * z,
        derivative=lambda z, a: np.full_like(z, 3.0),
        is_linear=False,
    )
    _register_temporarily(monkeypatch, entry)
    activation = compile_activation("triple(x ** 2)")
    z = np.array([[2.0]])
    assert activation.forward(z).tolist() == [[12.0]]
    assert activation.derivative(z, z).tolist() == [[12.0]]


def test_too_many_nodes_is_refused() -> None:
    compile_activation(" + ".join(["max(x, 1) * min(x, 2)"] * 25))  # 199
    text = " + ".join(["max(x, 1) * min(x, 2)"] * 30)  # 239 nodes, depth 33
    with pytest.raises(ExpressionError, match="too large"):
        compile_activation(text)


def test_depth_limit_is_exact() -> None:
    """Exactly MAX_DEPTH levels are accepted, one more is refused."""
    deepest = compile_activation("-" * (MAX_DEPTH - 1) + "x")
    assert deepest.forward(np.array([[2.0]])).tolist() == [[(-1) ** (MAX_DEPTH - 1) * 2.0]]
    with pytest.raises(ExpressionError, match="nested too deeply"):
        compile_activation("-" * MAX_DEPTH + "x")


@pytest.mark.parametrize(
    ("text", "column"),
    [("x + y", 5), ("  x.real", 3), ("x * (1 +", 5), ("exp(x) + open(x)", 10), ("x ** 100", 6)],
)
def test_errors_point_at_the_column(text: str, column: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_activation(text)
    assert f"(at column {column})" in caught.value.message


def test_exponent_limit_admits_the_bound() -> None:
    """Exponents of magnitude 64 (the bound) compile, and compute the powers they say."""
    activation = compile_activation("x ** 64 + x ** -64 + x ** (8 * 8)")
    got = activation.forward(np.array([[1.5, -0.5]]))
    want = [float(2 * mpmath.mpf(x) ** 64 + mpmath.mpf(x) ** -64) for x in (1.5, -0.5)]
    assert got[0].tolist() == pytest.approx(want, rel=1e-14)


def test_non_string_is_refused() -> None:
    with pytest.raises(ExpressionError, match="must be a string"):
        compile_activation(42)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Robustness: arbitrary text is either compiled or refused, and evaluates without surprises
# --------------------------------------------------------------------------------------------

ALPHABET = "x()+-*/.,<>=!0123456789e ^%'[]:_" + string.ascii_lowercase[:12] + "pqrstw"


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=40))
def test_arbitrary_text_is_compiled_or_refused_cleanly(text: str) -> None:
    try:
        activation = compile_activation(text)
    except ExpressionError:
        return
    z = np.array([[-1.5, 0.0, 2.0]], dtype=np.float32)
    a = activation.forward(z)
    d = activation.derivative(z, a)
    assert a.shape == d.shape == z.shape
    assert a.dtype == d.dtype == np.float32
    again = compile_activation(activation.extra["expression"])  # type: ignore[arg-type]
    assert again.extra == activation.extra


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from([v[0] for v in VALID if v[2] is GENERIC]),
    st.floats(-4, 4, allow_nan=False).filter(lambda t: min(abs(t), abs(abs(t) - 1)) > 1e-3),
)
def test_derivative_agrees_with_central_differences(expression: str, x: float) -> None:
    """A second, independent check of the derivative away from kinks and poles."""
    activation = compile_activation(expression)
    h = 1e-6
    z = np.array([[x - h, x, x + h]])
    a = activation.forward(z)
    d = activation.derivative(z, a)
    if not np.isfinite(a).all() or abs(x) < 0.05:
        return
    numeric = (a[0, 2] - a[0, 0]) / (2 * h)
    assert d[0, 1] == pytest.approx(numeric, rel=1e-5, abs=1e-5)


# --------------------------------------------------------------------------------------------
# Rendering, normalization, caching, linearity
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normalized", "latex"),
    [
        ("x*sigmoid(1.702*x)", "x * sigmoid(1.702 * x)", r"x \cdot \sigma(1.702 x)"),
        ("  exp( -x**2 )", "exp(-x ** 2)", "e^{-x^{2}}"),
        ("(-x)**2", "(-x) ** 2", "(-x)^{2}"),
        ("x**-2", "x ** -2", "x^{-2}"),
        ("(x**2)**3", "(x ** 2) ** 3", "(x^{2})^{3}"),
        ("x-(x-1)", "x - (x - 1)", "x - (x - 1)"),
        ("(x+1)/(x-1)", "(x + 1) / (x - 1)", r"\frac{x + 1}{x - 1}"),
        ("1e-5*x", "1e-05 * x", r"1 \times 10^{-5} x"),
        ("+x", "x", "x"),
        ("(x>0)*x", "(x > 0) * x", r"\left[x > 0\right] \cdot x"),
        ("0<=x<1", "0 <= x < 1", r"\left[0 \le x < 1\right]"),
        ("pi*x", "pi * x", r"\pi x"),
        ("abs(x)", "abs(x)", r"\left|x\right|"),
        ("leaky_relu(x)", "leaky_relu(x)", r"\operatorname{leaky\_relu}(x)"),
        ("log1p(x)", "log1p(x)", r"\ln(1 + x)"),
        ("2*expm1(x)", "2 * expm1(x)", r"2 \cdot (e^{x} - 1)"),
        (
            "where(x>0,x,0.1*x)",
            "where(x > 0, x, 0.1 * x)",
            r"\begin{cases} x & \text{if } x > 0 \\ 0.1 x & \text{otherwise} \end{cases}",
        ),
    ],
)
def test_normalized_text_and_latex(text: str, normalized: str, latex: str) -> None:
    activation = compile_activation(text)
    assert activation.extra["expression"] == normalized
    assert activation.formula == latex
    again = compile_activation(normalized)  # the normalized text means the same thing
    assert again.extra["expression"] == normalized
    z = np.array([[-1.5, 0.5, 2.0]])
    assert np.array_equal(again.forward(z), activation.forward(z), equal_nan=True)


def test_activation_metadata() -> None:
    activation = compile_activation("x * sigmoid(1.702 * x)")
    assert isinstance(activation, Activation)
    assert activation.name == "expression"
    assert activation.kind == "elementwise"
    assert activation.output_range == (-np.inf, np.inf)
    assert activation.parameters == ()
    assert "x * sigmoid(1.702 * x)" in activation.description
    assert activation.formula in activation.derivative_formula


def test_compilation_is_cached_on_the_text() -> None:
    assert compile_activation("x * tanh(x) + 7") is compile_activation("x * tanh(x) + 7")


@pytest.mark.parametrize(
    ("text", "identity"),
    [
        ("x", True),
        ("+x", True),
        ("--x", True),
        ("linear(x)", True),
        ("-x", False),
        ("2 * x + 1", False),
        ("-(x - 3) / 4 + 2 * x", False),
        ("linear(x) * 3", False),
        ("7", False),
        ("x * x", False),
        ("relu(x)", False),
        ("x ** 1", False),  # the identity, but not proven structurally: a safe "no"
        ("1 / x", False),
    ],
)
def test_is_linear_means_identity(text: str, identity: bool) -> None:
    """The linearity analysis collapses layers as if ``is_linear`` activations were the
    identity, so an affine expression like 2x + 1 must not claim it."""
    activation = compile_activation(text)
    assert activation.is_linear is identity
    if identity:
        assert activation.forward(np.array([[3.0, -2.0]])).tolist() == [[3.0, -2.0]]


# --------------------------------------------------------------------------------------------
# End to end through bind()
# --------------------------------------------------------------------------------------------


def test_bind_expression_end_to_end() -> None:
    bound = bind({"expression": "x*sigmoid(1.702*x)"})
    z = np.array([[-1.0, 0.0, 2.0], [0.5, -3.0, 1.0]], dtype=np.float32)
    a = bound(z)
    assert a.dtype == np.float32 and a.shape == z.shape
    for index, value in np.ndenumerate(z):
        x = mpmath.mpf(float(value))
        assert a[index] == pytest.approx(float(x * _sig(mpmath.mpf("1.702") * x)), rel=1e-6)
    d = bound.derivative(z, a)
    g = np.full_like(z, 2.0)
    assert np.array_equal(bound.backward(z, a, g), g * d)
    assert bound.label == "expression"
    assert bound.kind == "elementwise"
    assert bound.is_linear is False
    assert bound.to_spec() == {"expression": "x * sigmoid(1.702 * x)"}
    assert bind(bound.to_spec()).to_spec() == bound.to_spec()


def test_bind_refuses_hostile_expressions() -> None:
    with pytest.raises(ExpressionError, match="attribute access"):
        bind({"expression": "x.__class__"})
