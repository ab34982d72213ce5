"""`openapi.yaml` is valid, up to date with the code, and describes what the service does."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from nntrace_service.problems import PROBLEM_TYPES
from tests.support import ROOT, SEED_INPUTS, seed_network

SPEC_PATH = ROOT / "openapi.yaml"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
    return loaded


def test_document_is_valid_openapi_31(spec: dict[str, Any]) -> None:
    """The description passes the OpenAPI 3.1 validator."""
    validate(spec)

    assert spec["openapi"].startswith("3.1")


def test_document_is_not_stale() -> None:
    """The generated schemas equal what the pydantic models produce now (run `make openapi`)."""
    from scripts.openapi_sync import render

    current = SPEC_PATH.read_text()

    assert render(yaml.safe_load(current)) == current


def test_every_route_is_documented_and_every_path_exists(app: Flask, spec: dict[str, Any]) -> None:
    """Flask's routes and the documented paths are the same set."""
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.rule.startswith("/docs/")
    }

    assert routes == set(spec["paths"])


def test_problem_catalogue_is_published(spec: dict[str, Any]) -> None:
    """`x-problem-types` lists exactly the server's problem types with their statuses."""
    published = {slug: entry["status"] for slug, entry in spec["x-problem-types"].items()}

    assert published == {slug: kind.status for slug, kind in PROBLEM_TYPES.items()}


def _validator(spec: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator whose `#/components/...` references resolve inside the spec."""
    return Draft202012Validator({**schema, "components": spec["components"]})


def _response_schema(spec: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    response = spec["paths"][path][method]["responses"][str(status)]
    if "$ref" in response:
        response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    (content,) = response["content"].values()
    schema: dict[str, Any] = content["schema"]
    return schema


EXCHANGES = [
    ("get", "/healthz", "/healthz", None, 200),
    ("get", "/v1/activations", "/v1/activations", None, 200),
    ("get", "/v1/activations/LeakyRelu", "/v1/activations/{name}", None, 200),
    ("get", "/v1/activations/nope", "/v1/activations/{name}", None, 404),
    (
        "post",
        "/v1/activations/gelu/evaluate",
        "/v1/activations/{name}/evaluate",
        {"x": [-1.0, 0.0, 2.0]},
        200,
    ),
    ("get", "/v1/activations/softmax/curve?num=5", "/v1/activations/{name}/curve", None, 200),
    (
        "post",
        "/v1/networks/validate",
        "/v1/networks/validate",
        {"network": seed_network("linear")},
        200,
    ),
    (
        "post",
        "/v1/evaluate",
        "/v1/evaluate",
        {
            "network": seed_network("tanh"),
            "inputs": SEED_INPUTS,
            "trace": "nodes",
            "gradients": True,
        },
        200,
    ),
    (
        "post",
        "/v1/evaluate",
        "/v1/evaluate",
        {"network": seed_network(), "inputs": [[1, "2", 3]]},
        422,
    ),
    (
        "post",
        "/v1/evaluate",
        "/v1/evaluate",
        {"network": seed_network("sigmod"), "inputs": SEED_INPUTS},
        422,
    ),
]


@pytest.mark.parametrize(
    ("method", "url", "path", "body", "status"),
    EXCHANGES,
    ids=[f"{e[0]} {e[1]} {e[4]}" for e in EXCHANGES],
)
def test_responses_match_the_documented_schema(
    client: FlaskClient,
    spec: dict[str, Any],
    method: str,
    url: str,
    path: str,
    body: Any,
    status: int,
) -> None:
    """Real responses validate against the schema documented for their path and status."""
    response = client.open(url, method=method.upper(), json=body)

    assert response.status_code == status
    errors = list(
        _validator(spec, _response_schema(spec, path, method, status)).iter_errors(response.json)
    )
    assert errors == []
