"""For everyone: axe-core (vendored) finds no serious or critical WCAG 2.x A/AA problem in
light or dark mode, on a phone or mid-step; the names screen readers rely on are there;
the diagram has a table as text alternative; reduced motion is respected."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.explorer.support import AXE, DESKTOP, PHONE, Explorer

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def with_axe(explorer: Explorer) -> Explorer:
    """axe-core as an init script: the DevTools protocol injects it, so the page keeps its
    strict CSP (which would refuse an inline script tag)."""
    explorer.page.context.add_init_script(path=str(AXE))
    return explorer


def axe_violations(explorer: Explorer) -> list[dict[str, Any]]:
    """Serious and critical violations reported by axe-core, which :func:`with_axe` put
    into the page."""
    page = explorer.page
    results: dict[str, Any] = page.evaluate(
        "(tags) => axe.run(document, { runOnly: { type: 'tag', values: tags } })", WCAG_TAGS
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize(
    ("preset", "options"),
    [
        ("exercise-sigmoid", {"viewport": DESKTOP}),
        ("linear-collapses", {"viewport": DESKTOP, "color_scheme": "dark"}),
        ("any-function", {"viewport": PHONE}),
        ("vanishing-sigmoid", {"viewport": PHONE, "color_scheme": "dark", "locale": "ja-JP"}),
    ],
    ids=["light", "dark", "phone", "phone-dark-ja"],
)
def test_axe_finds_no_serious_violation(
    make_explorer: Callable[..., Explorer], preset: str, options: dict[str, Any]
) -> None:
    explorer = with_axe(make_explorer(**options))
    explorer.open()
    explorer.choose_preset(preset)
    for _ in range(2):
        explorer.page.locator("#step").click()
    explorer.page.locator("#table-box summary").click()
    assert axe_violations(explorer) == []


def test_names_screen_readers_rely_on(explorer: Explorer) -> None:
    page = explorer.page
    for name in ("Play", "Step", "Reset"):
        assert page.get_by_role("button", name=name, exact=True).count() == 1
    assert page.get_by_role("region", name="Calculations").count() == 1
    for layer in ("hidden", "output"):
        assert page.get_by_label(f"Activation of layer {layer}", exact=True).count() == 1
    for i in range(3):
        assert page.get_by_label(f"Input {i}", exact=True).count() == 1


def test_the_table_is_a_text_alternative_of_the_diagram(explorer: Explorer) -> None:
    """Every node of the diagram is a row of the table, with the same value."""
    page = explorer.page
    page.locator("#table-box summary").click()
    rows = page.locator("#node-table tbody tr")
    assert rows.count() == page.locator("#diagram .node").count()
    hidden0 = page.locator("#node-table tbody tr", has_text="hidden[0]")
    value = float(hidden0.locator("td").nth(3).inner_text())
    assert (
        f"{value:.2f}"
        == page.locator("#diagram .node[data-layer='0'][data-node='0'] text").text_content()
    )


def test_edges_show_their_exact_weight_on_focus(explorer: Explorer) -> None:
    page = explorer.page
    edge = page.locator("#diagram .edge[data-layer='0'][data-node='1'][data-input='0']")
    edge.focus()
    assert page.locator("#inspector").inner_text() == "weight from x[0] to hidden[1]: -0.6"
    assert "neg" in (edge.get_attribute("class") or "")
    page.keyboard.press("Enter")
    focused = page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    assert focused == "Weight x[0] to hidden[1]"


def test_reduced_motion_is_respected(make_explorer: Callable[..., Explorer]) -> None:
    explorer = make_explorer(reduced_motion="reduce")
    explorer.open()
    duration = explorer.page.evaluate(
        "() => getComputedStyle(document.querySelector('#calc-list')).scrollBehavior"
    )
    assert duration == "auto"
    assert explorer.page.evaluate("() => matchMedia('(prefers-reduced-motion: reduce)').matches")
