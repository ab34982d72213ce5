"""scikit-learn: random fitted MLPs import, evaluate on the service and match sklearn.

Each architecture is an MLPClassifier (2 to 6 classes) or MLPRegressor with 0-5 hidden layers
(1-6 layers in all) of 1-64 nodes and a random hidden activation, fitted for a few
iterations on random data (float64, or float32 data, which sklearn then computes in). The
reference is sklearn's own forward pass, layer by layer, and predict_proba / predict.
"""

from __future__ import annotations

import random
import warnings
from typing import Any

import numpy as np
import pytest

import nntrace
from tests.frameworks.conftest import need
from tests.frameworks.support import Service, assert_layers_match

sklearn_nn = need("sklearn.neural_network")
ARCHITECTURES = 25


def _fitted(seed: int, dtype: str) -> tuple[Any, np.ndarray[Any, Any]]:
    rng = random.Random(seed)
    data = np.random.default_rng(seed)
    fan_in = rng.randint(1, 64)
    hidden = tuple(rng.randint(1, 64) for _ in range(rng.randint(0, 5)))
    kwargs = {
        "hidden_layer_sizes": hidden,
        "activation": rng.choice(["identity", "logistic", "tanh", "relu"]),
        "max_iter": 5,
        "random_state": seed,
    }
    x = data.normal(size=(40, fan_in)).astype(dtype)
    if seed % 3:
        classes = rng.randint(2, 6)
        estimator = sklearn_nn.MLPClassifier(**kwargs)
        y: Any = np.arange(40) % classes
    else:
        estimator = sklearn_nn.MLPRegressor(**kwargs)
        y = data.normal(size=(40, rng.randint(1, 3))).squeeze()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: a few iterations on purpose
        estimator.fit(x, y)
    return estimator, x[:8]


def _sklearn_layers(estimator: Any, x: np.ndarray[Any, Any]) -> list[dict[str, Any]]:
    """sklearn's forward pass keeps every layer's activations."""
    activations = [x] + [None] * (estimator.n_layers_ - 1)
    estimator._forward_pass(activations)
    return [{"a": a} for a in activations[1:]]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("seed", range(ARCHITECTURES))
def test_random_mlps_match_sklearn(service: Service, seed: int, dtype: str) -> None:
    estimator, x = _fitted(seed, dtype)
    assert estimator.coefs_[0].dtype == dtype
    network = nntrace.Network.from_sklearn(estimator)
    got = service.layers(network, x, dtype)
    assert_layers_match(got, _sklearn_layers(estimator, x), dtype, f"seed {seed}")
    outputs = got[-1]["a"]
    if isinstance(estimator, sklearn_nn.MLPClassifier):
        proba = estimator.predict_proba(x)
        want = proba[:, 1:] if proba.shape[1] == 2 else proba
    else:
        want = estimator.predict(x).reshape(len(x), -1)
    tol = 1e-12 if dtype == "float64" else 1e-6
    np.testing.assert_allclose(outputs, want, rtol=tol, atol=tol)


def test_unfitted_and_foreign_estimators_are_refused() -> None:
    with pytest.raises(nntrace.UnsupportedModelError, match="not fitted"):
        nntrace.Network.from_sklearn(sklearn_nn.MLPClassifier())
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(nntrace.UnsupportedModelError, match="only MLPClassifier"):
        nntrace.Network.from_sklearn(LogisticRegression())
