"""Large submissions stay under each format's size limit; /v1/compare reports differences."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from flask.testing import FlaskClient

from tests.grading.support import (
    REFERENCE,
    check_gradescope,
    check_junit,
    check_prairielearn,
    strict_json,
)

WIDTH, CASES = 200, 60


def large_body(fmt: str) -> dict[str, Any]:
    """A 200-node hidden layer, 60 cases, every value wrong: megabytes of feedback at full detail."""
    rng = np.random.default_rng(7)
    network = {
        "input_size": 20,
        "layers": [
            {
                "name": "h",
                "activation": "tanh",
                "weights": rng.normal(size=(WIDTH, 20)).tolist(),
                "bias": [0.0] * WIDTH,
            },
            {
                "name": "o",
                "activation": "linear",
                "weights": rng.normal(size=(WIDTH, WIDTH)).tolist(),
                "bias": [0.0] * WIDTH,
            },
        ],
    }
    cases = [{"id": f"c{i}", "input": rng.normal(size=20).tolist()} for i in range(CASES)]
    values = {f"c{i}": {"layers": [[5.0] * WIDTH, [5.0] * WIDTH]} for i in range(CASES)}
    return {
        "reference": {"network": network},
        "submission": {"kind": "node_values", "node_values": values},
        "test_cases": cases,
        "feedback": {"max_mismatches_per_layer": 1000},
        "format": fmt,
    }


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["gradescope", "prairielearn", "junit"])
def test_large_results_fit_by_truncating(client: FlaskClient, fmt: str) -> None:
    """The document stays within 1 MB (JUnit: a 200 kB budget given here), still valid and
    still scoring zero, and says that feedback was shortened."""
    body = large_body(fmt)
    limit = 1_000_000
    if fmt == "junit":
        limit = 200_000
        body["feedback"]["max_bytes"] = limit

    response = client.post("/v1/grade", json=body)

    assert response.status_code == 200
    assert len(response.data) <= limit
    if fmt == "junit":
        root = check_junit(response.data)
        assert len(root.findall("./testsuite/testcase")) >= CASES
        return
    document = strict_json(response.data)
    if fmt == "gradescope":
        check_gradescope(document)
        assert sum(t["score"] for t in document["tests"]) == 0
        assert document["extra_data"]["truncated"] is True
    else:
        check_prairielearn(document)
        assert document["score"] == 0
        assert "shortened" in document["message"]


@pytest.mark.slow
def test_native_full_detail_is_larger(client: FlaskClient) -> None:
    """Without a budget, native keeps every mismatch the request asked for (here, all)."""
    body = large_body("native")

    document = strict_json(client.post("/v1/grade", json=body).data)

    assert document["truncated"] is False
    assert len(document["cases"][0]["layers"][0]["mismatches"]) == WIDTH


@pytest.mark.slow
def test_small_budget_still_valid(client: FlaskClient) -> None:
    """Even a 10 kB budget yields a valid PrairieLearn object with the right score."""
    body = large_body("prairielearn")
    body["feedback"]["max_bytes"] = 10_000

    response = client.post("/v1/grade", json=body)

    check_prairielearn(strict_json(response.data))
    assert len(response.data) <= 10_000


class TestCompare:
    def test_network_against_values(self, client: FlaskClient) -> None:
        """Reference network vs typed values: per-layer errors, node verdicts, the calculation line."""
        h2 = 1 / (1 + math.exp(-0.75))
        body = {
            "inputs": [1.0, 2.0],
            "reference": {"network": REFERENCE},
            "candidate": {"layers": [[0.524979, 0.67], [-0.226048]]},
            "tolerance": {"profile": "hand"},
        }

        got = strict_json(client.post("/v1/compare", json=body).data)

        layer_h = got["layers"][0]
        assert got["ok"] is False
        assert [n["ok"] for n in layer_h["nodes"]] == [True, False]
        assert layer_h["max_abs_err"] == pytest.approx(h2 - 0.67, abs=1e-12)
        (mismatch,) = layer_h["mismatches"]
        assert mismatch["node"] == "h2"
        assert mismatch["calculation"].startswith(
            "h2 = sigmoid(0.75×1.00 + 0.10×2.00 + (-0.20)) = sigmoid(0.75)"
        )
        assert got["first_mismatches"][0]["node"] == "h2"
        assert got["tolerance_used"]["atol"] == 1e-4

    def test_two_networks(self, client: FlaskClient) -> None:
        """A network compared with itself matches everywhere, with zero error."""
        body = {
            "inputs": [[1.0, 2.0], [-1.0, 0.5]],
            "reference": {"network": REFERENCE},
            "candidate": {"network": REFERENCE},
        }

        got = strict_json(client.post("/v1/compare", json=body).data)

        assert got["ok"] is True and got["samples"] == 2
        assert [layer["max_abs_err"] for layer in got["layers"]] == [0.0, 0.0]

    def test_values_with_zero_nan_and_inf(self, client: FlaskClient) -> None:
        """Values only: zero expected gives null rel_err, NaN never matches, inf matches inf."""
        body = {
            "reference": {"layers": [[0.0, 1.0, "Infinity", 2.0]]},
            "candidate": {"layers": [[5e-9, "NaN", "Infinity", "x"]]},
        }

        got = strict_json(client.post("/v1/compare", json=body).data)

        nodes = got["layers"][0]["nodes"]
        assert [n["ok"] for n in nodes] == [True, False, True, False]
        assert nodes[0]["max_rel_err"] is None
        mismatches = {m["node"]: m for m in got["layers"][0]["mismatches"]}
        assert mismatches["out2"]["got"] == "NaN"
        assert "expected a number" in mismatches["out4"]["problem"]

    def test_wrong_candidate_shape_is_reported(self, client: FlaskClient) -> None:
        """A candidate layer of the wrong width is reported on that layer, not refused."""
        body = {
            "inputs": [1.0, 2.0],
            "reference": {"network": REFERENCE},
            "candidate": {"layers": [[0.5], [0.1]]},
        }

        got = strict_json(client.post("/v1/compare", json=body).data)

        assert got["layers"][0]["problem"] == "layer h, sample 0: expected 2 values, got 1"

    @pytest.mark.parametrize(
        ("body", "pointer"),
        [
            ({"reference": {"network": REFERENCE}, "candidate": {"layers": [[1]]}}, "/inputs"),
            ({"reference": {}, "candidate": {"layers": [[1]]}}, "/reference"),
            (
                {"reference": {"layers": [["a"]]}, "candidate": {"layers": [[1]]}},
                "/reference/layers/0",
            ),
            (
                {
                    "inputs": [1.0],
                    "reference": {"network": REFERENCE},
                    "candidate": {"layers": [[1]]},
                },
                "/inputs",
            ),
        ],
        ids=["inputs-missing", "neither", "reference-text", "inputs-size"],
    )
    def test_bad_compare_requests(
        self, client: FlaskClient, body: dict[str, Any], pointer: str
    ) -> None:
        """An unusable reference or missing inputs is a 422 pointing at the field."""
        response = client.post("/v1/compare", json=body)

        assert response.status_code == 422
        assert pointer in [e["pointer"] for e in response.get_json()["errors"]]
