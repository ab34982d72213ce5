"""Client.explore_url: a link whose fragment carries the network, as the page reads it.
(The browser side, opening such a link, is tests/explorer/test_share.py.)"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest

import nntrace
from tests.support import seed_network


def _decoded(url: str) -> dict[str, Any]:
    """The fragment decoded independently of the client (stdlib base64 and json)."""
    parts = urlsplit(url)
    assert parts.path == "/explore"
    assert parts.fragment.startswith("s=")
    data = parts.fragment[2:]
    assert "=" not in data and "+" not in data and "/" not in data
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    return decoded


def test_the_link_holds_the_network_and_inputs() -> None:
    client = nntrace.Client("http://127.0.0.1:8123/")
    url = client.explore_url(seed_network(), [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]], sample=1)

    assert url.startswith("http://127.0.0.1:8123/explore#s=")
    assert _decoded(url) == {
        "v": 1,
        "network": seed_network(),
        "inputs": [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]],
        "sample": 1,
        "layer": 0,
    }


def test_builders_numpy_and_defaults() -> None:
    """A Network builder with numpy weights, no inputs (one row of zeros), Japanese UI."""
    network = nntrace.Network(2).add_layer(
        np.array([[0.5, -1.0]]), np.array([0.25]), activation="tanh"
    )
    state = _decoded(nntrace.Client("http://h:1").explore_url(network, lang="ja"))

    assert state["network"] == {
        "input_size": 2,
        "layers": [{"activation": "tanh", "weights": [[0.5, -1.0]], "bias": [0.25]}],
    }
    assert state["inputs"] == [[0.0, 0.0]]
    assert state["lang"] == "ja"


@pytest.mark.parametrize(
    ("inputs", "options", "message"),
    [
        ([[1.0, 2.0]], {}, "3 values per row"),
        ([1.0, 2.0, 3.0], {"sample": 1}, "sample 1 does not exist"),
        ([1.0, 2.0, 3.0], {"lang": "fr"}, "lang must be"),
        ([1.0, float("nan"), 3.0], {}, "Out of range float values"),
    ],
)
def test_bad_arguments(inputs: Any, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        nntrace.Client("http://h:1").explore_url(seed_network(), inputs, **options)
