"""The Open Inference Protocol endpoints, driven by a client no one here wrote: Triton's
``tritonclient[http]`` against a real gunicorn on loopback (values checked against plain
loops), plus a table of malformed requests through the Flask test client."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tritonclient.http as triton
from flask.testing import FlaskClient
from tritonclient.utils import InferenceServerException

from nntrace_service.store import Scope, Store
from nntrace_service.store.access import Visibility
from nntrace_service.store.repository import NetworkFields
from tests.store.test_http_networks import naive_forward
from tests.support import ROOT, gunicorn_process, seed_network

ROWS = [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0], [0.25, -2.0, 1.5]]


def naive_z_and_a(
    network: dict[str, Any], row: list[float]
) -> list[tuple[list[float], list[float]]]:
    """(z, a) per layer by plain loops."""
    a_values = naive_forward(network, row)
    layers, previous = [], row
    for layer, a in zip(network["layers"], a_values, strict=True):
        z = [
            sum(w * x for w, x in zip(weights, previous, strict=True)) + b
            for weights, b in zip(layer["weights"], layer["bias"], strict=True)
        ]
        layers.append((z, a))
        previous = a
    return layers


@dataclass(frozen=True)
class Oip:
    url: str
    client: triton.InferenceServerClient
    write: str
    grade: str
    hidden_id: str

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


def _repository(root: Path) -> Path:
    for version, activation in (("1", "sigmoid"), ("2", "tanh")):
        folder = root / "seed" / version
        folder.mkdir(parents=True)
        (folder / "network.json").write_text(json.dumps(seed_network(activation)))
    return root


@pytest.fixture(scope="module")
def oip(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Oip]:
    tmp = tmp_path_factory.mktemp("oip")
    database_url = f"sqlite+pysqlite:///{tmp / 'store.sqlite3'}"
    store = Store.open(database_url)
    write = store.create_key("cs101", [Scope.WRITE])[1]
    grade = store.create_key("cs101", [Scope.GRADE])[1]
    store.create_network("cs101", NetworkFields(seed_network("relu"), "course-net"))
    hidden = store.create_network(
        "cs101",
        NetworkFields(
            seed_network(), "reference", visibility=Visibility.PRIVATE, hidden_weights=True
        ),
    )
    store.close()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NNTRACE_DATABASE_URL": database_url,
        "NNTRACE_MODEL_REPOSITORY": str(_repository(tmp / "models")),
        "WEB_CONCURRENCY": "2",
        "NNTRACE_ACCESS_LOG": "",
    }
    with gunicorn_process(env, tmp / "gunicorn.log", timeout=60) as (base_url, _):
        url = base_url.removeprefix("http://")
        client = triton.InferenceServerClient(url=url, network_timeout=60)
        try:
            yield Oip(url, client, write, grade, hidden.id)
        finally:
            client.close()


def test_server_health_and_metadata(oip: Oip) -> None:
    assert oip.client.is_server_live()
    assert oip.client.is_server_ready()
    metadata = oip.client.get_server_metadata()
    assert metadata["name"] == "nntrace"
    assert "binary_tensor_data" in metadata["extensions"]


def test_model_metadata_lists_every_layer_output(oip: Oip) -> None:
    assert oip.client.is_model_ready("seed")
    assert oip.client.is_model_ready("seed", "1")
    metadata = oip.client.get_model_metadata("seed")
    pinned = oip.client.get_model_metadata("seed", "1")

    assert metadata["versions"] == ["1", "2"]
    assert metadata["inputs"] == [{"name": "input", "datatype": "FP64", "shape": [-1, 3]}]
    names = [o["name"] for o in metadata["outputs"]]
    assert names == ["output", "layers.0.z", "layers.0.a", "layers.1.z", "layers.1.a"]
    assert [o["shape"] for o in metadata["outputs"]] == [
        [-1, 1],
        [-1, 4],
        [-1, 4],
        [-1, 1],
        [-1, 1],
    ]
    assert pinned["name"] == "seed"


def _input(binary: bool, dtype: type = np.float64) -> triton.InferInput:
    array: np.ndarray = np.array(ROWS, dtype=dtype)
    tensor = triton.InferInput(
        "input", list(array.shape), "FP64" if dtype is np.float64 else "FP32"
    )
    tensor.set_data_from_numpy(array, binary_data=binary)
    return tensor


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
@pytest.mark.parametrize(("version", "activation"), [("", "tanh"), ("1", "sigmoid"), ("2", "tanh")])
def test_infer_returns_every_layer(oip: Oip, binary: bool, version: str, activation: str) -> None:
    outputs = [
        triton.InferRequestedOutput(name, binary_data=binary)
        for name in ("output", "layers.0.z", "layers.0.a")
    ]
    result = oip.client.infer(
        "seed", [_input(binary)], model_version=version, outputs=outputs, request_id="r1"
    )

    expected = [naive_z_and_a(seed_network(activation), row) for row in ROWS]
    np.testing.assert_allclose(
        result.as_numpy("layers.0.z"), [e[0][0] for e in expected], atol=1e-12
    )
    np.testing.assert_allclose(
        result.as_numpy("layers.0.a"), [e[0][1] for e in expected], atol=1e-12
    )
    np.testing.assert_allclose(result.as_numpy("output"), [e[1][1] for e in expected], atol=1e-12)
    response = result.get_response()
    assert response["id"] == "r1" and response["model_name"] == "seed"
    assert response["model_version"] == (version or "2")
    assert result.as_numpy("layers.1.a") is None  # not requested, not sent


def test_infer_without_requested_outputs_returns_all_as_binary(oip: Oip) -> None:
    result = oip.client.infer("seed", [_input(True, np.float32)])

    names = [o["name"] for o in result.get_response()["outputs"]]
    assert names == ["output", "layers.0.z", "layers.0.a", "layers.1.z", "layers.1.a"]
    expected = [naive_z_and_a(seed_network("tanh"), row) for row in ROWS]
    assert result.as_numpy("layers.1.a").dtype == np.float32
    np.testing.assert_allclose(
        result.as_numpy("layers.1.a"), [e[1][1] for e in expected], rtol=1e-6
    )


def test_stored_networks_are_models_by_name_and_id(oip: Oip) -> None:
    headers = oip.auth(oip.write)
    by_name = oip.client.infer("course-net", [_input(False)], headers=headers)
    expected = [naive_forward(seed_network("relu"), row)[-1] for row in ROWS]

    np.testing.assert_allclose(by_name.as_numpy("output"), expected, atol=1e-12)
    with pytest.raises(InferenceServerException) as anonymous:
        oip.client.infer("course-net", [_input(False)])
    assert anonymous.value.status() == "404"
    assert oip.client.get_model_metadata(oip.hidden_id, headers=oip.auth(oip.grade))[
        "versions"
    ] == ["1"]


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_trace_parameter_returns_node_calculations(oip: Oip, binary: bool) -> None:
    outputs = [triton.InferRequestedOutput("trace", binary_data=binary)]
    result = oip.client.infer(
        "seed", [_input(binary)], model_version="1", outputs=outputs, parameters={"trace": "nodes"}
    )

    nodes = [json.loads(item) for item in result.as_numpy("trace")]
    expected = [naive_z_and_a(seed_network("sigmoid"), row) for row in ROWS]
    assert len(nodes) == len(ROWS) * (4 + 1)
    for node in nodes:
        assert node["z"] == pytest.approx(
            expected[node["sample"]][node["layer"]][0][node["node"]], abs=1e-12
        )
        assert "sigmoid" in node["calculation"] or node["layer"] == 1


def test_hidden_weights_refuse_traces_to_a_grade_key(oip: Oip) -> None:
    headers = oip.auth(oip.grade)
    values = oip.client.infer(oip.hidden_id, [_input(False)], headers=headers)
    with pytest.raises(InferenceServerException) as refused:
        oip.client.infer(
            oip.hidden_id, [_input(False)], headers=headers, parameters={"trace": "nodes"}
        )

    assert values.as_numpy("output").shape == (3, 1)
    assert refused.value.status() == "403"
    assert "hidden" in refused.value.message()


def test_unknown_models_are_404_with_an_oip_error(oip: Oip) -> None:
    with pytest.raises(InferenceServerException) as caught:
        oip.client.get_model_metadata("nope")
    assert caught.value.status() == "404"
    assert "nope" in caught.value.message()
    assert not oip.client.is_model_ready("seed", "9")


# ---- malformed requests, in process --------------------------------------------------------


@pytest.fixture
def repo_client(tmp_path: Path, data_dir: Path) -> FlaskClient:
    from nntrace_service.app import create_app
    from nntrace_service.settings import Settings

    app = create_app(Settings(model_repository=_repository(tmp_path / "models")))
    return app.test_client()


def _body(**changes: Any) -> dict[str, Any]:
    tensor = {"name": "input", "shape": [1, 3], "datatype": "FP64", "data": [1.0, 2.0, 3.0]}
    tensor.update(changes.pop("tensor", {}))
    return {"inputs": [tensor], **changes}


BAD: list[tuple[str, Any, dict[str, str], int]] = [
    ("not json", b"{", {}, 400),
    ("no inputs", {"inputs": []}, {}, 422),
    ("two inputs", {"inputs": [_body()["inputs"][0]] * 2}, {}, 422),
    ("wrong input name", _body(tensor={"name": "x"}), {}, 400),
    ("wrong shape", _body(tensor={"shape": [1, 4]}), {}, 400),
    ("negative shape", _body(tensor={"shape": [-1, 3]}), {}, 400),
    ("datatype", _body(tensor={"datatype": "INT8"}), {}, 400),
    ("too few values", _body(tensor={"data": [1.0, 2.0]}), {}, 400),
    ("strings", _body(tensor={"data": ["1", "2", "3"]}), {}, 400),
    ("booleans", _body(tensor={"data": [True, False, True]}), {}, 400),
    ("ragged", _body(tensor={"shape": [2, 3], "data": [[1, 2, 3], [1]]}), {}, 400),
    ("unknown output", _body(outputs=[{"name": "layers.9.a"}]), {}, 400),
    ("bad trace", _body(parameters={"trace": "all"}), {}, 400),
    ("trace output without trace", _body(outputs=[{"name": "trace"}]), {}, 400),
    ("batch over the limit", _body(tensor={"shape": [5000, 3], "data": []}), {}, 422),
    ("header length too long", b'{"inputs": []}', {"Inference-Header-Content-Length": "999"}, 400),
    ("header length text", b'{"inputs": []}', {"Inference-Header-Content-Length": "x"}, 400),
    (
        "binary size mismatch",
        json.dumps(_body(tensor={"data": None, "parameters": {"binary_data_size": 8}})).encode() + b"\0" * 8,
        {"Inference-Header-Content-Length": str(len(json.dumps(_body(tensor={"data": None, "parameters": {"binary_data_size": 8}}))))},
        400,
    ),
]  # fmt: skip


@pytest.mark.parametrize(("what", "body", "headers", "status"), BAD, ids=[b[0] for b in BAD])
def test_malformed_inference_requests(
    repo_client: FlaskClient, what: str, body: Any, headers: dict[str, str], status: int
) -> None:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = repo_client.post("/v2/models/seed/infer", data=data, headers=headers)
    problem = response.get_json()

    assert response.status_code == status, problem
    assert response.mimetype == "application/problem+json"
    assert problem["error"] == problem["detail"]
    assert "Traceback" not in response.get_data(as_text=True)
