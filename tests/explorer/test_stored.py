"""Stored networks by reference: ``/?network=<id>`` opens a public or unlisted network with
no key, says inline why a private, unknown or hidden-weights one does not open, and never
lets hidden weights reach the page."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from nntrace_service.settings import Settings
from nntrace_service.store import Store
from nntrace_service.store.access import Scope
from tests.explorer.support import Explorer, page_state

#: Weights and biases no preset uses, so finding one of their decimal strings on the page
#: can only mean the hidden network leaked.
NETWORK = {
    "input_size": 2,
    "layers": [
        {
            "name": "hidden",
            "activation": "tanh",
            "weights": [[0.7315926, -0.4827163], [0.1938274, 0.8462915]],
            "bias": [0.2654871, -0.3571946],
        },
        {
            "name": "out",
            "activation": "sigmoid",
            "weights": [[1.2947361, -0.6182735]],
            "bias": [0.0917364],
        },
    ],
}
SECRETS = ["7315926", "4827163", "1938274", "8462915", "2654871", "3571946", "2947361",
           "6182735", "0917364"]  # fmt: skip


@pytest.fixture(scope="module")
def push(live_server: str, data_dir: Path) -> Callable[..., str]:
    """Store networks in the live server's store with a ``write`` key of a course; the
    key is made in the store itself, as ``nntrace-service keys create`` does."""
    store = Store.open(Settings(data_dir=data_dir).store_url)
    try:
        token = store.create_key("explorer", [Scope.WRITE])[1]
    finally:
        store.close()

    made = itertools.count()

    def create(visibility: str, *, hidden_weights: bool = False) -> str:
        name = f"{visibility}-net-{next(made)}"
        body = {"network": NETWORK, "name": name, "visibility": visibility,
                "hidden_weights": hidden_weights}  # fmt: skip
        answer = requests.post(
            f"{live_server}/v1/networks",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert answer.status_code == 201, answer.text
        network_id: str = answer.json()["id"]
        return network_id

    return create


def _evaluate_by_id(base_url: str, network_id: str, inputs: list[list[float]]) -> Any:
    """The API's answer for the stored network by reference, with no key."""
    body = {"network_id": network_id, "inputs": inputs, "trace": "layers"}
    answer = requests.post(f"{base_url}/v1/evaluate", json=body, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.mark.parametrize("visibility", ["public", "unlisted"])
def test_a_shared_network_opens_by_reference(
    make_explorer: Callable[..., Explorer], push: Callable[..., str], visibility: str
) -> None:
    """The page opens on the stored network, and its values after an edit of an input are
    the API's own for the network named by id."""
    network_id = push(visibility)
    explorer = make_explorer()
    explorer.open(f"/?network={network_id}")
    page = explorer.page
    status = page.locator("#stored")
    assert status.is_visible()
    assert f"{visibility}-net-" in status.inner_text()
    assert page_state(explorer)["network"] == NETWORK
    rows = page.locator("#node-table tbody th").all_text_contents()
    assert rows == ["x[0]", "x[1]", "hidden[0]", "hidden[1]", "out[0]"]
    page.get_by_label("Input 0", exact=True).fill("1.5")
    explorer.settle()
    page.get_by_label("Input 1", exact=True).fill("-0.75")
    explorer.settle()
    reference = _evaluate_by_id(explorer.base_url, network_id, [[1.5, -0.75]])
    assert explorer.output() == reference["outputs"][0][0]


@pytest.mark.parametrize("kind", ["private", "unknown"])
def test_a_network_it_cannot_see_gives_an_inline_message(
    make_explorer: Callable[..., Explorer], push: Callable[..., str], kind: str
) -> None:
    """Private and unknown ids read the same (404): the page says so and keeps its lesson."""
    network_id = push("private") if kind == "private" else "nw_" + "A" * 22
    explorer = make_explorer()
    explorer.expect_console_error("404")
    explorer.open(f"/?network={network_id}")
    message = explorer.page.locator("#stored")
    assert message.is_visible()
    assert f"No stored network {network_id} can be opened here" in message.inner_text()
    assert page_state(explorer)["network"] != NETWORK
    assert explorer.page.locator("#alert").is_hidden()


def test_hidden_weights_never_reach_the_page(
    make_explorer: Callable[..., Explorer], push: Callable[..., str]
) -> None:
    """A public network with hidden weights: the page says they are hidden, and none of its
    weights' or biases' digits are in the page's text or in any response it received."""
    network_id = push("public", hidden_weights=True)
    explorer = make_explorer()
    responses: list[Any] = []
    explorer.page.on("response", lambda response: responses.append(response))
    explorer.open(f"/?network={network_id}")
    page = explorer.page
    assert "keeps its weights hidden" in page.locator("#stored").inner_text()
    text = page.locator("html").inner_text() + page.content()
    assert [secret for secret in SECRETS if secret in text] == []
    stored = [r for r in responses if f"/v1/networks/{network_id}" in r.url]
    assert [r.status for r in stored] == [200]
    bodies = [r.body().decode("utf-8", "replace") for r in responses]
    assert all(not any(secret in body for secret in SECRETS) for body in bodies)
    assert page_state(explorer)["network"] != NETWORK
