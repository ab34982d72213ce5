"""The commit-msg hook (scripts/check_commit_msg.py) accepts CONTRIBUTING.md's messages and
refuses the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from scripts.check_commit_msg import main, problems


@pytest.mark.parametrize(
    "message",
    [
        "client: one plan per result type\n",
        "x" * 72 + "\n\nThe body says why.\n",
        "# a comment git strips\ntests: live marker\n\nWhy.\n",
    ],
    ids=["subject-only", "72-characters", "comment-first"],
)
def test_good_messages(message: str) -> None:
    assert problems(message) == []


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ("x" * 73 + "\n", "the subject has 73 characters; at most 72"),
        ("subject\nbody right below\n", "put a blank line between the subject and the body"),
        ("\n# only a comment\n", "the message is empty"),
    ],
    ids=["73-characters", "no-blank-line", "empty"],
)
def test_bad_messages(message: str, problem: str) -> None:
    assert problems(message) == [problem]


def test_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The hook fails the commit with a reason on stderr."""
    good, bad = tmp_path / "good", tmp_path / "bad"
    good.write_text("core: fine\n")
    bad.write_text("y" * 100 + "\n")

    assert (main(["hook", str(good)]), main(["hook", str(bad)])) == (0, 1)
    assert "100 characters" in capsys.readouterr().err
