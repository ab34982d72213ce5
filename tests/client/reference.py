"""An independent reference for the service's numbers: the forward pass as plain loops."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

REFERENCE_ACTIVATIONS: dict[str, Callable[[float], float]] = {
    "sigmoid": lambda z: 1.0 / (1.0 + math.exp(-z)),
    "tanh": math.tanh,
    "relu": lambda z: max(z, 0.0),
    "linear": lambda z: z,
}


def naive_forward(network: dict[str, Any], row: Sequence[float]) -> list[list[float]]:
    """Every layer's activations for one input row, by explicit Python loops: the
    independent reference the service's numbers are checked against."""
    values = list(row)
    layers = []
    for layer in network["layers"]:
        f = REFERENCE_ACTIVATIONS[layer.get("activation", "linear")]
        values = [
            f(sum(w * x for w, x in zip(weights, values, strict=True)) + b)
            for weights, b in zip(layer["weights"], layer["bias"], strict=True)
        ]
        layers.append(values)
    return layers
