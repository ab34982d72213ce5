"""Each framework's spelling, parameter names and defaults give that framework's values.

Every row spells an activation as PyTorch, ONNX or Keras writes it, binds it with that
``dialect`` and compares nntrace's values on a grid with what the framework itself computes:
the torch.nn module, onnxruntime running a one-node model built with onnx.helper, or the Keras
3 function or layer on the torch backend. float64 to 1e-12 (onnxruntime: float32, to 1e-6).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nntrace_service.core import bind
from nntrace_service.core.errors import AmbiguousActivationError, InvalidParameterError
from tests.frameworks.conftest import need

torch = need("torch")
onnx = need("onnx")
ort = need("onnxruntime")
keras = need("keras")

Array = np.ndarray[Any, Any]
UNITS = 8


def _grid(extra: tuple[float, ...] = ()) -> Array:
    """-6..6 in steps of 1/16 (kinks at binary fractions are hit exactly), plus ``extra``,
    in rows of UNITS values."""
    values = np.concatenate([np.arange(-96, 97) / 16.0, extra])
    values = np.concatenate([values, np.zeros(-values.size % UNITS)])
    return values.reshape(-1, UNITS)


def _assert_close(got: Array, want: Array, tol: float) -> None:
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


# ---- PyTorch --------------------------------------------------------------------------------

SLOPES = [0.25, -0.5, 0.0, 0.125, 1.5, 0.01, 2.0, 0.75]
TORCH: list[tuple[str, dict[str, Any]]] = [
    ("ReLU", {}), ("ReLU6", {}), ("LeakyReLU", {}), ("LeakyReLU", {"negative_slope": 0.2}),
    ("PReLU", {}), ("PReLU", {"weight": SLOPES}), ("RReLU", {}),
    ("RReLU", {"lower": 0.1, "upper": 0.4}), ("ELU", {}), ("ELU", {"alpha": 0.5}),
    ("CELU", {"alpha": 2.0}), ("SELU", {}), ("GELU", {}), ("GELU", {"approximate": "tanh"}),
    ("Sigmoid", {}), ("Tanh", {}), ("SiLU", {}), ("Mish", {}), ("Softplus", {}),
    ("Softplus", {"beta": 2.0, "threshold": 5.0}), ("Softsign", {}), ("Softshrink", {}),
    ("Softshrink", {"lambd": 1.0}), ("Hardshrink", {"lambd": 1.5}), ("Tanhshrink", {}),
    ("Hardtanh", {}), ("Hardtanh", {"min_val": 0.0, "max_val": 6.0}), ("Hardsigmoid", {}),
    ("Hardswish", {}), ("LogSigmoid", {}), ("Threshold", {"threshold": 0.5, "value": -1.0}),
    ("GLU", {}), ("Softmax", {"dim": -1}), ("Softmax", {"dim": 1}), ("Softmin", {"dim": 1}),
    ("LogSoftmax", {"dim": -1}), ("Identity", {}),
]  # fmt: skip


def _torch_module(name: str, params: dict[str, Any], dtype: str) -> Any:
    kwargs = {k: v for k, v in params.items() if k != "weight"}
    if name == "PReLU" and "weight" in params:
        kwargs["num_parameters"] = len(params["weight"])
    module = getattr(torch.nn, name)(**kwargs).eval().to(getattr(torch, dtype))
    if "weight" in params:
        with torch.no_grad():
            module.weight.copy_(torch.tensor(params["weight"], dtype=torch.float64))
    return module


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("name", "params"), TORCH, ids=[f"{n}{p}" for n, p in TORCH])
def test_torch_spellings_match_torch(name: str, params: dict[str, Any], dtype: str) -> None:
    z = _grid((20.0, 2.5 - 1 / 64, 2.5 + 1 / 64)).astype(dtype)
    module = _torch_module(name, params, dtype)
    with torch.no_grad():
        want = module(torch.from_numpy(z)).numpy()
    got = bind({"name": name, **params}, dialect="torch")(z)
    assert got.dtype == z.dtype
    _assert_close(got, want, 1e-12 if dtype == "float64" else 1e-6)


def test_torch_functional_names_take_torch_defaults() -> None:
    """F.leaky_relu and nn.LeakyReLU are one spelling (0.01), F.softplus has threshold 20."""
    z = _grid()
    f = torch.nn.functional
    t = torch.from_numpy(z)
    for name, want in [
        ("leaky_relu", f.leaky_relu(t)),
        ("softplus", f.softplus(t)),
        ("hardsigmoid", f.hardsigmoid(t)),
        ("clamp", t),
    ]:
        _assert_close(bind(name, dialect="torch")(z), want.numpy(), 1e-12)


# ---- ONNX, run by onnxruntime ------------------------------------------------------------------

ONNX: list[tuple[str, dict[str, Any]]] = [
    ("Relu", {}), ("LeakyRelu", {}), ("LeakyRelu", {"alpha": 0.1}), ("PRelu", {"slope": SLOPES}),
    ("ThresholdedRelu", {}), ("ThresholdedRelu", {"alpha": 0.5}), ("Elu", {}),
    ("Elu", {"alpha": 0.5}), ("Celu", {"alpha": 2.0}), ("Selu", {}),
    ("Selu", {"alpha": 1.5, "gamma": 1.25}), ("Gelu", {}), ("Gelu", {"approximate": "tanh"}),
    ("Sigmoid", {}), ("HardSigmoid", {}), ("HardSigmoid", {"alpha": 0.5, "beta": 0.25}),
    ("HardSwish", {}), ("Tanh", {}), ("Softplus", {}), ("Softsign", {}), ("Mish", {}),
    ("Softmax", {}), ("Softmax", {"axis": 1}), ("LogSoftmax", {}), ("Hardmax", {}),
    ("Shrink", {}), ("Shrink", {"lambd": 1.0, "bias": 1.0}), ("Clip", {"min": -1.0, "max": 2.0}),
    ("Clip", {"min": 2.0, "max": -1.0}), ("Clip", {"max": 0.5}), ("Exp", {}), ("Identity", {}),
]  # fmt: skip


def _onnx_run(op: str, params: dict[str, Any], z: Array) -> Array:
    """One node, attributes as given; PRelu's slope and Clip's bounds are inputs."""
    from onnx import TensorProto, helper, numpy_helper

    inputs, initializers, attributes = ["x"], [], dict(params)
    if op in ("PRelu", "Clip"):
        attributes = {}
        for key in ("slope", "min", "max"):
            if key in params:
                value = np.asarray(params[key], dtype=np.float32)
                initializers.append(numpy_helper.from_array(value, key))
                inputs.append(key)
            elif key != "slope" and op == "Clip":
                inputs.append("")
        while inputs[-1] == "":
            inputs.pop()
    node = helper.make_node(op, inputs, ["y"], **attributes)
    shape = list(z.shape)
    graph = helper.make_graph(
        [node],
        "one",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    model.ir_version = 10
    onnx.checker.check_model(model)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    result: Array = session.run(["y"], {"x": z})[0]
    return result


@pytest.mark.parametrize(("op", "params"), ONNX, ids=[f"{n}{p}" for n, p in ONNX])
def test_onnx_spellings_match_onnxruntime(op: str, params: dict[str, Any]) -> None:
    z = _grid((0.5, -0.5, 1.0)).astype(np.float32)
    want = _onnx_run(op, params, z)
    got = bind({"name": op, **params}, dialect="onnx")(z)
    _assert_close(got, want, 1e-6)


# ---- Keras 3 (torch backend) -----------------------------------------------------------------

KERAS_FUNCTIONS: list[tuple[str, dict[str, Any]]] = [
    ("relu", {}), ("relu", {"negative_slope": 0.5, "max_value": 2.5, "threshold": -0.5}),
    ("leaky_relu", {}), ("relu6", {}), ("elu", {"alpha": 0.5}), ("selu", {}), ("softplus", {}),
    ("softsign", {}), ("soft_shrink", {}), ("sparse_plus", {}), ("silu", {}),
    ("squareplus", {}), ("gelu", {}), ("gelu", {"approximate": True}), ("celu", {}),
    ("tanh", {}), ("tanh_shrink", {}), ("hard_tanh", {}), ("hard_shrink", {}),
    ("threshold", {"threshold": 0.5, "default_value": -1.0}), ("sigmoid", {}),
    ("sparse_sigmoid", {}), ("hard_sigmoid", {}), ("hard_silu", {}), ("linear", {}),
    ("mish", {}), ("log_sigmoid", {}), ("softmax", {}), ("log_softmax", {}), ("glu", {}),
]  # fmt: skip
# Not sparsemax: Keras 3.15's torch backend computes tau from the sum of the cumulative sums over
# the support instead of the cumulative sum at its end, so its rows do not sum to 1 (nntrace's
# sparsemax is checked against a bisection reference in tests/core).
KERAS_LAYERS: list[tuple[str, dict[str, Any]]] = [
    ("ReLU", {}), ("ReLU", {"max_value": 3.0, "negative_slope": 0.25}), ("LeakyReLU", {}),
    ("LeakyReLU", {"negative_slope": 0.1}), ("ELU", {"alpha": 2.0}), ("Softmax", {}),
    ("PReLU", {"alpha": SLOPES}),
]  # fmt: skip


def _keras_value(fn: Any, z: Array) -> Array:
    x = keras.ops.convert_to_tensor(z, dtype=str(z.dtype))
    result: Array = fn(x).detach().cpu().numpy()  # torch backend: a torch tensor
    return result


@pytest.mark.parametrize(
    ("name", "params"), KERAS_FUNCTIONS, ids=[f"{n}{p}" for n, p in KERAS_FUNCTIONS]
)
def test_keras_functions_match_keras(name: str, params: dict[str, Any]) -> None:
    z = _grid((0.5, -0.5))
    want = _keras_value(lambda x: getattr(keras.activations, name)(x, **params), z)
    spec = {"name": name, **params}
    _assert_close(bind(spec, dialect="keras")(z), want, 1e-12)
    _assert_close(bind(spec)(z), want, 1e-12)  # without a dialect: Keras's names and defaults


@pytest.mark.parametrize(("name", "params"), KERAS_LAYERS, ids=[f"{n}{p}" for n, p in KERAS_LAYERS])
def test_keras_layers_match_keras(name: str, params: dict[str, Any]) -> None:
    z = _grid()
    kwargs = {k: v for k, v in params.items() if name != "PReLU"}
    layer = getattr(keras.layers, name)(**kwargs, dtype="float64")
    layer.build((None, UNITS))
    if name == "PReLU":
        layer.set_weights([np.asarray(params["alpha"], dtype=np.float64)])
    want = _keras_value(layer, z)
    _assert_close(bind({"name": name, **params}, dialect="keras")(z), want, 1e-12)


# ---- the same name, three frameworks -----------------------------------------------------------


def test_leaky_relu_means_three_things() -> None:
    """The issue's example: LeakyRelu is 0.01 in ONNX and PyTorch, 0.2/0.3 in Keras."""
    z = np.array([[-1.0]])
    assert bind("LeakyRelu", dialect="onnx")(z)[0, 0] == -0.01
    assert bind("LeakyReLU", dialect="torch")(z)[0, 0] == -0.01
    assert bind("LeakyReLU", dialect="keras")(z)[0, 0] == pytest.approx(-0.3)
    assert bind("leaky_relu", dialect="keras")(z)[0, 0] == pytest.approx(-0.2)
    assert bind({"name": "LeakyRelu", "alpha": 0.1}, dialect="onnx")(z)[0, 0] == -0.1


@pytest.mark.parametrize(
    "spec",
    ["LeakyRelu", "LeakyReLU", "leakyrelu", "HardSigmoid", "Softplus", "Selu", "PReLU", "PRelu"],
)
def test_ambiguous_spellings_without_a_dialect_are_refused(spec: str) -> None:
    with pytest.raises(AmbiguousActivationError) as caught:
        bind(spec)
    assert "dialect" in caught.value.message


@pytest.mark.parametrize(
    "spec",
    ["leaky_relu", "Elu", "ReLU", "GELU", "Hardsigmoid", "Identity", "Shrink", "Clip", "RReLU"],
)
def test_spellings_every_framework_agrees_on_need_no_dialect(spec: str) -> None:
    z = _grid()
    _assert_close(bind(spec)(z), bind(spec, dialect="keras")(z), 0.0)


def test_foreign_parameter_names_point_at_their_dialect() -> None:
    with pytest.raises(InvalidParameterError) as caught:
        bind({"name": "LeakyRelu", "alpha": 0.1})
    assert caught.value.location == ("alpha",)
    assert '"dialect": "onnx"' in caught.value.message
    assert bind({"name": "LeakyRelu", "negative_slope": 0.1})(np.array([[-1.0]]))[0, 0] == -0.1
