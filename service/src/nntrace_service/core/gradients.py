"""Back-propagation of one output through the network, layer by layer.

The numbers show what courses teach in words: each sigmoid layer multiplies the gradient by
at most 0.25 and each tanh layer by at most 1, so the mean absolute gradient at the first layer
of a deep sigmoid network is orders of magnitude below that of the same network with ReLU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nntrace_service.core import budget
from nntrace_service.core.activations import Array
from nntrace_service.core.errors import OutOfRangeError
from nntrace_service.core.network import ForwardResult


@dataclass(frozen=True, eq=False)
class LayerGradient:
    """For one layer: the activation's derivative at ``z`` and the gradient of the chosen
    output with respect to ``z`` (``d output / d z``), for every sample."""

    derivative: Array
    gradient: Array

    @property
    def mean_abs_gradient(self) -> float:
        return float(np.mean(np.abs(self.gradient)))


@dataclass(frozen=True, eq=False)
class Gradients:
    """Gradients of every layer, the gradient with respect to the inputs, and what was
    differentiated."""

    layers: tuple[LayerGradient, ...]
    inputs: Array
    output: int | None

    @property
    def target(self) -> str:
        return "sum of outputs" if self.output is None else f"output {self.output}"


def gradients(result: ForwardResult, *, output: int | None = None) -> Gradients:
    """Back-propagate ``d output / d z`` for every layer.

    ``output`` picks one output node; by default the sum of all outputs is differentiated,
    so every output contributes.
    """
    network = result.network
    seed = np.zeros_like(result.outputs)
    if output is None:
        seed[:] = 1
    elif 0 <= output < network.output_size:
        seed[:, output] = 1
    else:
        raise OutOfRangeError(
            f"output {output} does not exist: the network has {network.output_size} output(s)",
            location=("output",),
        )
    grad_a = seed
    found: list[LayerGradient] = []
    for index in range(len(network.layers) - 1, -1, -1):
        budget.check()
        layer, values = network.layers[index], result.layers[index]
        grad_z = layer.activation.backward(values.z, values.a, grad_a)
        derivative = layer.activation.derivative(values.z, values.a)
        found.append(LayerGradient(derivative=derivative, gradient=grad_z))
        grad_a = grad_z @ layer.transposed(result.dtype)[0].T
    return Gradients(layers=tuple(reversed(found)), inputs=grad_a, output=output)
