"""PyTorch: random Sequentials import, evaluate on the service and match torch layer by layer.

Each architecture has 1-6 Linear layers of 1-64 nodes, each followed (or not) by a random
activation module with random parameters, sometimes inside nested Sequentials or next to
Dropout, Identity and Flatten. torch's own values of every Linear output (z) and activation
output (a), captured by forward hooks, are the reference: 1e-12 in float64, 1e-6 in float32.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

import nntrace
from tests.frameworks.conftest import need
from tests.frameworks.support import Service, assert_layers_match

torch = need("torch")
nn = torch.nn
ARCHITECTURES = 25


def _activation(rng: random.Random, units: int) -> Any:
    """A random activation module with random parameters (None: no activation)."""
    u = rng.uniform
    choices = [
        lambda: None,
        nn.ReLU, nn.ReLU6, nn.SELU, nn.Sigmoid, nn.Tanh, nn.SiLU, nn.Mish, nn.Softsign,
        nn.Tanhshrink, nn.Hardsigmoid, nn.Hardswish, nn.LogSigmoid,
        lambda: nn.LeakyReLU(u(0, 0.5)),
        lambda: nn.PReLU(rng.choice([1, units]), init=u(-0.5, 0.5)),
        lambda: nn.RReLU(*sorted((u(0, 0.4), u(0, 0.4)))),
        lambda: nn.ELU(u(0.1, 2)), lambda: nn.CELU(u(0.1, 2)),
        lambda: nn.GELU(rng.choice(["none", "tanh"])),
        lambda: nn.Softplus(u(0.5, 3), u(1, 20)),
        lambda: nn.Softshrink(u(0, 1)), lambda: nn.Hardshrink(u(0, 1)),
        lambda: nn.Hardtanh(*sorted((u(-2, 0), u(0, 2)))),
        lambda: nn.Threshold(u(-1, 1), u(-1, 1)),
        lambda: nn.Softmax(dim=rng.choice([-1, 1])), lambda: nn.Softmin(dim=1),
        lambda: nn.LogSoftmax(dim=-1),
    ]  # fmt: skip
    if units % 2 == 0:
        choices.append(lambda: nn.GLU())
    made = rng.choice(choices)()
    if made is not None and hasattr(made, "weight"):  # PReLU: a slope per node, not all equal
        with torch.no_grad():
            made.weight.uniform_(-0.5, 0.5)
    return made


def _architecture(seed: int) -> tuple[Any, int]:
    """A random model and its input size."""
    rng = random.Random(seed)
    torch.manual_seed(seed)
    fan_in = rng.randint(1, 64)
    modules: list[Any] = [nn.Flatten()] if rng.random() < 0.3 else []
    width = fan_in
    for _ in range(rng.randint(1, 6)):
        units = rng.randint(1, 64)
        block: list[Any] = [nn.Linear(width, units, bias=rng.random() < 0.9)]
        activation = _activation(rng, units)
        if activation is not None:
            block.append(activation)
        if rng.random() < 0.2:
            block.append(rng.choice([nn.Dropout(0.3), nn.Identity()]))
        modules.append(nn.Sequential(*block) if rng.random() < 0.3 else block)
        width = units // 2 if isinstance(activation, nn.GLU) else units
    flat: list[Any] = []
    for item in modules:
        flat.extend(item if isinstance(item, list) else [item])
    return nn.Sequential(*flat).eval(), fan_in


def _torch_layers(model: Any, x: Any) -> list[dict[str, Any]]:
    """Every Linear's output and the output of the activation after it, by forward hooks."""
    records: list[dict[str, Any]] = []

    def on_linear(_m: Any, _i: Any, out: Any) -> None:
        records.append({"z": out.detach().numpy().copy(), "a": out.detach().numpy().copy()})

    def on_activation(_m: Any, _i: Any, out: Any) -> None:
        records[-1]["a"] = out.detach().numpy().copy()

    handles = []
    for module in model.modules():
        if isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(on_linear))
        elif not isinstance(module, nn.Sequential | nn.Dropout | nn.Identity | nn.Flatten):
            handles.append(module.register_forward_hook(on_activation))
    with torch.no_grad():
        model(x)
    for handle in handles:
        handle.remove()
    return records


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("seed", range(ARCHITECTURES))
def test_random_architectures_match_torch(service: Service, seed: int, dtype: str) -> None:
    model, fan_in = _architecture(seed)
    model = model.to(getattr(torch, dtype))
    network = nntrace.Network.from_torch(model)
    inputs = np.random.default_rng(seed).normal(size=(6, fan_in)).astype(dtype)
    want = _torch_layers(model, torch.from_numpy(inputs))
    got = service.layers(network, inputs, dtype)
    assert_layers_match(got, want, dtype, f"seed {seed}")


@pytest.mark.parametrize("seed", range(0, ARCHITECTURES, 5))
def test_export_round_trips(seed: int) -> None:
    """to_torch gives a module computing the same numbers, which imports back unchanged."""
    model, fan_in = _architecture(seed)
    model = model.double()
    network = nntrace.Network.from_torch(model)
    exported = network.to_torch(torch.float64)
    x = torch.from_numpy(np.random.default_rng(seed).normal(size=(5, fan_in)))
    with torch.no_grad():
        np.testing.assert_allclose(exported(x).numpy(), model(x).numpy(), rtol=1e-12, atol=1e-12)
    again = nntrace.Network.from_torch(exported)
    assert [layer.activation for layer in again.layers] == [
        layer.activation for layer in network.layers
    ]
    for mine, theirs in zip(again.layers, network.layers, strict=True):
        np.testing.assert_array_equal(mine.weights, theirs.weights)


def test_unsupported_modules_are_all_named_at_once() -> None:
    model = nn.Sequential(
        nn.ReLU(),
        nn.Linear(3, 4),
        nn.Softmax2d(),
        nn.Linear(4, 2),
        nn.Conv1d(1, 1, 1),
        nn.Softmax(dim=0),
    )
    with pytest.raises(nntrace.UnsupportedModelError) as caught:
        nntrace.Network.from_torch(model)
    problems = caught.value.problems
    assert [p.split(" ")[0] for p in problems] == ["0", "2", "4", "5"]
    assert "before the first Linear" in problems[0]
    assert "dim=0" in problems[3]


def test_nested_sequential_and_names() -> None:
    model = nn.Sequential()
    model.add_module("encoder", nn.Sequential(nn.Linear(2, 3), nn.Tanh()))
    model.add_module("head", nn.Linear(3, 1))
    network = nntrace.Network.from_torch(model)
    assert [layer.name for layer in network.layers] == ["encoder.0", "head"]
    assert [layer.activation for layer in network.layers] == ["tanh", "linear"]
