"""Bring a trained model: networks from PyTorch, Keras, scikit-learn and ONNX, and back.

Each framework is an optional extra (``pip install 'nntrace-client[torch]'``, ``[keras]``,
``[sklearn]``, ``[onnx]``) and is imported only when its importer is called. The importers
write activations in nntrace's own (Keras) names with every parameter explicit, so the network
means the same whatever dialect a reader assumes; anything they cannot express raises one
:class:`UnsupportedModelError` naming every offending layer or node.

ONNX is mapped by the service (``POST /v1/networks/import``), the one place that reads ONNX
graphs: :func:`import_onnx` sends the model there, so client and service cannot disagree.
"""

from __future__ import annotations

from nntrace.importers._common import UnsupportedModelError
from nntrace.importers._keras import from_keras
from nntrace.importers._onnx import onnx_bytes, to_onnx
from nntrace.importers._sklearn import from_sklearn
from nntrace.importers._torch import from_torch, to_torch

__all__ = [
    "UnsupportedModelError",
    "from_keras",
    "from_sklearn",
    "from_torch",
    "onnx_bytes",
    "to_onnx",
    "to_torch",
]
