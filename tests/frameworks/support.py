"""Evaluating imported networks on the service, through both transports, and comparing
every layer with a framework's own values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from flask.testing import FlaskClient

import nntrace

Array = np.ndarray[Any, Any]
TOLERANCE = {"float64": 1e-12, "float32": 1e-6}
"""The issue's bounds. float64: each value to 1e-12, relative or absolute. float32: each
value to 1e-6 of its layer's scale (the largest magnitude in the layer, at least 1), because
two float32 computations of a 64-term sum legitimately differ by a few ulps of the terms'
size, which elementwise is more than 1e-6 of a sum that nearly cancels."""


WORST: dict[str, float] = {}
"""The largest difference seen per dtype in this test session (printed in -s runs)."""


@dataclass
class Service:
    """The Flask test client and a client of a real gunicorn: every network is evaluated by
    both, and both must give the same numbers."""

    flask: FlaskClient
    http: nntrace.Client

    def layers(self, network: nntrace.Network, inputs: Array, dtype: str) -> list[dict[str, Any]]:
        """Each layer's ``preactivations`` and ``activations`` as arrays."""
        body = {"network": network.to_dict(), "inputs": inputs.tolist(), "dtype": dtype}
        response = self.flask.post("/v1/evaluate", json=body)
        assert response.status_code == 200, response.get_json()
        local = response.get_json()["layers"]
        remote = self.http.evaluate(network, inputs, dtype=dtype)  # type: ignore[arg-type]
        assert len(remote.layers) == len(local)
        result = []
        for mine, theirs in zip(local, remote.layers, strict=True):
            z, a = np.array(mine["preactivations"]), np.array(mine["activations"])
            np.testing.assert_array_equal(np.asarray(theirs.preactivations), z)
            np.testing.assert_array_equal(np.asarray(theirs.activations), a)
            result.append({"z": z, "a": a})
        return result


def assert_layers_match(
    got: list[dict[str, Any]], want: list[dict[str, Array | None]], dtype: str, what: str
) -> float:
    """Every layer's z (where the framework exposes it) and a within the tolerance; returns
    the largest relative difference seen."""
    tol = TOLERANCE[dtype]
    assert len(got) == len(want), f"{what}: {len(got)} layers, want {len(want)}"
    worst = 0.0
    for index, (mine, theirs) in enumerate(zip(got, want, strict=True)):
        for key in ("z", "a"):
            reference = theirs.get(key)
            if reference is None:
                continue
            reference = np.asarray(reference, dtype=np.float64).reshape(mine[key].shape)
            if dtype == "float64":
                scale = np.maximum(np.abs(reference), 1.0)
            else:
                scale = np.full(reference.shape, max(1.0, float(np.max(np.abs(reference)))))
            error = np.abs(mine[key] - reference) / scale
            worst = max(worst, float(np.max(error)))
            assert np.all(error <= tol), (
                f"{what}: layer {index} {key}: differs by {np.max(error):.3g} (of the scale), "
                f"more than {tol:g}, at {np.unravel_index(np.argmax(error), error.shape)}"
            )
    WORST[dtype] = max(WORST.get(dtype, 0.0), worst)
    return worst
