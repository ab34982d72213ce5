"""The HTTP baseline: the least a Flask endpoint can do to evaluate a network.

What a user could write in ten minutes instead of running nntrace: parse the JSON body,
``np.asarray`` the weights and inputs, matmul + bias + activation per layer, return the outputs.
No validation, no limits, no error documents, no traces. ``http_bench.py`` serves it with the
same gunicorn settings as the service::

    gunicorn --config service/gunicorn.conf.py --pythonpath bench "baseline_app:create_app()"
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from flask import Flask, jsonify, request

ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 0.5 + 0.5 * np.tanh(0.5 * z),
    "tanh": np.tanh,
    "softmax": lambda z: _softmax(z),
}


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def evaluate(body: dict[str, Any]) -> list[list[float]]:
    """The network's outputs for the body's inputs."""
    a = np.asarray(body["inputs"], dtype=np.float64)
    for layer in body["network"]["layers"]:
        weights = np.asarray(layer["weights"], dtype=np.float64)
        bias = np.asarray(layer["bias"], dtype=np.float64)
        a = ACTIVATIONS[layer.get("activation", "linear")](a @ weights.T + bias)
    outputs: list[list[float]] = a.tolist()
    return outputs


def create_app() -> Flask:
    """The baseline app: ``POST /v1/evaluate`` and ``GET /readyz``."""
    app = Flask(__name__)

    @app.post("/v1/evaluate")
    def evaluate_view() -> Any:
        return jsonify({"outputs": evaluate(request.get_json())})

    @app.get("/readyz")
    def ready() -> Any:
        return jsonify({"status": "ready"})

    return app
