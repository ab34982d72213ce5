"""The store over HTTP (Flask test client, on SQLite and PostgreSQL): stored networks as
versioned resources, and used by id wherever a network is accepted."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.store.conftest import Keys
from tests.support import SEED_INPUTS, seed_network


def stored_body(name: str = "seed", **changes: Any) -> dict[str, Any]:
    return {"network": seed_network(), "name": name, **changes}


def naive_forward(network: dict[str, Any], row: list[float]) -> list[list[float]]:
    """Every layer's activations by plain loops (sigmoid, tanh, relu, linear): the
    independent reference for values computed from a stored network."""
    functions = {
        "sigmoid": lambda z: 1 / (1 + math.exp(-z)),
        "tanh": math.tanh,
        "relu": lambda z: max(z, 0.0),
        "linear": lambda z: z,
    }
    values, layers = row, []
    for layer in network["layers"]:
        f = functions[layer["activation"]]
        values = [
            f(sum(w * x for w, x in zip(weights, values, strict=True)) + b)
            for weights, b in zip(layer["weights"], layer["bias"], strict=True)
        ]
        layers.append(values)
    return layers


def create(http: FlaskClient, token: str, **changes: Any) -> dict[str, Any]:
    response = http.post(
        "/v1/networks", json=stored_body(**changes), headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201, response.get_json()
    created: dict[str, Any] = response.get_json()
    return created


def test_post_creates_version_one_with_location_and_etag(http: FlaskClient, keys: Keys) -> None:
    response = http.post(
        "/v1/networks",
        json=stored_body(description="week 1", tags=["week1"]),
        headers=keys.auth(keys.write),
    )
    body = response.get_json()

    assert response.status_code == 201
    assert re.fullmatch(r"nw_[A-Za-z0-9_-]{22}", body["id"])
    assert response.headers["Location"] == f"/v1/networks/{body['id']}"
    assert response.headers["ETag"] == '"v1"'
    assert (body["owner"], body["version"], body["visibility"]) == ("cs101", 1, "private")
    assert (body["input_size"], body["output_size"]) == (3, 1)
    assert body["layers"] == [{"name": "hidden", "units": 4}, {"name": "output", "units": 1}]
    assert body["network"] == seed_network()

    got = http.get(response.headers["Location"], headers=keys.auth(keys.read))
    assert got.status_code == 200 and got.get_json()["network"] == seed_network()
    assert got.headers["ETag"] == '"v1"'
    again = http.get(
        response.headers["Location"], headers={**keys.auth(keys.read), "If-None-Match": '"v1"'}
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("token_name", "status", "slug"),
    [(None, 401, "unauthorized"), ("grade", 403, "forbidden"), ("read", 403, "forbidden")],
)
def test_storing_needs_a_write_key(
    http: FlaskClient, keys: Keys, token_name: str | None, status: int, slug: str
) -> None:
    headers = keys.auth(getattr(keys, token_name)) if token_name else {}
    response = http.post("/v1/networks", json=stored_body(), headers=headers)

    assert response.status_code == status
    assert response.get_json()["type"] == f"/problems/{slug}"
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_put_needs_the_current_etag(http: FlaskClient, keys: Keys) -> None:
    created = create(http, keys.write)
    url = f"/v1/networks/{created['id']}"
    changed = stored_body(network=seed_network("tanh"))
    auth = keys.auth(keys.write)

    missing = http.put(url, json=changed, headers=auth)
    updated = http.put(url, json=changed, headers={**auth, "If-Match": '"v1"'})
    stale = http.put(url, json=stored_body(), headers={**auth, "If-Match": '"v1"'})
    garbage = http.put(url, json=stored_body(), headers={**auth, "If-Match": "v2"})

    assert missing.status_code == 428
    assert missing.get_json()["type"] == "/problems/precondition-required"
    assert updated.status_code == 200 and updated.headers["ETag"] == '"v2"'
    assert stale.status_code == 412 and stale.get_json()["current_version"] == 2
    assert garbage.status_code == 412
    assert http.get(url, headers=auth).get_json()["network"] == seed_network("tanh")
    old = http.get(f"{url}/versions/1", headers=auth)
    assert old.get_json()["network"] == seed_network() and old.headers["ETag"] == '"v1"'
    versions = http.get(f"{url}/versions", headers=auth).get_json()["items"]
    assert [v["version"] for v in versions] == [1, 2]


def test_delete_removes_the_network(http: FlaskClient, keys: Keys) -> None:
    created = create(http, keys.write)
    url = f"/v1/networks/{created['id']}"
    auth = keys.auth(keys.write)

    assert http.delete(url, headers=auth).status_code == 428
    assert http.delete(url, headers=keys.auth(keys.grade)).status_code == 403
    assert http.delete(url, headers={**auth, "If-Match": '"v1"'}).status_code == 204
    assert http.get(url, headers=auth).status_code == 404
    assert http.get(f"{url}/versions/1", headers=auth).status_code == 404


def test_names_are_unique_per_owner(http: FlaskClient, keys: Keys) -> None:
    create(http, keys.write, name="xor")
    create(http, keys.other_write, name="xor")

    response = http.post("/v1/networks", json=stored_body("xor"), headers=keys.auth(keys.write))

    assert response.status_code == 409
    assert response.get_json()["errors"][0]["pointer"] == "/name"


def test_listing_pages_with_a_cursor(http: FlaskClient, keys: Keys) -> None:
    made = [create(http, keys.write, name=f"n{i}")["id"] for i in range(5)]
    create(http, keys.other_write, name="theirs")
    public = create(http, keys.other_write, name="shared", visibility="public")["id"]
    seen: list[str] = []
    url: str | None = "/v1/networks?limit=2"
    while url:
        page = http.get(url, headers=keys.auth(keys.grade)).get_json()
        assert len(page["items"]) <= 2
        assert all("network" not in item for item in page["items"])
        seen += [item["id"] for item in page["items"]]
        url = f"/v1/networks?limit=2&cursor={page['next_cursor']}" if page["next_cursor"] else None

    assert seen == [*made, public]
    anonymous = http.get("/v1/networks").get_json()["items"]
    assert [item["id"] for item in anonymous] == [public]


@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        ("limit=0", "/limit"),
        ("limit=201", "/limit"),
        ("limit=x", "/limit"),
        ("limit=-1", "/limit"),
        ("limit=" + "9" * 5000, "/limit"),
        ("cursor=nonsense", "/cursor"),
        ("cursor=a%00b", "/cursor"),
        ("owner=a%00b", "/owner"),
        ("owner=" + "o" * 65, "/owner"),
    ],
    ids=lambda value: str(value)[:24],
)
def test_bad_listing_parameters_are_400(
    http: FlaskClient, keys: Keys, query: str, pointer: str
) -> None:
    response = http.get(f"/v1/networks?{query}", headers=keys.auth(keys.admin))
    assert response.status_code == 400, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert [item["pointer"] for item in response.get_json()["errors"]] == [pointer]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "pointer"),
    [
        ("POST", "/v1/networks", stored_body(description="x\x00y"), 422, "/description"),
        ("POST", "/v1/keys", {"owner": "cs101", "scopes": ["read"], "name": "k\x00"}, 422, "/name"),
        ("GET", "/v1/keys?owner=a%00b", None, 400, "/owner"),
        ("GET", "/v1/networks?tag=a%00b", None, 200, None),
        ("GET", "/v2/models/a%00b", None, 404, None),
    ],
    ids=["description", "key-name", "keys-owner", "tag", "model-name"],
)
def test_text_the_database_cannot_hold_is_refused_not_a_500(
    http: FlaskClient,
    keys: Keys,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: int,
    pointer: str | None,
) -> None:
    """PostgreSQL's text cannot hold NUL: such input is refused with its pointer (or simply
    matches nothing) before it reaches a query, on both backends alike."""
    response = http.open(path, method=method, json=body, headers=keys.auth(keys.admin))
    assert response.status_code == status, response.get_json()
    if pointer is not None:
        assert [item["pointer"] for item in response.get_json()["errors"]] == [pointer]


def test_evaluate_by_id_gives_the_stored_networks_values(http: FlaskClient, keys: Keys) -> None:
    created = create(http, keys.write)
    http.put(
        f"/v1/networks/{created['id']}",
        json=stored_body(network=seed_network("relu")),
        headers={**keys.auth(keys.write), "If-Match": '"v1"'},
    )

    def layers(**ref: Any) -> list[Any]:
        response = http.post(
            "/v1/evaluate", json={**ref, "inputs": SEED_INPUTS}, headers=keys.auth(keys.grade)
        )
        assert response.status_code == 200, response.get_json()
        return [layer["activations"] for layer in response.get_json()["layers"]]

    for version, activation in ((1, "sigmoid"), (2, "relu"), (None, "relu")):
        pinned = {"version": version} if version else {}
        got = layers(network_id=created["id"], **pinned)
        expected = [naive_forward(seed_network(activation), row) for row in SEED_INPUTS]
        for layer_index, values in enumerate(got):
            for row, expected_row in zip(values, expected, strict=True):
                assert row == pytest.approx(expected_row[layer_index], abs=1e-12)


def test_a_stored_network_keeps_its_dialect(http: FlaskClient, keys: Keys) -> None:
    """PyTorch's LeakyReLU has slope 0.01, Keras's 0.2: the stored definition must keep the
    dialect it was written in, or evaluating it by id changes its values."""
    network = {
        "input_size": 1,
        "dialect": "torch",
        "layers": [{"activation": "LeakyReLU", "weights": [[1.0]], "bias": [0.0]}],
    }
    created = create(http, keys.write, network=network)
    assert created["network"]["dialect"] == "torch"
    response = http.post(
        "/v1/evaluate",
        json={"network_id": created["id"], "inputs": [[-2.0], [3.0]]},
        headers=keys.auth(keys.read),
    )
    assert response.status_code == 200, response.get_json()
    values = [row[0] for row in response.get_json()["layers"][0]["activations"]]
    assert values == pytest.approx([-2.0 * 0.01, 3.0], abs=1e-15)


def test_validate_and_compare_by_id(http: FlaskClient, keys: Keys) -> None:
    created = create(http, keys.write)
    auth = keys.auth(keys.read)

    validated = http.post("/v1/networks/validate", json={"network_id": created["id"]}, headers=auth)
    compared = http.post(
        "/v1/compare",
        json={
            "reference": {"network_id": created["id"]},
            "candidate": {"network": seed_network()},
            "inputs": SEED_INPUTS,
        },
        headers=auth,
    )

    assert validated.status_code == 200
    assert validated.get_json()["summary"]["parameter_count"] == 4 * 3 + 4 + 4 + 1
    assert compared.status_code == 200, compared.get_json()
    assert compared.get_json()["ok"] is True


def test_grade_with_a_stored_reference_and_a_grade_key(http: FlaskClient, keys: Keys) -> None:
    created = create(http, keys.write, hidden_weights=True)
    row = [1.0, 2.0, 3.0]
    right = naive_forward(seed_network(), row)
    wrong = [right[0], [right[1][0] + 1.0]]
    body = {
        "reference_id": created["id"],
        "test_cases": [{"id": "a", "input": row, "points": 2}],
        "submission": {"kind": "node_values", "node_values": {"a": {"layers": right}}},
    }

    good = http.post("/v1/grade", json=body, headers=keys.auth(keys.grade))
    bad_body = {
        **body,
        "submission": {"kind": "node_values", "node_values": {"a": {"layers": wrong}}},
    }
    bad = http.post("/v1/grade", json=bad_body, headers=keys.auth(keys.grade))

    assert good.status_code == 200, good.get_json()
    assert good.get_json()["points"] == pytest.approx(2.0)
    assert bad.get_json()["points"] < 2.0
    assert http.post("/v1/grade", json=body).status_code == 404  # private: no key, no network


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"inputs": SEED_INPUTS}, "/network"),
        (
            {"network": seed_network(), "network_id": "nw_" + "a" * 22, "inputs": SEED_INPUTS},
            "/network_id",
        ),
        ({"network": seed_network(), "version": 1, "inputs": SEED_INPUTS}, "/version"),
        ({"network_id": "nw_short", "inputs": SEED_INPUTS}, "/network_id"),
        ({"network_id": "nw_" + "a" * 22, "version": 0, "inputs": SEED_INPUTS}, "/version"),
    ],
    ids=["neither", "both", "version-without-id", "malformed-id", "version-zero"],
)
def test_bad_network_references_are_located(
    http: FlaskClient, body: dict[str, Any], pointer: str
) -> None:
    response = http.post("/v1/evaluate", json=body)

    assert response.status_code == 422
    assert pointer in [e["pointer"] for e in response.get_json()["errors"]]


def test_admin_manages_keys_over_the_api(http: FlaskClient, keys: Keys) -> None:
    admin = keys.auth(keys.admin)
    assert http.post("/v1/keys", json={"owner": "cs103", "scopes": ["write"]}).status_code == 401
    refused = http.post(
        "/v1/keys", json={"owner": "cs103", "scopes": ["write"]}, headers=keys.auth(keys.write)
    )
    assert refused.status_code == 403

    created = http.post("/v1/keys", json={"owner": "cs103", "scopes": ["write"]}, headers=admin)
    token = created.get_json()["token"]
    key_id = created.get_json()["id"]

    assert created.status_code == 201
    assert create(http, token, name="mine")["owner"] == "cs103"
    listed = http.get("/v1/keys?owner=cs103", headers=admin).get_json()["items"]
    assert [k["id"] for k in listed] == [key_id] and "token" not in listed[0]
    assert listed[0]["last_used_at"] is not None
    assert http.delete(f"/v1/keys/{key_id}", headers=admin).get_json()["revoked_at"]
    assert http.get("/v1/networks", headers=keys.auth(token)).status_code == 401
    assert http.get("/v1/keys/0000000000000000", headers=admin).status_code == 404
