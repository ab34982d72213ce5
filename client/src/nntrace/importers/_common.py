"""What the importers share: the error that lists everything unsupported, the import of
an optional framework with a message naming its extra, and the chain of dense layers and
activations that the Keras and PyTorch walks both build."""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from nntrace._network import Network

Spec = str | dict[str, Any]


class UnsupportedModelError(ValueError):
    """A model with parts nntrace cannot express; ``problems`` has one line per layer or
    node, so one error shows everything to change."""

    def __init__(self, framework: str, problems: Sequence[str]) -> None:
        self.framework = framework
        self.problems = list(problems)
        listing = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"this {framework} model has {len(self.problems)} part(s) nntrace cannot import:\n"
            f"{listing}"
        )


@dataclass
class _Dense:
    weights: Any
    bias: Any
    name: str | None
    activation: Spec | None = None


@dataclass
class Chain:
    """Dense layers in order, each followed by at most one activation: what a Keras or
    PyTorch model walked layer by layer turns into. Every layer that does not fit is kept as a
    problem rather than raised, so that :meth:`network` reports them all at once."""

    framework: str
    dense: str
    """The framework's word for a dense layer ("Dense", "Linear"), used in the problems."""
    problems: list[str] = field(default_factory=list)
    _layers: list[_Dense] = field(default_factory=list)

    def add_dense(self, weights: Any, bias: Any, name: str | None) -> None:
        """Start a layer: ``weights`` has one row per node."""
        self._layers.append(_Dense(weights, bias, name))

    @property
    def units(self) -> int:
        """The number of nodes of the last layer so far (0 before the first)."""
        return int(self._layers[-1].weights.shape[0]) if self._layers else 0

    def add_activation(self, label: str, activation: Spec) -> None:
        """Give the last layer its activation; one before any layer, or a second one, is a
        problem named by ``label``."""
        if not self._layers:
            self.refuse(label, f"an activation before the first {self.dense} layer")
        elif self._layers[-1].activation is not None:
            self.refuse(label, f"a second activation after the same {self.dense} layer")
        else:
            self._layers[-1].activation = activation

    def refuse(self, label: str, reason: object) -> None:
        """Record a part of the model nntrace cannot express."""
        self.problems.append(f"{label}: {reason}")

    def network(self, model_label: str) -> Network:
        """The network, or one :class:`UnsupportedModelError` listing every problem."""
        from nntrace._network import Network

        if not self._layers and not self.problems:
            self.refuse(model_label, f"no {self.dense} layer")
        if self.problems:
            raise UnsupportedModelError(self.framework, self.problems)
        network = Network(int(self._layers[0].weights.shape[1]))
        for layer in self._layers:
            network.add_layer(
                layer.weights,
                layer.bias,
                activation="linear" if layer.activation is None else layer.activation,
                name=layer.name,
            )
        return network


def require(module: str, extra: str) -> ModuleType:
    """Import an optional framework, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{module} is needed for this; install it with pip install 'nntrace-client[{extra}]'"
        ) from error


def spec(name: str, **params: Any) -> Spec:
    """An activation in nntrace's names: a bare name without parameters."""
    return {"name": name, **params} if params else name


def _numpy(values: Any) -> Any:
    """A framework tensor as numpy: torch tensors through ``.numpy()`` (their ``__array__``
    warns under numpy 2), anything else as it is."""
    detach = getattr(values, "detach", None)
    return detach().cpu().numpy() if callable(detach) else values


def floats(values: Any) -> Any:
    """Exact float64 copies of a framework's (float32 or float64) numbers."""
    return np.array(_numpy(values), dtype=np.float64)


def per_node(values: Any) -> float | list[float]:
    """A learned slope: one number if the framework shares it, else one per node."""
    flat = np.asarray(_numpy(values), dtype=np.float64).reshape(-1)
    return float(flat[0]) if flat.size == 1 else [float(v) for v in flat]


# The catalog defaults (GET /v1/activations) of the activations the exporters write, so that a
# bare name exports with the value the service would use; tests/frameworks/test_exports.py
# checks this table against the service's catalog.
DEFAULTS: dict[str, dict[str, Any]] = {
    "relu": {"negative_slope": 0.0, "max_value": None, "threshold": 0.0},
    "leaky_relu": {"negative_slope": 0.2},
    "prelu": {"alpha": 0.0},
    "rrelu": {"lower": 0.125, "upper": 1.0 / 3.0},
    "elu": {"alpha": 1.0},
    "celu": {"alpha": 1.0},
    "selu": {"alpha": 1.6732632423543772, "scale": 1.0507009873554805},
    "gelu": {"approximate": False},
    "softplus": {"beta": 1.0, "threshold": None},
    "soft_shrink": {"threshold": 0.5},
    "hard_shrink": {"threshold": 0.5},
    "shrink": {"lambd": 0.5, "bias": 0.0},
    "hard_tanh": {"min_value": -1.0, "max_value": 1.0},
    "hard_sigmoid": {"alpha": 1.0 / 6.0, "beta": 0.5},
    "clip": {"min": None, "max": None},
    "thresholded_relu": {"threshold": 1.0},
    "threshold": {},
}
ALIASES = {"swish": "silu", "hard_swish": "hard_silu", "identity": "linear", "none": "linear"}


def explicit(activation: str | Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """An activation in nntrace's names as (name, every parameter with defaults filled)."""
    if isinstance(activation, str):
        name, given = activation, {}
    elif "expression" in activation:
        raise ValueError(f"a custom expression ({activation['expression']!r}) has no export")
    else:
        name, given = str(activation["name"]), {k: v for k, v in activation.items() if k != "name"}
    name = ALIASES.get(name, name)
    return name, {**DEFAULTS.get(name, {}), **given}
