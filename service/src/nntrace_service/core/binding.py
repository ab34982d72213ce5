"""From a user's spelling of an activation to the :class:`BoundActivation` a layer applies.

The top of the activation modules: it uses the registry (:mod:`activations`, filled by
:mod:`catalog`) and the expression compiler (:mod:`expressions`), and neither of them imports
it, so the three form a chain, not a loop.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from nntrace_service.core.activations import BoundActivation
from nntrace_service.core.dialects import Dialect, resolve
from nntrace_service.core.errors import CoreError, InvalidParameterError
from nntrace_service.core.expressions import compile_activation

ActivationSpec = str | Mapping[str, object] | BoundActivation
"""A name (``"tanh"``), ``{"name": "elu", "alpha": 0.5}``, ``{"expression": "..."}``, or an
activation already bound."""


@functools.lru_cache(maxsize=256)
def _bind_name(name: str, dialect: Dialect | None) -> BoundActivation:
    """Bound activations are immutable, so a name is resolved once, not per request."""
    return resolve(name, {}, dialect)


def bind(spec: ActivationSpec, *, dialect: str | None = None) -> BoundActivation:
    """Resolve a user's activation spelling into a bound activation.

    ``spec`` is a name (``"tanh"``), an object with ``name`` and parameters
    (``{"name": "elu", "alpha": 0.5}``), ``{"expression": "..."}`` for a custom function, or
    a bound activation (returned as it is). Errors are located relative to the spec.
    ``dialect`` (``"keras"``, ``"torch"``, ``"onnx"``) reads names, parameter names and
    defaults as that framework writes them (:mod:`dialects`); without one, names and
    defaults are Keras's and ambiguous foreign spellings are refused.
    """
    if isinstance(spec, BoundActivation):
        return spec
    if isinstance(spec, str):
        try:
            return _bind_name(spec, dialect)
        except CoreError as error:  # a bare name has no "name" key to point at
            if error.location[:1] == ("name",):
                error.location = error.location[1:]
            raise
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
    return resolve(name, given, dialect)  # type: ignore[arg-type]
