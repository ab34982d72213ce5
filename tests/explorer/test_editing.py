"""Editing the network on the page: every edit is answered by the API, and a problem is
shown next to the field it points at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from tests.explorer.support import Explorer, api_evaluate, page_state


def test_editing_a_weight_shows_the_apis_new_output(explorer: Explorer) -> None:
    page = explorer.page
    before = explorer.output()
    page.get_by_label("Weight x[0] to hidden[0]", exact=True).fill("1.5")
    explorer.settle()
    state = page_state(explorer)
    assert state["network"]["layers"][0]["weights"][0][0] == 1.5
    expected = api_evaluate(explorer.base_url, state["network"], state["inputs"])["outputs"][0][0]
    assert explorer.output() == expected
    assert explorer.output() != before
    page.get_by_role("button", name="Step", exact=True).click()
    assert "1.50×1.00" in explorer.calc_lines()[0]


def test_editing_an_input_by_field_and_slider(explorer: Explorer) -> None:
    page = explorer.page
    page.get_by_label("Input 2", exact=True).fill("-2")
    explorer.settle()
    assert page.get_by_label("Input 2 slider", exact=True).input_value() == "-2"
    slider = page.get_by_label("Input 0 slider", exact=True)
    slider.focus()
    page.keyboard.press("ArrowRight")
    explorer.settle()
    state = page_state(explorer)
    assert state["inputs"][0] == [1.1, 2.0, -2.0]
    assert (
        explorer.output()
        == api_evaluate(explorer.base_url, state["network"], state["inputs"])["outputs"][0][0]
    )


def test_bad_formula_is_shown_inline_at_its_column(explorer: Explorer) -> None:
    """The API's 422 for a formula appears under that formula's field, with a caret under
    the column the API names; fixing the formula clears it."""
    page = explorer.page
    explorer.expect_console_error("status of 422")
    explorer.choose_preset("any-function")
    field = page.get_by_label("Formula of layer wave", exact=True)
    field.fill("sin(x +)")
    explorer.settle()
    network = page_state(explorer)["network"]
    problem = requests.post(
        f"{explorer.base_url}/v1/networks/validate", json={"network": network}, timeout=30
    ).json()
    item = problem["errors"][0]
    assert item["pointer"] == "/network/layers/0/activation/expression"

    error = page.locator(".formula-field + .field-error")
    assert error.is_visible()
    assert item["detail"] in error.inner_text()
    assert error.get_attribute("data-column") == "8"
    assert error.locator("pre.caret").inner_text().splitlines()[1] == " " * 7 + "^"
    assert field.get_attribute("aria-invalid") == "true"

    field.fill("sin(x)")
    explorer.settle()
    assert page.locator(".field-error").count() == 0
    assert field.get_attribute("aria-invalid") is None


def test_a_formula_can_be_chosen_for_any_layer(explorer: Explorer) -> None:
    page = explorer.page
    page.get_by_label("Activation of layer hidden", exact=True).select_option("__formula__")
    explorer.settle()
    page.get_by_label("Formula of layer hidden", exact=True).fill("x ** 2")
    explorer.settle()
    page.get_by_role("button", name="Step", exact=True).click()
    line = explorer.calc_lines()[0]
    state = page_state(explorer)
    trace = api_evaluate(
        explorer.base_url, state["network"], state["inputs"], trace="nodes", samples=[0]
    )["nodes"]
    assert line == trace[0]["calculation"]
    # z = 0.5·1 − 0.3·2 + 0.8·3 + 0.1 = 2.4, and the formula squares it
    assert "= expression(2.40) = " in line
    assert float(line.rsplit("= ", 1)[1]) == pytest.approx(2.4**2, abs=5e-5)


def test_parameters_of_an_activation(explorer: Explorer) -> None:
    """Choosing leaky_relu offers its slope with the catalog default; changing it changes
    what the API computes."""
    page = explorer.page
    page.get_by_label("Activation of layer hidden", exact=True).select_option("leaky_relu")
    explorer.settle()
    slope = page.get_by_label("negative_slope (layer hidden)", exact=True)
    assert slope.input_value() == "0.2"
    slope.fill("0.5")
    explorer.settle()
    state = page_state(explorer)
    assert state["network"]["layers"][0]["activation"] == {
        "name": "leaky_relu",
        "negative_slope": 0.5,
    }
    assert (
        explorer.output()
        == api_evaluate(explorer.base_url, state["network"], state["inputs"])["outputs"][0][0]
    )


def test_every_catalog_activation_is_offered(explorer: Explorer) -> None:
    catalog = requests.get(f"{explorer.base_url}/v1/activations", timeout=30).json()
    select = explorer.page.get_by_label("Activation of layer hidden", exact=True)
    offered = set(select.locator("option").evaluate_all("(os) => os.map((o) => o.value)"))
    assert {a["name"] for a in catalog["activations"]} | {"__formula__"} == offered
    assert select.locator("optgroup").count() >= 5


def test_adding_and_removing_layers_and_nodes(explorer: Explorer) -> None:
    page = explorer.page
    page.get_by_role("button", name="Add a node to hidden").click()
    explorer.settle()
    state = page_state(explorer)
    assert [len(layer["bias"]) for layer in state["network"]["layers"]] == [5, 1]
    assert len(state["network"]["layers"][1]["weights"][0]) == 5
    page.get_by_role("button", name="Add a hidden layer").click()
    explorer.settle()
    state = page_state(explorer)
    assert [len(layer["bias"]) for layer in state["network"]["layers"]] == [5, 5, 1]
    assert page.locator("#diagram .node").count() == 3 + 5 + 5 + 1
    page.get_by_role("button", name="Remove layer hidden").click()
    page.get_by_role("button", name="Remove the last input").click()
    explorer.settle()
    state = page_state(explorer)
    assert state["network"]["input_size"] == 2
    assert [len(layer["weights"][0]) for layer in state["network"]["layers"]] == [2, 5]
    assert (
        explorer.output()
        == api_evaluate(explorer.base_url, state["network"], state["inputs"])["outputs"][0][0]
    )


def test_service_limits_are_shown(explorer: Explorer) -> None:
    """A network over a service limit (an expression longer than allowed) comes back as a
    422 naming the limit, shown on the page; nothing is drawn from a stale answer."""
    page = explorer.page
    explorer.expect_console_error("status of 422")
    page.get_by_label("Activation of layer hidden", exact=True).select_option("__formula__")
    explorer.settle()
    page.get_by_label("Formula of layer hidden", exact=True).fill("x" + " + x" * 200)
    explorer.settle()
    error = page.locator(".formula-field + .field-error")
    assert error.inner_text() == "801 > 500"
    assert "NNTRACE_MAX_EXPRESSION_LENGTH" in page.locator("#alert").inner_text()
    assert "stale" in (page.locator("body").get_attribute("class") or "")


def test_download_and_upload_network_json(explorer: Explorer, tmp_path: Path) -> None:
    page = explorer.page
    with page.expect_download() as info:
        page.get_by_role("button", name="Download network JSON").click()
    downloaded = json.loads(Path(info.value.path()).read_text())
    assert downloaded == page_state(explorer)["network"]

    network = {
        "input_size": 2,
        "layers": [{"activation": "tanh", "weights": [[0.5, -1.0]], "bias": [0.25]}],
    }
    upload = tmp_path / "mine.json"
    upload.write_text(json.dumps({"network": network, "inputs": [[2.0, 1.0]]}))
    before = explorer.output()
    page.get_by_label("Upload network JSON").set_input_files(str(upload))
    page.wait_for_function("() => document.querySelectorAll('#diagram .node').length === 3")
    explorer.settle()
    assert explorer.output() != before
    assert explorer.output() == pytest.approx(
        api_evaluate(explorer.base_url, network, [[2.0, 1.0]])["outputs"][0][0], abs=0
    )
    assert page.locator("#diagram .node").count() == 3
