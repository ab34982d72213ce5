"""Dialects on the wire: a network's or layer's dialect, the 422 for an ambiguous spelling,
per-node prelu slopes, and the catalog's framework spellings."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient


def _network(activation: Any, **extra: Any) -> dict[str, Any]:
    layer = {"weights": [[1.0], [2.0], [-1.0]], "bias": [0.0, 0.0, 0.0], "activation": activation}
    return {"input_size": 1, "layers": [{**layer, **extra.pop("layer", {})}], **extra}


def _outputs(client: FlaskClient, network: dict[str, Any], x: float = -1.0) -> Any:
    response = client.post("/v1/evaluate", json={"network": network, "inputs": [[x]]})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["outputs"][0]


def test_network_and_layer_dialects(client: FlaskClient) -> None:
    onnx = _network({"name": "LeakyRelu", "alpha": 0.1}, dialect="onnx")
    assert _outputs(client, onnx) == pytest.approx([-0.1, -0.2, 1.0])
    assert _outputs(client, _network("LeakyRelu", dialect="onnx")) == pytest.approx(
        [-0.01, -0.02, 1.0]
    )
    layer = _network("LeakyReLU", dialect="torch", layer={"dialect": "keras"})
    assert _outputs(client, layer) == pytest.approx([-0.3, -0.6, 1.0])  # the layer wins


def test_ambiguous_spelling_without_a_dialect_is_a_422(client: FlaskClient) -> None:
    response = client.post(
        "/v1/evaluate", json={"network": _network("HardSigmoid"), "inputs": [[1.0]]}
    )
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["type"].endswith("/ambiguous-activation")
    assert problem["errors"][0]["pointer"] == "/network/layers/0/activation"
    assert "dialect" in problem["detail"] and "ONNX HardSigmoid" in problem["candidates"]


def test_foreign_parameter_name_points_at_it(client: FlaskClient) -> None:
    network = _network({"name": "LeakyRelu", "alpha": 0.1})
    response = client.post("/v1/evaluate", json={"network": network, "inputs": [[1.0]]})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "/network/layers/0/activation/alpha"


def test_prelu_slopes_per_node(client: FlaskClient) -> None:
    network = _network({"name": "prelu", "alpha": [0.5, 0.25, 2.0]})
    assert _outputs(client, network) == pytest.approx([-0.5, -0.5, 1.0])
    wrong = _network({"name": "prelu", "alpha": [0.5, 0.25]})
    response = client.post("/v1/evaluate", json={"network": wrong, "inputs": [[1.0]]})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["pointer"] == "/network/layers/0/activation/alpha"
    response = client.post(
        "/v1/networks/validate",
        json={"network": _network({"name": "PRelu", "slope": 0.5}, dialect="onnx")},
    )
    assert response.get_json()["network"]["layers"][0]["activation"] == {
        "name": "prelu",
        "alpha": 0.5,
    }


def test_catalog_lists_each_frameworks_spelling(client: FlaskClient) -> None:
    entry = client.get("/v1/activations/leaky_relu").get_json()
    dialects = entry["dialects"]
    onnx = dialects["onnx"][0]
    assert onnx["name"] == "LeakyRelu"
    assert onnx["parameters"] == [
        {"name": "alpha", "parameter": "negative_slope", "default": 0.01, "required": False}
    ]
    assert [s["name"] for s in dialects["keras"]] == ["leaky_relu", "LeakyReLU"]
    assert dialects["keras"][1]["parameters"][0]["default"] == 0.3
    assert dialects["torch"][0]["parameters"][0]["default"] == 0.01
    assert client.get("/v1/activations/sparsemax").get_json()["dialects"]["onnx"] == []


def test_activation_endpoints_take_a_dialect(client: FlaskClient) -> None:
    response = client.post(
        "/v1/activations/HardSigmoid/evaluate", json={"x": [1.0], "dialect": "onnx"}
    )
    assert response.get_json()["y"] == pytest.approx([0.7])
    curve = client.get("/v1/activations/Softplus/curve?dialect=torch&start=19&stop=21&num=3")
    assert curve.get_json()["params"] == {"beta": 1.0, "threshold": 20.0}
    assert client.get("/v1/activations/HardSigmoid/curve").status_code == 422
    assert client.get("/v1/activations/HardSigmoid/curve?dialect=jax").status_code == 422
