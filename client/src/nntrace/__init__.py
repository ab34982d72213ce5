"""nntrace: evaluate small neural networks on an nntrace service and see every calculation.

>>> import nntrace                                              # doctest: +SKIP
>>> net = nntrace.Network.load("network.json")                  # doctest: +SKIP
>>> with nntrace.Client() as client:                            # doctest: +SKIP
...     result = client.evaluate(net, [[1.0, 2.0, 3.0]], trace="nodes")
>>> for node in result.nodes:                                   # doctest: +SKIP
...     print(node)
hidden[0] = sigmoid(0.50×1.00 + (-0.30)×2.00 + 0.80×3.00 + 0.10) = sigmoid(2.40) = 0.9168
...

Only ``requests`` and ``numpy`` are required; pandas (``to_dataframe``), matplotlib
(``plot``) and tqdm (progress bars) are optional extras.
"""

from nntrace import _exceptions
from nntrace._client import (
    DEFAULT_BASE_URL,
    DEFAULT_DEADLINE,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_TIMEOUT,
    Client,
)
from nntrace._exceptions import *  # noqa: F403 (the error catalogue: its own __all__)
from nntrace._network import LayerSpec, Network
from nntrace._results import (
    ActivationInfo,
    ActivationValues,
    Comparison,
    Curve,
    EquivalentLayer,
    Evaluation,
    Gradients,
    Health,
    ImportedModel,
    ImportNote,
    Layer,
    LayerSummary,
    Linearity,
    NetworkSummary,
    NodeTrace,
    ParameterInfo,
    Term,
    Validation,
)
from nntrace._store import ApiKey, Stored, StoredNetwork
from nntrace._version import __version__
from nntrace.importers import UnsupportedModelError
from nntrace.plotting import plot_activations

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_RETRY_WAIT",
    "DEFAULT_TIMEOUT",
    "ActivationInfo",
    "ActivationValues",
    "ApiKey",
    "Client",
    "Comparison",
    "Curve",
    "EquivalentLayer",
    "Evaluation",
    "Gradients",
    "Health",
    "ImportNote",
    "ImportedModel",
    "Layer",
    "LayerSpec",
    "LayerSummary",
    "Linearity",
    "Network",
    "NetworkSummary",
    "NodeTrace",
    "ParameterInfo",
    "Stored",
    "StoredNetwork",
    "Term",
    "UnsupportedModelError",
    "Validation",
    "__version__",
    "plot_activations",
]
__all__ += _exceptions.__all__  # the error catalogue and its problem types
