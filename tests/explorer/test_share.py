"""Share and export: the URL carries the whole state, the curl and Python exports send the
same request as the page, and the Python client's explore_url opens on the page."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
from collections.abc import Callable

import numpy as np
import requests

import nntrace
from tests.explorer.support import Explorer, api_evaluate, page_state


def test_url_round_trip(make_explorer: Callable[..., Explorer]) -> None:
    """A link copied after edits opens, in a fresh browser context, on the same network,
    sample, activation and output."""
    first = make_explorer()
    first.open()
    page = first.page
    page.get_by_label("Weight x[1] to hidden[2]", exact=True).fill("-1.25")
    first.settle()
    page.get_by_label("Activation of layer hidden", exact=True).select_option("elu")
    first.settle()
    page.get_by_label("Sample", exact=True).select_option("1")
    first.settle()
    page.get_by_role("button", name="Copy link").click()
    link = page.locator("#export-text").inner_text()
    assert link == page.url
    output = first.output()

    second = make_explorer()
    second.open(link.removeprefix(second.base_url))
    again = second.page
    assert again.get_by_label("Weight x[1] to hidden[2]", exact=True).input_value() == "-1.25"
    assert again.get_by_label("Activation of layer hidden", exact=True).input_value() == "elu"
    assert again.get_by_label("Sample", exact=True).input_value() == "1"
    assert second.output() == output
    assert page_state(second) == page_state(first)


def test_copy_as_curl_sends_the_pages_request(explorer: Explorer) -> None:
    """The curl command, run by curl itself, answers what the page shows."""
    page = explorer.page
    page.get_by_role("button", name="Copy as curl").click()
    command = page.locator("#export-text").inner_text()
    assert command.startswith(f"curl -sS -X POST {explorer.base_url}/v1/evaluate")
    result = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=30, check=True
    )
    answer = json.loads(result.stdout)
    assert answer["outputs"][0][0] == explorer.output()
    assert answer["traces"][0]["calculations"][0][0].startswith("hidden[0] = sigmoid(")


def test_copy_as_python_runs_with_the_client(explorer: Explorer) -> None:
    """The Python export runs with the client SDK and prints the page's Calculations."""
    page = explorer.page
    for _ in range(5):
        page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_role("button", name="Copy as Python").click()
    code = page.locator("#export-text").inner_text()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "<copied>", "exec"), {})
    assert printed.getvalue().splitlines() == explorer.calc_lines()


def test_client_explore_url_opens_a_big_network_compactly(
    make_explorer: Callable[..., Explorer], live_server: str
) -> None:
    """Client.explore_url of a 784-64-10 network opens on the page in the compact layer
    view, with the API's outputs."""
    rng = np.random.default_rng(7)
    network = (
        nntrace.Network(784)
        .add_layer(rng.normal(0, 0.05, (64, 784)).round(3), np.zeros(64), activation="relu")
        .add_layer(rng.normal(0, 0.2, (10, 64)).round(3), np.zeros(10), activation="softmax")
    )
    inputs = rng.uniform(0, 1, (1, 784)).round(2)
    url = nntrace.Client(live_server).explore_url(network, inputs)
    explorer = make_explorer()
    explorer.open(url.removeprefix(live_server))
    page = explorer.page
    assert page.locator("#diagram").get_attribute("data-view") == "compact"
    assert page.locator("#diagram .edge").count() == 0
    assert page.locator("#diagram .layer-col").count() == 3
    expected = api_evaluate(live_server, network.to_dict(), inputs.tolist())["outputs"][0]
    assert [explorer.output(i) for i in range(10)] == expected
    page.get_by_role("button", name="Step", exact=True).click()
    line = explorer.calc_lines()[0]
    assert re.match(r"h1\[0\] = relu\(", line) or line.startswith("h1[0] = relu(")


def test_the_curl_body_is_the_apis_schema(explorer: Explorer) -> None:
    """The downloaded JSON and the exported request validate on the service."""
    body = page_state(explorer)["network"]
    response = requests.post(
        f"{explorer.base_url}/v1/networks/validate", json={"network": body}, timeout=30
    )
    assert response.status_code == 200
