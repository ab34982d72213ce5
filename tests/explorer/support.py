"""Helpers of the explorer tests: the browser's settings, a page wrapper, API references."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from tests.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: F401 (re-exported)

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


#: Read at import: the suite's autouse fixture clears NNTRACE_* variables before each test.
SCREENSHOTS = os.environ.get("NNTRACE_SCREENSHOTS")


def screenshot_dir() -> Path:
    """Where screenshots go: ``NNTRACE_SCREENSHOTS`` (``make screenshots`` points it at
    docs/screenshots), else a scratch folder, so a plain test run leaves the tree clean."""
    folder = Path(SCREENSHOTS) if SCREENSHOTS else ROOT / ".pytest_cache" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@dataclass
class Explorer:
    """One browser page on the explorer, with what it requested and logged."""

    page: Any
    base_url: str
    requested: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    csp_from_server: list[bool] = field(default_factory=list)
    expected_errors: list[str] = field(default_factory=list)
    expected_violations: list[str] = field(default_factory=list)
    """The CSP violations (``directive blocked-uri``) a test provokes on purpose, in order."""

    def expect_console_error(self, fragment: str) -> None:
        """Chromium logs every non-2xx fetch as a console error; a test that provokes a
        problem on purpose names it here, and only it is tolerated."""
        self.expected_errors.append(fragment)

    def unexpected_console_errors(self) -> list[str]:
        return [
            text
            for text in self.console_errors
            if not any(fragment in text for fragment in self.expected_errors)
        ]

    def open(self, path: str = "/explore") -> None:
        self.page.goto(self.base_url + path)
        self.page.wait_for_selector("body[data-ready='1']")
        self.settle()

    def settle(self) -> None:
        """Wait until the last API round trip has been drawn."""
        self.page.wait_for_selector("body[data-pending='0']")

    def calc_lines(self) -> list[str]:
        return list(self.page.locator("#calc-list li code.calc").all_inner_texts())

    def output(self, index: int = 0) -> float:
        value = self.page.locator(f"#outputs .out[data-index='{index}']").get_attribute(
            "data-value"
        )
        assert value is not None
        return float(value)

    def choose_preset(self, name: str) -> None:
        self.page.select_option("#preset", name)
        self.settle()


def api_evaluate(base_url: str, network: Any, inputs: Any, **options: Any) -> dict[str, Any]:
    """The API's own answer, fetched outside the browser (the reference for the page)."""
    body = {"network": network, "inputs": inputs, **options}
    response = requests.post(f"{base_url}/v1/evaluate", json=body, timeout=30)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def page_state(explorer: Explorer) -> dict[str, Any]:
    """The state the page carries in its URL fragment, decoded in Python."""
    fragment = urlsplit(explorer.page.url).fragment
    assert fragment.startswith("s="), explorer.page.url
    data = fragment[2:]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    return decoded
