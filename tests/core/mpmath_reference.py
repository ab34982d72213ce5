"""Independent 50-digit references for every activation in the catalog.

Written with mpmath from the published formulas (the Keras
definitions), never from nntrace's code: the catalog computes in float64 with masks, series and
rewritten formulas, while these are the textbook expressions evaluated with 50 significant
digits, where cancellation and overflow do not matter. Two exceptions keep the textbook form
usable in the far tails: gelu uses erfc(-x/sqrt 2)/2 for Phi (1 + erf cancels below about -10
even at 50 digits), and gelu's tanh form uses 1 + tanh(u) = 2/(1 + e^(-2u)) for the same reason.

Derivatives are not hand-written: :func:`derivative` differentiates the reference numerically
with ``mpmath.diff`` at raised precision, so a wrong closed form in the catalog cannot be
mirrored here. ``mpmath.diff`` takes a central difference, which is meaningless exactly at a
kink; :func:`kinks` lists those points so that tests skip them and check the kink convention
against a table instead. Sparsemax is computed by bisection on tau (not by sorting, as the
catalog does); its Jacobian, like those of softmax, log_softmax and glu, comes from central
differences of the reference at 660 digits.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import mpmath

mp = mpmath.MPContext()
mp.dps = 50

Mpf = Any  # mpmath ships no type information
ParamValue = float | bool | None


def mpf(x: float) -> Mpf:
    """The exact value of a binary float (float32 values convert exactly through float)."""
    return mp.mpf(float(x))


# ---- element-wise functions --------------------------------------------------------------------

_SELU_ALPHA = "1.6732632423543772848170429916717"
_SELU_SCALE = "1.0507009873554804934193349852946"


def _sigma(x: Mpf) -> Mpf:
    return 1 / (1 + mp.exp(-x))


def _relu(
    x: Mpf, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0
) -> Mpf:
    """Keras's ReLU.static_call, step by step."""
    y = x if x > threshold else mp.zero
    if max_value is not None:
        y = min(max(y, mp.zero), mpf(max_value))
    return y - negative_slope * max(threshold - x, mp.zero)


def _leaky_relu(x: Mpf, negative_slope: float = 0.2) -> Mpf:
    return x if x >= 0 else negative_slope * x


def _elu(x: Mpf, alpha: float = 1.0) -> Mpf:
    return x if x > 0 else alpha * (mp.exp(x) - 1)


def _selu(x: Mpf, alpha: float | None = None, scale: float | None = None) -> Mpf:
    """Keras's 32-digit constants by default, else the given (float) values exactly."""
    a = mp.mpf(_SELU_ALPHA) if alpha is None else mpf(alpha)
    s = mp.mpf(_SELU_SCALE) if scale is None else mpf(scale)
    return s * (x if x > 0 else a * (mp.exp(x) - 1))


def _celu(x: Mpf, alpha: float = 1.0) -> Mpf:
    return max(x, mp.zero) + alpha * mp.expm1(min(x, mp.zero) / alpha)


def _soft_shrink(x: Mpf, threshold: float = 0.5) -> Mpf:
    if x > threshold:
        return x - threshold
    if x < -threshold:
        return x + threshold
    return mp.zero


def _sparse_plus(x: Mpf) -> Mpf:
    if x <= -1:
        return mp.zero
    if x >= 1:
        return x
    return (x + 1) ** 2 / 4


def _gelu(x: Mpf, approximate: bool = False) -> Mpf:
    if approximate:
        u = mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x**3)
        return x / 2 * (2 / (1 + mp.exp(-2 * u)))  # 1 + tanh(u)
    return x * mp.erfc(-x / mp.sqrt(2)) / 2


def _sparse_sigmoid(x: Mpf) -> Mpf:
    if x <= -1:
        return mp.zero
    if x >= 1:
        return mp.one
    return (x + 1) / 2


def _hard_sigmoid(x: Mpf, alpha: float | None = None, beta: float = 0.5) -> Mpf:
    """Keras 3's relu6(x + 3)/6 (exactly 1/6) by default; ONNX's clip(alpha x + beta, 0, 1)."""
    if alpha is None or (alpha == 1 / 6 and beta == 0.5):
        return min(max(x + 3, mp.zero), mp.mpf(6)) / 6
    return min(max(mpf(alpha) * x + mpf(beta), mp.zero), mp.one)


def _softplus(x: Mpf, beta: float = 1.0, threshold: float | None = None) -> Mpf:
    """PyTorch's form: x itself above beta x > threshold, else ln(1 + e^(beta x))/beta."""
    if threshold is not None and beta * x > threshold:
        return x
    return mp.log1p(mp.exp(beta * x)) / beta


def _prelu(x: Mpf, alpha: float = 0.0) -> Mpf:
    return x if x >= 0 else mpf(alpha) * x


def _rrelu(x: Mpf, lower: float = 0.125, upper: float = 1 / 3) -> Mpf:
    return x if x >= 0 else (mpf(lower) + mpf(upper)) / 2 * x


def _shrink(x: Mpf, lambd: float = 0.5, bias: float = 0.0) -> Mpf:
    """ONNX's definition, in its order (x < -lambd first)."""
    if x < -lambd:
        return x + bias
    if x > lambd:
        return x - bias
    return mp.zero


def _clip(x: Mpf, min: float | None = None, max: float | None = None) -> Mpf:
    """ONNX Clip: min(max(x, min), max), so every output is max when min > max."""
    y = x if min is None else (mpf(min) if x < min else x)
    return y if max is None else (mpf(max) if y > max else y)


def _threshold(x: Mpf, threshold: float, default_value: float) -> Mpf:
    return x if x > threshold else mpf(default_value)


ELEMENTWISE: dict[str, Callable[..., Mpf]] = {
    "linear": lambda x: x,
    "sigmoid": _sigma,
    "tanh": lambda x: mp.tanh(x),
    "exponential": lambda x: mp.exp(x),
    "relu": _relu,
    "leaky_relu": _leaky_relu,
    "relu6": lambda x: min(max(x, mp.zero), mp.mpf(6)),
    "elu": _elu,
    "selu": _selu,
    "prelu": _prelu,
    "rrelu": _rrelu,
    "shrink": _shrink,
    "clip": _clip,
    "thresholded_relu": lambda x, threshold=1.0: x if x > threshold else mp.zero,
    "celu": _celu,
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + abs(x)),
    "squareplus": lambda x, b=4.0: (x + mp.sqrt(x * x + b)) / 2,
    "sparse_plus": _sparse_plus,
    "silu": lambda x: x * _sigma(x),
    "gelu": _gelu,
    "mish": lambda x: x * mp.tanh(mp.log1p(mp.exp(x))),
    "tanh_shrink": lambda x: x - mp.tanh(x),
    "hard_tanh": lambda x, min_value=-1.0, max_value=1.0: min(
        max(x, mpf(min_value)), mpf(max_value)
    ),
    "sparse_sigmoid": _sparse_sigmoid,
    "hard_sigmoid": _hard_sigmoid,
    "hard_silu": lambda x: x * _hard_sigmoid(x),
    "log_sigmoid": lambda x: -mp.log1p(mp.exp(-x)),
    "soft_shrink": _soft_shrink,
    "hard_shrink": lambda x, threshold=0.5: x if abs(x) > threshold else mp.zero,
    "threshold": _threshold,
}


def value(name: str, x: float, params: dict[str, ParamValue]) -> Mpf:
    """f(x) at 50 digits for the float ``x`` (the exact input the code under test received)."""
    return ELEMENTWISE[name](mpf(x), **params)


# mpmath.diff is accurate relative to |f|, not to |f'|, and its step error is invisible at the
# working precision: 320 digits make both far smaller than float64's smallest normal number
# (1e-308) wherever |f| stays below about 1e10, so exact zeros such as tanh_shrink'(0) and tiny
# slopes such as tanh'(30) ~ 3.5e-26 next to tanh(30) ~ 1 are both resolved.
DIFF_DPS = 320


def derivative(name: str, x: float, params: dict[str, ParamValue]) -> Mpf:
    """f'(x) by numerical differentiation of the reference at 320 digits (not valid at kinks)."""
    return _derivative(name, x, tuple(sorted(params.items())))


@functools.cache
def _derivative(name: str, x: float, params: tuple[tuple[str, ParamValue], ...]) -> Mpf:
    """Cached: float32 and float64 share most grid points."""
    f = ELEMENTWISE[name]
    with mp.workdps(DIFF_DPS):
        slope = mp.diff(lambda t: f(t, **dict(params)), mpf(x))
    return +slope


def stationary_point(name: str, low: float, high: float) -> float:
    """Where the reference's derivative changes sign between ``low`` and ``high``.

    A bracketing solver in this module's own context: the secant method from one guess (and the
    global ``mpmath`` precision) wandered off to x = 0 when earlier tests had changed it.
    """
    f = ELEMENTWISE[name]
    with mp.workdps(60):
        x = mp.findroot(lambda t: mp.diff(f, t), (mpf(low), mpf(high)), solver="anderson")
    return float(x)


def kinks(name: str, params: dict[str, ParamValue]) -> set[float]:
    """Points where f' jumps, so that ``mpmath.diff``'s central difference means nothing there.

    Points where f has a corner but f' is continuous (celu, sparse_plus, elu with alpha = 1)
    are not kinks: the reference derivative is valid there.
    """
    extra = _new_kinks(name, params)
    if extra is not None:
        return extra
    t = params.get("threshold", 0.5 if name.endswith("shrink") else 0.0)
    assert isinstance(t, float)
    if name == "relu":
        m = params.get("max_value")
        found = {t}
        if m is not None:
            assert isinstance(m, float)
            found |= {0.0, m}
        return found
    if name == "elu":
        return set() if params.get("alpha", 1.0) == 1.0 else {0.0}
    fixed: dict[str, set[float]] = {
        "leaky_relu": {0.0},
        "relu6": {0.0, 6.0},
        "selu": {0.0},
        "hard_tanh": {params.get("min_value", -1.0), params.get("max_value", 1.0)},  # type: ignore[arg-type]
        "sparse_sigmoid": {-1.0, 1.0},
        "hard_sigmoid": {-3.0, 3.0},
        "hard_silu": {-3.0, 3.0},
        "soft_shrink": {-t, t},
        "hard_shrink": {-t, t},
        "threshold": {t},
        "squareplus": {0.0} if params.get("b", 4.0) == 0.0 else set(),
    }
    return fixed.get(name, set())


def _new_kinks(name: str, params: dict[str, ParamValue]) -> set[float] | None:
    """Kinks of the entries beyond Keras, and of Keras entries with nntrace's added parameters."""
    p: dict[str, Any] = dict(params)
    if name == "prelu":
        return set() if p.get("alpha", 0.0) == 1.0 else {0.0}
    if name == "rrelu":
        return {0.0}
    if name == "shrink":
        lambd = p.get("lambd", 0.5)
        return {-lambd, lambd}
    if name == "clip":
        return {b for b in (p.get("min"), p.get("max")) if b is not None}
    if name == "thresholded_relu":
        return {p.get("threshold", 1.0)}
    if name == "hard_sigmoid":
        alpha, beta = p.get("alpha", 1 / 6), p.get("beta", 0.5)
        if alpha == 1 / 6 and beta == 0.5:
            return {-3.0, 3.0}
        return {-beta / alpha, (1 - beta) / alpha} if alpha else set()
    if name == "softplus":
        threshold = p.get("threshold")
        return set() if threshold is None else {threshold / p.get("beta", 1.0)}
    return None


# ---- functions along the last axis -------------------------------------------------------------


def _softmax(xs: Sequence[Mpf]) -> list[Mpf]:
    total = mp.fsum(mp.exp(x) for x in xs)
    return [mp.exp(x) / total for x in xs]


def _log_softmax(xs: Sequence[Mpf]) -> list[Mpf]:
    log_total = mp.log(mp.fsum(mp.exp(x) for x in xs))
    return [x - log_total for x in xs]


def sparsemax_tau(xs: Sequence[Mpf]) -> Mpf:
    """tau with sum(max(x - tau, 0)) = 1: bisect to locate the support, then solve exactly."""
    with mp.workdps(40):  # locating the support needs no more
        lo, hi = max(xs) - 1, max(xs)  # the sum is >= 1 at lo and 0 at hi
        for _ in range(120):
            mid = (lo + hi) / 2
            if mp.fsum(max(x - mid, mp.zero) for x in xs) >= 1:
                lo = mid
            else:
                hi = mid
    support = [x for x in xs if x > lo]
    return (mp.fsum(support) - 1) / len(support)


def _sparsemax(xs: Sequence[Mpf]) -> list[Mpf]:
    tau = sparsemax_tau(xs)
    return [max(x - tau, mp.zero) for x in xs]


def _softmin(xs: Sequence[Mpf]) -> list[Mpf]:
    return _softmax([-x for x in xs])


def _hardmax(xs: Sequence[Mpf]) -> list[Mpf]:
    """1 at the first maximum, written as a loop rather than argmax."""
    best = 0
    for i, x in enumerate(xs):
        if x > xs[best]:
            best = i
    return [mp.one if i == best else mp.zero for i in range(len(xs))]


def _glu(xs: Sequence[Mpf]) -> list[Mpf]:
    half = len(xs) // 2
    return [a * _sigma(b) for a, b in zip(xs[:half], xs[half:], strict=True)]


AXIS: dict[str, Callable[[Sequence[Mpf]], list[Mpf]]] = {
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    "sparsemax": _sparsemax,
    "glu": _glu,
    "softmin": _softmin,
    "hardmax": _hardmax,
}


def axis_value(name: str, row: Sequence[float]) -> list[Mpf]:
    """The outputs at 50 digits after log_softmax's cancellation: x_i - ln(sum e^x_j) is about
    1e-434 for [1000, 0] and is formed from numbers near 1000, so it is computed at DIFF_DPS."""
    with mp.workdps(DIFF_DPS):
        outputs = AXIS[name]([mpf(x) for x in row])
    return [+y for y in outputs]


def jacobian(name: str, row: Sequence[float]) -> list[list[Mpf]]:
    """J[i][j] = d out_i / d x_j by central differences with step 1e-320 at 660 digits.

    The step error (about 1e-640) and the rounding error (about 1e-340) are both far below
    float64's smallest normal number. One pair of evaluations per input gives a whole column,
    which is why this does not call ``mpmath.diff`` once per entry.
    """
    return _jacobian(name, tuple(row))


@functools.cache
def _jacobian(name: str, row: tuple[float, ...]) -> list[list[Mpf]]:
    f = AXIS[name]
    n = len(row)
    with mp.workdps(2 * DIFF_DPS + 20):
        h = mp.mpf(10) ** -DIFF_DPS
        point = [mpf(x) for x in row]
        columns = []
        for j in range(n):
            up = f([x + h if k == j else x for k, x in enumerate(point)])
            down = f([x - h if k == j else x for k, x in enumerate(point)])
            columns.append([(u - d) / (2 * h) for u, d in zip(up, down, strict=True)])
    return [[+columns[j][i] for j in range(n)] for i in range(len(columns[0]))]


def _near_tie(row: Sequence[float]) -> bool:
    """Two leading values closer than the Jacobian's difference step: hardmax jumps inside it."""
    ranked = sorted(row, reverse=True)
    return len(ranked) > 1 and ranked[0] - ranked[1] < 1e-300


def axis_at_kink(name: str, row: Sequence[float]) -> bool:
    """Whether the Jacobian is undefined at ``row``: for sparsemax, an input exactly at tau."""
    if name == "hardmax":  # a tie for the maximum: the output jumps there
        top = max(row)
        return sum(1 for x in row if x == top) > 1 or _near_tie(row)
    if name != "sparsemax":
        return False
    point = [mpf(x) for x in row]
    tau = sparsemax_tau(point)
    return any(x == tau for x in point)
