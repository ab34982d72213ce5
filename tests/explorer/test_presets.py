"""The lessons as presets, each checked against the API (and the API against an independent
reference where the lesson makes a claim), and photographed at 1280×800 and 390×844."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import requests

from tests.explorer.support import (
    DESKTOP,
    PHONE,
    Explorer,
    api_evaluate,
    page_state,
    screenshot_dir,
)

PRESETS = [
    "exercise-sigmoid",
    "exercise-tanh",
    "exercise-relu",
    "linear-collapses",
    "vanishing-sigmoid",
    "vanishing-relu",
    "any-function",
]
# The panel each lesson is about, scrolled into view for its screenshot.
FOCUS = {
    "linear-collapses": "#linearity",
    "vanishing-sigmoid": "#grad-chart",
    "vanishing-relu": "#grad-chart",
}


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280x800", "390x844"])
@pytest.mark.parametrize("preset", PRESETS)
def test_each_preset_renders_and_is_photographed(
    make_explorer: Callable[..., Explorer], preset: str, viewport: dict[str, int]
) -> None:
    """Each preset draws its network, steps through the API's lines, fits the viewport's
    width, and is saved as a screenshot."""
    explorer = make_explorer(viewport=viewport)
    explorer.open()
    explorer.choose_preset(preset)
    page = explorer.page
    state = page_state(explorer)
    assert state["preset"] == preset
    trace = api_evaluate(
        explorer.base_url, state["network"], state["inputs"], trace="nodes", samples=[0]
    )["nodes"]
    for _ in range(3):
        page.get_by_role("button", name="Step", exact=True).click()
    assert explorer.calc_lines() == [n["calculation"] for n in trace[:3]]
    nodes = sum(len(layer["bias"]) for layer in state["network"]["layers"])
    assert page.locator("#diagram .node").count() == nodes + state["network"]["input_size"]
    page.wait_for_selector("#act-plot svg polyline.function")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"the page scrolls sideways ({width} px)"

    if preset in FOCUS:
        page.locator(FOCUS[preset]).evaluate("(e) => e.scrollIntoView({ block: 'center' })")
    else:
        page.evaluate("() => window.scrollTo(0, 0)")
    name = f"{preset}-{viewport['width']}x{viewport['height']}.png"
    page.screenshot(path=str(screenshot_dir() / name))


def _validate(base_url: str, network: Any) -> dict[str, Any]:
    response = requests.post(
        f"{base_url}/v1/networks/validate", json={"network": network}, timeout=30
    )
    response.raise_for_status()
    summary: dict[str, Any] = response.json()["summary"]
    return summary


def test_linear_network_collapses_until_one_layer_is_not(explorer: Explorer) -> None:
    """The all-linear preset shows its single equivalent layer (the API's, which equals the
    product of the weight matrices); giving h2 a ReLU removes it."""
    page = explorer.page
    explorer.choose_preset("linear-collapses")
    network = page_state(explorer)["network"]
    equivalent = _validate(explorer.base_url, network)["linearity"]["equivalent_layer"]
    weights = [np.array(layer["weights"]) for layer in network["layers"]]
    product = weights[2] @ weights[1] @ weights[0]
    np.testing.assert_allclose(equivalent["weights"], product, rtol=1e-12)

    table = page.locator("#equivalent")
    assert table.is_visible()
    cells = table.locator("tbody tr").first.locator("td").all_inner_texts()
    assert [float(c) for c in cells[:-1]] == [round(w, 4) for w in equivalent["weights"][0]]
    assert float(cells[-1]) == round(equivalent["bias"][0], 4)

    page.get_by_label("Activation of layer h2", exact=True).select_option("relu")
    explorer.settle()
    assert page.locator("#equivalent").count() == 0
    assert page.locator("#linearity").get_attribute("data-linear") == "false"
    assert "h2" in page.locator("#linearity").inner_text()


def _gradient_bars(explorer: Explorer) -> list[float]:
    import json

    values = explorer.page.locator("#grad-chart").get_attribute("data-values")
    assert values is not None
    parsed: list[float] = json.loads(values)
    return parsed


@pytest.mark.parametrize(
    ("preset", "shrinks"), [("vanishing-sigmoid", True), ("vanishing-relu", False)]
)
def test_vanishing_gradients_bars(explorer: Explorer, preset: str, shrinks: bool) -> None:
    """The bars are the API's mean |gradient| per layer on a log scale: through eight
    sigmoid layers the first layer's is below 1/1000 of the last hidden layer's; with ReLU
    it is not smaller at all."""
    explorer.choose_preset(preset)
    state = page_state(explorer)
    api = api_evaluate(explorer.base_url, state["network"], state["inputs"], gradients=True)
    bars = _gradient_bars(explorer)
    assert bars == api["gradients"]["mean_abs_gradient_by_layer"]
    assert explorer.page.locator("#grad-chart rect.bar").count() == len(bars)
    ratio = bars[0] / bars[-2]
    assert (ratio < 1e-3) if shrinks else (ratio > 1.0)


def test_any_function_preset_plots_the_formula(explorer: Explorer) -> None:
    """Formula layers trace as 'expression(...)', and the curve drawn for the formula is
    the API's values of it."""
    page = explorer.page
    explorer.choose_preset("any-function")
    assert page.get_by_label("Formula of layer wave", exact=True).input_value() == (
        "sin(3 * x) + 0.5 * x"
    )
    page.get_by_role("button", name="Step", exact=True).click()
    assert explorer.calc_lines()[0].startswith("wave[0] = expression(")
    page.wait_for_selector("#act-plot[data-name='expression'] polyline.function")
    points = page.locator("#act-plot polyline.function").get_attribute("points")
    assert points is not None and len(points.split()) == 121


def _math_sources(page: Any) -> list[str]:
    """The LaTeX each rendered formula was made from (Temml keeps it as an annotation)."""
    return list(
        page.locator(
            "#act-formula math annotation[encoding='application/x-tex']"
        ).all_text_contents()
    )


def test_a_formula_is_rendered_as_mathematics(explorer: Explorer) -> None:
    """A custom formula is shown as MathML made from the LaTeX the API's validation returns
    for it (not the raw text), and follows an edit; a formula the API rejects falls back
    to its text."""
    page = explorer.page
    explorer.choose_preset("any-function")
    network = page_state(explorer)["network"]
    summary = _validate(explorer.base_url, network)
    formula = summary["layers"][0]["formula"]
    assert r"\operatorname{sin}" in formula or r"\sin" in formula
    page.wait_for_function(
        "(tex) => [...document.querySelectorAll('#act-formula annotation')]"
        ".some((a) => a.textContent === tex)",
        arg=f"f(x) = {formula}",
    )
    assert _math_sources(page) == [
        f"f(x) = {formula}",
        f"f'(x) = {summary['layers'][0]['derivative_formula']}",
    ]
    assert page.locator("#act-formula code").count() == 0
    assert page.locator("#act-formula math mn", has_text="3").count() >= 1

    page.get_by_label("Formula of layer wave", exact=True).fill("x / (1 + x ** 2)")
    explorer.settle()
    edited = _validate(explorer.base_url, page_state(explorer)["network"])["layers"][0]
    page.wait_for_function(
        "(tex) => [...document.querySelectorAll('#act-formula annotation')]"
        ".some((a) => a.textContent === tex)",
        arg=f"f(x) = {edited['formula']}",
    )
    assert page.locator("#act-formula math mfrac").count() >= 1

    explorer.expect_console_error("status of 422")
    page.get_by_label("Formula of layer wave", exact=True).fill("x / (1 +")
    explorer.settle()
    assert page.locator("#act-formula math").count() == 0
    assert page.locator("#act-formula code").inner_text() == "f(x) = x / (1 +"
