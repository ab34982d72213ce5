#!/usr/bin/env python3
"""PrairieLearn external grader entrypoint: grade typed node values with an nntrace service.

PrairieLearn runs this as the ``entrypoint`` of ``externalGradingOptions`` with the
submission in /grade/data/data.json. Each answer is named ``<case id>_<layer><node>``
(``in1_h2``: test case in1, layer h, second node), as in question.html. The script turns the
answers into node values, asks the service for a PrairieLearn results object and writes it
to /grade/results/results.json (which it creates: PrairieLearn does not).

It always exits 0, because PrairieLearn ignores results otherwise. If the service cannot be
reached it writes ``gradable: false``, so the student loses no attempt and can resubmit.
Environment: NNTRACE_URL; NNTRACE_GRADER_ROOT moves the /grade root (used by the tests).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import nntrace

ROOT = Path(os.environ.get("NNTRACE_GRADER_ROOT", "/grade"))
SPEC = Path(__file__).resolve().parent / "grading.json"


def node_values(answers: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    """``{"in1": {"layers": {"h": [h1, h2], "o": [o1]}}, ...}`` from the form answers; a
    missing answer stays None, which the service reports as a missing value."""
    layers = spec["reference"]["network"]["layers"]
    values = {}
    for case in spec["test_cases"]:
        values[case["id"]] = {
            "layers": {
                layer["name"]: [
                    answers.get(f"{case['id']}_{layer['name']}{j + 1}")
                    for j in range(len(layer["weights"]))
                ]
                for layer in layers
            }
        }
    return values


def write(results: dict[str, Any]) -> None:
    target = ROOT / "results" / "results.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, allow_nan=False))


def main() -> int:
    spec = json.loads(SPEC.read_text())
    try:
        data = json.loads((ROOT / "data" / "data.json").read_text())
        answers = data.get("submitted_answers") or {}
    except (OSError, ValueError) as error:
        write({"gradable": False, "format_errors": [f"the submission could not be read: {error}"]})
        return 0
    try:
        with nntrace.Client(
            os.environ.get("NNTRACE_URL"), timeout=(3.05, 15), max_retries=1
        ) as client:
            results = client.grade(
                spec["reference"],
                node_values(answers, spec),
                spec["test_cases"],
                format="prairielearn",
                tolerance=spec.get("tolerance"),
                scoring=spec.get("scoring"),
                feedback=spec.get("feedback"),
            )
    except nntrace.NNTraceError as error:
        print(f"grading failed: {error}")
        results = {
            "gradable": False,
            "format_errors": [
                "Grading service unavailable; this attempt was not counted, please resubmit."
            ],
        }
    write(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
