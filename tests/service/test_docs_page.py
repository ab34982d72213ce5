"""The /docs page in a real headless Chromium, against a real gunicorn.

The page must render every operation of the served description, send a request from its
"Try it" panel, and never reach beyond the service (no CDN, no fonts, no telemetry): every
request the browser makes is recorded, and anything not addressed to 127.0.0.1 is refused
and fails the test.

Needs the ``playwright`` Python package and Debian's ``chromium`` (``apt-get install
chromium``); playwright's own browser download is never used. Without them the tests skip,
unless ``NNTRACE_BROWSER_TESTS=1`` (set by CI), where a missing browser is a failure.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.browser import browser_missing

_MISSING = browser_missing()
pytestmark = [pytest.mark.live, pytest.mark.skipif(_MISSING is not None, reason=_MISSING or "")]


class Page:
    """A loaded /docs page plus every URL the browser asked for."""

    def __init__(self, page: Any, requested: list[str]) -> None:
        self.page = page
        self.requested = requested


@pytest.fixture(scope="module")
def docs(live_server: str, browser: Any) -> Iterator[Page]:
    """/docs loaded in headless Chromium; requests off loopback are recorded and aborted."""
    requested: list[str] = []

    def guard(route: Any) -> None:
        requested.append(route.request.url)
        host = urlsplit(route.request.url).hostname
        if host == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route("**/*", guard)
    page = context.new_page()
    page.goto(f"{live_server}/docs")
    page.wait_for_selector("body[data-ready='1']")
    yield Page(page, requested)
    context.close()


def spec_operations(live_server: str) -> list[tuple[str, str, str]]:
    """(operationId, method, path) of every operation in the served description."""
    spec = requests.get(f"{live_server}/openapi.json", timeout=10).json()
    return [
        (op["operationId"], method, path)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def test_every_operation_is_listed(docs: Page, live_server: str) -> None:
    """Each operation of /openapi.json has a card showing its method and path."""
    expected = spec_operations(live_server)

    assert docs.page.locator("details.op").count() == len(expected)
    for operation_id, method, path in expected:
        card = docs.page.locator(f"#{operation_id} > summary")
        assert card.locator(".method").inner_text() == method.upper()
        assert card.locator(".path").inner_text() == path


def test_evaluate_can_be_sent_from_the_page(docs: Page) -> None:
    """Opening POST /v1/evaluate and pressing Send shows a 200 with outputs and the
    node calculations of the prefilled example."""
    page = docs.page
    page.click("#evaluateNetwork > summary")
    body = json.loads(page.input_value("#evaluateNetwork textarea.body-editor"))
    page.click("#evaluateNetwork button.send")
    status = page.wait_for_selector("#evaluateNetwork .result-head .status")
    result = json.loads(page.inner_text("#evaluateNetwork pre.result-body"))

    assert status is not None and status.get_attribute("data-status") == "200"
    assert len(result["outputs"]) == len(body["inputs"])
    assert page.inner_text("#evaluateNetwork pre.calc").count("\n") + 1 == len(result["nodes"])


def test_a_problem_is_shown_with_its_status(docs: Page) -> None:
    """An edited, invalid body comes back as a 422 problem shown on the page."""
    page = docs.page
    page.click("#validateNetwork > summary")
    page.fill("#validateNetwork textarea.body-editor", '{"network": {"input_size": 0}}')
    page.click("#validateNetwork button.send")
    status = page.wait_for_selector("#validateNetwork .result-head .status")

    assert status is not None and status.get_attribute("data-status") == "422"
    assert "/problems/validation-error" in page.inner_text("#validateNetwork pre.result-body")


def test_path_parameters_are_filled_in(docs: Page) -> None:
    """GET /v1/activations/{name} sends the name typed into its field (an alias here)."""
    page = docs.page
    page.click("#getActivation > summary")
    page.fill("#getActivation input[data-param='name']", "LeakyRelu")
    page.click("#getActivation button.send")
    page.wait_for_selector("#getActivation .result-head .status")

    assert json.loads(page.inner_text("#getActivation pre.result-body"))["name"] == "leaky_relu"


def test_activation_catalog_renders_and_plots(docs: Page, live_server: str) -> None:
    """The catalog lists every activation and opening one draws its curve."""
    page = docs.page
    page.wait_for_selector("#catalog:not([hidden]) .activation")
    catalog = requests.get(f"{live_server}/v1/activations", timeout=10).json()["activations"]
    page.click("#catalog .activation:has(.act-name:text-is('tanh')) > summary")
    page.wait_for_selector("#catalog svg.curve polyline")

    assert page.locator("#catalog .activation").count() == len(catalog)


def test_nothing_left_loopback(docs: Page) -> None:
    """Every request the page made went to 127.0.0.1 (runs last in this module)."""
    assert docs.requested, "the request guard saw nothing"
    assert {urlsplit(url).hostname for url in docs.requested} == {"127.0.0.1"}
