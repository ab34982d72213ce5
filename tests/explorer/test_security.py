"""The page under the strict CSP of the briefing, with nothing leaving loopback."""

from __future__ import annotations

from collections.abc import Callable

from tests.explorer.support import STRICT_CSP, Explorer


def test_the_page_runs_under_the_strict_csp(explorer: Explorer) -> None:
    """The service sends the strict policy with the page, it is in force (an inline script
    is refused) and the page still works: the fixture's teardown fails the test on any
    console error or securitypolicyviolation event the test did not provoke."""
    page = explorer.page
    assert explorer.csp_from_server, "the page document was not seen"
    explorer.expect_console_error("Executing inline script violates")
    explorer.expected_violations.append("script-src-elem inline")
    violated = page.evaluate(
        """() => new Promise((resolve) => {
            document.addEventListener('securitypolicyviolation',
                (e) => resolve([e.effectiveDirective, window.inlineRan === true]), { once: true });
            const script = document.createElement('script');
            script.textContent = 'window.inlineRan = true';
            document.body.append(script);
        })"""
    )
    assert violated == ["script-src-elem", False]
    policy = page.evaluate(
        "() => fetch(location.href).then((r) => r.headers.get('content-security-policy'))"
    )
    assert policy == STRICT_CSP
    assert explorer.csp_from_server == [True]
    page.get_by_role("button", name="Step", exact=True).click()
    explorer.choose_preset("exercise-tanh")
    page.wait_for_selector("#act-formula math")


def test_nothing_leaves_loopback(make_explorer: Callable[..., Explorer]) -> None:
    """Every request of a full session (all presets, a share, the docs link target) goes
    to 127.0.0.1; the fixture would also fail on anything else."""
    explorer = make_explorer()
    explorer.open()
    for preset in ("exercise-tanh", "linear-collapses", "vanishing-relu", "any-function"):
        explorer.choose_preset(preset)
    explorer.page.get_by_role("button", name="Copy as curl").click()
    assert explorer.requested
    assert all(url.startswith(explorer.base_url + "/") for url in explorer.requested)
