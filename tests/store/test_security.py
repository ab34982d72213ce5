"""Security of stored references, table-driven (on SQLite and PostgreSQL):

- a ``grade`` key of the owner uses a hidden reference but cannot read its weights by any
  endpoint: no definition, no traces, gradients or calculation lines, nothing in errors, and
  ETags that say nothing about the content;
- another owner's keys get exactly the answer an unknown id gets (404, same body), so ids
  cannot be probed, and in about the same time;
- a revoked key fails on the next request;
- keys never appear in responses or logs (the gunicorn half is in test_http_concurrency.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from werkzeug.test import TestResponse

from tests.store.conftest import Keys
from tests.support import SEED_INPUTS, seed_network

SECRET_WEIGHTS = [0.123456789, -0.987654321, 0.555555551]
"""Weights no other number in the tests resembles: any of them in a response is a leak."""


def secret_network() -> dict[str, Any]:
    network = seed_network()
    network["layers"][0]["weights"][0] = list(SECRET_WEIGHTS)
    return network


def leaks(text: str) -> bool:
    return any(f"{w}"[:9] in text or f"{w:.4f}" in text for w in SECRET_WEIGHTS)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: these rules are the service's, not the database's (the store's own tests
    and the HTTP tests run on both backends), and the table is large."""
    return f"sqlite+pysqlite:///{tmp_path / 'store.sqlite3'}"


@pytest.fixture
def hidden_id(http: FlaskClient, keys: Keys) -> str:
    response = http.post(
        "/v1/networks",
        json={"network": secret_network(), "name": "ref", "hidden_weights": True},
        headers=keys.auth(keys.write),
    )
    assert response.status_code == 201
    network_id: str = response.get_json()["id"]
    return network_id


Request = Callable[[FlaskClient, str, dict[str, str]], TestResponse]


def _post(path: str, body: Callable[[str], dict[str, Any]]) -> Request:
    return lambda http, nid, headers: http.post(path, json=body(nid), headers=headers)


def _get(path: str) -> Request:
    return lambda http, nid, headers: http.get(path.format(id=nid), headers=headers)


def _grade(nid: str, **feedback: Any) -> dict[str, Any]:
    return {
        "reference_id": nid,
        "test_cases": [{"id": "a", "input": [1.0, 2.0, 3.0], "visibility": "visible"}],
        "submission": {"kind": "node_values", "node_values": {"a": {"layers": [[0.0] * 4, [0.0]]}}},
        "feedback": {"include_trace": "mismatches", "reveal_expected": "always", **feedback},
    }


# Every way a grade key could try to see the weights, and the status it must get.
READS: list[tuple[str, Request, int]] = [
    ("GET network", _get("/v1/networks/{id}"), 200),
    ("GET version", _get("/v1/networks/{id}/versions/1"), 200),
    ("GET versions", _get("/v1/networks/{id}/versions"), 200),
    ("GET listing", _get("/v1/networks"), 200),
    ("GET unknown version", _get("/v1/networks/{id}/versions/7"), 404),
    ("validate", _post("/v1/networks/validate", lambda i: {"network_id": i}), 403),
    ("evaluate layers", _post("/v1/evaluate", lambda i: {"network_id": i, "inputs": SEED_INPUTS}), 200),
    ("evaluate nodes", _post("/v1/evaluate", lambda i: {"network_id": i, "inputs": SEED_INPUTS, "trace": "nodes"}), 403),
    ("evaluate gradients", _post("/v1/evaluate", lambda i: {"network_id": i, "inputs": SEED_INPUTS, "gradients": True}), 403),
    ("evaluate bad input", _post("/v1/evaluate", lambda i: {"network_id": i, "inputs": [[1.0, 2.0]]}), 422),
    ("compare as reference", _post("/v1/compare", lambda i: {"reference": {"network_id": i}, "candidate": {"network": seed_network()}, "inputs": SEED_INPUTS}), 403),
    ("compare as candidate", _post("/v1/compare", lambda i: {"reference": {"network": seed_network()}, "candidate": {"network_id": i}, "inputs": SEED_INPUTS}), 403),
    ("grade with traces", _post("/v1/grade", lambda i: _grade(i)), 200),
    ("grade gradescope", _post("/v1/grade?format=gradescope", lambda i: _grade(i)), 200),
    ("grade junit", _post("/v1/grade?format=junit", lambda i: _grade(i)), 200),
    ("PUT", lambda http, nid, h: http.put(f"/v1/networks/{nid}", json={"network": seed_network(), "name": "ref"}, headers={**h, "If-Match": '"v1"'}), 403),
    ("DELETE", lambda http, nid, h: http.delete(f"/v1/networks/{nid}", headers={**h, "If-Match": '"v1"'}), 403),
]  # fmt: skip


@pytest.mark.parametrize(("what", "send", "status"), READS, ids=[r[0] for r in READS])
def test_a_grade_key_never_sees_hidden_weights(
    http: FlaskClient, keys: Keys, hidden_id: str, what: str, send: Request, status: int
) -> None:
    response = send(http, hidden_id, keys.auth(keys.grade))
    text = response.get_data(as_text=True)

    assert response.status_code == status, text
    assert not leaks(text), f"{what} leaks a hidden weight"
    assert not leaks(str(dict(response.headers)))
    if "ETag" in response.headers:
        assert response.headers["ETag"] in ('"v1"', '"v7"')
    if response.is_json and isinstance(response.get_json(), dict):
        assert "network" not in response.get_json()


def test_the_owners_read_key_does_see_them(http: FlaskClient, keys: Keys, hidden_id: str) -> None:
    got = http.get(f"/v1/networks/{hidden_id}", headers=keys.auth(keys.read))
    traced = http.post(
        "/v1/evaluate",
        json={"network_id": hidden_id, "inputs": SEED_INPUTS, "trace": "nodes"},
        headers=keys.auth(keys.read),
    )

    assert got.get_json()["network"] == secret_network()
    assert traced.status_code == 200 and leaks(traced.get_data(as_text=True))


UNKNOWN = "nw_" + "Q" * 22
BY_ID = [r for r in READS if r[0] != "GET listing"]  # the listing has no id to compare


@pytest.mark.parametrize(("what", "send", "status"), BY_ID, ids=[r[0] for r in BY_ID])
@pytest.mark.parametrize("key", [None, "other_grade", "other_write"])
def test_others_get_exactly_what_an_unknown_id_gets(
    http: FlaskClient,
    keys: Keys,
    hidden_id: str,
    what: str,
    send: Request,
    status: int,
    key: str | None,
) -> None:
    headers = keys.auth(getattr(keys, key)) if key else {}

    theirs = send(http, hidden_id, headers)
    unknown = send(http, UNKNOWN, headers)

    assert theirs.status_code == unknown.status_code
    assert _normalized(theirs, hidden_id) == _normalized(unknown, UNKNOWN)
    assert not leaks(theirs.get_data(as_text=True))


def _normalized(response: TestResponse, network_id: str) -> Any:
    text = response.get_data(as_text=True).replace(network_id, "<id>")
    if (response.mimetype or "").endswith("json"):
        body = response.get_json()
        if isinstance(body, dict):
            body.pop("request_id", None)
            return {k: str(v).replace(network_id, "<id>") for k, v in body.items()}
    return text


def test_404s_for_others_and_unknown_ids_do_the_same_work(
    http: FlaskClient, store_app: Flask, keys: Keys, hidden_id: str
) -> None:
    """Someone else's network and an id that does not exist cost the same SQL statements, so
    the time of a 404 cannot tell them apart. (Counting statements rather than timing them:
    a timed assertion fails whenever the machine is busy.)"""
    headers = keys.auth(keys.other_grade)
    engine = store_app.extensions["nntrace.store"].engine

    def statements_of(network_id: str) -> list[str]:
        seen: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            seen.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            assert http.get(f"/v1/networks/{network_id}", headers=headers).status_code == 404
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return seen

    statements_of(UNKNOWN)  # the key's first use of the minute also records its last use
    theirs = statements_of(hidden_id)
    assert any("FROM networks" in statement for statement in theirs), theirs
    assert theirs == statements_of(UNKNOWN)


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/v1/networks", "GET"),
        ("/v1/evaluate", "POST"),
        ("/healthz", "GET"),
    ],
)
def test_a_revoked_key_fails_at_once_everywhere(
    http: FlaskClient, keys: Keys, path: str, method: str
) -> None:
    created = http.post(
        "/v1/keys", json={"owner": "cs101", "scopes": ["grade"]}, headers=keys.auth(keys.admin)
    ).get_json()
    headers = keys.auth(created["token"])
    body = {"network": seed_network(), "inputs": SEED_INPUTS} if method == "POST" else None

    before = http.open(path, method=method, json=body, headers=headers)
    http.delete(f"/v1/keys/{created['id']}", headers=keys.auth(keys.admin))
    after = http.open(path, method=method, json=body, headers=headers)

    assert before.status_code == 200
    assert after.status_code == 401  # a key that is sent is checked, even where none is needed
    assert created["token"] not in after.get_data(as_text=True)


BAD_AUTH = [
    "Bearer",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "Bearer nntrace_0123456789abcdef_" + "x" * 43,
    "Bearer not-a-key",
    "Token abc",
]


@pytest.mark.parametrize("header", BAD_AUTH)
def test_bad_credentials_are_401_without_echo(http: FlaskClient, header: str) -> None:
    response = http.get("/v1/networks", headers={"Authorization": header})
    text = response.get_data(as_text=True)

    assert response.status_code == 401
    assert response.get_json()["type"] == "/problems/unauthorized"
    secret = header.partition(" ")[2]
    assert not secret or secret not in text
