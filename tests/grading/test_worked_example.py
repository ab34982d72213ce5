"""The worked example of grading.md §9, in every format, checked against hand arithmetic."""

from __future__ import annotations

import math

import pytest
from flask.testing import FlaskClient

from tests.grading.support import (
    WORKED,
    check_gradescope,
    check_junit,
    check_prairielearn,
    strict_json,
)


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


# Independent reference for input 1: x = [1, 2].
H1 = sigmoid(0.5 * 1 - 0.25 * 2 + 0.1)
H2 = sigmoid(0.75 * 1 + 0.1 * 2 - 0.2)
O1 = math.tanh(1.0 * H1 - 1.5 * H2 + 0.25)
O1_GIVEN_STUDENT = math.tanh(1.0 * 0.524979 - 1.5 * 0.67 + 0.25)
H2_ALLOWED = 1e-4 + 1e-3 * H2


@pytest.fixture
def native(client: FlaskClient) -> dict:
    response = client.post("/v1/grade?format=native", json=WORKED)
    assert response.status_code == 200
    return strict_json(response.data)


class TestNative:
    def test_totals(self, native: dict) -> None:
        """8.75 of 10 points, score 0.875."""

        assert (native["points"], native["max_points"], native["score"]) == (8.75, 10.0, 0.875)

    def test_case_points(self, native: dict) -> None:
        """Input 1 earns 1.25 + 2.5 = 3.75; input 2 earns all 5."""

        got = [
            (c["id"], c["points"], [layer["points"] for layer in c["layers"]])
            for c in native["cases"]
        ]

        assert got == [("in1", 3.75, [1.25, 2.5]), ("in2", 5.0, [2.5, 2.5])]

    def test_h2_mismatch_numbers(self, native: dict) -> None:
        """The h2 mismatch carries expected, got, errors and the bound, all independently right."""
        layer_h = native["cases"][0]["layers"][0]
        (mismatch,) = layer_h["mismatches"]

        assert (layer_h["nodes_total"], layer_h["nodes_ok"]) == (2, 1)
        assert mismatch["node"] == "h2"
        assert mismatch["expected"] == pytest.approx(H2, abs=1e-15)
        assert mismatch["got"] == 0.67
        assert mismatch["abs_err"] == pytest.approx(H2 - 0.67, abs=1e-15)
        assert mismatch["rel_err"] == pytest.approx((H2 - 0.67) / H2, rel=1e-12)
        assert mismatch["allowed"] == pytest.approx(H2_ALLOWED, rel=1e-12)
        assert 9.17e-3 < mismatch["abs_err"] < 9.19e-3 and 7.78e-4 < mismatch["allowed"] < 7.80e-4

    def test_h2_trace(self, native: dict) -> None:
        """The reference calculation of h2: 0.75×1 + 0.1×2 − 0.2 = 0.75, sigmoid(0.75)."""
        trace = native["cases"][0]["layers"][0]["mismatches"][0]["trace"]

        assert [(t["w"], t["a"]) for t in trace["terms"]] == [(0.75, 1.0), (0.1, 2.0)]
        assert trace["bias"] == -0.2
        assert trace["z"] == pytest.approx(0.75, abs=1e-15)
        assert trace["a"] == pytest.approx(sigmoid(0.75), abs=1e-15)

    def test_follow_through_on_o1(self, native: dict) -> None:
        """o1 is wrong against the reference but right given the student's h: full credit."""
        layer_o = native["cases"][0]["layers"][1]
        (follow,) = layer_o["follow_through"]

        assert (layer_o["nodes_ok"], layer_o["nodes_follow_through"], layer_o["points"]) == (
            0,
            1,
            2.5,
        )
        assert follow["node"] == "o1"
        assert follow["expected_reference"] == pytest.approx(O1, abs=1e-15)
        assert follow["expected_given_your_inputs"] == pytest.approx(O1_GIVEN_STUDENT, abs=1e-15)
        assert follow["abs_err"] == pytest.approx(abs(-0.226048 - O1_GIVEN_STUDENT), abs=1e-15)
        assert follow["allowed"] == pytest.approx(1e-4 + 1e-3 * abs(O1_GIVEN_STUDENT), rel=1e-12)

    def test_tolerance_echoed(self, native: dict) -> None:
        """The tolerance actually applied is echoed back, with the rule and float64."""
        used = native["tolerance_used"]

        assert (used["rtol"], used["atol"], used["reference_dtype"]) == (1e-3, 1e-4, "float64")
        assert used["rule"] == "|got-expected| <= atol + rtol*|expected|"

    def test_without_follow_through_o_layer_earns_nothing(self, client: FlaskClient) -> None:
        """Turning follow-through off drops input 1's o layer to 0: 6.25 of 10."""
        body = {**WORKED, "scoring": {**WORKED["scoring"], "follow_through": False}}

        got = client.post("/v1/grade", json=body).get_json()

        assert got["points"] == 6.25

    def test_half_follow_through_credit(self, client: FlaskClient) -> None:
        """follow_through_credit 0.5 gives o1 half of 2.5: 7.5 of 10."""
        body = {**WORKED, "scoring": {**WORKED["scoring"], "follow_through_credit": 0.5}}

        got = client.post("/v1/grade", json=body).get_json()

        assert got["points"] == 7.5

    def test_all_or_nothing(self, client: FlaskClient) -> None:
        """all_or_nothing zeroes layer h of input 1: 7.5 of 10."""
        body = {**WORKED, "scoring": {**WORKED["scoring"], "node_credit": "all_or_nothing"}}

        got = client.post("/v1/grade", json=body).get_json()

        assert got["points"] == 7.5


def test_gradescope(client: FlaskClient) -> None:
    """Gradescope: four tests summing to 8.75, visibility per case, no top-level score."""
    response = client.post("/v1/grade?format=gradescope", json=WORKED)
    document = strict_json(response.data)

    check_gradescope(document)
    assert "score" not in document
    rows = [
        (t["number"], t["score"], t["max_score"], t["status"], t["visibility"])
        for t in document["tests"]
    ]
    assert rows == [
        ("1.1", 1.25, 2.5, "failed", "visible"),
        ("1.2", 2.5, 2.5, "passed", "visible"),
        ("2.1", 2.5, 2.5, "passed", "after_due_date"),
        ("2.2", 2.5, 2.5, "passed", "after_due_date"),
    ]
    assert sum(t["score"] for t in document["tests"]) == 8.75
    assert document["tests"][0]["name"] == "Input x=[1, 2], layer h (sigmoid)"
    assert document["tests"][2]["name"] == "Hidden input 2, layer h"
    assert document["tests"][0]["output"].startswith(f"Node h2: expected {H2:.6f}, got 0.670000")
    assert "full follow-through credit" in document["tests"][1]["output"]
    assert document["output"].startswith(
        "**8.75 / 10** (|got − expected| ≤ 1e-4 + 1e-3·|expected|)"
    )


def test_prairielearn(client: FlaskClient) -> None:
    """PrairieLearn: score 0.875, visible layers as tests, the hidden input summarised."""
    response = client.post("/v1/grade?format=prairielearn", json=WORKED)
    document = strict_json(response.data)

    check_prairielearn(document)
    assert (document["gradable"], document["score"]) == (True, 0.875)
    assert document["message"] == "8.75 / 10 points. 1 of 6 checked nodes was outside tolerance."
    names = [(t["name"], t["points"], t["max_points"]) for t in document["tests"]]
    assert names == [
        ("Input x=[1, 2], layer h (sigmoid)", 1.25, 2.5),
        ("Input x=[1, 2], layer o (tanh)", 2.5, 2.5),
        ("Hidden test inputs (1)", 5.0, 5.0),
    ]
    assert document["tests"][0]["message"].startswith(f"Node h2: expected {H2:.6f}, got 0.670000")
    assert f"sigmoid(0.75) = {H2:.6f}" in document["tests"][0]["output"]
    assert "0.289" not in response.get_data(as_text=True), "hidden values stay hidden"


def test_junit(client: FlaskClient) -> None:
    """JUnit: one testcase per (input, layer); only input 1's layer h fails."""
    response = client.post("/v1/grade?format=junit", json=WORKED)

    assert response.mimetype == "application/xml"
    root = check_junit(response.data)
    cases = root.findall("./testsuite/testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("nntrace.in1", "layer h (sigmoid)"),
        ("nntrace.in1", "layer o (tanh)"),
        ("nntrace.in2", "layer h"),
        ("nntrace.in2", "layer o"),
    ]
    failure = cases[0].find("failure")
    assert failure is not None and failure.get("type") == "ToleranceMismatch"
    assert failure.get("message", "").startswith(f"h2: expected {H2:.6f}, got 0.670000")
    assert all(c.find("failure") is None for c in cases[1:])
