"""The catalog entries. Importing this module registers them (see ``activations.py``).

Every function here receives ``z`` of shape ``(batch, units)`` in float32 or float64, returns an
array of the same dtype, and never overflows or produces NaN for finite input (``exponential``
excepted: its true value is not finite). Branches are evaluated on masks, never as
``np.where`` of two fully evaluated expressions, so that the unused branch cannot overflow.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nntrace_service.core.activations import Activation, Array, Parameter, register

INF = math.inf


# ---- helpers ---------------------------------------------------------------------------------


def _sigmoid(z: Array) -> Array:
    """Logistic function on masks: 1/(1+e^-z) for z >= 0, e^z/(1+e^z) below."""
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


# ---- entries ---------------------------------------------------------------------------------

register(
    Activation(
        name="linear",
        aliases=("identity", "none"),
        formula="x",
        derivative_formula="1",
        output_range=(-INF, INF),
        description="The identity: a layer with it stays linear, and linear layers compose "
        "into one linear layer.",
        forward=lambda z: z.copy(),
        derivative=lambda z, a: np.ones_like(z),
        is_linear=True,
    )
)

register(
    Activation(
        name="sigmoid",
        aliases=("logistic", "expit"),
        formula=r"\frac{1}{1+e^{-x}}",
        derivative_formula=r"\sigma(x)\,(1-\sigma(x))",
        output_range=(0.0, 1.0),
        description="Squashes any input into (0, 1); its derivative is at most 0.25, so deep "
        "sigmoid networks shrink gradients.",
        forward=_sigmoid,
        derivative=lambda z, a: a * (1.0 - a),
    )
)


def _relu(
    z: Array, negative_slope: float, max_value: float | None, threshold: float
) -> Array:
    out = np.where(z > threshold, z, 0).astype(z.dtype, copy=False)
    if max_value is not None:
        np.minimum(out, max_value, out=out)
    if negative_slope != 0.0:
        below = z < threshold
        out[below] = negative_slope * (z[below] - threshold)
    return out


def _relu_derivative(
    z: Array, a: Array, negative_slope: float, max_value: float | None, threshold: float
) -> Array:
    out = (z > threshold).astype(z.dtype)
    if max_value is not None:
        out[z >= max_value] = 0
    out[z <= threshold] = negative_slope
    return out


register(
    Activation(
        name="relu",
        formula=r"\max(x, 0)",
        derivative_formula=r"\begin{cases}1 & x > 0\\0 & x \le 0\end{cases}",
        output_range=(0.0, INF),
        description="Rectified linear unit. With the defaults max(x, 0); the general Keras form "
        "has a slope below the threshold and an optional cap. relu'(0) = 0.",
        forward=_relu,
        derivative=_relu_derivative,
        aliases=("rectifier",),
        parameters=(
            Parameter("negative_slope", "slope below the threshold", 0.0, minimum=0.0),
            Parameter("max_value", "upper cap (none by default)", None, minimum=0.0, nullable=True),
            Parameter("threshold", "values at or below it are zeroed (or sloped)", 0.0),
        ),
        notes=(
            "PyTorch F.relu and ONNX Relu take no parameters; this is the Keras general form.",
        ),
    )
)


def _softmax(z: Array) -> Array:
    shifted = z - z.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_vjp(z: Array, a: Array, g: Array, **_: Any) -> Array:
    return a * (g - (g * a).sum(axis=-1, keepdims=True))


register(
    Activation(
        name="softmax",
        formula=r"\frac{e^{x_i}}{\sum_j e^{x_j}}",
        derivative_formula=r"\frac{\partial a_i}{\partial x_j} = a_i(\delta_{ij} - a_j)",
        output_range=(0.0, 1.0),
        description="Turns a layer's values into probabilities that sum to 1 (across the "
        "layer's nodes).",
        forward=_softmax,
        derivative=lambda z, a: a * (1.0 - a),
        vjp=_softmax_vjp,
        kind="axis",
        notes=(
            "Always across the layer's nodes (Keras axis=-1). PyTorch's F.softmax needs an "
            "explicit dim; ONNX Softmax before opset 13 used axis=1 and flattened the input.",
        ),
    )
)
