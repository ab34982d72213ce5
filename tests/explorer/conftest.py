"""Fixtures of the explorer tests: Debian's Chromium driven by Playwright against a real
gunicorn on loopback.

Every page of every test records what the browser asked for and what it logged. A request
to anything but 127.0.0.1 is refused, and at the end of each test the page must have made
no such request, logged no console error (a CSP violation is logged as one) and fired no
``securitypolicyviolation`` event. The strict
Content-Security-Policy of the briefing comes from the service itself (``http/guard.py``);
the request guard records that each document carried it, and
:func:`test_security.test_the_page_runs_under_the_strict_csp` checks it is in force.

Needs the ``playwright`` Python package and ``chromium`` (``apt-get install chromium``);
playwright's own browser download is never used. Without them the tests skip, unless
``NNTRACE_BROWSER_TESTS=1`` (set by CI), where a missing browser is a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.browser import browser_missing
from tests.explorer.support import DESKTOP, STRICT_CSP, Explorer

_MISSING = browser_missing()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip the browser tests (not the asset tests) when there is no browser."""
    if _MISSING is None:
        return
    for item in items:
        if {"explorer", "browser"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.skip(reason=_MISSING))


def _guard(explorer: Explorer) -> Callable[[Any], None]:
    """Refuse every request off loopback; record, for each document, whether the service
    sent the strict CSP (the page is tested under the service's own header)."""

    def route(route: Any) -> None:
        url = route.request.url
        explorer.requested.append(url)
        if urlsplit(url).hostname != "127.0.0.1":
            route.abort()
            return
        if route.request.resource_type != "document":
            route.continue_()
            return
        response = route.fetch()
        headers = {k.lower(): v for k, v in response.headers.items()}
        explorer.csp_from_server.append(headers.get("content-security-policy") == STRICT_CSP)
        route.fulfill(response=response)

    return route


_RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(`${e.effectiveDirective} ${e.blockedURI || 'inline'}`);
});
"""
"""Every CSP violation of a document, as ``directive blocked-uri``. An init script is injected
by the DevTools protocol, so the page's own policy does not apply to it; it listens from
before the page's first script, catching what the console might not report (a refused style
attribute set from a script, say)."""


def _violations(explorer: Explorer) -> list[str]:
    page = explorer.page
    if page.is_closed():
        return []
    found: list[str] = page.evaluate("() => window.__cspViolations || []")
    return found


@pytest.fixture
def make_explorer(browser: Any, live_server: str) -> Iterator[Callable[..., Explorer]]:
    """Open explorer pages with context options (viewport, locale, colour scheme...); each
    is checked at teardown for console errors and requests off loopback."""
    made: list[tuple[Any, Explorer]] = []

    def make(**options: Any) -> Explorer:
        options.setdefault("viewport", DESKTOP)
        options.setdefault("locale", "en-US")
        context = browser.new_context(**options)
        page = context.new_page()
        explorer = Explorer(page, live_server)
        context.route("**/*", _guard(explorer))
        context.add_init_script(script=_RECORD_VIOLATIONS)

        def console(message: Any, errors: list[str] = explorer.console_errors) -> None:
            if message.type == "error":
                errors.append(message.text)

        page.on("console", console)
        page.on("pageerror", lambda e: explorer.console_errors.append(f"uncaught: {e}"))
        made.append((context, explorer))
        return explorer

    yield make
    violations = {id(explorer): _violations(explorer) for _, explorer in made}
    for context, _ in made:
        context.close()
    for _, explorer in made:
        assert explorer.unexpected_console_errors() == [], explorer.console_errors
        hosts = {urlsplit(url).hostname for url in explorer.requested}
        assert hosts <= {"127.0.0.1"}, explorer.requested
        assert violations[id(explorer)] == explorer.expected_violations, "CSP violations"
        assert all(explorer.csp_from_server), "a document came without the strict CSP"


@pytest.fixture
def explorer(make_explorer: Callable[..., Explorer]) -> Explorer:
    """The explorer at 1280×800 in English, on the default lesson."""
    opened = make_explorer()
    opened.open()
    return opened
