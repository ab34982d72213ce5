"""Which layers bend the model, and what a purely linear network collapses to.

"A linear operation on a linear operation is still linear": if every activation is the
identity, ``W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2)``, so the whole network is one
layer whatever its depth. This module says so, with that layer's weights and bias.
"""

from __future__ import annotations

from dataclasses import dataclass

from nntrace_service.core.activations import Array
from nntrace_service.core.network import Network


@dataclass(frozen=True, eq=False)
class Linearity:
    """The verdict: linear or not, which layers are non-linear, and for a linear network
    the equivalent single layer."""

    is_linear: bool
    nonlinear_layers: tuple[int, ...]
    weights: Array | None
    bias: Array | None

    @property
    def explanation(self) -> str:
        if self.is_linear:
            return (
                "Every activation is linear, so the layers compose into one linear layer "
                "(weights and bias given): stacking them adds no expressive power."
            )
        names = ", ".join(str(i) for i in self.nonlinear_layers)
        return f"Non-linear activations in layer(s) {names} bend the model."


def analyze_linearity(network: Network) -> Linearity:
    """Classify ``network`` and, when it is linear, collapse it into one layer."""
    nonlinear = tuple(i for i, layer in enumerate(network.layers) if not layer.activation.is_linear)
    if nonlinear:
        return Linearity(is_linear=False, nonlinear_layers=nonlinear, weights=None, bias=None)
    first = network.layers[0]
    weights, bias = first.weights.copy(), first.bias.copy()
    for layer in network.layers[1:]:
        weights = layer.weights @ weights
        bias = layer.weights @ bias + layer.bias
    return Linearity(is_linear=True, nonlinear_layers=(), weights=weights, bias=bias)
