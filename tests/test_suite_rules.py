"""Rules of the test suite itself, read from the test sources: every test can fail, and no
skip can hide a missing feature."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import LIVE_FIXTURES
from tests.support import ROOT, running_gunicorn

TEST_FILES = sorted((ROOT / "tests").rglob("test_*.py"))

CHECKING_CALLS = ("raises", "warns", "fail", "validate", "call_and_validate")
"""Calls that fail the test by themselves (``pytest.raises``, a JSON-schema ``validate``,
schemathesis' ``call_and_validate``); helpers named ``assert*``/``check*`` count too."""

SKIPS_ALLOWED = {
    "tests/service/test_docs_page.py": "no Chromium here (CI sets NNTRACE_BROWSER_TESTS=1)",
    "tests/container/test_container.py": "podman as root only where NNTRACE_CONTAINER_TESTS=1",
    "tests/container/test_autograders.py": "podman as root only where NNTRACE_CONTAINER_TESTS=1",
    "tests/topology/test_topology.py": "a minute of PostgreSQL, nginx and three replicas under "
    "load, only where NNTRACE_TOPOLOGY_TESTS=1 (CI sets it)",
}
"""Files that may skip, and why: each skips for a missing machine capability, never for a
missing feature, and CI turns the skip into a failure."""


def _checks(function: ast.AST) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Assert):
            return True
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in CHECKING_CALLS or name.lstrip("_").startswith(("assert", "check")):
                return True
    return False


def _tests(path: Path) -> list[ast.FunctionDef]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test")
    ]


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_test_checks_something(path: Path) -> None:
    silent = [f"{node.name} (line {node.lineno})" for node in _tests(path) if not _checks(node)]

    assert silent == [], "tests with no assertion"


def test_the_rule_finds_a_silent_test() -> None:
    """The check above is not vacuous: a test that only calls the code is reported."""
    silent, checked = ast.parse("def test_a():\n    f(1)\n\ndef test_b():\n    assert f(1)\n").body

    assert not _checks(silent) and _checks(checked)


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_skips_only_for_missing_machine_capabilities(path: Path) -> None:
    relative = str(path.relative_to(ROOT))
    tree = ast.parse(path.read_text(), filename=str(path))
    skips = sorted(
        {
            node.func.attr
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("skip", "skipif", "importorskip")
        }
    )

    assert not skips or relative in SKIPS_ALLOWED, f"{relative} skips with {skips}"


def test_unmarked_test_cannot_start_gunicorn() -> None:
    """This test is not marked live, so starting gunicorn fails before any process starts
    (the fast lane cannot slow down by accident)."""
    with pytest.raises(RuntimeError, match="not marked live"), running_gunicorn():
        pass


def test_gunicorn_tests_are_marked_live(request: pytest.FixtureRequest) -> None:
    """Every selected test that reaches a gunicorn fixture, directly or through a transport
    fixture's ``gunicorn`` parameter, carries the ``live`` marker."""
    unmarked = [
        item.nodeid
        for item in request.session.items
        if (
            LIVE_FIXTURES & set(getattr(item, "fixturenames", ()))
            or "gunicorn" in getattr(getattr(item, "callspec", None), "params", {}).values()
        )
        and item.get_closest_marker("live") is None
    ]

    assert unmarked == []
