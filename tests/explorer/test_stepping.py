"""Stepping through the lesson's exercise: Play, Step, Reset, keyboard shortcuts, and each
Calculations line equal to the API's trace of that node."""

from __future__ import annotations

import math
from typing import Any

from tests.explorer.support import Explorer, api_evaluate, page_state

EXERCISE_INPUTS = [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]]


def test_each_step_appends_the_apis_line_for_that_node(explorer: Explorer) -> None:
    """Step walks the network node by node; line i is the API's calculation of node i, the
    node is highlighted with exactly its incoming edges, and the numbers agree with a
    naive weighted sum."""
    page = explorer.page
    state = page_state(explorer)
    trace = api_evaluate(
        explorer.base_url, state["network"], state["inputs"], trace="nodes", samples=[0]
    )["nodes"]
    assert len(trace) == 5

    for count, node in enumerate(trace, start=1):
        page.get_by_role("button", name="Step", exact=True).click()
        assert explorer.calc_lines() == [n["calculation"] for n in trace[:count]]
        current = page.locator("#diagram .node.current")
        assert current.count() == 1
        assert current.get_attribute("data-layer") == str(node["layer"])
        assert current.get_attribute("data-node") == str(node["node"])
        layer = state["network"]["layers"][node["layer"]]
        assert page.locator("#diagram .edge.active").count() == len(layer["weights"][0])

    first = trace[0]
    naive = math.fsum(w * x for w, x in zip([0.5, -0.3, 0.8], EXERCISE_INPUTS[0], strict=True))
    assert first["z"] == naive + 0.1
    assert explorer.calc_lines()[0].startswith("hidden[0] = sigmoid(")
    assert "sigmoid(2.40) = 0.9168" in explorer.calc_lines()[0]


def test_exact_values_are_shown_on_focus(explorer: Explorer) -> None:
    """Focusing a line reveals the unrounded values the API returned."""
    page = explorer.page
    page.get_by_role("button", name="Step", exact=True).click()
    line = page.locator("#calc-list li").first
    line.focus()
    shown = line.locator(".exact")
    assert shown.is_visible()
    state = page_state(explorer)
    node = api_evaluate(
        explorer.base_url, state["network"], state["inputs"], trace="nodes", samples=[0]
    )["nodes"][0]
    assert f"z = {node['z']!r}" in shown.inner_text()
    assert f"a = {node['a']!r}" in shown.inner_text()


def test_play_runs_to_the_end_and_reset_clears(explorer: Explorer) -> None:
    page = explorer.page
    page.get_by_role("button", name="Play", exact=True).click()
    assert page.get_by_role("button", name="Play", exact=True).get_attribute("aria-pressed") in (
        "true",
        "false",
    )
    page.wait_for_function("() => document.querySelectorAll('#calc-list li').length === 5")
    page.wait_for_selector("#play[aria-pressed='false']")
    page.get_by_role("button", name="Reset", exact=True).click()
    assert explorer.calc_lines() == []
    assert page.locator("#diagram .node.current").count() == 0


def test_choosing_the_sample_traces_that_sample(explorer: Explorer) -> None:
    page = explorer.page
    page.get_by_label("Sample", exact=True).select_option("1")
    explorer.settle()
    page.get_by_role("button", name="Step", exact=True).click()
    trace = api_evaluate(
        explorer.base_url,
        page_state(explorer)["network"],
        EXERCISE_INPUTS,
        trace="nodes",
        samples=[1],
    )["nodes"]
    assert explorer.calc_lines() == [trace[0]["calculation"]]
    assert page.get_by_label("Input 0", exact=True).input_value() == "-1"


def _tab_to(page: Any, target: Any, backwards: bool = False, presses: int = 80) -> None:
    """Press Tab (or Shift+Tab) until ``target`` (a locator) has the focus, as a keyboard
    user would; fail if it is never reached."""
    key = "Shift+Tab" if backwards else "Tab"
    handle = target.element_handle()
    for _ in range(presses):
        page.keyboard.press(key)
        if page.evaluate("(t) => document.activeElement === t", handle):
            return
    raise AssertionError(f"{target} not reachable with {key}")


def test_keyboard_only(explorer: Explorer) -> None:
    """With the keyboard alone: Tab reaches Step, with a visible focus ring; Enter steps;
    the s/p/r shortcuts work from the buttons; an activation is chosen with the arrow keys
    after tabbing to it, and back on the toolbar the next step shows it."""
    page = explorer.page
    _tab_to(page, page.locator("#step"))
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    assert len(explorer.calc_lines()) == 1
    page.keyboard.press("s")
    assert len(explorer.calc_lines()) == 2
    page.keyboard.press("r")
    assert explorer.calc_lines() == []
    page.keyboard.press("p")
    page.wait_for_function("() => document.querySelectorAll('#calc-list li').length >= 2")
    page.keyboard.press("p")
    assert page.locator("#play").get_attribute("aria-pressed") == "false"
    page.keyboard.press("r")

    select = page.get_by_label("Activation of layer hidden", exact=True)
    _tab_to(page, select)
    page.keyboard.press("ArrowDown")
    explorer.settle()
    assert select.input_value() == "tanh"
    _tab_to(page, page.locator("#step"), backwards=True, presses=200)
    page.keyboard.press("s")
    assert explorer.calc_lines()[0].startswith("hidden[0] = tanh(")
