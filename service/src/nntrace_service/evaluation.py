"""Between the wire models and the numpy core: limits, conversion and response documents.

Views stay a few lines long because everything that is not HTTP lives here: checking the
service limits (before any large allocation the core would make), building core networks from
validated requests, and shaping core results into response dicts. Arrays stay numpy arrays in
those dicts; the JSON provider serialises them without a Python loop.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nntrace_service import core
from nntrace_service.core.activations import Activation, Parameter
from nntrace_service.errors import ApiError, from_core, limit_exceeded
from nntrace_service.schemas import EvaluateRequest, NetworkSpec
from nntrace_service.settings import Settings


def validation_context(settings: Settings) -> dict[str, Any]:
    """What array validators need to refuse oversized arrays before converting them."""
    return {"max_elements": max(settings.max_parameters, settings.max_batch * settings.max_units)}


# ---- networks ----------------------------------------------------------------------------------


def check_network_limits(spec: NetworkSpec, settings: Settings) -> None:
    """Refuse networks over the configured sizes, naming the limit and the setting."""
    if spec.input_size > settings.max_units:
        raise limit_exceeded(
            "input size", settings.max_units, spec.input_size, "/network/input_size", "max_units"
        )
    if len(spec.layers) > settings.max_layers:
        raise limit_exceeded(
            "layers", settings.max_layers, len(spec.layers), "/network/layers", "max_layers"
        )
    total = 0
    for index, layer in enumerate(spec.layers):
        units = int(layer.weights.shape[0])
        if units > settings.max_units:
            raise limit_exceeded(
                f"nodes in layer {index}",
                settings.max_units,
                units,
                f"/network/layers/{index}/weights",
                "max_units",
            )
        _check_expression_length(index, layer.activation, settings)
        total += layer.weights.size + layer.bias.size
    if total > settings.max_parameters:
        raise limit_exceeded(
            "parameters", settings.max_parameters, total, "/network/layers", "max_parameters"
        )


def _check_expression_length(index: int, activation: object, settings: Settings) -> None:
    """A too-long expression is a limit like the others (naming the setting), checked
    before the parser sees it."""
    if isinstance(activation, dict) and isinstance(activation.get("expression"), str):
        length = len(activation["expression"])
        if length > settings.max_expression_length:
            raise limit_exceeded(
                f"characters in the expression of layer {index}",
                settings.max_expression_length,
                length,
                f"/network/layers/{index}/activation/expression",
                "max_expression_length",
            )


def build(spec: NetworkSpec, settings: Settings) -> core.Network:
    """A core network from a validated spec, with the limits checked first."""
    check_network_limits(spec, settings)
    layers = [
        {
            "name": layer.name,
            "weights": layer.weights,
            "bias": layer.bias,
            "activation": layer.activation,
        }
        for layer in spec.layers
    ]
    try:
        return core.build_network(
            spec.input_size, layers, max_expression_length=settings.max_expression_length
        )
    except core.CoreError as error:
        raise from_core(error, prefix=("network",)) from None


def check_rows(network: core.Network, rows: int, settings: Settings, pointer: str) -> None:
    """Refuse more input rows than the limits allow, before the forward pass allocates a
    ``z`` and an ``a`` of every layer for every row."""
    if rows > settings.max_batch:
        raise limit_exceeded("input rows", settings.max_batch, rows, pointer, "max_batch")
    kept = rows * sum(layer.units + layer.output_size for layer in network.layers)
    if kept > settings.max_layer_values:
        raise limit_exceeded(
            "layer values the forward pass keeps (rows × nodes, z and a, over all layers)",
            settings.max_layer_values,
            kept,
            pointer,
            "max_layer_values",
        )


def summarize(network: core.Network) -> dict[str, Any]:
    """Sizes, activations and the linearity verdict of a network."""
    linearity = core.analyze_linearity(network)
    equivalent = None
    if linearity.is_linear:
        equivalent = {"weights": linearity.weights, "bias": linearity.bias}
    return {
        "input_size": network.input_size,
        "output_size": network.output_size,
        "parameter_count": network.parameter_count,
        "layers": [
            {
                "name": layer.name,
                "units": layer.units,
                "fan_in": layer.fan_in,
                "output_size": layer.output_size,
                "activation": layer.activation.label,
                "parameter_count": layer.parameter_count,
            }
            for layer in network.layers
        ],
        "linearity": {
            "is_linear": linearity.is_linear,
            "nonlinear_layers": list(linearity.nonlinear_layers),
            "explanation": linearity.explanation,
            "equivalent_layer": equivalent,
        },
    }


def normalized(network: core.Network) -> dict[str, Any]:
    """The network as understood: names filled in, activations in canonical spelling."""
    return {
        "input_size": network.input_size,
        "layers": [
            {
                "name": layer.name,
                "activation": layer.activation.to_spec(),
                "weights": layer.weights,
                "bias": layer.bias,
            }
            for layer in network.layers
        ],
    }


# ---- evaluation --------------------------------------------------------------------------------


def evaluate(body: EvaluateRequest, settings: Settings) -> dict[str, Any]:
    """Run the request's inputs through its network and shape the response."""
    network = build(body.network, settings)
    batch = body.inputs.shape[0] if body.inputs.ndim == 2 else 1
    check_rows(network, batch, settings, "/inputs")
    samples = _traced_samples(body, batch, network, settings)
    if body.gradients and body.output is not None and body.output >= network.output_size:
        raise ApiError(
            "validation-error",
            f"output {body.output} does not exist: the network has {network.output_size} output(s)",
            errors=[
                {
                    "pointer": "/output",
                    "detail": f"must be below {network.output_size}",
                    "code": "less_than",
                }
            ],
        )
    try:
        result = core.forward(network, body.inputs, dtype=body.dtype)
        grads = core.gradients(result, output=body.output) if body.gradients else None
    except core.CoreError as error:
        raise from_core(error, prefix=_error_prefix(error)) from None
    response: dict[str, Any] = {"dtype": body.dtype, "outputs": result.outputs, "layers": []}
    if body.trace != "none" or grads is not None:
        response["layers"] = _layer_results(result, grads)
    if samples is not None:
        traces = core.trace_nodes(result, samples=samples)
        response["nodes"] = [_node_dict(t, body.decimals) for t in traces]
    if grads is not None:
        response["gradients"] = {
            "target": grads.target,
            "inputs": grads.inputs,
            "mean_abs_gradient_by_layer": [g.mean_abs_gradient for g in grads.layers],
        }
    return response


def _error_prefix(error: core.CoreError) -> tuple[str, ...]:
    """Core locations under ``layers`` point into the network; others (``inputs``,
    ``output``) are top-level request fields."""
    return ("network",) if error.location[:1] == ("layers",) else ()


def _traced_samples(
    body: EvaluateRequest, batch: int, network: core.Network, settings: Settings
) -> list[int] | None:
    """Which samples get node traces, after checking they exist and fit the trace limit."""
    if body.trace != "nodes":
        return None
    samples = list(range(batch)) if body.samples is None else body.samples
    for position, sample in enumerate(samples):
        if sample >= batch:
            raise ApiError(
                "validation-error",
                f"sample {sample} does not exist: there are {batch} input row(s)",
                errors=[
                    {
                        "pointer": f"/samples/{position}",
                        "detail": f"must be below {batch}",
                        "code": "less_than",
                    }
                ],
            )
    terms = core.count_terms(network.layers, len(samples))
    if terms > settings.max_trace_terms:
        raise limit_exceeded(
            "node trace terms (nodes × inputs × samples); narrow it with 'samples'",
            settings.max_trace_terms,
            terms,
            "/trace",
            "max_trace_terms",
        )
    return samples


def _layer_results(
    result: core.ForwardResult, grads: core.Gradients | None
) -> list[dict[str, Any]]:
    layers = []
    for index, (layer, values) in enumerate(zip(result.network.layers, result.layers, strict=True)):
        entry: dict[str, Any] = {
            "index": index,
            "name": layer.name,
            "activation": layer.activation.label,
            "units": layer.units,
            "preactivations": values.z,
            "activations": values.a,
        }
        if grads is not None:
            gradient = grads.layers[index]
            entry["derivatives"] = gradient.derivative
            entry["gradients"] = gradient.gradient
            entry["mean_abs_gradient"] = gradient.mean_abs_gradient
        layers.append(entry)
    return layers


def _node_dict(trace: core.NodeTrace, decimals: int) -> dict[str, Any]:
    return {
        "sample": trace.sample,
        "layer": trace.layer,
        "layer_name": trace.layer_name,
        "node": trace.node,
        "label": trace.label,
        "terms": [
            {"weight": t.weight, "input": t.input, "product": t.product} for t in trace.terms
        ],
        "bias": trace.bias,
        "z": trace.z,
        "activation": trace.activation,
        "a": trace.a,
        "calculation": trace.line(decimals),
    }


# ---- activations -------------------------------------------------------------------------------


def describe_activation(activation: Activation) -> dict[str, Any]:
    """A catalog entry as a JSON document."""
    return {
        "name": activation.name,
        "aliases": list(activation.aliases),
        "kind": activation.kind,
        "parameters": [_describe_parameter(p) for p in activation.parameters],
        "formula": activation.formula,
        "derivative_formula": activation.derivative_formula,
        "output_range": [_finite_or_none(v) for v in activation.output_range],
        "description": activation.description,
        "notes": list(activation.notes),
        "halves_units": activation.halves_units,
    }


def _describe_parameter(parameter: Parameter) -> dict[str, Any]:
    return {
        "name": parameter.name,
        "description": parameter.description,
        "type": parameter.kind,
        "default": None if parameter.required else parameter.default,
        "required": parameter.required,
        "nullable": parameter.nullable,
        "minimum": parameter.minimum,
        "maximum": parameter.maximum,
        "exclusive_minimum": parameter.exclusive_minimum,
    }


def _finite_or_none(value: float) -> float | None:
    return value if math.isfinite(value) else None


def lookup_activation(name: str) -> Activation:
    """The catalog entry named in a URL path: an unknown name there is a 404."""
    try:
        return core.lookup(name)
    except core.UnknownActivationError as error:
        raise ApiError(
            "unknown-activation", error.message, status=404, suggestions=list(error.suggestions)
        ) from None


def activation_values(
    name: str, x: np.ndarray[Any, Any], params: dict[str, Any], dtype: str, settings: Settings
) -> dict[str, Any]:
    """An activation's values and derivatives at ``x``, treated as one layer's ``z``."""
    if x.size > settings.max_values:
        raise limit_exceeded("values", settings.max_values, int(x.size), "/x", "max_values")
    bound = _bind_pointwise(name, params)
    with np.errstate(over="ignore"):
        z = x.astype(dtype).reshape(1, -1)
    if not np.isfinite(z).all():
        index = _first(~np.isfinite(z))
        raise _value_problem(
            "validation-error",
            f"x[{index}] = {float(x[index]):g} does not fit in {dtype}",
            index,
            f"outside the {dtype} range",
        )
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        y = bound(z)
        dy = bound.derivative(z, y)
    finite = np.isfinite(y) & np.isfinite(dy)
    if not finite.all():
        index = _first(~finite)
        raise _value_problem(
            "non-finite-result",
            f"{bound.label}({float(z[0, index]):.6g}) is not a finite number",
            index,
            "result overflows",
        )
    return {
        "name": bound.name,
        "params": dict(bound.params),
        "dtype": dtype,
        "x": z[0],
        "y": y[0],
        "dy": dy[0],
    }


def _bind_pointwise(name: str, params: dict[str, Any]) -> core.BoundActivation:
    """The activation with its parameters, if it maps each value to one value (not GLU)."""
    try:
        bound = core.bind_params(lookup_activation(name), params)
    except core.CoreError as error:
        raise from_core(error, prefix=("params",)) from None
    if bound.activation.halves_units:
        raise ApiError(
            "invalid-parameter",
            f"{bound.name} maps a layer to half as many values, so it has no pointwise curve; "
            "evaluate it inside a network instead",
            errors=[{"pointer": "/x", "detail": "not element-wise", "code": "not_elementwise"}],
        )
    return bound


def _first(mask: np.ndarray[Any, Any]) -> int:
    """The column of the first True in a one-row mask."""
    return int(np.argwhere(mask)[0][1])


def _value_problem(slug: str, detail: str, index: int, item: str) -> ApiError:
    """A problem about one value of ``x``, pointing at it."""
    code = "finite_number" if slug == "validation-error" else slug.replace("-", "_")
    return ApiError(slug, detail, errors=[{"pointer": f"/x/{index}", "detail": item, "code": code}])
