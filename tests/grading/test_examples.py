"""The autograder examples run end to end against a real gunicorn, in a temporary layout of
each platform's directories, and write results files of the documented shape."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.grading.support import check_gradescope, check_junit, check_prairielearn, strict_json
from tests.support import ROOT, free_port

pytestmark = pytest.mark.live  # runs the example scripts in subprocesses

EXAMPLES = ROOT / "examples"


def run(script: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, str(script)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def gradescope_root(tmp_path: Path) -> Path:
    """/autograder as Gradescope lays it out: source/, submission/, run_autograder."""
    root = tmp_path / "autograder"
    shutil.copytree(EXAMPLES / "gradescope", root / "source")
    shutil.copy(EXAMPLES / "gradescope" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    shutil.copy(
        EXAMPLES / "gradescope" / "sample_submission" / "node_values.json", root / "submission"
    )
    return root


class TestGradescope:
    def test_sample_submission(self, gradescope_root: Path, live_server: str) -> None:
        """The sample submission scores 8.75 of 10 in a valid results.json."""
        done = run(
            gradescope_root / "run_autograder",
            {"NNTRACE_URL": live_server, "NNTRACE_AUTOGRADER_ROOT": str(gradescope_root)},
        )

        assert done.returncode == 0, done.stdout + done.stderr
        results = strict_json((gradescope_root / "results" / "results.json").read_text())
        check_gradescope(results)
        assert sum(t["score"] for t in results["tests"]) == 8.75
        assert [t["visibility"] for t in results["tests"]] == [
            "visible",
            "visible",
            "after_due_date",
            "after_due_date",
        ]

    def test_submission_not_json(self, gradescope_root: Path, live_server: str) -> None:
        """A submission that is not JSON becomes a visible failed test, not a crash."""
        (gradescope_root / "submission" / "node_values.json").write_text("h1 = 0.5")

        done = run(
            gradescope_root / "run_autograder",
            {"NNTRACE_URL": live_server, "NNTRACE_AUTOGRADER_ROOT": str(gradescope_root)},
        )

        results = strict_json((gradescope_root / "results" / "results.json").read_text())
        check_gradescope(results)
        assert done.returncode == 0
        assert (
            results["score"],
            results["tests"][0]["status"],
            results["tests"][0]["max_score"],
        ) == (0.0, "failed", 10)

    def test_wrongly_shaped_submission(self, gradescope_root: Path, live_server: str) -> None:
        """Valid JSON of the wrong shape is graded by the service: 0 points with the reason."""
        (gradescope_root / "submission" / "node_values.json").write_text('{"answer": 42}')

        run(
            gradescope_root / "run_autograder",
            {"NNTRACE_URL": live_server, "NNTRACE_AUTOGRADER_ROOT": str(gradescope_root)},
        )

        results = strict_json((gradescope_root / "results" / "results.json").read_text())
        check_gradescope(results)
        assert (
            results["score"] == 0 and "no values for any test case" in results["tests"][0]["output"]
        )

    def test_service_unreachable(self, gradescope_root: Path) -> None:
        """Without a service no results file is written and the script fails, so staff rerun it."""
        done = run(
            gradescope_root / "run_autograder",
            {
                "NNTRACE_URL": f"http://127.0.0.1:{free_port()}",
                "NNTRACE_AUTOGRADER_ROOT": str(gradescope_root),
            },
        )

        assert done.returncode == 1
        assert not (gradescope_root / "results" / "results.json").exists()


@pytest.fixture
def prairielearn_root(tmp_path: Path) -> Path:
    """/grade as PrairieLearn lays it out: tests/ (the grader), data/data.json; no results/."""
    root = tmp_path / "grade"
    shutil.copytree(EXAMPLES / "prairielearn" / "tests", root / "tests")
    (root / "data").mkdir()
    shutil.copy(EXAMPLES / "prairielearn" / "sample_data.json", root / "data" / "data.json")
    return root


class TestPrairieLearn:
    def test_sample_submission(self, prairielearn_root: Path, live_server: str) -> None:
        """The sample answers score 0.875 with the hidden input summarised."""
        done = run(
            prairielearn_root / "tests" / "grade.py",
            {"NNTRACE_URL": live_server, "NNTRACE_GRADER_ROOT": str(prairielearn_root)},
        )

        assert done.returncode == 0, done.stdout + done.stderr
        raw = (prairielearn_root / "results" / "results.json").read_text()
        results = strict_json(raw)
        check_prairielearn(results)
        assert len(raw.encode()) < 1_000_000
        assert results["score"] == 0.875
        assert results["tests"][-1]["name"] == "Hidden test inputs (1)"

    def test_missing_and_text_answers(self, prairielearn_root: Path, live_server: str) -> None:
        """A blank answer and a text answer cost those nodes only and are named in the feedback."""
        data_file = prairielearn_root / "data" / "data.json"
        data = json.loads(data_file.read_text())
        del data["submitted_answers"]["in1_h1"]
        data["submitted_answers"]["in1_o1"] = "about -0.2"
        data_file.write_text(json.dumps(data))

        run(
            prairielearn_root / "tests" / "grade.py",
            {"NNTRACE_URL": live_server, "NNTRACE_GRADER_ROOT": str(prairielearn_root)},
        )

        results = strict_json((prairielearn_root / "results" / "results.json").read_text())
        check_prairielearn(results)
        messages = "\n".join(t.get("message", "") for t in results["tests"])
        assert "h1: missing value" in messages and "o1: got the text 'about -0.2'" in messages
        assert results["score"] == pytest.approx(5 / 10)

    def test_service_unreachable(self, prairielearn_root: Path) -> None:
        """Without a service the grader still exits 0 with gradable: false (no attempt lost)."""
        done = run(
            prairielearn_root / "tests" / "grade.py",
            {
                "NNTRACE_URL": f"http://127.0.0.1:{free_port()}",
                "NNTRACE_GRADER_ROOT": str(prairielearn_root),
            },
        )

        results = strict_json((prairielearn_root / "results" / "results.json").read_text())
        check_prairielearn(results)
        assert done.returncode == 0
        assert results["gradable"] is False


def test_otter_cell(live_server: str) -> None:
    """The notebook cell prints feedback, writes nothing to stderr (nbgrader would score 0)."""
    done = run(EXAMPLES / "otter_cell.py", {"NNTRACE_URL": live_server})

    assert done.returncode == 0
    assert done.stderr == ""
    assert done.stdout.startswith("8.75 / 10 points")
    assert "h2: expected 0.679179, got 0.670000" in done.stdout


def test_cli_grade_writes_each_format(tmp_path: Path, live_server: str) -> None:
    """`nntrace grade` writes the service's document for each format to --out."""
    spec = EXAMPLES / "gradescope" / "grading.json"
    submission = EXAMPLES / "gradescope" / "sample_submission" / "node_values.json"
    for fmt in ("native", "gradescope", "prairielearn", "junit"):
        out = tmp_path / fmt / "results.out"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "nntrace",
                "grade",
                str(spec),
                str(submission),
                "--format",
                fmt,
                "--out",
                str(out),
                "--url",
                live_server,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        text = out.read_text()
        if fmt == "junit":
            check_junit(text.encode())
        elif fmt == "gradescope":
            check_gradescope(strict_json(text))
        elif fmt == "prairielearn":
            check_prairielearn(strict_json(text))
        else:
            assert strict_json(text)["points"] == 8.75
