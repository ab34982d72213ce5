"""PyTorch: ``torch.nn.Sequential`` (nested too) of Linear and activation modules, and back.

Modules are read in evaluation mode: Dropout passes values through, RReLU uses the mean slope
(lower + upper)/2. Flatten and Identity change nothing for a vector input.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from nntrace.importers._common import (
    Chain,
    Spec,
    UnsupportedModelError,
    explicit,
    floats,
    per_node,
    require,
    spec,
)

if TYPE_CHECKING:
    from nntrace._network import Network

_ACROSS_NODES = (None, -1, 1)
SOFTPLUS_EXPORT_THRESHOLD = 40.0
"""nntrace's exact softplus exports with this threshold: above it ln(1 + e^x) - x < 4.3e-18,
below float64's resolution of x, so the module computes the same numbers."""


class _Refused(Exception):
    """One module nntrace cannot express, with the reason."""


def _leaves(module: Any, prefix: str, nn: Any) -> Iterator[tuple[str, Any]]:
    """The modules a Sequential (nested or not) applies, in order, with their paths."""
    if isinstance(module, nn.Sequential):
        for name, child in module.named_children():
            yield from _leaves(child, f"{prefix}.{name}" if prefix else name, nn)
    else:
        yield prefix or type(module).__name__, module


def _activation(module: Any, units: int, nn: Any) -> Spec:
    """nntrace's spelling of an activation module, every parameter explicit."""
    m = module
    kind = type(m)
    simple: dict[Any, str] = {
        nn.ReLU: "relu", nn.ReLU6: "relu6", nn.SELU: "selu", nn.Sigmoid: "sigmoid",
        nn.Tanh: "tanh", nn.SiLU: "silu", nn.Mish: "mish", nn.Softsign: "softsign",
        nn.Tanhshrink: "tanh_shrink", nn.Hardsigmoid: "hard_sigmoid", nn.Hardswish: "hard_silu",
        nn.LogSigmoid: "log_sigmoid",
    }  # fmt: skip
    if kind in simple:
        return simple[kind]
    if kind is nn.LeakyReLU:
        return spec("leaky_relu", negative_slope=float(m.negative_slope))
    if kind is nn.PReLU:
        if m.num_parameters not in (1, units):
            raise _Refused(f"{m.num_parameters} slopes for a layer of {units} nodes")
        return spec("prelu", alpha=per_node(m.weight.detach().cpu()))
    if kind is nn.RReLU:
        return spec("rrelu", lower=float(m.lower), upper=float(m.upper))
    if kind in (nn.ELU, nn.CELU):
        return spec(kind.__name__.lower(), alpha=float(m.alpha))
    if kind is nn.GELU:
        return spec("gelu", approximate=m.approximate == "tanh")
    if kind is nn.Softplus:
        return spec("softplus", beta=float(m.beta), threshold=float(m.threshold))
    if kind in (nn.Softshrink, nn.Hardshrink):
        name = "soft_shrink" if kind is nn.Softshrink else "hard_shrink"
        return spec(name, threshold=float(m.lambd))
    if kind is nn.Hardtanh:
        return spec("hard_tanh", min_value=float(m.min_val), max_value=float(m.max_val))
    if kind is nn.Threshold:
        return spec("threshold", threshold=float(m.threshold), default_value=float(m.value))
    across = {nn.Softmax: "softmax", nn.Softmin: "softmin", nn.LogSoftmax: "log_softmax",
              nn.GLU: "glu"}  # fmt: skip
    if kind in across:
        if m.dim not in _ACROSS_NODES:
            raise _Refused(f"dim={m.dim}: nntrace applies it across a layer's nodes (dim -1 or 1)")
        return across[kind]
    if kind is nn.Softmax2d:
        raise _Refused("normalizes over image channels (dim -3); a dense layer has none")
    raise _Refused("not a Linear layer or an activation nntrace knows")


def from_torch(module: Any) -> Network:
    """A network from a ``torch.nn.Sequential`` (or one ``Linear``): each Linear starts a
    layer and the activation module after it becomes that layer's activation."""
    torch = require("torch", "torch")
    nn = torch.nn
    chain = Chain("PyTorch", "Linear")
    passthrough = (nn.Flatten, nn.Identity, nn.Dropout, nn.AlphaDropout)
    for path, m in _leaves(module, "", nn):
        label = f"{path} ({type(m).__name__})"
        if isinstance(m, nn.Linear):
            bias = m.bias.detach().cpu() if m.bias is not None else [0.0] * m.out_features
            name = path if not path.replace(".", "").isdigit() else None
            chain.add_dense(floats(m.weight.detach().cpu()), floats(bias), name)
            continue
        if isinstance(m, passthrough):
            continue
        try:
            chain.add_activation(label, _activation(m, chain.units, nn))
        except _Refused as reason:
            chain.refuse(label, reason)
    return chain.network(type(module).__name__)


# ---- export ------------------------------------------------------------------------------------


def _module(name: str, p: dict[str, Any], nn: Any, torch: Any) -> Any:
    """The torch module computing nntrace's activation ``name`` with parameters ``p``."""
    plain = {"relu6": nn.ReLU6, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "silu": nn.SiLU,
             "mish": nn.Mish, "softsign": nn.Softsign, "tanh_shrink": nn.Tanhshrink,
             "hard_silu": nn.Hardswish, "log_sigmoid": nn.LogSigmoid}  # fmt: skip
    if name in plain:
        return plain[name]()
    if name == "relu" and p["max_value"] is None and p["threshold"] == 0.0:
        return nn.ReLU() if p["negative_slope"] == 0.0 else nn.LeakyReLU(p["negative_slope"])
    if name == "leaky_relu":
        return nn.LeakyReLU(p["negative_slope"])
    if name == "prelu":
        slopes = p["alpha"] if isinstance(p["alpha"], list) else [p["alpha"]]
        module = nn.PReLU(num_parameters=len(slopes))
        with torch.no_grad():
            module.weight.copy_(torch.tensor(slopes, dtype=torch.float64))
        return module
    if name == "rrelu":
        return nn.RReLU(p["lower"], p["upper"])
    if name in ("elu", "celu"):
        return (nn.ELU if name == "elu" else nn.CELU)(alpha=p["alpha"])
    if name == "selu" and p == {"alpha": 1.6732632423543772, "scale": 1.0507009873554805}:
        return nn.SELU()
    if name == "gelu":
        return nn.GELU(approximate="tanh" if p["approximate"] else "none")
    if name == "softplus":
        threshold = SOFTPLUS_EXPORT_THRESHOLD if p["threshold"] is None else p["threshold"]
        return nn.Softplus(beta=p["beta"], threshold=threshold)
    if name == "soft_shrink" or (name == "shrink" and p["bias"] == p["lambd"] >= 0):
        return nn.Softshrink(p.get("threshold", p.get("lambd")))
    if name == "hard_shrink" or (name == "shrink" and p["bias"] == 0.0 and p["lambd"] >= 0):
        return nn.Hardshrink(p.get("threshold", p.get("lambd")))
    if name == "hard_tanh" or (
        name == "clip" and None not in (p["min"], p["max"]) and p["min"] <= p["max"]
    ):
        low, high = (
            (p["min_value"], p["max_value"]) if name == "hard_tanh" else (p["min"], p["max"])
        )
        return nn.Hardtanh(low, high)
    if name == "hard_sigmoid" and math.isclose(p["alpha"], 1 / 6, rel_tol=0) and p["beta"] == 0.5:
        return nn.Hardsigmoid()
    if name in ("threshold", "thresholded_relu"):
        return nn.Threshold(p["threshold"], p.get("default_value", 0.0))
    axis = {"softmax": nn.Softmax, "softmin": nn.Softmin, "log_softmax": nn.LogSoftmax,
            "glu": nn.GLU}  # fmt: skip
    if name in axis:
        return axis[name](dim=-1)
    raise _Refused(f"{name} {p or ''} has no torch.nn module".replace(" {}", ""))


def to_torch(network: Network, dtype: Any = None) -> Any:
    """A ``torch.nn.Sequential`` of Linear and activation modules computing ``network``
    (float32 unless ``dtype`` says otherwise), in evaluation mode."""
    torch = require("torch", "torch")
    nn = torch.nn
    dtype = dtype or torch.float32
    modules: list[Any] = []
    problems: list[str] = []
    for index, layer in enumerate(network.layers):
        label = f"layer {index}" + (f" ({layer.name})" if layer.name else "")
        linear = nn.Linear(layer.weights.shape[1], layer.units, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(layer.weights))
            linear.bias.copy_(torch.from_numpy(layer.bias))
        modules.append(linear)
        try:
            if "dialect" in layer._extra:
                raise _Refused("spelled in a dialect: export the service's normalized network")
            name, params = explicit(layer.activation)
            if name != "linear":
                modules.append(_module(name, params, nn, torch))
        except (_Refused, ValueError) as reason:
            problems.append(f"{label}: {reason}")
    if problems:
        raise UnsupportedModelError("nntrace network (for PyTorch)", problems)
    return nn.Sequential(*modules).to(dtype).eval()
