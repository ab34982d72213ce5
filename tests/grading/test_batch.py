"""Batch grading: ``submissions`` grades a whole class against one reference in one request.

Each result must be exactly the document the same submission gets alone (over the Flask test
client and a real gunicorn, and through the client), a perfect submission is computed here by
hand (math.exp, math.tanh) and scores full marks, and a bad batch is a located problem.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

import nntrace
from nntrace.grading import GradeResult
from nntrace_service.app import create_app
from nntrace_service.settings import Settings
from tests.grading.support import REFERENCE, WORKED, check_gradescope, check_prairielearn, worked

Post = Callable[[dict[str, Any], str], tuple[int, Any]]


def by_hand(x: list[float]) -> list[list[float]]:
    """The reference's activations for one input, node by node."""
    (h, o) = REFERENCE["layers"]
    z1 = [
        sum(w * v for w, v in zip(row, x, strict=True)) + b
        for row, b in zip(h["weights"], h["bias"], strict=True)
    ]
    a1 = [1 / (1 + math.exp(-z)) for z in z1]
    z2 = [
        sum(w * v for w, v in zip(row, a1, strict=True)) + b
        for row, b in zip(o["weights"], o["bias"], strict=True)
    ]
    return [a1, [math.tanh(z) for z in z2]]


PERFECT = {
    "kind": "node_values",
    "node_values": {
        case["id"]: {"layers": by_hand(case["input"])} for case in WORKED["test_cases"]
    },
}
CLASS = {
    "ana": WORKED["submission"],
    "ben": PERFECT,
    "cy": "not a submission",
    "dee": {"kind": "network", "network": REFERENCE},
}


@pytest.fixture(params=["flask", pytest.param("gunicorn", marks=pytest.mark.live)])
def post(request: pytest.FixtureRequest, client: FlaskClient) -> Iterator[Post]:
    """POST /v1/grade?format=... over either transport: (status, parsed JSON)."""
    if request.param == "flask":

        def via_flask(body: dict[str, Any], fmt: str) -> tuple[int, Any]:
            reply = client.post(f"/v1/grade?format={fmt}", json=body)
            return reply.status_code, json.loads(reply.get_data())

        yield via_flask
        return
    base = request.getfixturevalue("live_server")
    with requests.Session() as session:

        def via_gunicorn(body: dict[str, Any], fmt: str) -> tuple[int, Any]:
            reply = session.post(f"{base}/v1/grade", params={"format": fmt}, json=body, timeout=10)
            return reply.status_code, reply.json()

        yield via_gunicorn


def batch(submissions: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = worked(**changes)
    del body["submission"]
    body["submissions"] = [{"id": key, "submission": value} for key, value in submissions.items()]
    return body


@pytest.mark.parametrize("fmt", ["native", "gradescope", "prairielearn"])
def test_each_result_is_the_single_submission_document(post: Post, fmt: str) -> None:
    """In order and by id, each result equals what that submission alone is answered."""
    status, answer = post(batch(CLASS), fmt)

    assert status == 200
    assert [item["id"] for item in answer["results"]] == list(CLASS)
    for item in answer["results"]:
        alone_status, alone = post(worked(submission=CLASS[item["id"]]), fmt)
        assert alone_status == 200
        assert item["result"] == alone
        {"gradescope": check_gradescope, "prairielearn": check_prairielearn}.get(
            fmt, lambda _: None
        )(item["result"])


def test_scores_of_a_class(post: Post) -> None:
    """The hand-computed submission and the reference network score full marks, the
    unreadable one is not gradable, the worked example loses points."""
    status, answer = post(batch(CLASS), "native")

    assert status == 200
    results = {item["id"]: item["result"] for item in answer["results"]}
    assert results["ben"]["score"] == 1.0 and results["dee"]["score"] == 1.0
    assert results["cy"]["gradable"] is False and results["cy"]["points"] == 0
    assert 0 < results["ana"]["score"] < 1


@pytest.mark.parametrize(
    ("change", "fmt", "pointer"),
    [
        ({"submission": PERFECT}, "native", "/submissions"),
        ({"submissions": []}, "native", "/submissions"),
        ({"submissions": [{"id": "a"}, {"id": "a"}]}, "native", "/submissions/1/id"),
        ({"submissions": [{"id": ""}]}, "native", "/submissions/0/id"),
        ({"submissions": [{"id": "a", "extra": 1}]}, "native", "/submissions/0/extra"),
        ({"submissions": {"a": PERFECT}}, "native", "/submissions"),
        ({}, "junit", "/submissions"),
    ],
)
def test_bad_batch_is_a_located_problem(
    post: Post, change: dict[str, Any], fmt: str, pointer: str
) -> None:
    """Both forms at once, an empty or malformed list, a repeated id or JUnit: 422 with a
    pointer, nothing graded."""
    body = batch({"a": PERFECT})
    body.update(change)

    status, problem = post(body, fmt)

    assert status == 422
    assert problem["errors"][0]["pointer"] == pointer


def test_batch_size_is_bounded_before_grading() -> None:
    """More submissions than NNTRACE_MAX_SUBMISSIONS: limit-exceeded naming the setting."""
    client = create_app(Settings(max_submissions=2)).test_client()

    reply = client.post("/v1/grade", json=batch(CLASS))

    assert reply.status_code == 422
    problem = reply.get_json()
    assert problem["type"].endswith("/limit-exceeded")
    assert problem["errors"][0]["pointer"] == "/submissions"
    assert "max_submissions" in problem["detail"] or "MAX_SUBMISSIONS" in problem["detail"]


def test_client_grades_a_class(live_server: str) -> None:
    """Client.grade_batch returns id -> the typed result Client.grade gives."""
    options = {k: WORKED[k] for k in ("tolerance", "scoring", "feedback")}
    with nntrace.Client(live_server, max_retries=0) as sdk:
        results = sdk.grade_batch(REFERENCE, CLASS, WORKED["test_cases"], **options)
        alone = sdk.grade(REFERENCE, CLASS["ana"], WORKED["test_cases"], **options)

    assert list(results) == list(CLASS)
    assert all(isinstance(r, GradeResult) for r in results.values())
    assert results["ben"].score == 1.0
    assert dataclasses.asdict(results["ana"]) == dataclasses.asdict(alone)
