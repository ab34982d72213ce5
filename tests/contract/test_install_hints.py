"""Every ``pip install`` a user may copy quotes its extras and names a wheel that exists.

``pip install ./client[plot,pandas]`` works in bash but fails in zsh (the default shell on
macOS), where ``[...]`` is a glob: "no matches found". The READMEs, the examples, the
Dockerfile and the hints the client and service print (``pip install 'nntrace-client[plot]'``)
are scanned as text, so a new unquoted one fails here. The same files may show the client
wheel's file name (``pip install http://HOST/client/nntrace_client-0.1.0-py3-none-any.whl``);
each must name the current version.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import nntrace
from tests.support import ROOT

INSTALL = re.compile(
    r"pip install\s+(?:-{1,2}[\w-]+(?:=\S+)?\s+)*(?P<quote>['\"]?)(?P<target>[\w.:/@+-]*\[)"
)
"""A ``pip install`` (options skipped) whose first target has extras; ``quote`` is empty when
that target is not quoted."""

SKIP_PARTS = {".venv", ".git", "node_modules", "wip", "__pycache__", "vendor", "dist", "tests"}
"""Not read by users: environments, build output, third-party code and the tests (whose
regular expressions about pip lines are not pip lines)."""


def unquoted_extras(text: str) -> list[str]:
    """The lines of ``text`` with a ``pip install`` of extras that a shell would glob."""
    return [
        line.strip()
        for line in text.splitlines()
        for match in INSTALL.finditer(line)
        if not match["quote"]
    ]


def copied_files() -> list[Path]:
    """What a user reads or is shown: Markdown, shell, Python sources, Makefile, Dockerfiles."""
    top = [ROOT / "Makefile", ROOT / "Dockerfile", *ROOT.glob("*.md")]
    found = [
        path
        for folder in ("client", "service", "examples", "scripts", "deploy", "docs")
        for pattern in ("**/*.md", "**/*.sh", "**/*.py", "**/Dockerfile")
        for path in (ROOT / folder).glob(pattern)
        if not SKIP_PARTS & set(path.relative_to(ROOT).parts)
    ]
    return sorted({path for path in [*top, *found] if path.is_file()})


@pytest.mark.parametrize(
    ("line", "flagged"),
    [
        ("pip install ./client[plot,pandas,progress]", True),
        ("pip install -e ./client[plot]", True),
        ("`pip install nntrace-client[plot]`", True),
        ("pip install './client[plot,pandas,progress]'", False),
        ('pip install --no-index --find-links=/wheels "nntrace-service[onnx]"', False),
        ("raise ImportError(\"needs pandas: pip install 'nntrace-client[pandas]'\")", False),
        ("pip install ./client", False),
    ],
)
def test_the_scan_tells_quoted_from_unquoted(line: str, flagged: bool) -> None:
    """The scan itself: it flags exactly the lines zsh would glob."""
    assert bool(unquoted_extras(line)) is flagged


def test_extras_are_quoted_everywhere() -> None:
    """No README, example, script or printed hint has an unquoted ``pip install x[extra]``."""
    files = copied_files()
    offenders = [
        f"{path.relative_to(ROOT)}: {line}"
        for path in files
        for line in unquoted_extras(path.read_text(errors="replace"))
    ]

    assert ROOT / "README.md" in files and ROOT / "client" / "README.md" in files
    assert offenders == []


WHEEL_NAME = re.compile(r"nntrace_client-(?P<version>\d[\w.]*)-py3-none-any\.whl")


def test_wheel_names_shown_are_this_version() -> None:
    """A wheel URL shown anywhere (the PrairieLearn README's indented docker build, the
    Dockerfile's comment, the spec) names the client's current version: after a version bump
    the old name would be a 404 at ``/client/``. (test_readme checks the runnable blocks.)"""
    shown = {
        f"{path.relative_to(ROOT)}: {match['version']}"
        for path in [*copied_files(), ROOT / "openapi.yaml"]
        for match in WHEEL_NAME.finditer(path.read_text(errors="replace"))
    }
    stale = sorted(item for item in shown if not item.endswith(f": {nntrace.__version__}"))

    assert any("prairielearn" in item for item in shown)
    assert stale == []
