"""Client.grade and Client.compare against a real gunicorn: typed results, exact documents,
typed exceptions."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
import requests

import nntrace
from nntrace.grading import CompareResult, GradeResult
from tests.grading.support import (
    REFERENCE,
    WORKED,
    check_gradescope,
    check_junit,
    check_prairielearn,
)

STUDENT = WORKED["submission"]["node_values"]


@pytest.fixture
def sdk(live_server: str) -> Iterator[nntrace.Client]:
    with nntrace.Client(live_server, max_retries=0) as client:
        yield client


def grade(sdk: nntrace.Client, fmt: str = "native", submission: object = STUDENT) -> object:
    return sdk.grade(
        REFERENCE,
        submission,
        WORKED["test_cases"],
        format=fmt,  # type: ignore[arg-type]
        tolerance=WORKED["tolerance"],
        scoring=WORKED["scoring"],
        feedback=WORKED["feedback"],
    )


def test_native_is_typed(sdk: nntrace.Client) -> None:
    """The native format parses into a GradeResult with the worked example's numbers."""
    result = grade(sdk)

    assert isinstance(result, GradeResult)
    assert (result.points, result.max_points, result.score, result.ok) == (8.75, 10.0, 0.875, False)
    mismatch = result.cases[0].layers[0].mismatches[0]
    assert mismatch.node == "h2"
    assert mismatch.expected == pytest.approx(1 / (1 + math.exp(-0.75)), abs=1e-15)
    assert "h2: expected 0.679179, got 0.670000" in result.feedback()


@pytest.mark.parametrize(
    ("fmt", "check"), [("gradescope", check_gradescope), ("prairielearn", check_prairielearn)]
)
def test_autograder_formats_are_exact_dicts(sdk: nntrace.Client, fmt: str, check: object) -> None:
    """Gradescope and PrairieLearn formats come back as the results dict to write."""
    document = grade(sdk, fmt)

    assert isinstance(document, dict)
    check(document)  # type: ignore[operator]


def test_junit_is_text(sdk: nntrace.Client) -> None:
    """JUnit comes back as XML text."""
    text = grade(sdk, "junit")

    assert isinstance(text, str)
    check_junit(text.encode())


def test_nan_in_submission_is_a_failing_value(sdk: nntrace.Client) -> None:
    """A NaN the student's code produced is sent as "NaN" and fails h2; o1 then has no
    finite values to follow through from, so input 1 keeps only h1's 1.25 points."""
    submission = {"in1": {"layers": [[0.524979, math.nan], [-0.226048]]}, "in2": STUDENT["in2"]}

    result = grade(sdk, submission=submission)

    assert isinstance(result, GradeResult)
    assert math.isnan(result.cases[0].layers[0].mismatches[0].got)
    assert result.points == 6.25


def test_network_submission(sdk: nntrace.Client) -> None:
    """A Network builder is graded as a network submission."""
    result = grade(sdk, submission=nntrace.Network.from_dict(REFERENCE))

    assert isinstance(result, GradeResult) and result.points == 10.0


def test_compare(sdk: nntrace.Client) -> None:
    """compare returns per-layer differences as a CompareResult."""
    result = sdk.compare(
        REFERENCE, [[0.524979, 0.67], [-0.226048]], inputs=[1.0, 2.0], tolerance={"profile": "hand"}
    )

    assert isinstance(result, CompareResult)
    assert [layer.ok for layer in result.layers] == [False, False]
    assert result.first_mismatches[0]["node"] == "h2"
    assert "h2 (sample 0)" in str(result)


def test_bad_tolerance_raises_typed_problem(sdk: nntrace.Client) -> None:
    """A bad tolerance is a RequestValidationError pointing at the field."""
    with pytest.raises(nntrace.RequestValidationError) as caught:
        sdk.grade(REFERENCE, STUDENT, WORKED["test_cases"], tolerance={"rtol": -1})

    assert "/tolerance/rtol" in [item.pointer for item in caught.value.problem.errors]


def test_unknown_format_refused_locally(sdk: nntrace.Client) -> None:
    """An unknown format is a ValueError before any request."""
    with pytest.raises(ValueError, match="format must be one of"):
        sdk.grade(REFERENCE, STUDENT, WORKED["test_cases"], format="csv")  # type: ignore[arg-type]


class TestRawHTTP:
    def test_accept_xml_gives_junit(self, live_server: str) -> None:
        """Through gunicorn, Accept: application/xml selects JUnit with an XML content type."""
        response = requests.post(
            f"{live_server}/v1/grade",
            json=WORKED,
            headers={"Accept": "application/xml"},
            timeout=30,
        )

        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("application/xml")
        check_junit(response.content)

    def test_bad_reference_is_problem_json(self, live_server: str) -> None:
        """Through gunicorn, a bad reference is application/problem+json with a pointer."""
        body = {**WORKED, "reference": {"network": {**REFERENCE, "input_size": 3}}}

        response = requests.post(f"{live_server}/v1/grade", json=body, timeout=30)

        assert response.status_code == 422
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["errors"][0]["pointer"] == "/reference/network/layers/0/weights"
