"""The catalog entries. Importing this module registers them in ``activations.CATALOG``.

Every Keras 3 activation is here, under its Keras name and with Keras's defaults; notes record
where PyTorch or ONNX differ. Each function receives ``z`` of shape ``(batch, units)`` (any
shape works; the softmax family acts on the last axis) in float32 or float64 and returns an
array of the same dtype.

How the functions stay exact and quiet:

* They compute in float64 and round once to the caller's dtype at the end (:func:`_in_float64`).
  float32 results are then as accurate as float32 allows, every stability cutoff below has to
  hold for one dtype only, and no float64 constant can silently upcast a float32 result.
* No finite input overflows or produces NaN; ``exponential`` is the exception, because its
  true value is not finite (the network reports it). A branch that could overflow is fed only
  the inputs that choose it, either by masks or by clamping its argument first
  (``np.expm1(np.minimum(z, 0))``), so ``np.where`` never discards an ``inf``.
* Derivatives are closed forms, written to avoid cancellation (``sigmoid(x) * sigmoid(-x)``
  rather than ``a * (1 - a)``, which loses every digit once ``a`` rounds to 1). At kinks they
  take PyTorch's value (relu'(0) = 0).
* ``output_range`` is the range with the default parameters.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nntrace_service.core.activations import Activation, Array, Parameter, Params, register
from nntrace_service.core.errors import InvalidParameterError, ShapeMismatchError

F64 = NDArray[np.float64]
INF = math.inf

# ---- helpers ---------------------------------------------------------------------------------


def _in_float64(fn: Callable[..., F64]) -> Callable[..., Array]:
    """Run ``fn`` on float64 versions of its array arguments and return the first one's dtype.

    ``fn`` must not write into its arguments: for float64 input they are the caller's arrays.

    Rounding once at the end keeps float32 results faithful; adding 0.0 turns the ``-0.0``
    that products like ``x * sigmoid(x)`` leave for very negative x into a plain 0, which is
    what a learner expects to read in a trace. A 0-d input is lifted to 1-d for ``fn`` (so that
    masks can index it) and the result put back to 0-d.
    """

    @functools.wraps(fn)
    def wrapper(*arrays: Array, **params: Any) -> Array:
        if all(type(x) is np.ndarray and x.ndim for x in arrays):  # the network's arrays
            dtype = arrays[0].dtype
            if all(x.dtype == np.float64 for x in arrays):
                return fn(*arrays, **params) + 0.0
            if dtype == np.float32:
                widened = (x.astype(np.float64) for x in arrays)
                return (fn(*widened, **params) + 0.0).astype(np.float32)
        first = np.asarray(arrays[0])
        dtype = np.result_type(first.dtype, np.float32)
        out = fn(*(np.atleast_1d(np.asarray(x, dtype=np.float64)) for x in arrays), **params)
        result = (out + 0.0).astype(dtype, copy=False)
        return result.reshape(()) if first.ndim == 0 else result

    return wrapper


def _native(fn: Callable[..., Array]) -> Callable[..., Array]:
    """Run ``fn`` in the input's own dtype when the network calls it (one dtype, arrays of
    at least one dimension); anything else takes the :func:`_in_float64` path.

    For functions that are correctly rounded, or within an ulp or two, in any precision
    (comparisons, clipping, a single exp or tanh): a float32 layer then costs no conversion,
    which matters most on the forward path of large float32 networks.
    """
    general = _in_float64(fn)

    @functools.wraps(fn)
    def wrapper(*arrays: Array, **params: Any) -> Array:
        first = arrays[0]
        if type(first) is np.ndarray and first.ndim and first.dtype.char in "fd":
            if all(type(x) is np.ndarray and x.dtype == first.dtype for x in arrays[1:]):
                out = fn(*arrays, **params)
                out += 0.0  # -0.0 -> 0.0, as in _in_float64
                return out
        return general(*arrays, **params)

    return wrapper


def _f64(x: Any) -> F64:
    """Pin a numpy result to float64 for the type checker (no copy when it already is)."""
    return np.asarray(x, dtype=np.float64)


def _sigmoid(z: F64) -> F64:
    """Logistic function from e = exp(-|z|), which cannot overflow: 1/(1+e) for z >= 0 and
    e/(1+e) below. Both branches are finite everywhere, so no masks are needed."""
    e = np.exp(-np.abs(z))
    r = 1.0 / (1.0 + e)
    return np.where(z >= 0, r, e * r)


def _sigmoid_slope(z: F64) -> F64:
    """sigma'(z) = sigma(z) sigma(-z): a(1 - a) would round to 0 (or lose digits) once a ~ 1."""
    return _sigmoid(z) * _sigmoid(-z)


def _sech2(z: F64) -> F64:
    """1 - tanh(z)^2 = 4e/(1+e)^2 with e = exp(-2|z|), free of the cancellation in 1 - t^2.

    |z| is capped at 400, where the true value (about 4e-348) underflows anyway; the cap keeps
    2|z| finite for the largest inputs.
    """
    e = np.exp(-2.0 * np.minimum(np.abs(z), 400.0))
    return _f64(4.0 * e / (1.0 + e) ** 2)


def _softplus(z: F64) -> F64:
    """ln(1 + e^z) = max(z, 0) + log1p(e^-|z|), which logaddexp computes without overflow."""
    return _f64(np.logaddexp(z, 0.0))


def _indicator(condition: NDArray[np.bool_], value: float = 1.0) -> F64:
    """``value`` where the condition holds, else 0: the derivative of piecewise-linear pieces."""
    return np.where(condition, value, 0.0)


def _phi(z: F64) -> F64:
    """Standard normal density; |z| is capped at 40, beyond which z * phi(z) underflows, so
    that z*z cannot overflow."""
    zc = np.clip(z, -40.0, 40.0)
    return _f64(np.exp(-0.5 * zc * zc) / math.sqrt(2.0 * math.pi))


_ERFC = np.frompyfunc(math.erfc, 1, 1)
COST_ERFC = 300
"""Cost per value (see ``Activation.cost``) of an activation that maps ``math.erfc``: about
0.1 µs a call from Python, twice (value and derivative), against a few nanoseconds for
numpy's own functions. A vectorized rational approximation (Cody's) measured no faster
here: it needs some fifty whole-array passes where erfc needs one call."""


def _ndtr(z: F64) -> F64:
    """Standard normal CDF as erfc(-z/sqrt 2)/2, accurate in the far left tail where
    1 + erf(z/sqrt 2) cancels.

    numpy has no erfc and the core may not use scipy, so the standard library's ``math.erfc``
    (accurate to about an ulp) is mapped over the array: about 0.1 microseconds an element.
    """
    return _f64(0.5 * np.asarray(_ERFC(-z / math.sqrt(2.0)), dtype=np.float64))


def _check_even_units(z: F64) -> int:
    """Half the size of the last axis, which GLU needs to be even."""
    units = z.shape[-1]
    if units % 2:
        raise ShapeMismatchError(
            f"glu splits the layer's units in two halves, so it needs an even number, got {units}",
            expected="an even number of units",
            got=units,
        )
    return int(units // 2)


# ---- linear, sigmoid, tanh, exponential ------------------------------------------------------


@_native
def _linear(z: F64) -> F64:
    return z.copy()


@_native
def _linear_derivative(z: F64, _a: F64) -> F64:
    return np.ones_like(z)


register(
    Activation(
        name="linear",
        aliases=("identity", "none"),
        formula="x",
        derivative_formula="1",
        output_range=(-INF, INF),
        description="The identity: a layer with it stays linear, and linear layers compose "
        "into one linear layer.",
        forward=_linear,
        derivative=_linear_derivative,
        is_linear=True,
        notes=("Keras uses linear when no activation is given (activation=None).",),
    )
)


@_in_float64
def _sigmoid_derivative(z: F64, _a: F64) -> F64:
    return _sigmoid_slope(z)


register(
    Activation(
        name="sigmoid",
        aliases=("logistic", "expit"),
        formula=r"\frac{1}{1+e^{-x}}",
        derivative_formula=r"\sigma(x)\,(1-\sigma(x))",
        output_range=(0.0, 1.0),
        description="Squashes any input into (0, 1); its derivative is at most 0.25, so deep "
        "sigmoid networks shrink gradients.",
        forward=_native(_sigmoid),
        derivative=_sigmoid_derivative,
        notes=(
            "Keras's numpy backend evaluates the naive 1/(1+exp(-x)), which warns about "
            "overflow for very negative x; nntrace branches on the sign instead.",
        ),
    )
)


@_native
def _tanh(z: Array) -> Array:
    return np.tanh(z)


@_in_float64
def _tanh_derivative(z: F64, _a: F64) -> F64:
    return _sech2(z)


register(
    Activation(
        name="tanh",
        aliases=("hyperbolic_tangent",),
        formula=r"\tanh(x) = \frac{e^{x}-e^{-x}}{e^{x}+e^{-x}}",
        derivative_formula=r"1-\tanh^2(x)",
        output_range=(-1.0, 1.0),
        description="Squashes any input into (-1, 1) and is centred on 0; its derivative is at "
        "most 1 and vanishes quickly for large |x|.",
        forward=_tanh,
        derivative=_tanh_derivative,
    )
)


@_in_float64
def _exponential(z: F64) -> F64:
    """exp(z); overflow above ln(max float) is the true answer, so it is not hidden."""
    return _f64(np.exp(z))


@_in_float64
def _exponential_derivative(_z: F64, a: F64) -> F64:
    return a.copy()


register(
    Activation(
        name="exponential",
        aliases=("exp",),
        formula=r"e^{x}",
        derivative_formula=r"e^{x}",
        output_range=(0.0, INF),
        description="The exponential function; it overflows above about 709.78 (float64) or "
        "88.72 (float32), which nntrace reports instead of returning infinity silently.",
        forward=_exponential,
        derivative=_exponential_derivative,
        may_overflow=True,
        notes=("PyTorch torch.exp, ONNX Exp.",),
    )
)


# ---- the relu family -------------------------------------------------------------------------


@_native
def _relu(z: Array, negative_slope: float, max_value: float | None, threshold: float) -> Array:
    """Keras's general relu, step by step as Keras writes it: keep x above the threshold
    (x itself, not x - threshold), cap to [0, max_value], then slope the part below."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return np.maximum(z, 0.0)  # the common case, in one pass
    out = np.where(z > threshold, z, 0.0)
    if max_value is not None:
        out = np.clip(out, 0.0, max_value)
    if negative_slope != 0.0:
        out = out - negative_slope * np.maximum(threshold - z, 0.0)
    return out


@_in_float64
def _relu_derivative(
    z: F64, _a: F64, negative_slope: float, max_value: float | None, threshold: float
) -> F64:
    """1 where x passes the threshold and is not capped, the slope at and below the
    threshold (so 0 at x = 0 with the defaults, as in PyTorch), 0 where the cap holds."""
    passes = z > threshold
    if max_value is not None:
        passes &= (z > 0.0) & (z < max_value)
    return np.where(passes, 1.0, _indicator(z <= threshold, negative_slope))


register(
    Activation(
        name="relu",
        aliases=("rectifier",),
        formula=r"\max(x, 0)",
        derivative_formula=r"\begin{cases}1 & x > 0\\0 & x \le 0\end{cases}",
        output_range=(0.0, INF),
        range_closed=(True, False),
        description="Rectified linear unit: negative inputs become 0, positive ones pass "
        "unchanged. Keras's general form keeps x only above threshold t, caps it at max_value "
        "and gives slope negative_slope below t.",
        forward=_relu,
        derivative=_relu_derivative,
        parameters=(
            Parameter("negative_slope", "slope below the threshold", 0.0, minimum=0.0),
            Parameter("max_value", "upper cap (none by default)", None, minimum=0.0, nullable=True),
            Parameter(
                "threshold",
                "inputs at or below it give 0 (or the slope); those above pass unshifted",
                0.0,
            ),
        ),
        notes=(
            "PyTorch F.relu and ONNX Relu take no parameters; compose F.leaky_relu, "
            "F.hardtanh, F.threshold or ONNX LeakyRelu, Clip, Where for the general form.",
            "A nonzero threshold keeps x itself above it (not x - threshold), and with a "
            "negative threshold and no max_value, inputs in (threshold, 0) pass unchanged, "
            "as in Keras.",
            "With negative_slope > 1, no max_value and threshold 0, Keras's numpy backend "
            "computes max(x, slope*x) while the other backends compute slope*x below 0; "
            "nntrace computes slope*x.",
        ),
    )
)


@_native
def _leaky_relu(z: F64, negative_slope: float) -> F64:
    return np.where(z >= 0.0, z, negative_slope * z)


@_in_float64
def _leaky_relu_derivative(z: F64, _a: F64, negative_slope: float) -> F64:
    """The slope at x = 0, as in PyTorch (JAX gives 1 there)."""
    return np.where(z > 0.0, 1.0, negative_slope)


register(
    Activation(
        name="leaky_relu",
        aliases=("lrelu",),
        formula=r"\begin{cases}x & x \ge 0\\ s\,x & x < 0\end{cases}",
        derivative_formula=r"\begin{cases}1 & x > 0\\ s & x \le 0\end{cases}",
        output_range=(-INF, INF),
        description="Like relu, but negative inputs keep a small slope s (negative_slope), so "
        "a unit whose input stays negative still passes a gradient.",
        forward=_leaky_relu,
        derivative=_leaky_relu_derivative,
        parameters=(Parameter("negative_slope", "slope s for negative inputs", 0.2, minimum=0.0),),
        notes=(
            "Defaults differ: Keras's function uses 0.2, the Keras LeakyReLU layer 0.3, "
            "PyTorch F.leaky_relu (negative_slope) and ONNX LeakyRelu (alpha) 0.01.",
            "For negative_slope > 1, Keras's numpy backend computes max(x, s*x), which differs; "
            "nntrace follows PyTorch and JAX (s*x below 0).",
        ),
    )
)


@_native
def _relu6(z: Array) -> Array:
    return np.clip(z, 0.0, 6.0)


@_in_float64
def _relu6_derivative(z: F64, _a: F64) -> F64:
    """0 at both kinks, x = 0 and x = 6 (PyTorch and JAX)."""
    return _indicator((z > 0.0) & (z < 6.0))


register(
    Activation(
        name="relu6",
        formula=r"\min(\max(x, 0), 6)",
        derivative_formula=r"\begin{cases}1 & 0 < x < 6\\0 & \text{otherwise}\end{cases}",
        output_range=(0.0, 6.0),
        range_closed=(True, True),
        description="Relu capped at 6, which keeps activations in a range that low-precision "
        "arithmetic represents well.",
        forward=_relu6,
        derivative=_relu6_derivative,
        notes=("Same in PyTorch (F.relu6) and ONNX (Clip with min 0, max 6).",),
    )
)


# ---- the elu family --------------------------------------------------------------------------

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _elu_of(z: F64, alpha: float) -> F64:
    """alpha*expm1(x) for x <= 0: expm1 keeps small negative x exact, and the clamp keeps the
    discarded branch from overflowing for large positive x."""
    return np.where(z > 0.0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def _elu_slope(z: F64, alpha: float) -> F64:
    """alpha*e^x below 0, computed directly (a + alpha cancels for very negative x)."""
    return np.where(z > 0.0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))


@_in_float64
def _elu(z: F64, alpha: float) -> F64:
    return _elu_of(z, alpha)


@_in_float64
def _elu_derivative(z: F64, _a: F64, alpha: float) -> F64:
    """alpha at x = 0 (PyTorch and JAX); continuous there only when alpha = 1."""
    return _elu_slope(z, alpha)


register(
    Activation(
        name="elu",
        formula=r"\begin{cases}x & x > 0\\ \alpha\,(e^{x}-1) & x \le 0\end{cases}",
        derivative_formula=r"\begin{cases}1 & x > 0\\ \alpha\,e^{x} & x \le 0\end{cases}",
        output_range=(-1.0, INF),
        description="Exponential linear unit: like relu for positive inputs, but negative "
        "inputs curve smoothly towards -alpha, which keeps mean activations nearer 0.",
        forward=_elu,
        derivative=_elu_derivative,
        parameters=(Parameter("alpha", "the value -alpha is approached for very negative x", 1.0),),
        notes=(
            "Same default in PyTorch (F.elu, alpha=1.0) and ONNX (Elu, alpha=1.0). Keras's "
            "docstring calls alpha the slope of the positive section; it scales the negative one.",
        ),
    )
)


@_in_float64
def _selu(z: F64, alpha: float = _SELU_ALPHA, scale: float = _SELU_SCALE) -> F64:
    return scale * _elu_of(z, alpha)


@_in_float64
def _selu_derivative(
    z: F64, _a: F64, alpha: float = _SELU_ALPHA, scale: float = _SELU_SCALE
) -> F64:
    return scale * _elu_slope(z, alpha)


register(
    Activation(
        name="selu",
        formula=r"\lambda\begin{cases}x & x > 0\\ \alpha\,(e^{x}-1) & x \le 0\end{cases},"
        r"\ \alpha \approx 1.6733,\ \lambda \approx 1.0507",
        derivative_formula=r"\lambda\begin{cases}1 & x > 0\\ \alpha\,e^{x} & x \le 0\end{cases}",
        output_range=(-_SELU_SCALE * _SELU_ALPHA, INF),
        description="Scaled elu with fixed constants chosen so that activations keep mean 0 "
        "and variance 1 from layer to layer (with LeCun-normal weights).",
        forward=_selu,
        derivative=_selu_derivative,
        parameters=(
            Parameter("alpha", "the negative part approaches -scale*alpha", _SELU_ALPHA),
            Parameter("scale", "the factor lambda on both parts", _SELU_SCALE),
        ),
        notes=(
            "Keras fixes the constants; nntrace lets ONNX's alpha and gamma (scale here) be "
            "set, with Keras's values as defaults.",
            "PyTorch F.selu uses the same constants; ONNX Selu's defaults are their float32 "
            "roundings (alpha=1.67326319217681884765625, gamma=1.05070102214813232421875).",
        ),
    )
)


def _celu_exponent(z: F64, alpha: float) -> F64:
    """min(x, 0)/alpha, floored at -1000 (where e^t is 0 and expm1(t) is -1 in float64) so
    that a tiny alpha cannot overflow the division."""
    return np.maximum(np.minimum(z, 0.0), -1000.0 * alpha) / alpha


@_in_float64
def _celu(z: F64, alpha: float) -> F64:
    return _f64(np.maximum(z, 0.0) + alpha * np.expm1(_celu_exponent(z, alpha)))


@_in_float64
def _celu_derivative(z: F64, _a: F64, alpha: float) -> F64:
    """Continuous at 0 (value 1) for every alpha, unlike elu."""
    return np.where(z > 0.0, 1.0, np.exp(_celu_exponent(z, alpha)))


register(
    Activation(
        name="celu",
        formula=r"\max(x, 0) + \alpha\,\left(e^{\min(x, 0)/\alpha}-1\right)",
        derivative_formula=r"\begin{cases}1 & x > 0\\ e^{x/\alpha} & x \le 0\end{cases}",
        output_range=(-1.0, INF),
        description="Continuously differentiable elu: dividing by alpha inside the exponential "
        "makes the slope at 0 equal 1 whatever alpha is.",
        forward=_celu,
        derivative=_celu_derivative,
        parameters=(
            Parameter(
                "alpha", "scale of the negative part", 1.0, minimum=0.0, exclusive_minimum=True
            ),
        ),
        notes=("Same default in PyTorch (F.celu) and ONNX (Celu, opset 12): alpha=1.0.",),
    )
)


# ---- softplus, softsign, squareplus, sparse_plus ---------------------------------------------


def _softplus_scaled(z: F64, beta: float) -> F64:
    """ln(1 + e^(beta x))/beta as max(x, 0) + log1p(e^(-beta|x|))/beta; beta|x| is capped
    where e^(-beta|x|) underflows anyway, so a large beta cannot overflow it."""
    t = beta * np.minimum(np.abs(z), 800.0 / beta)
    return _f64(np.maximum(z, 0.0) + np.log1p(np.exp(-t)) / beta)


def _linear_above(z: F64, beta: float, threshold: float | None) -> NDArray[np.bool_]:
    """Where PyTorch returns x itself: beta x > threshold (never without a threshold)."""
    if threshold is None:
        return np.zeros(z.shape, dtype=bool)
    return _f64(z) > threshold / beta


@_in_float64
def _softplus_forward(z: F64, beta: float = 1.0, threshold: float | None = None) -> F64:
    if beta == 1.0 and threshold is None:
        return _softplus(z)
    return np.where(_linear_above(z, beta, threshold), z, _softplus_scaled(z, beta))


@_in_float64
def _softplus_derivative(z: F64, _a: F64, beta: float = 1.0, threshold: float | None = None) -> F64:
    """sigma(beta x); exactly 1 where PyTorch's threshold makes the function x itself."""
    if beta == 1.0 and threshold is None:
        return _sigmoid(z)
    zc = np.clip(z, -800.0 / beta, 800.0 / beta)
    return np.where(_linear_above(z, beta, threshold), 1.0, _sigmoid(beta * zc))


register(
    Activation(
        name="softplus",
        formula=r"\ln\left(1+e^{x}\right)",
        derivative_formula=r"\frac{1}{1+e^{-x}} = \sigma(x)",
        output_range=(0.0, INF),
        description="A smooth relu: close to 0 for very negative inputs and to x for large ones; "
        "its derivative is the sigmoid.",
        forward=_softplus_forward,
        derivative=_softplus_derivative,
        parameters=(
            Parameter(
                "beta", "sharpness: ln(1+e^(beta x))/beta", 1.0, minimum=0.0, exclusive_minimum=True
            ),
            Parameter(
                "threshold",
                "above beta*x > threshold the value is x itself (PyTorch: 20); none by default",
                None,
                nullable=True,
            ),
        ),
        notes=(
            "Keras has no parameters; nntrace adds PyTorch's beta and threshold, with Keras's "
            "exact function (beta 1, no threshold) as the default.",
            "PyTorch F.softplus(beta=1, threshold=20) computes ln(1+e^(beta*x))/beta and returns "
            "x itself when beta*x > 20 (an error of at most 2.1e-9, and derivative exactly 1 "
            "there); nntrace computes the exact value (beta = 1).",
            "ONNX Softplus has no attributes and evaluates ln(exp(x)+1) naively, which "
            "overflows above about 709.78 (float64).",
        ),
    )
)


@_in_float64
def _softsign(z: F64) -> F64:
    return _f64(z / (1.0 + np.abs(z)))


@_in_float64
def _softsign_derivative(z: F64, _a: F64) -> F64:
    """Squares the reciprocal, so the huge (1+|x|)^2 is never formed."""
    return _f64((1.0 / (1.0 + np.abs(z))) ** 2)


register(
    Activation(
        name="softsign",
        formula=r"\frac{x}{1+|x|}",
        derivative_formula=r"\frac{1}{(1+|x|)^2}",
        output_range=(-1.0, 1.0),
        description="Squashes into (-1, 1) like tanh, but approaches ±1 polynomially rather "
        "than exponentially, so its gradient fades more slowly.",
        forward=_softsign,
        derivative=_softsign_derivative,
        notes=("Same in PyTorch (F.softsign) and ONNX (Softsign).",),
    )
)


@_in_float64
def _squareplus(z: F64, b: float) -> F64:
    """For x < 0 the textbook (x + sqrt(x^2+b))/2 cancels; the equal b/(2(h - x)) does not.
    hypot forms sqrt(x^2 + b) without squaring x, and the halves keep sums finite."""
    h = np.hypot(z, math.sqrt(b))
    out = np.empty_like(z)
    pos = z >= 0.0
    out[pos] = 0.5 * z[pos] + 0.5 * h[pos]
    neg = ~pos
    out[neg] = (0.25 * b) / (0.5 * h[neg] - 0.5 * z[neg])
    return out


@_in_float64
def _squareplus_derivative(z: F64, _a: F64, b: float) -> F64:
    """(1 + x/h)/2, rewritten as b/(2h(h - x)) for x <= 0 to avoid cancellation. With b = 0,
    squareplus is relu and takes relu's value 0 at x = 0."""
    h = np.hypot(z, math.sqrt(b))
    out = np.zeros_like(z)
    pos = z > 0.0
    out[pos] = 0.5 + 0.5 * (z[pos] / h[pos])
    neg = ~pos & (h > 0.0)
    out[neg] = (b / h[neg]) * (0.25 / (0.5 * h[neg] - 0.5 * z[neg]))
    return out


register(
    Activation(
        name="squareplus",
        formula=r"\frac{x+\sqrt{x^2+b}}{2}",
        derivative_formula=r"\frac{1}{2}\left(1+\frac{x}{\sqrt{x^2+b}}\right)",
        output_range=(0.0, INF),
        description="A smooth relu built from a square root instead of exponentials; b sets "
        "how rounded the corner at 0 is (b = 0 gives relu).",
        forward=_squareplus,
        derivative=_squareplus_derivative,
        parameters=(Parameter("b", "smoothness of the corner at 0", 4.0, minimum=0.0),),
        notes=("Not in PyTorch or ONNX; compose it from elementary operations.",),
    )
)


@_in_float64
def _sparse_plus(z: F64) -> F64:
    """The quadratic piece is evaluated on x clipped to [-1, 1], so it cannot overflow."""
    zc = np.clip(z, -1.0, 1.0)
    return np.where(z >= 1.0, z, 0.25 * (zc + 1.0) ** 2)


@_in_float64
def _sparse_plus_derivative(z: F64, _a: F64) -> F64:
    return _f64(0.5 * (np.clip(z, -1.0, 1.0) + 1.0))


register(
    Activation(
        name="sparse_plus",
        formula=r"\begin{cases}0 & x \le -1\\ \frac{(x+1)^2}{4} & -1 < x < 1\\ x & x \ge 1\end{cases}",
        derivative_formula=r"\begin{cases}0 & x \le -1\\ \frac{x+1}{2} & -1 < x < 1\\ "
        r"1 & x \ge 1\end{cases}",
        output_range=(0.0, INF),
        range_closed=(True, False),
        description="A softplus-like curve that is exactly 0 below -1 and exactly x above 1, "
        "joined by a parabola; its derivative is sparse_sigmoid.",
        forward=_sparse_plus,
        derivative=_sparse_plus_derivative,
        notes=("Not in PyTorch or ONNX; compose it from elementary operations.",),
    )
)


# ---- silu, gelu, mish ------------------------------------------------------------------------


@_in_float64
def _silu(z: F64) -> F64:
    return z * _sigmoid(z)


@_in_float64
def _silu_derivative(z: F64, _a: F64) -> F64:
    """sigma(x)(1 + x sigma(-x)), using sigma(-x) for 1 - sigma(x) to avoid cancellation."""
    return _sigmoid(z) * (1.0 + z * _sigmoid(-z))


register(
    Activation(
        name="silu",
        aliases=("swish",),
        formula=r"\frac{x}{1+e^{-x}} = x\,\sigma(x)",
        derivative_formula=r"\sigma(x)\,\bigl(1 + x\,(1-\sigma(x))\bigr)",
        output_range=(-0.2784645427610738, INF),
        range_closed=(True, False),
        description="The input times its own sigmoid: smooth, slightly negative for negative "
        "inputs (minimum about -0.278 at x = -1.278), and close to relu for large |x|.",
        forward=_silu,
        derivative=_silu_derivative,
        notes=(
            "PyTorch F.silu; ONNX Swish (opset 24) computes x*sigmoid(alpha*x) with alpha=1.0, "
            "or compose Mul(X, Sigmoid(X)).",
        ),
    )
)

_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_K = 0.044715


def _gelu_tanh_gate(z: F64) -> tuple[F64, F64, F64]:
    """(1 + tanh u)/2 = sigma(2u) and its complement sigma(-2u), with u = sqrt(2/pi)(x+kx^3).

    Beyond |x| = 1e4 the gate is exactly 0 or 1, so x is clamped there before cubing it.
    """
    zc = np.clip(z, -1e4, 1e4)
    u2 = 2.0 * _GELU_C * (zc + _GELU_K * zc**3)
    return zc, _sigmoid(u2), _sigmoid(-u2)


@_in_float64
def _gelu(z: F64, approximate: bool) -> F64:
    """Exact: x Phi(x), with Phi from erfc (stable for large negative x). Approximate:
    x sigma(2u), which equals Keras's 0.5 x (1 + tanh u) without its cancellation."""
    if approximate:
        return z * _gelu_tanh_gate(z)[1]
    return z * _ndtr(z)


@_in_float64
def _gelu_derivative(z: F64, _a: F64, approximate: bool) -> F64:
    if approximate:
        zc, gate, rest = _gelu_tanh_gate(z)
        du = _GELU_C * (1.0 + 3.0 * _GELU_K * zc**2)
        return gate + 2.0 * zc * gate * rest * du
    return _ndtr(z) + z * _phi(z)


register(
    Activation(
        name="gelu",
        formula=r"x\,\Phi(x) = \frac{x}{2}\left(1+\operatorname{erf}\frac{x}{\sqrt{2}}\right);"
        r"\ \text{approximate: }\frac{x}{2}\left(1+\tanh\left(\sqrt{2/\pi}\,"
        r"(x+0.044715\,x^3)\right)\right)",
        derivative_formula=r"\Phi(x) + x\,\varphi(x);\ \text{approximate: }"
        r"\frac{1+t}{2} + \frac{x}{2}(1-t^2)\sqrt{2/\pi}\,(1+0.134145\,x^2)",
        output_range=(-0.16997120747990367, INF),
        range_closed=(True, False),
        description="Gaussian error linear unit: the input weighted by the probability that a "
        "standard normal variable is below it; approximate=true uses the faster tanh formula.",
        forward=_gelu,
        derivative=_gelu_derivative,
        parameters=(Parameter("approximate", "use the tanh approximation", False, kind="boolean"),),
        cost=COST_ERFC,
        notes=(
            "keras.activations.gelu defaults to the exact form, but keras.ops.gelu and "
            "jax.nn.gelu default to approximate=True.",
            "PyTorch F.gelu and ONNX Gelu (opset 20) take a string: approximate='none' (the "
            "default, exact) or 'tanh'. Older ONNX exports build the exact form from Erf.",
        ),
    )
)


@_in_float64
def _mish(z: F64) -> F64:
    """x tanh(softplus(x)) = x sigma(x)(1+q)/(1+q^2) with q = sigma(-x) = e^-softplus(x):
    every factor is bounded and nothing cancels."""
    q = _sigmoid(-z)
    return z * _sigmoid(z) * (1.0 + q) / (1.0 + q * q)


@_in_float64
def _mish_derivative(z: F64, _a: F64) -> F64:
    """tanh(sp) + x sigma(x) sech^2(sp), with sech^2(sp) = 4q^2/(1+q^2)^2."""
    s, q = _sigmoid(z), _sigmoid(-z)
    tanh_sp = s * (1.0 + q) / (1.0 + q * q)
    return _f64(tanh_sp + z * s * (4.0 * q * q / (1.0 + q * q) ** 2))


register(
    Activation(
        name="mish",
        formula=r"x\tanh\left(\ln\left(1+e^{x}\right)\right)",
        derivative_formula=r"\tanh(\operatorname{sp}(x)) + x\,\sigma(x)\,"
        r"\left(1-\tanh^2(\operatorname{sp}(x))\right),\ \operatorname{sp}(x) = \ln(1+e^{x})",
        output_range=(-0.30884341301725041, INF),
        range_closed=(True, False),
        description="A smooth, self-gated relu alternative like silu, with a slightly deeper "
        "negative dip (minimum about -0.309 at x = -1.19).",
        forward=_mish,
        derivative=_mish_derivative,
        notes=("Same in PyTorch (F.mish) and ONNX (Mish, opset 18).",),
    )
)


# ---- tanh and sigmoid relatives ----------------------------------------------------------------

# Taylor coefficients of x - tanh(x) in powers x^3, x^5, ..., x^25:
# -2^(2n) (2^(2n) - 1) B_(2n) / (2n)! for n = 2..13 (B = Bernoulli numbers).
_TANH_SHRINK_SERIES = (
    1 / 3,
    -2 / 15,
    17 / 315,
    -62 / 2835,
    1382 / 155925,
    -21844 / 6081075,
    929569 / 638512875,
    -6404582 / 10854718875,
    443861162 / 1856156927625,
    -18888466084 / 194896477400625,
    113927491862 / 2900518163668125,
    -58870668456604 / 3698160658676859375,
)
_TANH_SHRINK_CUTOFF = 0.25


@_in_float64
def _tanh_shrink(z: F64) -> F64:
    """x - tanh(x) loses about log10(3/x^2) digits for small x (all of them at 1e-8), so
    |x| < 0.25 uses the Taylor series, whose 12 terms are exact to rounding there."""
    out = z - np.tanh(z)
    small = np.abs(z) < _TANH_SHRINK_CUTOFF
    x = z[small]
    x2 = x * x
    poly = np.zeros_like(x)
    for c in reversed(_TANH_SHRINK_SERIES):
        poly = poly * x2 + c
    out[small] = poly * x2 * x
    return _f64(out)


@_in_float64
def _tanh_shrink_derivative(z: F64, _a: F64) -> F64:
    return _f64(np.tanh(z) ** 2)


register(
    Activation(
        name="tanh_shrink",
        formula=r"x - \tanh(x)",
        derivative_formula=r"\tanh^2(x)",
        output_range=(-INF, INF),
        description="What tanh removes from x: nearly 0 for small inputs (about x^3/3) and "
        "close to x - 1 for large ones.",
        forward=_tanh_shrink,
        derivative=_tanh_shrink_derivative,
        notes=("PyTorch F.tanhshrink; ONNX: Sub(X, Tanh(X)).",),
    )
)


@_native
def _hard_tanh(z: Array, min_value: float, max_value: float) -> Array:
    return np.clip(z, min_value, max_value)


@_in_float64
def _hard_tanh_derivative(z: F64, _a: F64, min_value: float, max_value: float) -> F64:
    """0 at the kinks (PyTorch's open interval)."""
    return _indicator((z > min_value) & (z < max_value))


def _ordered(low: str, high: str) -> Callable[[Params], None]:
    """A relation check: parameter ``low`` may not exceed ``high``."""

    def check(params: Params) -> None:
        a, b = params[low], params[high]
        if isinstance(a, float) and isinstance(b, float) and a > b:
            raise InvalidParameterError(
                f"parameter {low!r} ({a:g}) may not be greater than {high!r} ({b:g})",
                location=(low,),
            )

    return check


register(
    Activation(
        name="hard_tanh",
        formula=r"\max(-1, \min(x, 1))",
        derivative_formula=r"\begin{cases}1 & -1 < x < 1\\0 & \text{otherwise}\end{cases}",
        output_range=(-1.0, 1.0),
        range_closed=(True, True),
        description="A piecewise-linear tanh: x clipped to [-1, 1] (or to [min_value, max_value]).",
        forward=_hard_tanh,
        derivative=_hard_tanh_derivative,
        parameters=(
            Parameter("min_value", "lower bound (Keras fixes it at -1)", -1.0),
            Parameter("max_value", "upper bound (Keras fixes it at 1)", 1.0),
        ),
        relation=_ordered("min_value", "max_value"),
        notes=(
            "PyTorch F.hardtanh makes the bounds configurable (min_val=-1, max_val=1); "
            "ONNX: Clip(-1, 1). Keras has no parameters: nntrace adds PyTorch's bounds.",
        ),
    )
)


@_in_float64
def _sparse_sigmoid(z: F64) -> F64:
    return _f64(0.5 * (np.clip(z, -1.0, 1.0) + 1.0))


@_in_float64
def _sparse_sigmoid_derivative(z: F64, _a: F64) -> F64:
    """1/2 strictly between -1 and 1; 0 at the kinks."""
    return _indicator(np.abs(z) < 1.0, 0.5)


register(
    Activation(
        name="sparse_sigmoid",
        formula=r"\begin{cases}0 & x \le -1\\ \frac{x+1}{2} & -1 < x < 1\\ 1 & x \ge 1\end{cases}",
        derivative_formula=r"\begin{cases}\frac{1}{2} & -1 < x < 1\\0 & \text{otherwise}\end{cases}",
        output_range=(0.0, 1.0),
        range_closed=(True, True),
        description="A piecewise-linear sigmoid that reaches exactly 0 and 1, so its outputs "
        "can be sparse.",
        forward=_sparse_sigmoid,
        derivative=_sparse_sigmoid_derivative,
        notes=(
            "Not in PyTorch (use 0.5*F.hardtanh(x) + 0.5); ONNX HardSigmoid(alpha=0.5, "
            "beta=0.5) reproduces it.",
        ),
    )
)


_SIXTH = 1.0 / 6.0


def _hard_sigmoid_line(z: F64, alpha: float, beta: float) -> F64:
    """alpha x + beta, with x clamped where the result is clipped anyway, so that no finite
    input and slope overflow."""
    if alpha != 0.0:
        reach = (abs(beta) + 2.0) / abs(alpha)
        z = np.clip(z, -reach, reach)
    return _f64(alpha * z + beta)


@_in_float64
def _hard_sigmoid(z: F64, alpha: float = _SIXTH, beta: float = 0.5) -> F64:
    """relu6(x + 3)/6, as Keras 3 writes it, with the default slope and offset; ONNX's
    max(0, min(1, alpha x + beta)) otherwise."""
    if alpha == _SIXTH and beta == 0.5:
        return _f64(np.clip(z + 3.0, 0.0, 6.0) / 6.0)
    return _f64(np.clip(_hard_sigmoid_line(z, alpha, beta), 0.0, 1.0))


@_in_float64
def _hard_sigmoid_derivative(z: F64, _a: F64, alpha: float = _SIXTH, beta: float = 0.5) -> F64:
    """alpha where the line is strictly inside (0, 1): 1/6 on the open interval (-3, 3) by
    default, 0 at the kinks, as in PyTorch."""
    if alpha == _SIXTH and beta == 0.5:
        return _indicator(np.abs(z) < 3.0, _SIXTH)
    line = _hard_sigmoid_line(z, alpha, beta)
    return _indicator((line > 0.0) & (line < 1.0), alpha)


register(
    Activation(
        name="hard_sigmoid",
        formula=r"\frac{\min(\max(x+3, 0), 6)}{6}",
        derivative_formula=r"\begin{cases}\frac{1}{6} & -3 < x < 3\\0 & \text{otherwise}"
        r"\end{cases}",
        output_range=(0.0, 1.0),
        range_closed=(True, True),
        description="A piecewise-linear sigmoid: 0 below -3, 1 above 3 and a straight line "
        "between, cheap to compute.",
        forward=_hard_sigmoid,
        derivative=_hard_sigmoid_derivative,
        parameters=(
            Parameter("alpha", "slope of the middle piece (Keras 3: 1/6)", _SIXTH),
            Parameter("beta", "value at x = 0 (0.5)", 0.5),
        ),
        notes=(
            "Keras has no parameters; nntrace adds ONNX's alpha and beta, clip(alpha*x + beta, "
            "0, 1), with Keras 3's values as defaults.",
            "Keras 2 used clip(0.2*x + 0.5, 0, 1), and ONNX HardSigmoid still defaults to it "
            "(alpha=0.2, beta=0.5); set alpha=1/6 to match Keras 3 and PyTorch F.hardsigmoid.",
            "keras.ops.hard_sigmoid's docstring still describes the Keras 2 formula.",
        ),
    )
)


@_in_float64
def _hard_silu(z: F64) -> F64:
    return _f64(z * (np.clip(z + 3.0, 0.0, 6.0) / 6.0))


@_in_float64
def _hard_silu_derivative(z: F64, _a: F64) -> F64:
    """x/3 + 1/2 on the closed interval [-3, 3]: -0.5 at -3 and 1.5 at 3, the one-sided
    limits from inside (PyTorch 2.13 on CPU gives the outer pieces' 0 and 1 there instead)."""
    middle = np.abs(z) <= 3.0
    return np.where(middle, np.clip(z, -3.0, 3.0) / 3.0 + 0.5, _indicator(z > 3.0))


register(
    Activation(
        name="hard_silu",
        aliases=("hard_swish",),
        formula=r"x\,\frac{\min(\max(x+3, 0), 6)}{6}",
        derivative_formula=r"\begin{cases}0 & x < -3\\ \frac{x}{3}+\frac{1}{2} & -3 \le x \le 3"
        r"\\ 1 & x > 3\end{cases}",
        output_range=(-0.375, INF),
        range_closed=(True, False),
        description="A piecewise version of silu: x times hard_sigmoid(x), so 0 below -3, x "
        "above 3 and a parabola between.",
        forward=_hard_silu,
        derivative=_hard_silu_derivative,
        notes=(
            "Same in PyTorch (F.hardswish) and ONNX (HardSwish, opset 14). The derivative is "
            "discontinuous at ±3: nntrace uses the closed interval [-3, 3] for x/3 + 1/2 "
            "(-0.5 at -3, 1.5 at 3), while PyTorch 2.13 on CPU gives 0 at -3 and 1 at 3.",
        ),
    )
)


@_in_float64
def _log_sigmoid(z: F64) -> F64:
    """-softplus(-x): log(sigmoid(x)) would give -inf at -1000 and lose every digit above 30."""
    return -_softplus(-z)


@_in_float64
def _log_sigmoid_derivative(z: F64, _a: F64) -> F64:
    return _sigmoid(-z)


register(
    Activation(
        name="log_sigmoid",
        formula=r"\ln\frac{1}{1+e^{-x}} = -\ln\left(1+e^{-x}\right)",
        derivative_formula=r"\frac{1}{1+e^{x}} = 1-\sigma(x)",
        output_range=(-INF, 0.0),
        description="The logarithm of the sigmoid, computed directly so that it stays finite "
        "and accurate where the sigmoid rounds to 0 or 1.",
        forward=_log_sigmoid,
        derivative=_log_sigmoid_derivative,
        notes=("PyTorch F.logsigmoid; ONNX has no op: Neg(Softplus(Neg(X))).",),
    )
)


# ---- shrinkage and thresholds ------------------------------------------------------------------


@_in_float64
def _soft_shrink(z: F64, threshold: float) -> F64:
    return np.where(z > threshold, z - threshold, np.where(z < -threshold, z + threshold, 0.0))


@_in_float64
def _shrink_derivative(z: F64, _a: F64, threshold: float) -> F64:
    """1 outside [-t, t], 0 inside and at ±t (PyTorch)."""
    return _indicator(np.abs(z) > threshold)


register(
    Activation(
        name="soft_shrink",
        formula=r"\begin{cases}x-t & x > t\\ x+t & x < -t\\ 0 & \text{otherwise}\end{cases}",
        derivative_formula=r"\begin{cases}1 & |x| > t\\ 0 & |x| \le t\end{cases}",
        output_range=(-INF, INF),
        description="Sets inputs within t of 0 to 0 and moves the others t closer to 0 "
        "(soft thresholding, as in sparse coding).",
        forward=_soft_shrink,
        derivative=_shrink_derivative,
        parameters=(Parameter("threshold", "half-width t of the zeroed band", 0.5, minimum=0.0),),
        notes=(
            "PyTorch F.softshrink names it lambd (default 0.5). ONNX Shrink needs "
            "lambd=t and bias=t; its defaults (bias=0) give hard shrink.",
        ),
    )
)


@_in_float64
def _hard_shrink(z: F64, threshold: float) -> F64:
    return np.where(np.abs(z) > threshold, z, 0.0)


register(
    Activation(
        name="hard_shrink",
        formula=r"\begin{cases}x & |x| > t\\ 0 & |x| \le t\end{cases}",
        derivative_formula=r"\begin{cases}1 & |x| > t\\ 0 & |x| \le t\end{cases}",
        output_range=(-INF, INF),
        description="Sets inputs within t of 0 to 0 and passes the others unchanged.",
        forward=_hard_shrink,
        derivative=_shrink_derivative,
        parameters=(Parameter("threshold", "half-width t of the zeroed band", 0.5, minimum=0.0),),
        notes=(
            "PyTorch F.hardshrink names it lambd (default 0.5); ONNX Shrink with its defaults "
            "(lambd=0.5, bias=0).",
        ),
    )
)


@_in_float64
def _threshold(z: F64, threshold: float, default_value: float) -> F64:
    return np.where(z > threshold, z, default_value)


@_in_float64
def _threshold_derivative(z: F64, _a: F64, threshold: float, default_value: float) -> F64:
    del default_value  # a constant below the threshold: no slope
    return _indicator(z > threshold)


register(
    Activation(
        name="threshold",
        formula=r"\begin{cases}x & x > t\\ v & x \le t\end{cases}",
        derivative_formula=r"\begin{cases}1 & x > t\\ 0 & x \le t\end{cases}",
        output_range=(-INF, INF),
        description="Passes inputs above the threshold t unchanged and replaces the others by "
        "the constant v (default_value).",
        forward=_threshold,
        derivative=_threshold_derivative,
        parameters=(
            Parameter("threshold", "inputs at or below it are replaced"),
            Parameter("default_value", "the value v that replaces them"),
        ),
        notes=(
            "PyTorch F.threshold(input, threshold, value) is the same with default_value named "
            "value. ONNX ThresholdedRelu (alpha=1.0 by default) is threshold=alpha with "
            "default_value=0; otherwise use Where(Greater(X, t), X, v).",
        ),
    )
)


# ---- along the last axis: softmax, log_softmax, sparsemax, glu --------------------------------


def _shifted_exp(z: F64) -> tuple[F64, F64, NDArray[np.intp]]:
    """e = exp(x - max) along the last axis, the sum of e without one maximal entry, and
    that entry's index.

    The maximal entry is exactly 1, so the row sum is 1 + rest: log_softmax can use
    log1p(rest), and 1 - softmax at the maximum is rest/(1 + rest) with no cancellation.
    x - max is formed as 2 (x/2 - max/2), floored at -1000 where exp is 0 anyway, so that a row
    spanning more than the float range cannot overflow.
    """
    top = np.argmax(z, axis=-1)[..., None]
    peak = np.take_along_axis(z, top, axis=-1)
    e = np.exp(2.0 * np.maximum(0.5 * z - 0.5 * peak, -500.0))
    without = e.copy()
    np.put_along_axis(without, top, 0.0, axis=-1)
    return e, without.sum(axis=-1, keepdims=True), top


def _softmax_parts(z: F64) -> tuple[F64, F64]:
    """softmax(x) and 1 - softmax(x), each to full relative accuracy."""
    e, rest, top = _shifted_exp(z)
    total = 1.0 + rest
    others = total - e  # >= 1 away from the maximum, so no cancellation there
    np.put_along_axis(others, top, rest, axis=-1)
    return e / total, others / total


@_native
def _softmax(z: Array) -> Array:
    """exp(z - max) / sum: each value to a few ulps in the input's own precision (the
    derivative and vjp need the complement 1 - a too, and use :func:`_softmax_parts`)."""
    with np.errstate(over="ignore"):  # z - max may reach -inf for |z| near the float limit;
        e: Array = np.exp(z - z.max(axis=-1, keepdims=True))  # exp(-inf) = 0 is then exact
    e /= e.sum(axis=-1, keepdims=True)
    return e


@_in_float64
def _softmax_derivative(z: F64, _a: F64) -> F64:
    """The Jacobian's diagonal a_i (1 - a_i)."""
    a, complement = _softmax_parts(z)
    return a * complement


@_in_float64
def _softmax_vjp(z: F64, _a: F64, g: F64) -> F64:
    """a (g - sum(g a)), the product with the Jacobian diag(a) - a a^T, with g taken relative
    to its value at the maximum: when one a_i is nearly 1, g_i - sum(g a) would cancel, while
    -(sum over the others of a_j (g_j - g_i)) is exact."""
    _, _, top = _shifted_exp(z)
    a = _softmax_parts(z)[0]
    dg = g - np.take_along_axis(g, top, axis=-1)
    return _f64(a * (dg - (dg * a).sum(axis=-1, keepdims=True)))


register(
    Activation(
        name="softmax",
        formula=r"\frac{e^{x_i}}{\sum_j e^{x_j}}",
        derivative_formula=r"\frac{\partial a_i}{\partial x_j} = a_i(\delta_{ij} - a_j)",
        output_range=(0.0, 1.0),
        range_closed=(False, True),  # 1 on a layer of one node
        description="Turns a layer's values into probabilities that sum to 1 (across the "
        "layer's nodes); adding the same number to every input changes nothing.",
        forward=_softmax,
        derivative=_softmax_derivative,
        vjp=_softmax_vjp,
        kind="axis",
        notes=(
            "Always across the layer's nodes (Keras axis=-1). PyTorch's F.softmax needs an "
            "explicit dim; ONNX Softmax before opset 13 used axis=1 and flattened the input.",
            "derivative gives the Jacobian's diagonal a_i(1 - a_i); back-propagation uses the "
            "full Jacobian through vjp.",
        ),
    )
)


@_in_float64
def _log_softmax(z: F64) -> F64:
    """x - max - log1p(rest): never the log of an underflowed probability."""
    _, rest, top = _shifted_exp(z)
    return _f64(z - np.take_along_axis(z, top, axis=-1) - np.log1p(rest))


@_in_float64
def _log_softmax_derivative(z: F64, _a: F64) -> F64:
    """The Jacobian's diagonal 1 - softmax_i."""
    return _softmax_parts(z)[1]


@_in_float64
def _log_softmax_vjp(z: F64, _a: F64, g: F64) -> F64:
    """g - softmax * sum(g), the product with the Jacobian I - 1 softmax^T. At the maximum,
    where softmax may be 1 to rounding, it is regrouped as g_i (1 - softmax_i) - softmax_i *
    (sum of the other g) with the exact complement, so nothing cancels."""
    _, _, top = _shifted_exp(z)
    a, complement = _softmax_parts(z)
    out = g - a * g.sum(axis=-1, keepdims=True)
    others = g.copy()
    np.put_along_axis(others, top, 0.0, axis=-1)
    at_top = np.take_along_axis(g * complement, top, axis=-1) - np.take_along_axis(
        a, top, axis=-1
    ) * others.sum(axis=-1, keepdims=True)
    np.put_along_axis(out, top, at_top, axis=-1)
    return _f64(out)


register(
    Activation(
        name="log_softmax",
        formula=r"x_i - \ln\sum_j e^{x_j}",
        derivative_formula=r"\frac{\partial a_i}{\partial x_j} = \delta_{ij} - "
        r"\operatorname{softmax}(x)_j",
        output_range=(-INF, 0.0),
        range_closed=(False, True),  # 0 on a layer of one node
        description="The logarithm of softmax, computed directly so that very unlikely classes "
        "get a large negative number instead of log(0) = -infinity.",
        forward=_log_softmax,
        derivative=_log_softmax_derivative,
        vjp=_log_softmax_vjp,
        kind="axis",
        notes=(
            "Across the layer's nodes (Keras axis=-1). PyTorch F.log_softmax needs an explicit "
            "dim; ONNX LogSoftmax uses axis=-1 from opset 13 (axis=1, flattened, before).",
            "derivative gives the Jacobian's diagonal 1 - softmax_i; back-propagation uses vjp.",
        ),
    )
)


def _sparsemax_f64(z: F64) -> F64:
    """Martins and Astudillo's sort-based algorithm: the support is the longest prefix of the
    sorted inputs with 1 + k z_(k) > z_(1) + ... + z_(k), and tau makes the outputs sum to 1.

    Inputs are taken relative to the maximum; entries more than 1 below it are never in the
    support, so they are floored at -2 (halving first keeps x - max finite for any row).
    """
    peak = z.max(axis=-1, keepdims=True)
    d = 2.0 * np.maximum(0.5 * z - 0.5 * peak, -1.0)
    ranked = -np.sort(-d, axis=-1)
    cumulative = np.cumsum(ranked, axis=-1)
    k = np.arange(1, z.shape[-1] + 1, dtype=np.float64)
    size = np.count_nonzero(1.0 + k * ranked > cumulative, axis=-1, keepdims=True)
    tau = (np.take_along_axis(cumulative, size - 1, axis=-1) - 1.0) / size
    return _f64(np.maximum(d - tau, 0.0))


def _sparsemax_support(z: F64) -> tuple[F64, F64]:
    """Indicator s of the entries sparsemax keeps (> 0; an entry exactly at tau counts as
    dropped) and the support size |S| per row."""
    s = _indicator(_sparsemax_f64(z) > 0.0)
    return s, s.sum(axis=-1, keepdims=True)


@_in_float64
def _sparsemax_derivative(z: F64, _a: F64) -> F64:
    """The Jacobian's diagonal s_i (1 - 1/|S|)."""
    s, size = _sparsemax_support(z)
    return s * (1.0 - 1.0 / size)


@_in_float64
def _sparsemax_vjp(z: F64, _a: F64, g: F64) -> F64:
    """s (g - mean of g over the support): the product with diag(s) - s s^T/|S|."""
    s, size = _sparsemax_support(z)
    return _f64(s * (g - (s * g).sum(axis=-1, keepdims=True) / size))


register(
    Activation(
        name="sparsemax",
        formula=r"\max(x_i - \tau, 0),\ \text{with } \tau \text{ such that } "
        r"\textstyle\sum_i \max(x_i - \tau, 0) = 1",
        derivative_formula=r"\frac{\partial a_i}{\partial x_j} = s_i\left(\delta_{ij} - "
        r"\frac{s_j}{|S|}\right),\ s_i = [a_i > 0]",
        output_range=(0.0, 1.0),
        range_closed=(True, True),
        description="Like softmax it gives probabilities that sum to 1, but it projects onto "
        "them linearly, so unlikely classes get exactly 0.",
        forward=_in_float64(_sparsemax_f64),
        derivative=_sparsemax_derivative,
        vjp=_sparsemax_vjp,
        kind="axis",
        notes=(
            "Across the layer's nodes (Keras axis=-1). Not in PyTorch or ONNX.",
            "derivative gives the Jacobian's diagonal s_i(1 - 1/|S|); back-propagation uses vjp. "
            "An entry exactly at tau (a kink) counts as outside the support.",
        ),
    )
)


@_in_float64
def _glu(z: F64) -> F64:
    half = _check_even_units(z)
    return z[..., :half] * _sigmoid(z[..., half:])


@_in_float64
def _glu_derivative(z: F64, _a: F64) -> F64:
    """The gate sigma(b_i) = d out_i / d a_i: the diagonal of the (units/2 x units) Jacobian,
    with the output's shape. The other nonzero entries, d out_i / d b_i, are in vjp."""
    half = _check_even_units(z)
    return _sigmoid(z[..., half:])


@_in_float64
def _glu_vjp(z: F64, _a: F64, g: F64) -> F64:
    """[g sigma(b), g a sigma(b) sigma(-b)]: the gradient of both halves, the input's shape."""
    half = _check_even_units(z)
    a, b = z[..., :half], z[..., half:]
    return np.concatenate([g * _sigmoid(b), g * a * _sigmoid_slope(b)], axis=-1)


register(
    Activation(
        name="glu",
        formula=r"a \odot \sigma(b),\ [a, b] = x \text{ split in halves}",
        derivative_formula=r"\frac{\partial y_i}{\partial a_i} = \sigma(b_i),\ "
        r"\frac{\partial y_i}{\partial b_i} = a_i\,\sigma(b_i)\,(1-\sigma(b_i))",
        output_range=(-INF, INF),
        description="Gated linear unit: the layer's nodes are split into two halves, and each "
        "node of the first half is passed on scaled by the sigmoid of its partner in the second "
        "half, so the layer passes on half as many values.",
        forward=_glu,
        derivative=_glu_derivative,
        vjp=_glu_vjp,
        kind="axis",
        halves_units=True,
        notes=(
            "Splits the layer's nodes (Keras axis=-1), which must be even in number. PyTorch "
            "F.glu(input, dim=-1) is the same; ONNX has no op: Split + Sigmoid + Mul.",
            "derivative gives d out_i/d a_i = sigma(b_i) (the output's shape); the derivative "
            "with respect to the gate half, a_i sigma(b_i)(1 - sigma(b_i)), enters through vjp.",
        ),
    )
)


# ---- beyond Keras: the remaining PyTorch modules and ONNX operators ----------------------------
# So that every torch.nn activation module and every ONNX activation operator has an entry
# (``dialects.py`` maps their spellings and defaults onto these).


def _hardmax_f64(z: F64) -> F64:
    """1 at the first maximum of each row (ONNX Hardmax, which argmax also picks), else 0."""
    out = np.zeros_like(z)
    np.put_along_axis(out, np.argmax(z, axis=-1)[..., None], 1.0, axis=-1)
    return out


@_in_float64
def _hardmax_derivative(z: F64, _a: F64) -> F64:
    """Piecewise constant: 0 wherever it is defined (ties, where it jumps, take 0 too)."""
    return np.zeros_like(z)


@_in_float64
def _hardmax_vjp(z: F64, _a: F64, g: F64) -> F64:
    del g  # the Jacobian is zero
    return np.zeros_like(z)


register(
    Activation(
        name="hardmax",
        formula=r"\begin{cases}1 & i = \operatorname{argmax}_j x_j\\ 0 & \text{otherwise}"
        r"\end{cases}",
        derivative_formula=r"0",
        output_range=(0.0, 1.0),
        description="A one-hot vector marking the layer's largest value (the first one, when "
        "several tie); its gradient is zero, so nothing trains through it.",
        forward=_in_float64(_hardmax_f64),
        derivative=_hardmax_derivative,
        vjp=_hardmax_vjp,
        kind="axis",
        notes=(
            "ONNX Hardmax (axis=-1 from opset 13; before, axis=1 on the flattened input, the "
            "same for a layer). Not in Keras or PyTorch (F.one_hot(x.argmax(-1))).",
        ),
    )
)


@_in_float64
def _softmin(z: F64) -> F64:
    return _softmax_parts(-z)[0]


@_in_float64
def _softmin_derivative(z: F64, _a: F64) -> F64:
    """The Jacobian's diagonal -a_i (1 - a_i): softmin(x) = softmax(-x)."""
    a, complement = _softmax_parts(-z)
    return -(a * complement)


@_in_float64
def _softmin_vjp(z: F64, a: F64, g: F64) -> F64:
    """The chain rule through the sign flip: minus softmax's vjp at -x."""
    return -_softmax_vjp(-z, a, g)


register(
    Activation(
        name="softmin",
        formula=r"\frac{e^{-x_i}}{\sum_j e^{-x_j}}",
        derivative_formula=r"\frac{\partial a_i}{\partial x_j} = -a_i(\delta_{ij} - a_j)",
        output_range=(0.0, 1.0),
        description="Softmax of the negated values: probabilities that favour the layer's "
        "smallest values.",
        forward=_softmin,
        derivative=_softmin_derivative,
        vjp=_softmin_vjp,
        kind="axis",
        notes=(
            "PyTorch nn.Softmin(dim); across the layer's nodes (dim=-1). Not in Keras or ONNX "
            "(Softmax(Neg(X))).",
        ),
    )
)


def _slopes(alpha: float | tuple[float, ...]) -> F64 | float:
    """A per-node slope vector broadcasts along the last axis (the layer's nodes)."""
    return np.asarray(alpha, dtype=np.float64) if isinstance(alpha, tuple) else alpha


@_in_float64
def _prelu(z: F64, alpha: float | tuple[float, ...]) -> F64:
    return np.where(z >= 0.0, z, _slopes(alpha) * z)


@_in_float64
def _prelu_derivative(z: F64, _a: F64, alpha: float | tuple[float, ...]) -> F64:
    """The node's slope at x = 0, as PyTorch's backward (x > 0 ? 1 : alpha)."""
    return _f64(np.where(z > 0.0, 1.0, _slopes(alpha) * np.ones_like(z)))


register(
    Activation(
        name="prelu",
        formula=r"\begin{cases}x & x \ge 0\\ \alpha_j\,x & x < 0\end{cases}",
        derivative_formula=r"\begin{cases}1 & x > 0\\ \alpha_j & x \le 0\end{cases}",
        output_range=(-INF, INF),
        description="Parametric relu: like leaky_relu, but each node j may have its own "
        "learned slope alpha_j for negative inputs.",
        forward=_prelu,
        derivative=_prelu_derivative,
        parameters=(
            Parameter(
                "alpha",
                "slope for negative inputs: one number for every node, or an array with one "
                "per node (Keras PReLU initialises it to 0)",
                0.0,
                kind="per_node",
            ),
        ),
        notes=(
            "Keras PReLU layer (weight alpha, initialised to 0), PyTorch nn.PReLU (weight, "
            "init=0.25, one slope or one per channel), ONNX PRelu (input slope, no default).",
        ),
    )
)


@_in_float64
def _rrelu(z: F64, lower: float, upper: float) -> F64:
    return np.where(z >= 0.0, z, (0.5 * lower + 0.5 * upper) * z)


@_in_float64
def _rrelu_derivative(z: F64, _a: F64, lower: float, upper: float) -> F64:
    return np.where(z > 0.0, 1.0, 0.5 * lower + 0.5 * upper)


register(
    Activation(
        name="rrelu",
        formula=r"\begin{cases}x & x \ge 0\\ \frac{l+u}{2}\,x & x < 0\end{cases}",
        derivative_formula=r"\begin{cases}1 & x > 0\\ \frac{l+u}{2} & x \le 0\end{cases}",
        output_range=(-INF, INF),
        description="Randomized relu in evaluation mode: the random slope drawn from "
        "U(lower, upper) during training is replaced by its mean (lower + upper)/2.",
        forward=_rrelu,
        derivative=_rrelu_derivative,
        parameters=(
            Parameter("lower", "lower bound l of the training slope", 0.125, minimum=0.0),
            Parameter("upper", "upper bound u of the training slope", 1.0 / 3.0, minimum=0.0),
        ),
        relation=_ordered("lower", "upper"),
        notes=(
            "PyTorch nn.RReLU(lower=1/8, upper=1/3) in eval mode; nntrace has no training mode. "
            "Not in Keras or ONNX.",
        ),
    )
)


@_in_float64
def _shrink(z: F64, lambd: float, bias: float) -> F64:
    """ONNX's order: x < -lambd is tested first, which matters only for a negative lambd."""
    return np.where(z < -lambd, z + bias, np.where(z > lambd, z - bias, 0.0))


@_in_float64
def _shrink_onnx_derivative(z: F64, _a: F64, lambd: float, bias: float) -> F64:
    del bias  # a shift, no slope
    return _indicator((z < -lambd) | (z > lambd))


register(
    Activation(
        name="shrink",
        formula=r"\begin{cases}x+b & x < -\lambda\\ x-b & x > \lambda\\ 0 & \text{otherwise}"
        r"\end{cases}",
        derivative_formula=r"\begin{cases}1 & |x| > \lambda\\ 0 & \text{otherwise}\end{cases}",
        output_range=(-INF, INF),
        description="ONNX's shrinkage: inputs within lambd of 0 become 0, the others move "
        "bias closer to 0 (bias = lambd is soft_shrink, bias = 0 hard_shrink).",
        forward=_shrink,
        derivative=_shrink_onnx_derivative,
        parameters=(
            Parameter("lambd", "half-width of the zeroed band", 0.5),
            Parameter("bias", "how far the other inputs move towards 0", 0.0),
        ),
        notes=(
            "ONNX Shrink (opset 9) defaults to hard shrink; PyTorch F.softshrink and "
            "F.hardshrink are its two special cases (see soft_shrink, hard_shrink).",
        ),
    )
)


@_native
def _clip(z: Array, min: float | None, max: float | None) -> Array:
    """min(max(x, min), max): with min > max every output is max, as ONNX defines it."""
    out = z.copy() if min is None else np.maximum(z, min)
    return out if max is None else np.minimum(out, max)


@_in_float64
def _clip_derivative(z: F64, _a: F64, min: float | None, max: float | None) -> F64:
    """PyTorch's clamp rule: 1 on the closed interval [min, max] (so 1 at the bounds,
    unlike hard_tanh) and 0 everywhere when min > max."""
    inside = np.ones(z.shape, dtype=bool)
    if min is not None:
        inside &= z >= min
    if max is not None:
        inside &= z <= max
    return _indicator(inside)


register(
    Activation(
        name="clip",
        formula=r"\min(\max(x, m), M)",
        derivative_formula=r"\begin{cases}1 & m \le x \le M\\ 0 & \text{otherwise}\end{cases}",
        output_range=(-INF, INF),
        description="Clamps inputs to [min, max]; a missing bound leaves that side open, and "
        "when min > max every output is max (as ONNX defines it).",
        forward=_clip,
        derivative=_clip_derivative,
        parameters=(
            Parameter("min", "lower bound (none by default)", None, nullable=True),
            Parameter("max", "upper bound (none by default)", None, nullable=True),
        ),
        notes=(
            "ONNX Clip (min and max are inputs from opset 11); PyTorch torch.clamp, whose "
            "gradient is 1 at the bounds themselves (hard_tanh's is 0 there).",
        ),
    )
)


@_in_float64
def _thresholded_relu(z: F64, threshold: float) -> F64:
    return np.where(z > threshold, z, 0.0)


@_in_float64
def _thresholded_relu_derivative(z: F64, _a: F64, threshold: float) -> F64:
    return _indicator(z > threshold)


register(
    Activation(
        name="thresholded_relu",
        formula=r"\begin{cases}x & x > \theta\\ 0 & x \le \theta\end{cases}",
        derivative_formula=r"\begin{cases}1 & x > \theta\\ 0 & x \le \theta\end{cases}",
        output_range=(0.0, INF),
        description="Passes inputs above the threshold theta unchanged and sets the others to 0.",
        forward=_thresholded_relu,
        derivative=_thresholded_relu_derivative,
        parameters=(Parameter("threshold", "inputs at or below it become 0", 1.0),),
        notes=(
            "ONNX ThresholdedRelu (opset 10, alpha=1.0); Keras 2's ThresholdedReLU layer "
            "(theta=1.0); the threshold activation with default_value=0.",
        ),
    )
)
