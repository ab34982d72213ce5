"""scikit-learn: MLPClassifier and MLPRegressor, from their fitted ``coefs_``,
``intercepts_``, ``activation`` and ``out_activation_``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nntrace.importers._common import UnsupportedModelError, floats, require

if TYPE_CHECKING:
    from nntrace._network import Network

HIDDEN = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
OUTPUT = {"identity": "linear", "logistic": "sigmoid", "softmax": "softmax"}


def from_sklearn(estimator: Any) -> Network:
    """A network computing a fitted MLP's ``predict_proba`` (classifier; for two classes, the
    probability of ``classes_[1]``) or ``predict`` (regressor)."""
    from nntrace._network import Network

    sklearn_nn = require("sklearn.neural_network", "sklearn")
    problems = []
    if not isinstance(estimator, sklearn_nn.MLPClassifier | sklearn_nn.MLPRegressor):
        problems.append(f"{type(estimator).__name__}: only MLPClassifier and MLPRegressor")
    elif not hasattr(estimator, "coefs_"):
        problems.append(f"{type(estimator).__name__}: not fitted (no coefs_)")
    else:
        if estimator.activation not in HIDDEN:
            problems.append(f"activation={estimator.activation!r}: unknown hidden activation")
        if estimator.out_activation_ not in OUTPUT:
            problems.append(f"out_activation_={estimator.out_activation_!r}: unknown")
    if problems:
        raise UnsupportedModelError("scikit-learn", problems)
    coefs, intercepts = estimator.coefs_, estimator.intercepts_
    network = Network(int(coefs[0].shape[0]))
    for index, (coef, intercept) in enumerate(zip(coefs, intercepts, strict=True)):
        last = index == len(coefs) - 1
        network.add_layer(
            floats(coef).T,
            floats(intercept),
            activation=OUTPUT[estimator.out_activation_] if last else HIDDEN[estimator.activation],
        )
    return network
