"""The activation catalog against independent 50-digit mpmath references.

Every entry is evaluated in float64 and float32 on a grid reaching |x| = 1000, under
``np.errstate`` that turns any overflow, invalid operation or division by zero into an error,
and compared with :mod:`tests.core.mpmath_reference`. Expected values come from mpmath, from
the literature, or from Keras's own tests; never
from the code under test.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any, Literal, cast

import numpy as np
import pytest

from nntrace_service.core.activations import (
    CATALOG,
    Activation,
    BoundActivation,
    lookup,
)
from nntrace_service.core.binding import bind
from nntrace_service.core.errors import (
    InvalidParameterError,
    ShapeMismatchError,
    UnknownActivationError,
)
from tests.core import mpmath_reference as ref

Params = dict[str, Any]
Quantity = Literal["value", "derivative"]
Array = np.ndarray[Any, Any]
DType = type[np.floating[Any]]
DTYPES: tuple[DType, ...] = (np.float64, np.float32)
# float32 results are computed in float64 and rounded once, so they are held to 1e-6 rather
# than the 1e-5 a float32 computation would need. The absolute floors only absorb results
# that underflow to (or into the subnormals of) the dtype.
TOLERANCE: dict[DType, tuple[float, float]] = {
    np.float64: (1e-12, 1e-300),
    np.float32: (1e-6, 1e-40),
}
GRID = (-1000, -800, -100, -30, -1, -1e-8, 0, 1e-8, 0.5, 1, 3, 30, 100, 800, 1000)


def strict(overflow: Literal["raise", "ignore"] = "raise") -> np.errstate:
    """Turn every overflow, invalid operation and division by zero into an error."""
    return np.errstate(over=overflow, invalid="raise", divide="raise")


KERAS_NAMES = {
    "relu", "leaky_relu", "relu6", "softmax", "elu", "selu", "softplus", "softsign",
    "soft_shrink", "sparse_plus", "silu", "squareplus", "gelu", "celu", "glu", "tanh",
    "tanh_shrink", "hard_tanh", "hard_shrink", "threshold", "sigmoid", "sparse_sigmoid",
    "exponential", "hard_sigmoid", "hard_silu", "linear", "mish", "log_sigmoid", "log_softmax",
    "sparsemax",
}  # fmt: skip
# Beyond Keras: so that every torch.nn activation module and ONNX activation operator has one.
EXTENSION_NAMES = {"hardmax", "softmin", "prelu", "rrelu", "shrink", "clip", "thresholded_relu"}
AXIS_NAMES = ("softmax", "log_softmax", "sparsemax", "glu", "softmin", "hardmax")
ELEMENTWISE_NAMES = sorted((KERAS_NAMES | EXTENSION_NAMES) - set(AXIS_NAMES))

# Non-default parameters, chosen as binary fractions so that float32 inputs hit kinks exactly.
PARAMETER_CASES: list[tuple[str, Params]] = [
    ("relu", {"negative_slope": 0.125}),
    ("relu", {"max_value": 6.0}),
    ("relu", {"threshold": 1.0}),
    ("relu", {"threshold": -0.5}),
    ("relu", {"negative_slope": 0.25, "max_value": 2.5, "threshold": -0.5}),
    ("relu", {"negative_slope": 0.5, "max_value": 1.0, "threshold": 2.0}),
    ("leaky_relu", {"negative_slope": 0.01}),
    ("leaky_relu", {"negative_slope": 1.5}),
    ("elu", {"alpha": 0.5}),
    ("elu", {"alpha": 2.0}),
    ("celu", {"alpha": 0.5}),
    ("celu", {"alpha": 3.0}),
    ("gelu", {"approximate": True}),
    ("squareplus", {"b": 0.0}),
    ("squareplus", {"b": 1.0}),
    ("squareplus", {"b": 3.0}),
    ("soft_shrink", {"threshold": 1.0}),
    ("soft_shrink", {"threshold": 0.0}),
    ("hard_shrink", {"threshold": 2.0}),
    ("threshold", {"threshold": 0.5, "default_value": -1.0}),
    ("threshold", {"threshold": -1.0, "default_value": 2.5}),
    # parameters nntrace adds to Keras entries (PyTorch's and ONNX's)
    ("hard_sigmoid", {"alpha": 0.2}),  # ONNX's default
    ("hard_sigmoid", {"alpha": 0.5, "beta": 0.25}),
    ("hard_sigmoid", {"alpha": -0.25, "beta": 0.5}),
    ("selu", {"alpha": 1.67326319217681884765625, "scale": 1.05070102214813232421875}),
    ("softplus", {"beta": 2.0}),
    ("softplus", {"beta": 0.5, "threshold": 20.0}),
    ("softplus", {"threshold": 20.0}),  # PyTorch's default
    ("hard_tanh", {"min_value": 0.0, "max_value": 6.0}),
    ("hard_tanh", {"min_value": -0.5, "max_value": -0.5}),
    # the entries beyond Keras
    ("prelu", {"alpha": 0.25}),
    ("prelu", {"alpha": 1.5}),
    ("rrelu", {"lower": 0.25, "upper": 0.5}),
    ("shrink", {"lambd": 1.0, "bias": 1.0}),
    ("shrink", {"lambd": 0.5, "bias": 2.0}),
    ("shrink", {"lambd": -0.5, "bias": 0.25}),
    ("clip", {"min": -1.0, "max": 2.0}),
    ("clip", {"min": 2.0, "max": -1.0}),  # min > max: every output is max (ONNX)
    ("clip", {"min": 0.5}),
    ("clip", {"max": 0.5}),
    ("thresholded_relu", {"threshold": -0.5}),
]
CASES: list[tuple[str, Params]] = [
    (n, {}) for n in ELEMENTWISE_NAMES if n != "threshold"
] + PARAMETER_CASES


def _case_id(name: str, params: Params) -> str:
    return name + "".join(f"[{k}={v}]" for k, v in params.items())


def _points(name: str, params: Params) -> list[float]:
    """The grid plus each kink and a point either side of it."""
    extra = {k + d for k in ref.kinks(name, params) for d in (-0.125, 0.0, 0.125)}
    if name == "tanh_shrink":  # either side of the switch to the Taylor series
        extra |= {0.2499, 0.25, 0.2501, -0.25, 2e-3}
    return sorted({*map(float, GRID), *extra, -3.0, -0.5, 2.0})


FUNCTION_CASES = [
    pytest.param(name, params, dtype, id=f"{_case_id(name, params)}-{dtype.__name__}")
    for name, params in CASES
    for dtype in DTYPES
]


def _evaluate(name: str, params: Params, dtype: DType, x: float) -> tuple[float, float, float]:
    """(exact input, f, f') from the code under test, at the dtype's rounding of ``x``."""
    bound = bind({"name": name, **params})
    z = np.array([[x]], dtype=dtype)
    with strict():
        a = bound(z)
        d = bound.derivative(z, a)
    assert a.dtype == dtype and d.dtype == dtype
    assert a.shape == d.shape == (1, 1)
    return float(z[0, 0]), float(a[0, 0]), float(d[0, 0])


def _miss(got: float, want: Any, dtype: DType, what: str) -> str | None:
    """Why ``got`` is not ``want`` within the dtype's tolerance, or None when it is."""
    rtol, atol = TOLERANCE[dtype]
    if not math.isfinite(got):
        return f"{what}: got {got}, want {ref.mp.nstr(want, 17)}"
    error = abs(ref.mpf(got) - want)
    if error <= atol + rtol * abs(want):
        return None
    return (
        f"{what}: got {got!r}, want {ref.mp.nstr(want, 17)} "
        f"(relative error {ref.mp.nstr(error / abs(want), 3) if want else error})"
    )


def _assert_close(got: float, want: Any, dtype: DType, what: str) -> None:
    miss = _miss(got, want, dtype, what)
    assert miss is None, miss


def _representable(want: Any, dtype: DType) -> bool:
    return bool(abs(want) <= ref.mpf(float(np.finfo(dtype).max)))


# ---- element-wise values and derivatives against mpmath ----------------------------------------


def _overflows(name: str, params: Params, dtype: DType, x: float) -> bool:
    """exponential's true value (and derivative) beyond the dtype's range: those points are
    covered by test_exponential_overflow_is_reported instead."""
    exact_x = float(np.array(x, dtype=dtype))
    return name == "exponential" and not _representable(ref.value(name, exact_x, params), dtype)


def _at_kink(name: str, params: Params, dtype: DType, x: float) -> bool:
    """Points where the derivative has no limit to compare with: see test_kink_conventions."""
    return float(np.array(x, dtype=dtype)) in ref.kinks(name, params)


def _mpmath_miss(
    quantity: Quantity, name: str, params: Params, dtype: DType, x: float
) -> str | None:
    """How the core's value (or derivative) at ``x`` misses mpmath's, or None."""
    exact_x = float(np.array(x, dtype=dtype))
    want = getattr(ref, quantity)(name, exact_x, params)
    mark = "'" if quantity == "derivative" else ""
    if not _representable(want, dtype):
        return f"{name}{mark}({x}) = {want} is not representable"
    got_x, value, derivative = _evaluate(name, params, dtype, x)
    assert got_x == exact_x
    got = derivative if quantity == "derivative" else value
    return _miss(got, want, dtype, f"{_case_id(name, params)}{mark}({exact_x!r})")


# One test per function, dtype and quantity walks every point (the grid, each kink and its
# neighbours) and reports every point that misses, not just the first. Derivatives skip the
# kinks, where there is no limit to compare with.


@pytest.mark.parametrize("quantity", ["value", "derivative"])
@pytest.mark.parametrize(("name", "params", "dtype"), FUNCTION_CASES)
def test_matches_mpmath(quantity: Quantity, name: str, params: Params, dtype: DType) -> None:
    points = [
        x
        for x in _points(name, params)
        if not _overflows(name, params, dtype, x)
        and not (quantity == "derivative" and _at_kink(name, params, dtype, x))
    ]
    misses = [m for x in points if (m := _mpmath_miss(quantity, name, params, dtype, x))]
    assert len(points) >= len(GRID) // 2
    assert not misses, "\n".join(misses)


def test_every_catalog_entry_has_a_reference_and_cases() -> None:
    """A new catalog entry without an mpmath reference and test cases fails here."""
    assert set(ref.ELEMENTWISE) | set(ref.AXIS) == set(CATALOG)
    assert {name for name, _ in CASES} | set(AXIS_NAMES) == set(CATALOG)


# ---- kinks -----------------------------------------------------------------------------------

SELU_SCALE_ALPHA = 1.0507009873554804934 * 1.6732632423543772848

KINKS: list[tuple[str, Params, float, float]] = [
    ("relu", {}, 0.0, 0.0),
    ("relu", {"threshold": 1.0, "negative_slope": 0.125}, 1.0, 0.125),
    ("relu", {"max_value": 2.0}, 2.0, 0.0),
    ("relu", {"max_value": 2.0}, 0.0, 0.0),
    ("leaky_relu", {}, 0.0, 0.2),
    ("leaky_relu", {"negative_slope": 0.01}, 0.0, 0.01),
    ("relu6", {}, 0.0, 0.0),
    ("relu6", {}, 6.0, 0.0),
    ("elu", {}, 0.0, 1.0),
    ("elu", {"alpha": 0.5}, 0.0, 0.5),
    ("selu", {}, 0.0, SELU_SCALE_ALPHA),
    ("celu", {"alpha": 2.0}, 0.0, 1.0),
    ("hard_sigmoid", {}, -3.0, 0.0),
    ("hard_sigmoid", {}, 3.0, 0.0),
    # Not PyTorch's: F.hardswish's backward gives 0 at -3 and 1 at 3 (2.13, CPU); see below.
    ("hard_silu", {}, -3.0, -0.5),
    ("hard_silu", {}, 3.0, 1.5),
    ("hard_tanh", {}, -1.0, 0.0),
    ("hard_tanh", {}, 1.0, 0.0),
    ("soft_shrink", {}, 0.5, 0.0),
    ("soft_shrink", {}, -0.5, 0.0),
    ("hard_shrink", {}, 0.5, 0.0),
    ("hard_shrink", {}, -0.5, 0.0),
    ("threshold", {"threshold": 1.0, "default_value": 0.0}, 1.0, 0.0),
    ("sparse_sigmoid", {}, -1.0, 0.0),
    ("sparse_sigmoid", {}, 1.0, 0.0),
    ("sparse_plus", {}, -1.0, 0.0),
    ("sparse_plus", {}, 1.0, 1.0),
    ("squareplus", {"b": 0.0}, 0.0, 0.0),
    ("gelu", {}, 0.0, 0.5),
    ("gelu", {"approximate": True}, 0.0, 0.5),
    ("prelu", {"alpha": 0.25}, 0.0, 0.25),
    ("rrelu", {}, 0.0, (0.125 + 1 / 3) / 2),
    ("shrink", {}, 0.5, 0.0),
    ("shrink", {"bias": 0.5}, -0.5, 0.0),
    ("clip", {"min": -1.0, "max": 2.0}, -1.0, 1.0),  # torch.clamp: 1 at the bounds
    ("clip", {"min": -1.0, "max": 2.0}, 2.0, 1.0),
    ("clip", {"min": 2.0, "max": -1.0}, 0.0, 0.0),
    ("thresholded_relu", {}, 1.0, 0.0),
    ("hard_tanh", {"min_value": 0.0, "max_value": 6.0}, 6.0, 0.0),
    ("hard_sigmoid", {"alpha": 0.25}, -2.0, 0.0),
    ("softplus", {"threshold": 20.0}, 20.0, 1.0 / (1.0 + math.exp(-20.0))),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("name", "params", "x", "slope"),
    [pytest.param(*k, id=f"{_case_id(k[0], k[1])}'({k[2]:g})") for k in KINKS],
)
def test_kink_conventions(name: str, params: Params, x: float, slope: float, dtype: DType) -> None:
    """PyTorch's backward value at each kink (reference section 7)."""
    _, _, got = _evaluate(name, params, dtype, x)
    assert got == pytest.approx(slope, rel=1e-7)


def test_hard_silu_note_describes_pytorch_as_it_is() -> None:
    """The note says what nntrace gives at ±3 and what PyTorch gives there, and no longer
    that the two agree. PyTorch 2.13.0+cpu, measured in float64 and float32, scalar and
    vectorised: ``F.hardswish`` backward gives 0 at -3 and 1 at 3 (the outer pieces)."""
    note = " ".join(CATALOG["hard_silu"].notes)
    slopes = [_evaluate("hard_silu", {}, np.float64, x)[2] for x in (-3.0, 3.0)]

    assert slopes == [-0.5, 1.5]
    assert "(-0.5 at -3, 1.5 at 3)" in note
    assert "PyTorch 2.13 on CPU gives 0 at -3 and 1 at 3" in note
    assert "PyTorch's closed interval" not in note


# ---- literature and Keras's own numbers ------------------------------------------------------


def _one(spec: str | Params, x: float) -> tuple[float, float]:
    bound = bind(spec)
    z = np.array([[x]])
    a = bound(z)
    return float(a[0, 0]), float(bound.derivative(z, a)[0, 0])


def test_literature_values() -> None:
    assert _one("sigmoid", 2.0)[1] == pytest.approx(0.105, abs=5e-4)
    assert _one("sigmoid", 5.0)[1] == pytest.approx(6.6e-3, abs=5e-5)
    assert _one("sigmoid", 10.0)[1] == pytest.approx(4.5e-5, abs=5e-7)
    assert _one("tanh", 2.0)[1] == pytest.approx(0.0707, abs=5e-5)
    assert _one("tanh", 5.0)[1] == pytest.approx(1.8e-4, abs=5e-6)
    assert _one("tanh", 10.0)[1] == pytest.approx(8.2e-9, abs=5e-11)
    assert _one("gelu", 1.0)[0] == pytest.approx(0.841344746, abs=1e-9)
    assert _one({"name": "gelu", "approximate": True}, 1.0)[0] == pytest.approx(0.841192, abs=1e-6)


def test_keras_ops_gelu_docstring_values() -> None:
    got = bind("gelu")(np.array([-1.0, 0.0, 1.0], dtype=np.float32))
    np.testing.assert_allclose(got, [-0.15865525, 0.0, 0.84134475], rtol=1e-7, atol=1e-8)


def test_keras_hard_sigmoid_values() -> None:
    """Keras 3's own test: relu6(x + 3)/6, not Keras 2's 0.2x + 0.5."""
    got = bind("hard_sigmoid")(np.array([[-1.0, 0.0, 1.0, 2.0, 3.0]]))
    assert got.tolist() == [[1 / 3, 0.5, 2 / 3, 5 / 6, 1.0]]


def test_relu_general_form_follows_keras() -> None:
    """Keeps x (not x - threshold) above the threshold; with a negative threshold and no cap,
    inputs between the threshold and 0 pass unchanged; the cap also clips at 0."""
    z = np.array([[-2.0, -0.75, -0.25, 0.5, 3.0]])
    keep = bind({"name": "relu", "threshold": -0.5})(z)
    assert keep.tolist() == [[0.0, 0.0, -0.25, 0.5, 3.0]]
    capped = bind({"name": "relu", "threshold": -0.5, "max_value": 2.0})(z)
    assert capped.tolist() == [[0.0, 0.0, 0.0, 0.5, 2.0]]
    sloped = bind({"name": "relu", "threshold": 1.0, "negative_slope": 0.5})(z)
    assert sloped.tolist() == [[-1.5, -0.875, -0.625, -0.25, 3.0]]


# ---- exponential: the one legitimate overflow ---------------------------------------------------


def test_exponential_overflow_is_reported() -> None:
    """exp(800) is not a float64; it must surface (inf, or an error under strict errstate)
    so that the network can report it, not be clamped away."""
    exponential = bind("exponential")
    with np.errstate(over="ignore"):
        assert np.isposinf(exponential(np.array([[800.0]]))).all()
        assert np.isposinf(exponential(np.array([[100.0]], dtype=np.float32))).all()
    for dtype, x in ((np.float64, 800.0), (np.float64, 710.0), (np.float32, 89.0)):
        with np.errstate(over="raise"), pytest.raises(FloatingPointError):
            exponential(np.array([[x]], dtype=dtype))
    with strict():
        assert exponential(np.array([[709.0]]))[0, 0] == pytest.approx(math.exp(709.0))


# ---- robustness over the whole float range -------------------------------------------------------


def _wide_sample(dtype: DType, limit: float | None = None) -> Array:
    """Both signs, magnitudes log-uniform from the smallest subnormal to the largest float,
    plus the special points."""
    info = np.finfo(dtype)
    top = float(info.max) if limit is None else limit
    rng = np.random.default_rng(20240601)
    smallest = float(info.smallest_subnormal)
    exponents = rng.uniform(math.log10(smallest), math.log10(top) - 1e-9, 4000)
    signs = rng.choice([-1.0, 1.0], exponents.size)
    special = [0.0, -0.0, smallest, -smallest, float(info.tiny), top, -top, 1.0, -1.0]
    values: Array = np.concatenate([signs * 10.0**exponents, special]).astype(dtype)
    return values


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(set(CATALOG) - {"exponential", "threshold"}))
def test_no_floating_point_error_anywhere(name: str, dtype: DType) -> None:
    """No finite input, however extreme, overflows or produces NaN, in the value, the
    derivative or the back-propagated gradient."""
    # selu scales by 1.05 and log_softmax forms x_i - x_j: beyond these limits the true
    # result is not representable either.
    limit = {"selu": 0.9, "log_softmax": 0.45}.get(name)
    info = np.finfo(dtype)
    z = _wide_sample(dtype, None if limit is None else float(info.max) * limit)
    z = z[: z.size // 4 * 4].reshape(-1, 4)
    bound = bind(name)
    with strict():
        a = bound(z)
        d = bound.derivative(z, a)
        g = bound.backward(z, a, np.ones_like(a))
    for array in (a, d, g):
        assert array.dtype == dtype
        assert np.isfinite(array).all()
    assert g.shape == z.shape and a.shape == d.shape
    assert a.shape == (z.shape[0], bound.output_units(4))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", sorted(CATALOG))
def test_output_range_and_no_mutation(name: str, dtype: DType) -> None:
    activation = CATALOG[name]
    spec: Params = {"name": name}
    if name == "threshold":
        spec |= {"threshold": 0.0, "default_value": 0.0}
    z = np.array([[-1000, -30, -3, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 3, 30, 80, 1000]], dtype=dtype)
    before = z.copy()
    with strict("ignore" if name == "exponential" else "raise"):  # exp(1000) = inf is in range
        a = bind(spec)(z)
    np.testing.assert_array_equal(z, before)
    low, high = activation.output_range
    slack = 1e-7 * abs(low)
    assert (a >= low - slack).all() and (a <= high).all(), (a, activation.output_range)


REACHED_ENDS: dict[str, tuple[float | None, float | None]] = {
    # name: (x where the lower bound is reached, x where the upper one is), None: not reached
    "relu": (0.0, None),
    "relu6": (0.0, 6.0),
    "sparse_plus": (-1.0, None),
    "hard_tanh": (-1.0, 1.0),
    "sparse_sigmoid": (-1.0, 1.0),
    "hard_sigmoid": (-3.0, 3.0),
    "hard_silu": (-1.5, None),
    # smooth minima: where the reference's derivative changes sign (bracketed below)
    "silu": (-1.28, None),
    "gelu": (-0.75, None),
    "mish": (-1.19, None),
}
"""Element-wise entries whose range includes an end, with where (softmax family below)."""


@pytest.mark.parametrize("name", sorted(n for n, a in CATALOG.items() if a.kind == "elementwise"))
def test_range_ends_that_are_reached(name: str) -> None:
    """An end is marked closed exactly when the function takes that value: at the x in
    REACHED_ENDS, by the 50-digit reference; every other finite end is only approached."""
    activation = CATALOG[name]
    witnesses = REACHED_ENDS.get(name, (None, None))

    assert activation.range_closed == tuple(x is not None for x in witnesses)
    for end, x in zip(activation.output_range, witnesses, strict=True):
        if x is None:
            continue
        if name in ("silu", "gelu", "mish"):
            x = ref.stationary_point(name, x - 0.25, x + 0.25)
        assert float(ref.value(name, x, {})) == pytest.approx(end, rel=1e-12, abs=1e-300)


def test_softmax_family_ends() -> None:
    """On one node softmax is 1 and log_softmax 0, the closed ends; sparsemax gives exact 0
    and 1 when one value dominates; otherwise the ends are open."""
    closed = {n: CATALOG[n].range_closed for n in ("softmax", "log_softmax", "sparsemax", "glu")}

    assert closed == {
        "softmax": (False, True),
        "log_softmax": (False, True),
        "sparsemax": (True, True),
        "glu": (False, False),
    }
    assert [float(v) for v in ref.axis_value("softmax", [3.0])] == [1.0]
    assert [float(v) for v in ref.axis_value("log_softmax", [3.0])] == [0.0]
    assert [float(v) for v in ref.axis_value("sparsemax", [3.0, 0.0])] == [1.0, 0.0]


# ---- softmax, log_softmax, sparsemax, glu ------------------------------------------------------

ROWS: list[list[float]] = [
    [1.0, 2.0, 3.0, 0.5],
    [0.0, 0.0, 0.0, 0.0],
    [30.0, 1.0, 0.5, -30.0],
    [1000.0, 0.0],
    [-1000.0, 1000.0],
    [1000.0, 999.0, -1000.0, 0.25],
    [-800.0, -800.5, -801.0, -1000.0],
    [0.3, 0.1, -0.2, 0.7, 0.05, -0.4],
    [1e-8, -1e-8, 0.0, 3.0],
    *([x, 0.75, 0.3, -x] for x in GRID),
]
AXIS_CASES = [
    pytest.param(name, dtype, row, id=f"{name}-{dtype.__name__}-{i}")
    for name in AXIS_NAMES
    for dtype in DTYPES
    for i, row in enumerate(ROWS)
]


def _axis_evaluate(
    name: str, dtype: DType, row: list[float]
) -> tuple[BoundActivation, Array, Array]:
    bound = bind(name)
    z = np.array([row], dtype=dtype)
    with strict():
        a = bound(z)
    assert a.dtype == dtype
    return bound, z, a


@pytest.mark.parametrize(("name", "dtype", "row"), AXIS_CASES)
def test_axis_value_matches_mpmath(name: str, dtype: DType, row: list[float]) -> None:
    _, z, a = _axis_evaluate(name, dtype, row)
    want = ref.axis_value(name, z[0].tolist())
    assert a.shape == (1, len(want))
    for i, w in enumerate(want):
        _assert_close(float(a[0, i]), w, dtype, f"{name}({z[0].tolist()})[{i}]")


def _axis_row(name: str, dtype: DType, row: list[float]) -> tuple[str, list[float]]:
    """The row as the dtype rounds it."""
    return name, np.array(row, dtype=dtype).tolist()


# Rows where an input sits exactly at sparsemax's tau have no Jacobian to compare with.
SMOOTH_AXIS_CASES = [
    case
    for case in AXIS_CASES
    if not ref.axis_at_kink(*_axis_row(*cast(tuple[str, DType, list[float]], case.values)))
]


@pytest.mark.parametrize(("name", "dtype", "row"), SMOOTH_AXIS_CASES)
def test_axis_jacobian_matches_mpmath(name: str, dtype: DType, row: list[float]) -> None:
    """derivative is the Jacobian's diagonal; vjp(g) equals g @ J for a few g."""
    bound, z, a = _axis_evaluate(name, dtype, row)
    exact = z[0].tolist()
    jac = ref.jacobian(name, exact)
    with strict():
        diagonal = bound.derivative(z, a)
    assert diagonal.dtype == dtype and diagonal.shape == a.shape
    for i in range(a.shape[1]):
        _assert_close(float(diagonal[0, i]), jac[i][i], dtype, f"{name}' J[{i}][{i}]")

    rtol, atol = TOLERANCE[dtype]
    rng = np.random.default_rng(7)
    for g in (np.eye(a.shape[1], dtype=dtype), rng.normal(size=(3, a.shape[1])).astype(dtype)):
        batch = np.repeat(z, g.shape[0], axis=0)
        with strict():
            got = bound.backward(batch, bound(batch), g)
        assert got.dtype == dtype and got.shape == batch.shape
        for k, j in np.ndindex(got.shape):
            terms = [ref.mpf(float(g[k, i])) * jac[i][j] for i in range(g.shape[1])]
            want = ref.mp.fsum(terms)
            scale = ref.mp.fsum(abs(t) for t in terms)
            assert abs(ref.mpf(float(got[k, j])) - want) <= 4 * rtol * scale + atol, (
                f"{name} vjp[{k}][{j}]: got {got[k, j]}, want {ref.mp.nstr(want, 17)}"
            )


@pytest.mark.parametrize("dtype", DTYPES)
def test_probabilities_sum_to_one_and_shift_invariance(dtype: DType) -> None:
    """Rows on a 1/64 grid stay exact when shifted, so the outputs must agree bit for bit."""
    rng = np.random.default_rng(11)
    z = (rng.integers(-320, 320, size=(200, 7)) / 64).astype(dtype)
    eps = float(np.finfo(dtype).eps)
    with strict():
        for name in ("softmax", "sparsemax"):
            p = bind(name)(z)
            assert (p >= 0).all()
            np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=0, atol=8 * eps)
        sparse = bind("sparsemax")(z)
        assert (sparse == 0).any(axis=-1).mean() > 0.9  # exact zeros, not tiny numbers
        for name in AXIS_NAMES[:3]:
            f = bind(name)
            for shift in (64.0, -512.0, 4096.0):
                np.testing.assert_array_equal(f(z + dtype(shift)), f(z))


def test_axis_extremes() -> None:
    with strict():
        z = np.array([[1000.0, 0.0], [-1000.0, 1000.0]])
        assert bind("softmax")(z).tolist() == [[1.0, 0.0], [0.0, 1.0]]
        assert bind("sparsemax")(z).tolist() == [[1.0, 0.0], [0.0, 1.0]]
        assert bind("log_softmax")(z).tolist() == [[0.0, -1000.0], [-2000.0, 0.0]]
        assert bind("glu")(z).tolist() == [[500.0], [-1000.0]]
        huge = np.array([[1e308, -1e308, 0.0, 1e308]])
        np.testing.assert_array_equal(bind("softmax")(huge), [[0.5, 0.0, 0.0, 0.5]])
        np.testing.assert_array_equal(bind("sparsemax")(huge), [[0.5, 0.0, 0.0, 0.5]])


def test_glu_halves_units_and_needs_an_even_count() -> None:
    glu = lookup("glu")
    assert glu.halves_units and glu.output_units(6) == 3
    assert all(not a.halves_units for a in CATALOG.values() if a.name != "glu")
    z = np.array([[1.0, -2.0, 0.0, 3.0]])
    assert bind("glu").derivative(z, bind("glu")(z)).shape == (1, 2)
    with pytest.raises(ShapeMismatchError):
        bind("glu")(np.ones((2, 3)))


def test_sparsemax_support_is_exact_at_a_kink() -> None:
    """[1, 1, 0.5, -1] puts 0.5 exactly at tau = 0.5: it is outside the support, both in the
    value (exactly 0) and in the derivative convention."""
    z = np.array([[1.0, 1.0, 0.5, -1.0]])
    sparsemax = bind("sparsemax")
    assert sparsemax(z).tolist() == [[0.5, 0.5, 0.0, 0.0]]
    assert sparsemax.derivative(z, sparsemax(z)).tolist() == [[0.5, 0.5, 0.0, 0.0]]


# ---- catalog metadata, names and parameter errors ---------------------------------------------


def test_catalog_is_keras_3_and_the_extensions() -> None:
    assert set(CATALOG) == KERAS_NAMES | EXTENSION_NAMES
    assert lookup("swish") is CATALOG["silu"]
    assert lookup("hard_swish") is CATALOG["hard_silu"]


def _entries() -> Iterator[Activation]:
    return iter(CATALOG.values())


def test_metadata_is_complete() -> None:
    for activation in _entries():
        assert activation.formula and activation.derivative_formula, activation.name
        assert activation.description.endswith("."), activation.name
        low, high = activation.output_range
        assert low < high, activation.name
        assert activation.is_linear == (activation.name == "linear")
        assert (activation.kind == "axis") == (activation.name in AXIS_NAMES)
        assert (activation.vjp is not None) == (activation.kind == "axis"), activation.name
        for p in activation.parameters:
            assert p.description, (activation.name, p.name)
    # The defaults that differ between libraries are written down.
    for name, word in [
        ("leaky_relu", "0.01"),
        ("hard_sigmoid", "alpha=0.2"),
        ("softplus", "threshold"),
        ("gelu", "tanh"),
    ]:
        assert word in " ".join(CATALOG[name].notes), name


def test_keras_defaults() -> None:
    defaults = {
        name: {p.name: p.default for p in CATALOG[name].parameters if not p.required}
        for name in CATALOG
    }
    assert defaults["relu"] == {"negative_slope": 0.0, "max_value": None, "threshold": 0.0}
    assert defaults["leaky_relu"] == {"negative_slope": 0.2}
    assert defaults["elu"] == {"alpha": 1.0}
    assert defaults["celu"] == {"alpha": 1.0}
    assert defaults["squareplus"] == {"b": 4.0}
    assert defaults["gelu"] == {"approximate": False}
    assert defaults["soft_shrink"] == defaults["hard_shrink"] == {"threshold": 0.5}
    assert [p.name for p in CATALOG["threshold"].parameters if p.required] == [
        "threshold",
        "default_value",
    ]


SPELLINGS = {
    "LeakyRelu": "leaky_relu",
    "leakyrelu": "leaky_relu",
    "LeakyReLU": "leaky_relu",
    "hardswish": "hard_silu",
    "HardSwish": "hard_silu",
    "hard-swish": "hard_silu",
    "logsigmoid": "log_sigmoid",
    "HardSigmoid": "hard_sigmoid",
    "Tanhshrink": "tanh_shrink",
    "Softshrink": "soft_shrink",
    "Hardshrink": "hard_shrink",
    "Hardtanh": "hard_tanh",
    "Softsign": "softsign",
    "Mish": "mish",
    "Celu": "celu",
    "Elu": "elu",
    "Selu": "selu",
    "Gelu": "gelu",
    "Softplus": "softplus",
    "swish": "silu",
    "SiLU": "silu",
    "Swish": "silu",
    "logistic": "sigmoid",
    "Sigmoid": "sigmoid",
    "ReLU6": "relu6",
    "LogSoftmax": "log_softmax",
    "Identity": "linear",
    "Tanh": "tanh",
    "Exp": "exponential",
    "SparseMax": "sparsemax",
}


def test_every_name_and_alias_resolves() -> None:
    for activation in _entries():
        for spelling in (activation.name, *activation.aliases):
            for variant in (spelling, spelling.upper(), spelling.replace("_", "-")):
                assert lookup(variant) is activation, variant
    for spelling, name in SPELLINGS.items():
        assert lookup(spelling).name == name, spelling


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [("sigmod", "sigmoid"), ("lekay_relu", "leaky_relu"), ("sofmax", "softmax")],
)
def test_unknown_names_get_suggestions(typo: str, suggestion: str) -> None:
    with pytest.raises(UnknownActivationError) as caught:
        lookup(typo)
    assert suggestion in caught.value.suggestions


@pytest.mark.parametrize(
    ("spec", "location"),
    [
        ({"name": "elu", "beta": 1.0}, ("beta",)),  # unknown
        ({"name": "sigmoid", "alpha": 1.0}, ("alpha",)),  # no parameters at all
        ({"name": "threshold", "threshold": 1.0}, ("default_value",)),  # missing
        ({"name": "threshold", "default_value": 1.0}, ("threshold",)),
        ({"name": "celu", "alpha": 0.0}, ("alpha",)),  # out of bounds
        ({"name": "squareplus", "b": -1.0}, ("b",)),
        ({"name": "leaky_relu", "negative_slope": -0.1}, ("negative_slope",)),
        ({"name": "soft_shrink", "threshold": -0.5}, ("threshold",)),
        ({"name": "relu", "max_value": -1.0}, ("max_value",)),
        ({"name": "gelu", "approximate": 1}, ("approximate",)),  # wrong type
        ({"name": "gelu", "approximate": "tanh"}, ("approximate",)),
        ({"name": "elu", "alpha": "1"}, ("alpha",)),
        ({"name": "elu", "alpha": True}, ("alpha",)),
        ({"name": "elu", "alpha": None}, ("alpha",)),
        ({"name": "elu", "alpha": math.inf}, ("alpha",)),  # non-finite
        ({"name": "elu", "alpha": math.nan}, ("alpha",)),
        ({"name": "relu", "threshold": -math.inf}, ("threshold",)),
    ],
)
def test_parameter_errors_name_the_parameter(spec: Params, location: tuple[str]) -> None:
    with pytest.raises(InvalidParameterError) as caught:
        bind(spec)
    assert caught.value.location == location


def test_missing_required_parameter_by_bare_name() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        bind("threshold")
    assert caught.value.location == ("threshold",)


def test_parameters_are_bound_and_labelled() -> None:
    bound = bind({"name": "LeakyRelu", "negative_slope": 0.01})
    assert bound.name == "leaky_relu"
    assert bound.params == {"negative_slope": 0.01}
    assert bound.label == "leaky_relu[negative_slope=0.01]"
    assert bind({"name": "relu", "max_value": None}).label == "relu"
    assert bind("gelu").params == {"approximate": False}
    assert bind({"name": "elu", "alpha": 2}).params == {"alpha": 2.0}


@pytest.mark.parametrize("dtype", DTYPES)
def test_any_shape_and_dtype_is_kept(dtype: DType) -> None:
    """Layers pass (batch, units), but a single value, a vector or an empty batch work too."""
    for name in sorted(CATALOG):
        spec: Params = {"name": name}
        if name == "threshold":
            spec |= {"threshold": 0.0, "default_value": 0.0}
        bound = bind(spec)
        shapes: list[tuple[int, ...]] = [(4,), (0, 4), (2, 3, 4)]
        if bound.kind == "elementwise":
            shapes.append(())
        for shape in shapes:
            z = np.linspace(-2.0, 2.0, math.prod(shape)).reshape(shape).astype(dtype)
            with strict():
                a = bound(z)
                d = bound.derivative(z, a)
                g = bound.backward(z, a, np.ones_like(a))
            out_shape = (*shape[:-1], bound.output_units(shape[-1])) if shape else ()
            assert a.shape == d.shape == out_shape, (name, shape)
            assert g.shape == shape, (name, shape)
            assert a.dtype == d.dtype == g.dtype == dtype, (name, shape)
