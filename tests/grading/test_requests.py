"""Unusable grading requests are the instructor's problem: 4xx problem+json with pointers."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from nntrace_service.settings import Settings
from tests.grading.support import REFERENCE, WORKED, worked


def bad_layer() -> dict[str, Any]:
    return {
        **REFERENCE,
        "layers": [REFERENCE["layers"][0], dict(REFERENCE["layers"][1], weights=[[1.0, 2.0, 3.0]])],
    }


@pytest.mark.parametrize(
    ("changes", "status", "slug", "pointer"),
    [
        (
            {"reference": {"network": bad_layer()}},
            422,
            "shape-mismatch",
            "/reference/network/layers/1/weights",
        ),
        (
            {
                "reference": {
                    "network": {
                        **REFERENCE,
                        "layers": [dict(REFERENCE["layers"][0], activation="sigmoidd")],
                    }
                }
            },
            422,
            "unknown-activation",
            "/reference/network/layers/0/activation",
        ),
        (
            {"reference": {"network_id": "cs101-hw3-ref"}},
            422,
            "validation-error",
            "/reference/network_id",
        ),
        ({"reference": {}}, 422, "validation-error", "/reference/network"),
        ({"test_cases": {"test_suite_id": "cs101"}}, 422, "validation-error", "/test_cases"),
        ({"test_cases": []}, 422, "validation-error", "/test_cases"),
        (
            {"test_cases": [{"input": [1.0, 2.0, 3.0]}]},
            422,
            "validation-error",
            "/test_cases/0/input",
        ),
        (
            {"test_cases": [{"id": "a", "input": [1, 2]}, {"id": "a", "input": [1, 2]}]},
            422,
            "validation-error",
            "/test_cases/1/id",
        ),
        (
            {"test_cases": [{"input": [1, 2], "points": -1}]},
            422,
            "validation-error",
            "/test_cases/0/points",
        ),
        (
            {"test_cases": [{"input": [1, 2], "visibility": "secret"}]},
            422,
            "validation-error",
            "/test_cases/0/visibility",
        ),
        ({"tolerance": {"rtol": -1e-3}}, 422, "validation-error", "/tolerance/rtol"),
        ({"tolerance": {"rtol": 2}}, 422, "validation-error", "/tolerance/rtol"),
        ({"tolerance": {"atol": "small"}}, 422, "validation-error", "/tolerance/atol"),
        ({"tolerance": {"profile": "float16"}}, 422, "validation-error", "/tolerance/profile"),
        (
            {"tolerance": {"layers": {"z": {"atol": 1}}}},
            422,
            "validation-error",
            "/tolerance/layers/z",
        ),
        ({"tolerance": {"tolerance": 1}}, 422, "validation-error", "/tolerance/tolerance"),
        (
            {"scoring": {"layer_weights": [1, 2, 3]}},
            422,
            "validation-error",
            "/scoring/layer_weights",
        ),
        ({"scoring": {"layer_weights": [0, 0]}}, 422, "validation-error", "/scoring/layer_weights"),
        (
            {"scoring": {"follow_through_credit": 1.5}},
            422,
            "validation-error",
            "/scoring/follow_through_credit",
        ),
        (
            {"feedback": {"max_mismatches_per_layer": -1}},
            422,
            "validation-error",
            "/feedback/max_mismatches_per_layer",
        ),
    ],
    ids=[
        "reference-shape",
        "reference-activation",
        "network-id",
        "reference-empty",
        "suite-id",
        "no-cases",
        "input-size",
        "duplicate-id",
        "negative-points",
        "visibility",
        "negative-rtol",
        "huge-rtol",
        "atol-text",
        "profile",
        "unknown-layer",
        "unknown-key",
        "weights-length",
        "weights-zero",
        "credit",
        "mismatches",
    ],
)
def test_bad_request_is_a_problem(
    client: FlaskClient, changes: dict[str, Any], status: int, slug: str, pointer: str
) -> None:
    """The problem names its type and points at the offending field."""
    response = client.post("/v1/grade", json=worked(**changes))
    problem = response.get_json()

    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert problem["type"] == f"/problems/{slug}"
    assert pointer in [e["pointer"] for e in problem["errors"]], problem


def test_unknown_stored_reference_is_not_found(client: FlaskClient) -> None:
    """A well-formed id of no stored network is a 404 located at the id (stored references
    themselves are tested in tests/store)."""
    unknown = "nw_" + "A" * 22
    response = client.post("/v1/grade", json=worked(reference={"network_id": unknown}))
    problem = response.get_json()

    assert response.status_code == 404
    assert problem["type"] == "/problems/network-not-found"
    assert problem["errors"][0]["pointer"] == "/reference/network_id"


def test_unknown_format_parameter(client: FlaskClient) -> None:
    """?format=csv is a 400 naming the accepted formats."""
    response = client.post("/v1/grade?format=csv", json=WORKED)

    assert response.status_code == 400
    assert "native, gradescope, prairielearn, junit" in response.get_json()["detail"]


def test_reference_overflow_is_a_problem(client: FlaskClient) -> None:
    """A reference whose values overflow on a test input is a non-finite-result problem."""
    network = {
        "input_size": 2,
        "layers": [{"name": "h", "activation": "exponential", "weights": [[900, 0]], "bias": [0]}],
    }
    body = worked(
        reference={"network": network},
        submission={"kind": "node_values", "node_values": [{"layers": [[1.0]]}]},
    )
    body["test_cases"] = [{"input": [1.0, 0.0]}]

    response = client.post("/v1/grade", json=body)

    assert response.status_code == 422
    assert response.get_json()["type"] == "/problems/non-finite-result"
    assert response.get_json()["errors"][0]["pointer"] == "/reference/network/layers/0"


@pytest.mark.parametrize("settings", [Settings(max_batch=1)])
def test_too_many_cases(client: FlaskClient) -> None:
    """More test cases than NNTRACE_MAX_BATCH is a limit-exceeded problem."""
    response = client.post("/v1/grade", json=WORKED)

    assert response.status_code == 422
    assert response.get_json()["type"] == "/problems/limit-exceeded"
    assert response.get_json()["setting"] == "NNTRACE_MAX_BATCH"


@pytest.mark.parametrize(
    ("accept", "query", "body_format", "expected"),
    [
        ("application/xml", None, None, "application/xml"),
        ("text/xml", None, None, "application/xml"),
        ("application/json", None, None, "application/json"),
        ("*/*", None, None, "application/json"),
        ("application/xml", "native", None, "application/json"),
        (None, None, "junit", "application/xml"),
        ("application/xml", None, "prairielearn", "application/json"),
    ],
    ids=["xml", "text-xml", "json", "any", "query-wins", "body", "body-over-accept"],
)
def test_format_negotiation(
    client: FlaskClient,
    accept: str | None,
    query: str | None,
    body_format: str | None,
    expected: str,
) -> None:
    """?format= wins, then the body's format, then the Accept header (XML means JUnit)."""
    headers = {"Accept": accept} if accept else {}
    body = worked(format=body_format) if body_format else WORKED
    url = f"/v1/grade?format={query}" if query else "/v1/grade"

    response = client.post(url, json=body, headers=headers)

    assert response.status_code == 200
    assert response.mimetype == expected


@pytest.mark.parametrize("settings", [Settings(max_layer_values=10)])
def test_too_many_layer_values_to_grade(client: FlaskClient) -> None:
    """Two cases through the 2-2-1 reference keep 2 × (2+2+1+1) = 12 values: over a limit of
    10 it is refused before the forward pass, naming the setting."""
    response = client.post("/v1/grade", json=WORKED)

    problem = response.get_json()
    assert response.status_code == 422
    assert problem["type"] == "/problems/limit-exceeded"
    assert (problem["setting"], problem["limit"], problem["actual"]) == (
        "NNTRACE_MAX_LAYER_VALUES",
        10,
        12,
    )
    assert problem["errors"][0]["pointer"] == "/test_cases"


@pytest.mark.parametrize("settings", [Settings(max_layer_values=10)])
def test_too_many_layer_values_to_compare(client: FlaskClient) -> None:
    """/v1/compare checks the same limit for a network side."""
    body: dict[str, Any] = {
        "reference": {"network": REFERENCE},
        "candidate": {"network": REFERENCE},
    }
    body["inputs"] = [[1.0, 2.0], [-1.0, 0.5]]

    response = client.post("/v1/compare", json=body)

    assert response.status_code == 422
    assert response.get_json()["setting"] == "NNTRACE_MAX_LAYER_VALUES"
    assert response.get_json()["errors"][0]["pointer"] == "/inputs"
