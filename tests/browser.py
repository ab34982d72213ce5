"""Debian's Chromium driven by Playwright, shared by every browser test (the docs page and
the explorer). Playwright's sync API runs one instance per thread, so the whole session uses
one browser, started by the ``browser`` fixture in tests/conftest.py; playwright's own browser
download is never used."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--font-render-hinting=none",
]


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can. With
    ``NNTRACE_BROWSER_TESTS=1`` (set by CI) a missing browser fails the run instead."""
    reason = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "the playwright Python package is not installed"
    if reason is None and not Path(CHROMIUM).exists():
        reason = "chromium is not installed (apt-get install chromium)"
    if reason and os.environ.get("NNTRACE_BROWSER_TESTS") == "1":
        pytest.fail(f"NNTRACE_BROWSER_TESTS=1 but {reason}", pytrace=False)
    return reason
