"""Keras 3 (torch backend): random models import, evaluate on the service and match Keras.

Each architecture has 1-6 Dense layers of 1-64 nodes with a random activation function, or
a linear Dense followed by a random activation layer (ReLU, LeakyReLU, ELU, PReLU, Softmax,
Activation), with Dropout here and there, built as Sequential or as a functional chain. The
reference is Keras itself, layer by layer: 1e-12 in float64, 1e-6 in float32.
"""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

import nntrace
from tests.frameworks.conftest import need
from tests.frameworks.support import Service, assert_layers_match

keras = need("keras")
torch = need("torch")
L = keras.layers
ARCHITECTURES = 25
FUNCTIONS = [
    "relu", "leaky_relu", "relu6", "elu", "selu", "softplus", "softsign", "soft_shrink",
    "sparse_plus", "silu", "squareplus", "gelu", "celu", "tanh", "tanh_shrink", "hard_tanh",
    "hard_shrink", "sigmoid", "sparse_sigmoid", "hard_sigmoid", "hard_silu", "linear", "mish",
    "log_sigmoid", "softmax", "log_softmax",
]  # fmt: skip


def _activation_layer(rng: random.Random, dtype: str) -> Any:
    u = rng.uniform
    return rng.choice(
        [
            lambda: L.ReLU(max_value=rng.choice([None, u(1, 6)]), negative_slope=u(0, 0.3),
                           threshold=u(0, 0.5), dtype=dtype),
            lambda: L.LeakyReLU(dtype=dtype),
            lambda: L.LeakyReLU(negative_slope=u(0, 0.5), dtype=dtype),
            lambda: L.ELU(alpha=u(0.1, 2), dtype=dtype),
            lambda: L.PReLU(alpha_initializer=keras.initializers.RandomUniform(-0.5, 0.5),
                            dtype=dtype),
            lambda: L.Softmax(dtype=dtype),
            lambda: L.Activation(rng.choice(FUNCTIONS), dtype=dtype),
        ]
    )()  # fmt: skip


def _architecture(seed: int, dtype: str) -> tuple[Any, int]:
    rng = random.Random(seed)
    keras.utils.set_random_seed(seed)
    fan_in = rng.randint(1, 64)
    layers: list[Any] = []
    for _ in range(rng.randint(1, 6)):
        units = rng.randint(1, 64)
        if rng.random() < 0.5:
            layers.append(L.Dense(units, activation=rng.choice(FUNCTIONS), dtype=dtype))
        else:
            layers.append(L.Dense(units, use_bias=rng.random() < 0.9, dtype=dtype))
            layers.append(_activation_layer(rng, dtype))
        if rng.random() < 0.2:
            layers.append(L.Dropout(0.25, dtype=dtype))
    if seed % 2:
        model = keras.Sequential([keras.Input((fan_in,), dtype=dtype), *layers])
    else:  # a functional chain
        x = inputs = keras.Input((fan_in,), dtype=dtype)
        for layer in layers:
            x = layer(x)
        model = keras.Model(inputs, x)
    return model, fan_in


def _keras_layers(model: Any, x: Any) -> list[dict[str, Any]]:
    """Each Dense layer's output, replaced by the output of the activation layer after it."""
    records: list[dict[str, Any]] = []
    value = keras.ops.convert_to_tensor(x)
    for layer in model.layers:
        if isinstance(layer, L.InputLayer):
            continue
        value = layer(value, training=False) if isinstance(layer, L.Dropout) else layer(value)
        out = value.detach().cpu().numpy()
        if isinstance(layer, L.Dense):
            linear = layer.activation.__name__ == "linear"
            records.append({"z": out if linear else None, "a": out})
        elif not isinstance(layer, L.Dropout):
            records[-1]["a"] = out
    return records


@pytest.fixture
def floatx(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Keras's default float type for the test, and float64 arithmetic where asked for.

    Keras 3 on every backend but TensorFlow demotes float64 to float32 in its type promotion
    (``BIT64_TO_BIT32_DTYPE``, "to be aligned with JAX's default behavior"), so a float64
    Dense layer multiplies in float32. The float64 reference is meant to be float64, so the
    test lifts that demotion.
    """
    from keras.src.backend.common import dtypes

    monkeypatch.setitem(dtypes.BIT64_TO_BIT32_DTYPE, "float64", "float64")
    before = keras.config.floatx()
    keras.config.set_floatx(request.param)
    yield request.param
    keras.config.set_floatx(before)


@pytest.mark.parametrize("floatx", ["float64", "float32"], indirect=True)
@pytest.mark.parametrize("seed", range(ARCHITECTURES))
def test_random_architectures_match_keras(service: Service, seed: int, floatx: str) -> None:
    dtype = floatx
    model, fan_in = _architecture(seed, dtype)
    network = nntrace.Network.from_keras(model)
    inputs = np.random.default_rng(seed).normal(size=(6, fan_in)).astype(dtype)
    want = _keras_layers(model, inputs)
    got = service.layers(network, inputs, dtype)
    assert_layers_match(got, want, dtype, f"seed {seed}")


def test_unsupported_layers_are_all_named_at_once() -> None:
    model = keras.Sequential(
        [
            keras.Input((4, 1)),
            L.Conv1D(2, 1, name="conv"),
            L.Flatten(),
            L.Dense(3, name="dense"),
            L.BatchNormalization(name="norm"),
            L.Dense(2, name="out"),
        ]
    )
    with pytest.raises(nntrace.UnsupportedModelError) as caught:
        nntrace.Network.from_keras(model)
    assert [p.split(" ")[0] for p in caught.value.problems] == ["conv", "norm"]
