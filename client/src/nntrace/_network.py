"""A network builder, so nobody writes the JSON by hand.

The builder checks only what it can see locally (each layer's arrays are 2-D/1-D numbers
and the bias has one value per node); the service checks the rest (fan-in, activation names
and parameters) and answers with a pointer into the network when something does not fit.
"""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np

from nntrace._arrays import FloatArray, as_float_array, encode

ActivationSpec = str | Mapping[str, Any]
"""An activation: a name (``"relu"``), a name with parameters
(``{"name": "leaky_relu", "negative_slope": 0.1}``) or ``{"expression": "x * sigmoid(x)"}``."""

_LAYER_KEYS = {"name", "activation", "weights", "bias"}


@dataclass
class LayerSpec:
    """One dense layer: node ``j`` computes ``activation(weights[j] · x + bias[j])``."""

    weights: FloatArray
    """One row per node, each as long as the layer's input."""
    bias: FloatArray
    """One value per node."""
    activation: ActivationSpec = "linear"
    name: str | None = None
    """Defaults (on the service) to h1, h2, ... and out for the last layer."""
    _extra: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def units(self) -> int:
        """Number of nodes."""
        return int(self.weights.shape[0])

    def to_dict(self, *, binary: bool = False) -> dict[str, Any]:
        """The layer as the API expects it."""
        layer: dict[str, Any] = {}
        if self.name is not None:
            layer["name"] = self.name
        layer["activation"] = (
            self.activation if isinstance(self.activation, str) else dict(self.activation)
        )
        layer["weights"] = encode(self.weights, binary=binary)
        layer["bias"] = encode(self.bias, binary=binary)
        layer.update(self._extra)
        return layer


class Network:
    """A feed-forward network of dense layers, built layer by layer or loaded from JSON.

    >>> net = (Network(3)
    ...        .add_layer([[0.5, -0.3, 0.8], [-0.6, 0.4, 0.2]], [0.1, -0.2], activation="relu")
    ...        .add_layer([[0.7, -0.4]], [-0.1]))
    >>> [layer.units for layer in net.layers]
    [2, 1]

    :meth:`add_layer` changes the network in place (and returns it, for chaining);
    :meth:`with_activation` and :meth:`copy` return new networks.
    """

    def __init__(self, input_size: int, layers: Iterable[LayerSpec] = ()) -> None:
        if isinstance(input_size, bool) or not isinstance(input_size, int | np.integer):
            raise TypeError(f"input_size must be an integer, got {input_size!r}")
        if input_size < 1:
            raise ValueError(f"input_size must be at least 1, got {input_size}")
        self.input_size = int(input_size)
        self.layers: list[LayerSpec] = list(layers)

    # ---- building ------------------------------------------------------------------------------

    def add_layer(
        self,
        weights: Any,
        bias: Any = None,
        *,
        activation: ActivationSpec = "linear",
        name: str | None = None,
    ) -> Network:
        """Append a layer (``weights``: one row per node; ``bias`` defaults to zeros) and
        return this network, so calls chain."""
        where = f"layer {len(self.layers)}"
        w = as_float_array(weights, what=f"{where} weights")
        if w.ndim != 2 or w.shape[0] == 0 or w.shape[1] == 0:
            raise ValueError(
                f"{where} weights must be a non-empty 2-D array (one row per node), got shape {w.shape}"
            )
        b = np.zeros(w.shape[0]) if bias is None else as_float_array(bias, what=f"{where} bias")
        if b.shape != (w.shape[0],):
            raise ValueError(
                f"{where} bias must have one value per node ({w.shape[0]}), got shape {b.shape}"
            )
        self.layers.append(LayerSpec(w, b, _check_activation(activation, where), name))
        return self

    def with_activation(
        self,
        activation: ActivationSpec,
        layers: Iterable[int | str] | None = None,
        **params: Any,
    ) -> Network:
        """A copy with ``activation`` in the given layers (indices or names; default: every
        hidden layer, i.e. all but the last, whose activation usually belongs to the task).
        Keyword arguments are activation parameters: ``with_activation("leaky_relu",
        negative_slope=0.1)``."""
        if params:
            if not isinstance(activation, str):
                raise TypeError("pass parameters either as keywords or inside the activation dict")
            activation = {"name": activation, **params}
        activation = _check_activation(activation, "activation")
        chosen = self._layer_indices(layers)
        variant = self.copy()
        for index in chosen:
            variant.layers[index].activation = copy.deepcopy(activation)
        return variant

    def _layer_indices(self, layers: Iterable[int | str] | None) -> list[int]:
        if layers is None:
            return list(range(len(self.layers) - 1))
        names = {layer.name: i for i, layer in enumerate(self.layers) if layer.name is not None}
        chosen = []
        for key in [layers] if isinstance(layers, str) else layers:
            if isinstance(key, str):
                if key not in names:
                    raise KeyError(f"no layer named {key!r}; names: {sorted(names)}")
                chosen.append(names[key])
            elif -len(self.layers) <= int(key) < len(self.layers):
                chosen.append(int(key) % len(self.layers))
            else:
                raise IndexError(f"no layer {key}: the network has {len(self.layers)} layers")
        return chosen

    def copy(self) -> Network:
        """An independent copy (arrays included)."""
        return copy.deepcopy(self)

    # ---- reading and writing -------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Network:
        """A network from its JSON document (``{"input_size", "layers"}``), or from a request
        body that holds one under ``"network"``; arrays may be lists or binary documents."""
        if "network" in data and "layers" not in data:
            data = data["network"]
        if not isinstance(data, Mapping) or "input_size" not in data or "layers" not in data:
            raise ValueError("a network needs 'input_size' and 'layers'")
        network = cls(data["input_size"])
        for index, layer in enumerate(data["layers"]):
            missing = {"weights", "bias"} - set(layer)
            if missing:
                raise ValueError(f"layer {index} has no {' or '.join(sorted(missing))}")
            network.add_layer(
                layer["weights"],
                layer["bias"],
                # Omitted or null (Keras's activation=None): linear, as on the service.
                activation=_or_linear(layer.get("activation")),
                name=layer.get("name"),
            )
            # Unknown keys travel on unchanged, so the service can point at them.
            network.layers[-1]._extra = {k: v for k, v in layer.items() if k not in _LAYER_KEYS}
        return network

    @classmethod
    def load(cls, path: str | PathLike[str]) -> Network:
        """A network from a JSON file (see :meth:`from_dict`)."""
        with Path(path).open(encoding="utf-8") as file:
            return cls.from_dict(json.load(file))

    def to_dict(self, *, binary: bool = False) -> dict[str, Any]:
        """The JSON document of this network; ``binary=True`` encodes arrays as base64."""
        return {
            "input_size": self.input_size,
            "layers": [layer.to_dict(binary=binary) for layer in self.layers],
        }

    def save(self, path: str | PathLike[str]) -> None:
        """Write the network as JSON (nested lists, readable and diffable)."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    # ---- other frameworks ----------------------------------------------------------------------

    @classmethod
    def from_torch(cls, module: Any) -> Network:
        """A network from a ``torch.nn.Sequential`` of Linear and activation modules
        (nested Sequentials, Flatten, Dropout and Identity too), read in evaluation mode.
        Needs ``nntrace-client[torch]``."""
        from nntrace.importers import from_torch

        return from_torch(module)

    @classmethod
    def from_keras(cls, model: Any) -> Network:
        """A network from a Keras 3 Sequential or functional chain of Dense and activation
        layers. Needs ``nntrace-client[keras]``."""
        from nntrace.importers import from_keras

        return from_keras(model)

    @classmethod
    def from_sklearn(cls, estimator: Any) -> Network:
        """A network from a fitted ``MLPClassifier`` (its ``predict_proba``) or
        ``MLPRegressor``. Needs ``nntrace-client[sklearn]``."""
        from nntrace.importers import from_sklearn

        return from_sklearn(estimator)

    @classmethod
    def from_onnx(cls, model: Any, *, client: Any = None) -> Network:
        """A network from an ONNX model (a path, its bytes or an ``onnx.ModelProto``),
        mapped by the service's importer (``client``, default ``Client()``); the notes per
        operator are in :meth:`nntrace.Client.import_onnx`."""
        from nntrace._client import Client

        if client is not None:
            return cls.from_dict(client.import_onnx(model).network)
        with Client() as own:
            return cls.from_dict(own.import_onnx(model).network)

    def to_torch(self, dtype: Any = None) -> Any:
        """A ``torch.nn.Sequential`` computing this network (float32 unless ``dtype``)."""
        from nntrace.importers import to_torch

        return to_torch(self, dtype)

    def to_onnx(self, *, opset: int = 21, dtype: str = "float32") -> Any:
        """An ``onnx.ModelProto`` computing this network (input ``input``, output
        ``output``). Needs ``nntrace-client[onnx]``."""
        from nntrace.importers import to_onnx

        return to_onnx(self, opset=opset, dtype=dtype)

    # ---- looking at it -------------------------------------------------------------------------

    @property
    def output_size(self) -> int | None:
        """Nodes in the last layer (``None`` before any layer is added)."""
        return self.layers[-1].units if self.layers else None

    def __len__(self) -> int:
        return len(self.layers)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Network):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        shape = " → ".join(
            [str(self.input_size)]
            + [f"{layer.units} {_label(layer.activation)}" for layer in self.layers]
        )
        return f"Network({shape})"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{i}</td><td>{html.escape(layer.name or '')}</td><td>{layer.units}</td>"
            f"<td>{layer.weights.shape[1]}</td><td>{html.escape(_label(layer.activation))}</td></tr>"
            for i, layer in enumerate(self.layers)
        )
        return (
            f"<p>Network with {self.input_size} inputs</p><table><thead><tr><th>layer</th>"
            f"<th>name</th><th>nodes</th><th>inputs</th><th>activation</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )


def _or_linear(activation: Any) -> Any:
    return "linear" if activation is None else activation


def _check_activation(activation: Any, where: str) -> ActivationSpec:
    if isinstance(activation, str) and activation:
        return activation
    if isinstance(activation, Mapping) and ("name" in activation or "expression" in activation):
        return dict(activation)
    raise ValueError(
        f"{where}: activation must be a name or a dict with 'name' or 'expression', got {activation!r}"
    )


def _label(activation: ActivationSpec) -> str:
    """A short human label: the name, or the expression."""
    if isinstance(activation, str):
        return activation
    if "expression" in activation:
        return str(activation["expression"])
    params = ", ".join(f"{k}={v}" for k, v in activation.items() if k != "name")
    return f"{activation['name']}({params})" if params else str(activation["name"])


def as_network_dict(network: Network | Mapping[str, Any], *, binary: bool) -> Any:
    """A network for a request body: builders are encoded, dicts pass through untouched
    (unless ``binary``), so the service sees exactly what the caller wrote."""
    if isinstance(network, Network):
        return network.to_dict(binary=binary)
    if binary:
        return Network.from_dict(network).to_dict(binary=True)
    return network


def activation_label(activation: ActivationSpec) -> str:
    """The label used for an activation in comparisons and plots."""
    return _label(activation)


def coerce_network(network: Network | Mapping[str, Any]) -> Network:
    """A builder for a network given either way."""
    return network if isinstance(network, Network) else Network.from_dict(network)


__all__: Sequence[str] = ("ActivationSpec", "LayerSpec", "Network")
