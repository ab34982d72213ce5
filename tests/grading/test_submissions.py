"""Malformed submissions are feedback with zero or partial credit, never an HTTP error."""

from __future__ import annotations

import math
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.grading.support import (
    REFERENCE,
    WORKED,
    check_gradescope,
    check_junit,
    check_prairielearn,
    strict_json,
    worked,
)

GOOD_IN2 = {"layers": [[0.371684, 0.289050], [0.185920]]}
GOOD_IN1 = {"layers": [[0.524979, 0.679179], [-0.239071]]}


def grade(client: FlaskClient, submission: Any, fmt: str = "native") -> dict[str, Any]:
    response = client.post(f"/v1/grade?format={fmt}", json=worked(submission=submission))
    assert response.status_code == 200, response.data
    return strict_json(response.data)


def values(in1: Any, in2: Any = GOOD_IN2) -> dict[str, Any]:
    return {"kind": "node_values", "node_values": {"in1": in1, "in2": in2}}


def all_text(document: dict[str, Any]) -> str:
    layers = [layer for case in document["cases"] for layer in case["layers"]]
    parts = [p for case in document["cases"] for p in case["problems"]]
    parts += [p for layer in layers for p in layer["problems"]]
    parts += [m.get("problem", "") for layer in layers for m in layer["mismatches"]]
    return "\n".join(parts)


@pytest.mark.parametrize(
    ("in1", "points", "message"),
    [
        (
            {"layers": [[0.524979, "abc"], [-0.239071]]},
            8.75,
            "h2: got the text 'abc', expected a number",
        ),
        ({"layers": [[0.524979, None], [-0.239071]]}, 8.75, "h2: missing value"),
        ({"layers": [[0.524979, True], [-0.239071]]}, 8.75, "h2: got true, expected a number"),
        ({"layers": [[0.524979, [0.6]], [-0.239071]]}, 8.75, "h2: got a list, expected a number"),
        (
            {"layers": [[0.524979, 0.679179, 0.1], [-0.239071]]},
            7.5,
            "layer h: expected 2 values, got 3",
        ),
        ({"layers": [[0.524979], [-0.239071]]}, 7.5, "layer h: expected 2 values, got 1"),
        ({"layers": [[0.524979, 0.679179]]}, 7.5, "expected 2 layers (h, o), got 1"),
        (
            {"layers": [[0.524979, 0.679179], [-0.239071], [1.0]]},
            10.0,
            "expected 2 layers (h, o), got 3",
        ),
        ({"layers": "0.5, 0.6"}, 5.0, "expected a list of layers, got the text '0.5, 0.6'"),
        ({"layers": {"h": [0.524979, 0.679179]}}, 7.5, "no values for layer o"),
        (
            {"layers": {"h": [0.524979, 0.679179], "o": [-0.239071], "x": [1]}},
            10.0,
            "unknown layer 'x'",
        ),
        (None, 5.0, "no values submitted for test case 'in1'"),
    ],
    ids=[
        "string",
        "null",
        "boolean",
        "nested",
        "extra-node",
        "missing-node",
        "missing-layer",
        "extra-layer",
        "layers-as-text",
        "named-missing",
        "named-unknown",
        "case-missing",
    ],
)
def test_malformed_values_are_feedback(
    client: FlaskClient, in1: Any, points: float, message: str
) -> None:
    """Each malformed value costs only what it touches and is explained in a sentence."""
    document = grade(client, values(in1))

    assert document["gradable"] is True
    assert document["points"] == pytest.approx(points)
    assert message in all_text(document)


def test_malformed_layer_ends_follow_through(client: FlaskClient) -> None:
    """A wrongly sized layer h cannot be followed through: o is checked against the reference only."""
    document = grade(client, values({"layers": [[0.5], [-0.226048]]}))

    layer_o = document["cases"][0]["layers"][1]
    assert (layer_o["nodes_follow_through"], layer_o["points"]) == (0, 0.0)


def test_values_by_position_and_flat_row(client: FlaskClient) -> None:
    """node_values may be a list in case order, and a layer may be written as [[...]]."""
    submission = {
        "kind": "node_values",
        "node_values": [{"layers": [[[0.524979, 0.679179]], [-0.239071]]}, GOOD_IN2],
    }

    assert grade(client, submission)["points"] == 10.0


@pytest.mark.parametrize(
    ("submission", "error"),
    [
        ("h1=0.5", "submission must be an object"),
        ({"kind": "essay"}, "submission.kind must be 'node_values' or 'network'"),
        (
            {"kind": "node_values", "node_values": 3},
            "must be an object keyed by test case id (in1, in2)",
        ),
        (
            {"kind": "node_values", "node_values": {"x": GOOD_IN1}},
            "no values for any test case (expected in1, in2; it has 'x', which is not a test "
            "case id)",
        ),
        (
            {"kind": "network", "network": {"input_size": 2}},
            "submission/network/layers: Field required",
        ),
        (
            {
                "kind": "network",
                "network": {"input_size": 3, "layers": [{"weights": [[1, 2, 3]], "bias": [0]}]},
            },
            "your network takes 3 inputs",
        ),
        (
            {
                "kind": "network",
                "network": {"input_size": 2, "layers": [{"weights": [[1, 2]], "bias": [0, 1]}]},
            },
            "bias must have one entry per node",
        ),
    ],
    ids=[
        "text",
        "kind",
        "values-type",
        "no-case",
        "network-invalid",
        "network-inputs",
        "network-shape",
    ],
)
def test_unusable_submission(client: FlaskClient, submission: Any, error: str) -> None:
    """A submission that cannot be read at all is gradable: false with the reason, in every format."""
    native = grade(client, submission)
    gradescope = grade(client, submission, "gradescope")
    prairielearn = grade(client, submission, "prairielearn")
    junit = client.post("/v1/grade?format=junit", json=worked(submission=submission))

    assert (native["gradable"], native["points"], native["max_points"]) == (False, 0, 10.0)
    assert any(error in e for e in native["format_errors"]), native["format_errors"]
    check_gradescope(gradescope)
    assert gradescope["score"] == 0 and gradescope["tests"][0]["status"] == "failed"
    assert error in gradescope["tests"][0]["output"]
    check_prairielearn(prairielearn)
    assert prairielearn["gradable"] is False
    assert any(error in e for e in prairielearn["format_errors"])
    root = check_junit(junit.data)
    assert root.find("./testsuite/testcase/error") is not None


class TestNetworkSubmission:
    def test_the_reference_itself_scores_full(self, client: FlaskClient) -> None:
        """Submitting the reference network earns every point."""
        document = grade(client, {"kind": "network", "network": REFERENCE})

        assert (document["points"], document["score"]) == (10.0, 1.0)

    def test_wrong_hidden_weight_gets_follow_through(self, client: FlaskClient) -> None:
        """A wrong weight in h2 fails h2 on both inputs; o still earns credit through follow-through."""
        network = {
            **REFERENCE,
            "layers": [
                dict(REFERENCE["layers"][0], weights=[[0.5, -0.25], [0.7, 0.1]]),
                REFERENCE["layers"][1],
            ],
        }

        document = grade(client, {"kind": "network", "network": network})

        assert document["points"] == pytest.approx(7.5)
        assert [c["layers"][1]["nodes_follow_through"] for c in document["cases"]] == [1, 1]

    def test_overflowing_network_fails_without_error(self, client: FlaskClient) -> None:
        """A student network whose values overflow fails its checks instead of aborting grading."""
        network = {
            "input_size": 2,
            "layers": [
                {
                    "name": "h",
                    "activation": "exponential",
                    "weights": [[900, 0], [0, 900]],
                    "bias": [0, 0],
                },
                REFERENCE["layers"][1],
            ],
        }

        document = grade(client, {"kind": "network", "network": network})

        assert document["gradable"] is True and document["points"] < 10
        assert "Infinity" in str(document)

    def test_wrong_architecture(self, client: FlaskClient) -> None:
        """A network with a different number of layers gets the layers that fit checked."""
        network = {"input_size": 2, "layers": [REFERENCE["layers"][0]]}

        document = grade(client, {"kind": "network", "network": network})

        assert document["points"] == 5.0
        assert "your network has 1 layers, the reference has 2" in document["cases"][0]["problems"]


def test_hidden_case_values_not_revealed(client: FlaskClient) -> None:
    """With reveal_expected visible_only, a hidden case's mismatch shows the student's value only."""
    document = grade(client, values(GOOD_IN1, {"layers": [[0.371684, 0.3], [0.185920]]}))

    mismatch = document["cases"][1]["layers"][0]["mismatches"][0]
    assert set(mismatch) == {"node", "index", "got"}
    assert "0.2890" not in str(document)


def test_reveal_always(client: FlaskClient) -> None:
    """reveal_expected always shows expected values for hidden cases too."""
    body = worked(submission=values(GOOD_IN1, {"layers": [[0.371684, 0.3], [0.185920]]}))
    body["feedback"] = {**WORKED["feedback"], "reveal_expected": "always"}

    document = strict_json(client.post("/v1/grade", json=body).data)

    assert document["cases"][1]["layers"][0]["mismatches"][0]["expected"] == pytest.approx(
        1 / (1 + math.exp(0.9)), abs=1e-12
    )


@pytest.mark.parametrize(
    ("node_values", "said"),
    [
        (
            {"In1": GOOD_IN1, "in2": GOOD_IN2},
            "no values submitted for test case 'in1' (the submission has 'In1': "
            "test case ids must match exactly)",
        ),
        (
            {"case1": GOOD_IN1, "in2": GOOD_IN2},
            "no values submitted for test case 'in1' (the submission has 'case1', which is not a "
            "test case id)",
        ),
    ],
    ids=["case", "other-name"],
)
def test_unknown_submission_keys_are_named(
    client: FlaskClient, node_values: dict[str, Any], said: str
) -> None:
    """A key that is not a test case id is not silently ignored: the missing case names it."""
    document = grade(client, {"kind": "node_values", "node_values": node_values})

    assert said in all_text(document)
    assert document["points"] == 5.0  # in2 is still graded in full


def test_no_known_key_names_the_unknown_ones(client: FlaskClient) -> None:
    """With no test case id at all, the format error lists the keys that were sent."""
    document = grade(client, {"kind": "node_values", "node_values": {"IN1": GOOD_IN1}})

    assert document["format_errors"] == [
        "submission.node_values has no values for any test case (expected in1, in2; "
        "it has 'IN1', which is not a test case id)"
    ]
