"""The chain of dense layers and activations that the Keras and PyTorch importers share:
its rules, without either framework installed."""

from __future__ import annotations

import numpy as np
import pytest

from nntrace.importers import UnsupportedModelError
from nntrace.importers._common import Chain


def test_dense_layers_and_activations_make_the_network() -> None:
    chain = Chain("Test", "Dense")
    chain.add_dense(np.ones((2, 3)), np.zeros(2), "hidden")
    assert chain.units == 2
    chain.add_activation("act (Activation)", "tanh")
    chain.add_dense(np.ones((1, 2)), np.zeros(1), None)

    layers = chain.network("model").to_dict()["layers"]

    assert [layer["activation"] for layer in layers] == ["tanh", "linear"]
    assert [layer.get("name") for layer in layers] == ["hidden", None]
    assert np.asarray(layers[0]["weights"]).shape == (2, 3)


@pytest.mark.parametrize(
    ("steps", "problems"),
    [
        pytest.param([], ["model: no Dense layer"], id="empty"),
        pytest.param(
            ["act", "dense"],
            ["a (A): an activation before the first Dense layer"],
            id="activation-first",
        ),
        pytest.param(
            ["dense", "act", "act"],
            ["a (A): a second activation after the same Dense layer"],
            id="two-activations",
        ),
        pytest.param(
            ["act", "dense", "refuse", "act", "act"],
            [
                "a (A): an activation before the first Dense layer",
                "r (R): unknown",
                "a (A): a second activation after the same Dense layer",
            ],
            id="all-listed-at-once",
        ),
    ],
)
def test_every_misfit_is_listed_once(steps: list[str], problems: list[str]) -> None:
    chain = Chain("Test", "Dense")
    for step in steps:
        if step == "dense":
            chain.add_dense(np.ones((1, 1)), np.zeros(1), None)
        elif step == "act":
            chain.add_activation("a (A)", "relu")
        else:
            chain.refuse("r (R)", "unknown")

    with pytest.raises(UnsupportedModelError) as raised:
        chain.network("model")

    assert raised.value.problems == problems
    assert raised.value.framework == "Test"
