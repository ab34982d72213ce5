"""The numpy core of nntrace: activations, networks, traces, gradients, linearity.

Lives here: ``errors`` (core errors, each with its problem slug), ``budget`` (the
wall-clock budget long loops check), ``activations`` (activation
types and the registry), ``catalog`` (the entries; importing this package fills the
registry), ``expressions`` (custom activations), ``binding`` (a user's spelling to a bound
activation), ``network`` (layers, the forward pass), ``trace``, ``gradients``, ``linearity``.

May import: numpy, the standard library and itself, nothing else of nntrace_service
(enforced by import-linter), so it can be used and tested without the service around it.
Within it the order is errors → activations → catalog, expressions → binding → network →
trace, gradients, linearity.
"""

from nntrace_service.core import budget, catalog
from nntrace_service.core.activations import (
    CATALOG,
    Activation,
    BoundActivation,
    Parameter,
    bind_params,
    lookup,
)
from nntrace_service.core.binding import ActivationSpec, bind
from nntrace_service.core.budget import OverBudgetError
from nntrace_service.core.errors import (
    CoreError,
    ExpressionError,
    InvalidParameterError,
    NonFiniteError,
    OutOfRangeError,
    ShapeMismatchError,
    UnknownActivationError,
)
from nntrace_service.core.gradients import Gradients, LayerGradient, gradients
from nntrace_service.core.linearity import Linearity, analyze_linearity
from nntrace_service.core.network import (
    ForwardResult,
    Layer,
    LayerDef,
    LayerSpec,
    LayerValues,
    Network,
    build_network,
    forward,
)
from nntrace_service.core.trace import (
    LayerTrace,
    NodeTrace,
    Term,
    calculation_lines,
    count_terms,
    trace_layers,
    trace_nodes,
)

__all__ = [
    "CATALOG",
    "Activation",
    "ActivationSpec",
    "BoundActivation",
    "CoreError",
    "ExpressionError",
    "ForwardResult",
    "Gradients",
    "InvalidParameterError",
    "Layer",
    "LayerDef",
    "LayerGradient",
    "LayerSpec",
    "LayerTrace",
    "LayerValues",
    "Linearity",
    "Network",
    "NodeTrace",
    "NonFiniteError",
    "OutOfRangeError",
    "OverBudgetError",
    "Parameter",
    "ShapeMismatchError",
    "Term",
    "UnknownActivationError",
    "analyze_linearity",
    "bind",
    "bind_params",
    "budget",
    "build_network",
    "calculation_lines",
    "catalog",
    "count_terms",
    "forward",
    "gradients",
    "lookup",
    "trace_layers",
    "trace_nodes",
]
