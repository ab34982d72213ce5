"""The worked example of grading.md §9 and validators for each autograder format."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema

HERE = Path(__file__).resolve().parent
GRADESCOPE_SCHEMA = json.loads((HERE / "gradescope_results.schema.json").read_text())
PRAIRIELEARN_SCHEMA = json.loads((HERE / "prairielearn_results.schema.json").read_text())

REFERENCE: dict[str, Any] = {
    "input_size": 2,
    "layers": [
        {
            "name": "h",
            "activation": "sigmoid",
            "weights": [[0.5, -0.25], [0.75, 0.1]],
            "bias": [0.1, -0.2],
        },
        {"name": "o", "activation": "tanh", "weights": [[1.0, -1.5]], "bias": [0.25]},
    ],
}

WORKED: dict[str, Any] = {
    "reference": {"network": REFERENCE},
    "submission": {
        "kind": "node_values",
        "node_values": {
            "in1": {"layers": [[0.524979, 0.670000], [-0.226048]]},
            "in2": {"layers": [[0.371684, 0.289050], [0.185920]]},
        },
    },
    "test_cases": [
        {
            "id": "in1",
            "name": "Input x=[1, 2]",
            "input": [1.0, 2.0],
            "points": 5,
            "visibility": "visible",
        },
        {
            "id": "in2",
            "name": "Hidden input 2",
            "input": [-1.0, 0.5],
            "points": 5,
            "visibility": "after_due_date",
        },
    ],
    "tolerance": {"profile": "hand", "rtol": 1e-3, "atol": 1e-4, "equal_nan": False},
    "scoring": {
        "layer_weights": "equal",
        "node_credit": "fraction",
        "follow_through": True,
        "follow_through_credit": 1.0,
    },
    "feedback": {
        "include_trace": "mismatches",
        "max_mismatches_per_layer": 5,
        "reveal_expected": "visible_only",
    },
}


def worked(**changes: Any) -> dict[str, Any]:
    """A deep copy of the worked example with top-level keys replaced."""
    body = copy.deepcopy(WORKED)
    body.update(changes)
    return body


def strict_json(text: str | bytes) -> Any:
    """Parse JSON the way JavaScript's JSON.parse does: bare NaN/Infinity are errors."""

    def refuse(token: str) -> Any:
        raise ValueError(f"bare {token} in JSON")

    return json.loads(text, parse_constant=refuse)


def check_gradescope(document: Any) -> None:
    """A valid Gradescope results.json (schema from grading.md §3)."""
    jsonschema.Draft202012Validator(GRADESCOPE_SCHEMA).validate(document)


def check_prairielearn(document: Any) -> None:
    """A valid PrairieLearn results object, small enough, with per-test points shown."""
    jsonschema.Draft202012Validator(PRAIRIELEARN_SCHEMA).validate(document)
    for test in document.get("tests", []):
        assert "points" in test and "max_points" in test, "PrairieLearn hides all points otherwise"


def check_junit(text: str | bytes) -> ET.Element:
    """JUnit XML as GitLab/GitHub read it: testsuites > testsuite > testcase with classname
    and name, counts that match, unique (classname, name) pairs."""
    root = ET.fromstring(text)
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert suites
    cases = [case for suite in suites for case in suite.findall("testcase")]
    assert int(root.get("tests", "-1")) == len(cases)
    failures = sum(1 for c in cases if c.find("failure") is not None)
    errors = sum(1 for c in cases if c.find("error") is not None)
    assert int(root.get("failures", "-1")) == failures
    assert int(root.get("errors", "-1")) == errors
    for suite in suites:
        assert suite.get("name")
        assert int(suite.get("tests", "-1")) == len(suite.findall("testcase"))
    pairs = [(c.get("classname"), c.get("name")) for c in cases]
    assert all(a and b for a, b in pairs)
    assert len(set(pairs)) == len(pairs), "GitLab keeps only the first of duplicate names"
    for case in cases:
        float(case.get("time", "0"))
        for child in case:
            assert child.tag in {"failure", "error", "skipped", "system-out", "system-err"}
            if child.tag in {"failure", "error"}:
                assert child.get("message") is not None and child.get("type")
    return root
