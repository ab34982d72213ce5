"""From a user's spelling of an activation to the :class:`BoundActivation` a layer applies.

The top of the activation modules: it uses the registry (:mod:`activations`, filled by
:mod:`catalog`) and the expression compiler (:mod:`expressions`), and neither of them imports
it, so the three form a chain, not a loop.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from nntrace_service.core.activations import BoundActivation, bind_params, lookup
from nntrace_service.core.errors import InvalidParameterError, UnknownActivationError
from nntrace_service.core.expressions import compile_activation

ActivationSpec = str | Mapping[str, object] | BoundActivation
"""A name (``"tanh"``), ``{"name": "elu", "alpha": 0.5}``, ``{"expression": "..."}``, or an
activation already bound."""


@functools.lru_cache(maxsize=256)
def _bind_name(name: str) -> BoundActivation:
    """Bound activations are immutable, so a name is resolved once, not per request."""
    return bind_params(lookup(name), {})


def bind(spec: ActivationSpec) -> BoundActivation:
    """Resolve a user's activation spelling into a bound activation.

    ``spec`` is a name (``"tanh"``), an object with ``name`` and parameters
    (``{"name": "elu", "alpha": 0.5}``), ``{"expression": "..."}`` for a custom function, or
    a bound activation (returned as it is). Errors are located relative to the spec.
    """
    if isinstance(spec, BoundActivation):
        return spec
    if isinstance(spec, str):
        return _bind_name(spec)
    if "expression" in spec:
        extra_keys = sorted(set(spec) - {"expression"})
        if extra_keys:
            raise InvalidParameterError(
                f"an expression activation takes no other keys (got {', '.join(extra_keys)})",
                location=(extra_keys[0],),
            )
        text = spec["expression"]
        if not isinstance(text, str):
            raise InvalidParameterError("expression must be a string", location=("expression",))
        return BoundActivation(compile_activation(text))
    name = spec.get("name")
    if not isinstance(name, str):
        raise InvalidParameterError("activation object needs a string 'name'", location=("name",))
    given = {k: v for k, v in spec.items() if k != "name"}
    try:
        activation = lookup(name)
    except UnknownActivationError as error:
        raise error.at("name") from None
    return bind_params(activation, given)
