"""The numpy core of nntrace: activations, networks, traces, gradients, linearity.

Imports only numpy and the standard library, so it can be used (and tested) without the web
service around it.
"""

from nntrace_service.core.activations import (
    CATALOG,
    Activation,
    BoundActivation,
    Parameter,
    bind,
    bind_params,
    lookup,
)
from nntrace_service.core.errors import (
    CoreError,
    ExpressionError,
    InvalidParameterError,
    NonFiniteError,
    ShapeMismatchError,
    UnknownActivationError,
)
from nntrace_service.core.gradients import Gradients, LayerGradient, gradients
from nntrace_service.core.linearity import Linearity, analyze_linearity
from nntrace_service.core.network import (
    ForwardResult,
    Layer,
    LayerValues,
    Network,
    build_network,
    forward,
)
from nntrace_service.core.trace import NodeTrace, Term, count_terms, trace_nodes

__all__ = [
    "CATALOG",
    "Activation",
    "BoundActivation",
    "CoreError",
    "ExpressionError",
    "ForwardResult",
    "Gradients",
    "InvalidParameterError",
    "Layer",
    "LayerGradient",
    "LayerValues",
    "Linearity",
    "Network",
    "NodeTrace",
    "NonFiniteError",
    "Parameter",
    "ShapeMismatchError",
    "Term",
    "UnknownActivationError",
    "analyze_linearity",
    "bind",
    "bind_params",
    "build_network",
    "count_terms",
    "forward",
    "gradients",
    "lookup",
    "trace_nodes",
]
