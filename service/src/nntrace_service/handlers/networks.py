"""Validate and evaluate networks: ``POST /v1/networks/validate`` and ``POST /v1/evaluate``.

The evaluate path: the validated request (``schemas.networks.EvaluateRequest``) goes to
:func:`build` (limits, then ``core.build_network`` reading the request's layer models as they
are), the rows and trace limits, ``core.forward``, ``core.gradients`` and the traces; the core
results are shaped into the response dict here (numpy arrays left for orjson), node traces
by :mod:`traces` in the layout asked for.
"""

from __future__ import annotations

from typing import Any

from nntrace_service import core, limits
from nntrace_service.handlers import traces
from nntrace_service.problems import ApiError, Location, from_core, located
from nntrace_service.schemas.networks import EvaluateRequest, NetworkSpec
from nntrace_service.settings import Settings


def core_problem(error: core.CoreError, network_at: Location) -> ApiError:
    """A core error located in the request: places in the network (``layers/...``) under
    ``network_at``, where the request holds the network; others (``inputs``, ``output``)
    are top-level request fields."""
    problem = from_core(error)
    return problem.at(*network_at) if error.location[:1] == ("layers",) else problem


def build(spec: NetworkSpec, settings: Settings, network_at: Location) -> core.Network:
    """A core network from a validated spec, the limits checked first; problems are located
    under ``network_at``."""
    try:
        limits.check_network(spec, settings)
    except ApiError as error:
        raise error.at(*network_at) from None
    try:
        return core.build_network(spec.input_size, spec.layers, dialect=spec.dialect)
    except core.CoreError as error:
        raise core_problem(error, network_at) from None


def validate(spec: NetworkSpec, settings: Settings) -> dict[str, Any]:
    """The network as understood, with sizes and the linearity verdict."""
    network = build(spec, settings, ("network",))
    return {"network": normalized(network), "summary": summarize(network)}


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
                "formula": layer.activation.activation.formula,
                "derivative_formula": layer.activation.activation.derivative_formula,
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


def evaluate(body: EvaluateRequest, settings: Settings) -> dict[str, Any]:
    """Run the request's inputs through its network and shape the response."""
    network = build(body.spec, settings, ("network",))
    batch = body.inputs.shape[0] if body.inputs.ndim == 2 else 1
    limits.check_rows(network, batch, settings, ("inputs",), derivatives=body.gradients)
    samples = _traced_samples(body, batch, network, settings)
    try:
        result = core.forward(network, body.inputs, dtype=body.dtype)
        grads = core.gradients(result, output=body.output) if body.gradients else None
    except core.CoreError as error:
        raise core_problem(error, ("network",)) from None
    response: dict[str, Any] = {"dtype": body.dtype, "outputs": result.outputs, "layers": []}
    if body.trace != "none" or grads is not None:
        response["layers"] = _layer_results(result, grads)
    if samples is not None:
        layer_traces = core.trace_layers(result, samples=samples)
        if body.trace_layout == "columns":
            response["traces"] = traces.column_documents(layer_traces, body.decimals)
        else:
            response["nodes"] = traces.node_documents(layer_traces, body.decimals)
        core.budget.check()  # formatting the lines is the longest step of a traced request
    if grads is not None:
        response["gradients"] = {
            "target": grads.target,
            "inputs": grads.inputs,
            "mean_abs_gradient_by_layer": [g.mean_abs_gradient for g in grads.layers],
        }
    if body.encoding == "base64":
        traces.encode_arrays(response)
    return response


def _traced_samples(
    body: EvaluateRequest, batch: int, network: core.Network, settings: Settings
) -> list[int] | None:
    """Which samples get node traces, after checking they exist and fit the trace limit."""
    if body.trace != "nodes":
        return None
    samples = list(range(batch)) if body.samples is None else body.samples
    seen: set[int] = set()
    for position, sample in enumerate(samples):
        if sample in seen:
            raise located(
                f"sample {sample} is listed twice: each sample is traced once",
                ("samples", position),
                "duplicate",
            )
        seen.add(sample)
        if sample >= batch:
            raise located(
                f"sample {sample} does not exist: there are {batch} input row(s)",
                ("samples", position),
                "less_than",
                item=f"must be below {batch}",
            )
    limits.check_trace_terms(network, len(samples), settings)
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


# ---- import ------------------------------------------------------------------------------------


def import_onnx(data: bytes, settings: Settings) -> dict[str, Any]:
    """``POST /v1/networks/import``: an ONNX model's network and a note per operator.

    The body's size is bounded before it is read (``max_body_bytes``); the graph's node and
    parameter counts before any tensor is converted; the network's sizes, as for any network,
    before it is built (which checks that it evaluates).
    """
    from nntrace_service.importers import onnx as onnx_importer

    try:
        model = onnx_importer.parse(data)
        nodes, parameters = onnx_importer.measure(model)
        limits.check_import(nodes, parameters, settings)
        imported = onnx_importer.import_model(model)
    except onnx_importer.OnnxUnavailable as error:
        raise ApiError("internal-error", str(error), status=501) from None
    except onnx_importer.InvalidModel as error:
        raise ApiError("invalid-model", str(error)) from None
    except onnx_importer.UnsupportedModel as error:
        raise ApiError(
            "unsupported-model",
            str(error),
            errors=[
                {
                    "pointer": "",
                    "detail": f"{n['node']} ({n['op_type']}): {n['reason']}",
                    "code": "unsupported_operator",
                }
                for n in error.nodes
            ],
            nodes=error.nodes,
        ) from None
    spec = NetworkSpec.model_validate(
        {
            "input_size": imported.network["input_size"],
            "layers": [
                {**layer, "weights": layer["weights"].tolist(), "bias": layer["bias"].tolist()}
                for layer in imported.network["layers"]
            ],
        },
        context=limits.validation_context(settings),
    )
    network = build(spec, settings, ("network",))
    return {
        "network": normalized(network),
        "notes": imported.notes,
        "source": {"format": "onnx", "opset": imported.opset, "producer": imported.producer},
    }
