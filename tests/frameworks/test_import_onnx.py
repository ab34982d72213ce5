"""ONNX: models exported by torch.onnx.export and built with onnx.helper import through
``POST /v1/networks/import`` (the Flask test client and a real gunicorn), evaluate on the
service and match the model itself, layer by layer.

The reference for float32 is onnxruntime; for float64 it is onnx's own reference evaluator
(onnxruntime lacks double kernels for several activations). Every layer's z and a are read
from the model by adding the tensors the import notes name as extra graph outputs.
"""

from __future__ import annotations

import io
import random
import warnings
from typing import Any

import numpy as np
import pytest

import nntrace
from tests.frameworks.conftest import need
from tests.frameworks.support import Service, assert_layers_match

torch = need("torch")
onnx = need("onnx")
ort = need("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402
from onnx.reference.op_run import OpRun  # noqa: E402

nn = torch.nn
ARCHITECTURES = 25
ELEMENT = {"float32": TensorProto.FLOAT, "float64": TensorProto.DOUBLE}


# onnx's reference evaluator runs HardSwish, Gelu and Mish through their function bodies,
# whose constants (1/6, sqrt(2/pi), ...) are float attributes, i.e. float32: in a float64
# model they are then only float32-accurate. These follow the operators' definitions in
# float64 instead; every other operator is the evaluator's own.


class HardSwish(OpRun):
    op_domain = ""

    def _run(self, x: Any) -> tuple[Any]:
        return ((x * np.clip(x / 6 + 0.5, 0, 1)).astype(x.dtype),)


class Mish(OpRun):
    op_domain = ""

    def _run(self, x: Any) -> tuple[Any]:
        return ((x * np.tanh(np.logaddexp(x, 0))).astype(x.dtype),)


class Gelu(OpRun):
    op_domain = ""

    def _run(self, x: Any, approximate: str | None = None) -> tuple[Any]:
        import math

        if (approximate or getattr(self, "approximate", None)) == "tanh":
            inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)
            return ((0.5 * x * (1 + np.tanh(inner))).astype(x.dtype),)
        erf = np.vectorize(math.erf, otypes=[np.float64])
        return ((0.5 * x * (1 + erf(x / math.sqrt(2)))).astype(x.dtype),)


FLOAT64_OPS = [HardSwish, Mish, Gelu]


def _import(service: Service, model: Any) -> dict[str, Any]:
    """The import answer, through both transports (which must agree)."""
    data = model.SerializeToString()
    response = service.flask.post("/v1/networks/import", data=data, content_type="application/onnx")
    assert response.status_code == 200, response.get_json()
    local = response.get_json()
    remote = service.http.import_onnx(data)
    assert remote.network == local["network"]
    assert [n.node for n in remote.notes] == [n["node"] for n in local["notes"]]
    return dict(local)


def _layer_tensors(notes: list[dict[str, Any]]) -> list[dict[str, str]]:
    """For each layer, the tensors holding its z and a, from the notes."""
    layers: list[dict[str, str]] = []
    for note in notes:
        mapped = note["mapped_to"]
        if not mapped.startswith("layer "):
            continue
        index = int(mapped.split(":")[0].split()[1])
        if index == len(layers):
            layers.append({})
        what = mapped.split(": ", 1)[1]
        if what.startswith("activation"):
            layers[index]["a"] = note["output"]
        elif what in ("weights and bias", "bias"):
            layers[index]["z"] = layers[index]["a"] = note["output"]
    return layers


def _model_layers(
    model: Any, tensors: list[dict[str, str]], x: np.ndarray[Any, Any], dtype: str
) -> list[dict[str, Any]]:
    """Run the model with every layer's z and a as outputs: onnxruntime for float32, the
    onnx reference evaluator for float64."""
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    names = sorted({t for layer in tensors for t in layer.values()})
    existing = {o.name for o in probe.graph.output}
    for name in names:
        if name not in existing:
            probe.graph.output.append(helper.make_tensor_value_info(name, ELEMENT[dtype], None))
    graph_input = probe.graph.input[0].name
    if dtype == "float32":
        session = ort.InferenceSession(
            probe.SerializeToString(), providers=["CPUExecutionProvider"]
        )
        values = dict(zip(names, session.run(names, {graph_input: x}), strict=True))
    else:
        evaluator = ReferenceEvaluator(probe, new_ops=FLOAT64_OPS)
        values = dict(zip(names, evaluator.run(names, {graph_input: x}), strict=True))
    return [{key: values[name] for key, name in layer.items()} for layer in tensors]


def _check(service: Service, model: Any, fan_in: int, dtype: str, seed: int) -> None:
    answer = _import(service, model)
    network = nntrace.Network.from_dict(answer["network"])
    inputs = np.random.default_rng(seed).normal(size=(6, fan_in)).astype(dtype)
    want = _model_layers(model, _layer_tensors(answer["notes"]), inputs, dtype)
    got = service.layers(network, inputs, dtype)
    assert_layers_match(got, want, dtype, f"seed {seed}")


# ---- exported by torch.onnx.export ------------------------------------------------------------


def _exportable(rng: random.Random, units: int, dtype: str) -> Any:
    """Activation modules whose export is one operator or a subgraph the importer knows.

    Not CELU in float64: ONNX Celu has no double type, so the exporter casts to float32 around
    it and the model itself computes that layer in float32.
    """
    u = rng.uniform
    celu = (lambda: nn.CELU(u(0.1, 2))) if dtype == "float32" else nn.ELU
    return rng.choice(
        [
            lambda: None,
            nn.ReLU, nn.ReLU6, nn.SELU, nn.Sigmoid, nn.Tanh, nn.SiLU, nn.Mish, nn.Tanhshrink,
            nn.Hardsigmoid, nn.Hardswish, nn.LogSigmoid, nn.Softplus,
            lambda: nn.LeakyReLU(u(0, 0.5)),
            lambda: nn.PReLU(rng.choice([1, units]), init=u(-0.5, 0.5)),
            lambda: nn.RReLU(*sorted((u(0, 0.4), u(0, 0.4)))),
            lambda: nn.ELU(u(0.1, 2)), celu,
            lambda: nn.Hardtanh(*sorted((u(-2, 0), u(0, 2)))),
            lambda: nn.Softmax(dim=1), lambda: nn.Softmin(dim=1), lambda: nn.LogSoftmax(dim=1),
        ]
    )()  # fmt: skip


def _torch_model(seed: int, dtype: str) -> tuple[Any, int]:
    rng = random.Random(seed)
    torch.manual_seed(seed)
    fan_in = rng.randint(1, 64)
    modules: list[Any] = []
    width = fan_in
    for _ in range(rng.randint(1, 6)):
        units = rng.randint(1, 64)
        modules.append(nn.Linear(width, units))
        activation = _exportable(rng, units, dtype)
        if activation is not None:
            modules.append(activation)
        if rng.random() < 0.2:
            modules.append(nn.Dropout(0.2))
        width = units
    return nn.Sequential(*modules).eval(), fan_in


def _export(model: Any, fan_in: int, dtype: str) -> Any:
    model = model.to(getattr(torch, dtype))
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's deprecation notices
        torch.onnx.export(
            model,
            (torch.zeros(2, fan_in, dtype=getattr(torch, dtype)),),
            buffer,
            dynamo=False,
            input_names=["x"],
            output_names=["y"],
            dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}},
            opset_version=18,
        )
    return onnx.load_model_from_string(buffer.getvalue())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("seed", range(ARCHITECTURES))
def test_torch_exports_match_the_model(service: Service, seed: int, dtype: str) -> None:
    model, fan_in = _torch_model(seed, dtype)
    _check(service, _export(model, fan_in, dtype), fan_in, dtype, seed)


# ---- built with onnx.helper ------------------------------------------------------------------

OPSET = 21


class _Builder:
    def __init__(self, dtype: str) -> None:
        self.dtype = dtype
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.count = 0

    def name(self, stem: str) -> str:
        self.count += 1
        return f"{stem}{self.count}"

    def const(self, value: Any) -> str:
        name = self.name("c")
        self.initializers.append(numpy_helper.from_array(np.asarray(value, self.dtype), name))
        return name

    def node(self, op: str, inputs: list[str], **attributes: Any) -> str:
        out = self.name("t")
        self.nodes.append(helper.make_node(op, inputs, [out], name=self.name(op), **attributes))
        return out


def _helper_activation(rng: random.Random, b: _Builder, x: str, units: int) -> str:
    u = rng.uniform
    choice = rng.choice(
        [
            "none", "Relu", "LeakyRelu", "PRelu", "ThresholdedRelu", "Elu", "Celu", "Selu",
            "Gelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Softplus", "Softsign",
            "Mish", "Softmax", "LogSoftmax", "Hardmax", "Shrink", "Clip", "Exp",
        ]
    )  # fmt: skip
    if choice == "none":
        return x
    attributes: dict[str, Any] = {}
    inputs = [x]
    if choice == "LeakyRelu":
        attributes = {"alpha": u(0, 0.5)}
    elif choice == "PRelu":
        inputs.append(b.const(rng.choice([[u(-0.5, 0.5)], [u(-0.5, 0.5) for _ in range(units)]])))
    elif choice == "ThresholdedRelu":
        attributes = {"alpha": u(-1, 1)}
    elif choice in ("Elu", "Celu"):
        attributes = {"alpha": u(0.1, 2)}
    elif choice == "Selu":
        attributes = {"alpha": u(1, 2), "gamma": u(0.5, 1.5)}
    elif choice == "Gelu":
        attributes = {"approximate": rng.choice(["none", "tanh"])}
    elif choice == "HardSigmoid":
        attributes = {"alpha": u(0.05, 0.5), "beta": u(0, 1)}
    elif choice in ("Softmax", "LogSoftmax", "Hardmax"):
        attributes = {"axis": rng.choice([-1, 1])}
    elif choice == "Shrink":
        attributes = {"lambd": u(0, 1), "bias": u(0, 1)}
    elif choice == "Clip":
        low, high = u(-2, 1), u(-1, 2)  # low > high sometimes: every output is high
        inputs += [b.const(low), b.const(high)] if rng.random() < 0.8 else ["", b.const(high)]
    elif choice == "Exp":
        pass
    return b.node(choice, inputs, **attributes)


def _helper_model(seed: int, dtype: str) -> tuple[Any, int]:
    rng = random.Random(seed)
    np_rng = np.random.default_rng(seed)
    b = _Builder(dtype)
    fan_in = rng.randint(1, 64)
    x = "input"
    if rng.random() < 0.3:
        x = b.node("Flatten", [x], axis=1)
    width = fan_in
    for _ in range(rng.randint(1, 6)):
        units = rng.randint(1, 64)
        scale = 1 / np.sqrt(width)
        weights = np_rng.uniform(-scale, scale, size=(units, width))
        bias = np_rng.uniform(-0.5, 0.5, size=units)
        if rng.random() < 0.6:
            trans_b = rng.random() < 0.5
            x = b.node(
                "Gemm",
                [x, b.const(weights if trans_b else weights.T), b.const(bias)],
                transB=int(trans_b),
                alpha=rng.choice([1.0, 0.5]),
                beta=rng.choice([1.0, 2.0]),
            )
        else:
            x = b.node("MatMul", [x, b.const(weights.T)])
            if rng.random() < 0.8:
                x = b.node("Add", [x, b.const(bias)])
        x = _helper_activation(rng, b, x, units)
        if rng.random() < 0.2:
            x = b.node(rng.choice(["Identity", "Dropout"]), [x])
        width = units
    graph = helper.make_graph(
        b.nodes,
        f"random{seed}",
        [helper.make_tensor_value_info("input", ELEMENT[dtype], ["batch", fan_in])],
        [helper.make_tensor_value_info(x, ELEMENT[dtype], ["batch", width])],
        b.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 10
    onnx.checker.check_model(model)
    return model, fan_in


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("seed", range(ARCHITECTURES))
def test_helper_built_models_match_the_model(service: Service, seed: int, dtype: str) -> None:
    model, fan_in = _helper_model(seed, dtype)
    _check(service, model, fan_in, dtype, seed)


# ---- exports, errors, limits ------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(0, ARCHITECTURES, 5))
def test_to_onnx_round_trips(service: Service, seed: int) -> None:
    """A network written with to_onnx imports back to the same network, and onnxruntime
    running it gives the service's outputs."""
    model, fan_in = _helper_model(seed, "float64")
    network = nntrace.Network.from_dict(_import(service, model)["network"])
    exported = network.to_onnx(dtype="float64")
    again = _import(service, exported)["network"]
    assert again == service.http.validate(network).network
    x = np.random.default_rng(seed).normal(size=(4, fan_in))
    session = ReferenceEvaluator(exported, new_ops=FLOAT64_OPS)
    (want,) = session.run(["output"], {"input": x})
    got = np.asarray(service.http.evaluate(network, x).outputs, dtype=np.float64)
    np.testing.assert_allclose(got, np.asarray(want, dtype=np.float64), rtol=1e-12, atol=1e-12)


def test_unsupported_operators_are_listed_with_node_names(service: Service) -> None:
    b = _Builder("float32")
    x = b.node("Gemm", ["input", b.const(np.ones((3, 2))), b.const(np.zeros(3))], transB=1)
    x = b.node("Erf", [x])
    x = b.node("Gemm", [x, b.const(np.ones((2, 3))), b.const(np.zeros(2))], transB=1)
    x = b.node("Relu", [x])
    x = b.node("Sin", [x])
    graph = helper.make_graph(
        b.nodes,
        "bad",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 2])],
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", 2])],
        b.initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 10
    response = service.flask.post(
        "/v1/networks/import", data=model.SerializeToString(), content_type="application/onnx"
    )
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["type"].endswith("/unsupported-model")
    offending = [(n.name, n.op_type) for n in b.nodes if n.op_type in ("Erf", "Sin")]
    assert [(n["node"], n["op_type"]) for n in problem["nodes"]] == offending
    with pytest.raises(nntrace.UnsupportedOperatorsError) as caught:
        service.http.import_onnx(model)
    assert all(name in str(caught.value) for name, _ in offending)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "slug"),
    [
        (b"not a model", "application/onnx", 422, "invalid-model"),
        (b"\x08\x07", "application/onnx", 422, "invalid-model"),
        (b"{}", "application/json", 415, "unsupported-media-type"),
    ],
)
def test_bad_bodies_get_problems(
    service: Service, body: bytes, content_type: str, status: int, slug: str
) -> None:
    response = service.flask.post("/v1/networks/import", data=body, content_type=content_type)
    assert response.status_code == status
    assert response.get_json()["type"].endswith(f"/{slug}")


def test_graph_limits_apply_before_conversion() -> None:
    """A graph with more nodes than the layer limit allows is refused naming the setting."""
    from nntrace_service.app import create_app
    from nntrace_service.settings import Settings

    models = (_helper_model(seed, "float32")[0] for seed in range(ARCHITECTURES))
    model = next(m for m in models if len(m.graph.node) > 6)  # over 6 nodes per allowed layer
    client = create_app(Settings(max_layers=1)).test_client()
    response = client.post(
        "/v1/networks/import", data=model.SerializeToString(), content_type="application/onnx"
    )
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["type"].endswith("/limit-exceeded")
    assert problem["setting"] == "NNTRACE_MAX_LAYERS"


def test_cli_imports_a_model_file(live_server: str, tmp_path: Any, capsys: Any) -> None:
    """``nntrace import model.onnx --out net.json`` writes the network the service mapped."""
    from nntrace.cli import main

    model, fan_in = _helper_model(7, "float32")
    path = tmp_path / "model.onnx"
    path.write_bytes(model.SerializeToString())
    out = tmp_path / "net.json"
    assert main(["import", str(path), "--out", str(out), "--url", live_server]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out}" in printed and "layer 0: weights and bias" in printed
    network = nntrace.Network.load(out)
    assert network.input_size == fan_in
    assert main(["import", str(tmp_path / "missing.onnx"), "--url", live_server]) == 2
