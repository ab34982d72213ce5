"""Keras 3: Sequential models and functional chains of Dense (with its activation),
Activation, ReLU, LeakyReLU, ELU, PReLU, Softmax, Dropout, Flatten and InputLayer.

Keras's activation functions carry nntrace's names (nntrace's catalog is Keras's), so a Dense
layer's ``activation`` maps by name; the activation layers map with their own defaults
(LeakyReLU 0.3) written out explicitly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nntrace.importers._common import (
    Chain,
    Spec,
    floats,
    per_node,
    require,
    spec,
)

if TYPE_CHECKING:
    from nntrace._network import Network


class _Refused(Exception):
    """One layer nntrace cannot express, with the reason."""


def _value(variable: Any) -> Any:
    """A Keras variable's backend tensor (``get_weights`` goes through ``np.array``, which
    warns for torch tensors under numpy 2); :func:`floats` copies it out."""
    return variable.value


def _function_name(fn: Any) -> str:
    """The Keras name of an activation function (``keras.activations.relu`` -> ``relu``)."""
    name = getattr(fn, "__name__", None)
    if not isinstance(name, str):
        raise _Refused(f"activation {fn!r} is not a Keras activation function")
    return {"swish": "silu", "hard_swish": "hard_silu"}.get(name, name)


def _layer_activation(layer: Any, units: int, keras: Any) -> Spec | None:
    """nntrace's spelling of an activation layer, or None for a pass-through layer."""
    L = keras.layers
    if isinstance(layer, (L.Dropout, L.InputLayer, L.Flatten)):
        return None
    if isinstance(layer, L.Activation):
        return _function_name(layer.activation)
    if isinstance(layer, L.ReLU):
        max_value = None if layer.max_value is None else float(layer.max_value)
        return spec(
            "relu",
            negative_slope=float(layer.negative_slope),
            max_value=max_value,
            threshold=float(layer.threshold),
        )
    if isinstance(layer, L.LeakyReLU):
        return spec("leaky_relu", negative_slope=float(layer.negative_slope))
    if isinstance(layer, L.ELU):
        return spec("elu", alpha=float(layer.alpha))
    if isinstance(layer, L.PReLU):
        alpha = floats(_value(layer.alpha))
        if alpha.size not in (1, units):
            raise _Refused(f"slopes of shape {list(alpha.shape)} for a layer of {units} nodes")
        return spec("prelu", alpha=per_node(alpha))
    if isinstance(layer, L.Softmax):
        axis = layer.axis
        if axis not in (-1, 1) and axis != [-1]:
            raise _Refused(f"axis={axis}: nntrace applies softmax across a layer's nodes")
        return "softmax"
    raise _Refused("not a Dense layer or an activation layer nntrace knows")


def _check_chain(model: Any) -> list[str]:
    """A functional model must be a chain: every layer fed by exactly the previous one."""
    problems = []
    previous = None
    for layer in model.layers:
        nodes = getattr(layer, "_inbound_nodes", [])
        inbound = [t._keras_history[0] for n in nodes[:1] for t in n.input_tensors]
        if previous is not None and inbound and inbound != [previous]:
            problems.append(f"{layer.name}: not fed by {previous.name} alone (not a chain)")
        previous = layer
    return problems


def from_keras(model: Any) -> Network:
    """A network from a Keras ``Sequential`` or functional chain."""
    keras = require("keras", "keras")
    chain = Chain("Keras", "Dense")
    if not isinstance(model, keras.Sequential):
        chain.problems.extend(_check_chain(model))
    for layer in model.layers:
        label = f"{layer.name} ({type(layer).__name__})"
        try:
            if isinstance(layer, keras.layers.Dense):
                kernel = floats(_value(layer.kernel))
                bias = floats(_value(layer.bias)) if layer.use_bias else 0.0 * kernel[0]
                chain.add_dense(kernel.T, bias, layer.name)
                name = _function_name(layer.activation)
                if name != "linear":
                    chain.add_activation(label, name)
                continue
            activation = _layer_activation(layer, chain.units, keras)
        except _Refused as reason:
            chain.refuse(label, reason)
            continue
        if activation is not None:
            chain.add_activation(label, activation)
    return chain.network(model.name)
