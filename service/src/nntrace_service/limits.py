"""The cost model: every check that bounds a request's cost before the work starts.

Each check names the setting that bounds it (``max_units`` → ``NNTRACE_MAX_UNITS``), reads the
limit from it and reports both in a ``limit-exceeded`` problem, so an operator knows what to
raise. Locations are relative to what is checked (a network spec's ``layers/0/weights``);
the handler puts them where that sits in its request (:meth:`problems.ApiError.at`).

What a request may cost, and the setting that bounds each part (the README's "Security and
limits" table lists them with their defaults):

- its body: bytes (``max_body_bytes``, while reading), nesting (``max_json_depth``);
- its network: layers, nodes, parameters, expression length;
- memory and response of a forward pass: input rows (``max_batch``) and the values kept,
  rows × nodes × (z, a; and with gradients da/dz and the gradient) (``max_layer_values``),
  which also bounds values sent as layers to ``/v1/compare``;
- CPU of custom activations: rows × nodes × the expression's cost per value, twice with
  derivatives (``max_expression_cost``; each function weighs what it costs);
- node traces: terms (nodes × fan-in × samples), also for a comparison's traced mismatches
  (``max_trace_terms``);
- per-node entries of a grade or comparison response (``max_response_values``);
- and a wall-clock budget for whatever the above does not foresee
  (``max_request_seconds``, enforced by ``core.budget``).

May import: core, schemas, problems, settings; no Flask.
"""

from __future__ import annotations

from typing import Any

from nntrace_service import core
from nntrace_service.problems import Location, limit_exceeded
from nntrace_service.schemas.networks import NetworkSpec
from nntrace_service.settings import Settings


def _check(
    what: str, got: int, location: Location, setting: str, settings: Settings, per: int = 1
) -> None:
    """Refuse ``got`` when it is over the value of ``setting`` (times ``per``)."""
    limit: int = getattr(settings, setting) * per
    if got > limit:
        raise limit_exceeded(what, limit, got, location, setting)


def validation_context(settings: Settings) -> dict[str, Any]:
    """What array validators need to refuse oversized arrays before converting them."""
    return {
        "max_elements": max(settings.max_parameters, settings.max_batch * settings.max_units),
        "max_layers": settings.max_layers,
        "max_batch": settings.max_batch,
        "max_submissions": settings.max_submissions,
    }


def check_network(spec: NetworkSpec, settings: Settings) -> None:
    """Sizes of a network spec (input, layers, nodes, expressions, parameters), before the
    core builds it; locations are relative to the spec."""
    _check("input size", spec.input_size, ("input_size",), "max_units", settings)
    _check("layers", len(spec.layers), ("layers",), "max_layers", settings)
    total = 0
    for index, layer in enumerate(spec.layers):
        units = int(layer.weights.shape[0])
        _check(
            f"nodes in layer {index}", units, ("layers", index, "weights"), "max_units", settings
        )
        activation = layer.activation
        if isinstance(activation, dict) and isinstance(activation.get("expression"), str):
            _check(
                f"characters in the expression of layer {index}",
                len(activation["expression"]),
                ("layers", index, "activation", "expression"),
                "max_expression_length",
                settings,
            )
        total += layer.weights.size + layer.bias.size
    _check("parameters", total, ("layers",), "max_parameters", settings)


def check_rows(
    network: core.Network,
    rows: int,
    settings: Settings,
    location: Location,
    *,
    derivatives: bool = False,
) -> None:
    """Input rows, before the forward pass allocates a ``z`` and an ``a`` of every layer
    for every row (and, with ``derivatives``, da/dz and the gradient too), and the work of
    custom activation expressions on them."""
    check_batch(rows, location, settings)
    per_row = sum(layer.units + layer.output_size for layer in network.layers)
    what = "layer values the forward pass keeps (rows × nodes, z and a, over all layers)"
    if derivatives:
        per_row += sum(2 * layer.units for layer in network.layers)
        what = "layer values the forward pass keeps (rows × nodes, z, a, da/dz and gradient)"
    _check(what, rows * per_row, location, "max_layer_values", settings)
    work = sum(
        layer.units * layer.activation.activation.cost
        for layer in network.layers
        if layer.activation.activation.extra.get("expression") is not None
    )
    _check(
        "work of the custom activation expressions (rows × nodes × cost per value"
        + (", twice with derivatives)" if derivatives else ")"),
        rows * work * (2 if derivatives else 1),
        location,
        "max_expression_cost",
        settings,
    )


def check_sent_layers(layers: list[Any], settings: Settings, location: Location) -> None:
    """Values sent as layers (``/v1/compare``), counted by rows without touching a value,
    before anything reads them one by one."""
    total = 0
    for raw in layers:
        if isinstance(raw, list):
            rows = [row for row in raw if isinstance(row, list)]
            total += sum(len(row) for row in rows) + len(raw) - len(rows)
    _check("values sent as layers", total, location, "max_layer_values", settings)


def check_traced_mismatches(
    network: core.Network, mismatches: int, settings: Settings, location: Location
) -> None:
    """A comparison traces each listed mismatch (up to ``mismatches`` per layer), one term
    per input of its node."""
    terms = mismatches * sum(layer.fan_in for layer in network.layers)
    _check(
        "node trace terms of the listed mismatches (max_mismatches × fan-in over all layers)",
        terms,
        location,
        "max_trace_terms",
        settings,
    )


def check_response_entries(count: int, what: str, settings: Settings, location: Location) -> None:
    """Per-node entries a response will report (a grade's feedback: test cases × nodes)."""
    _check(what, count, location, "max_response_values", settings)


def check_batch(rows: int, location: Location, settings: Settings) -> None:
    """Input rows, where no network is known yet to count their layer values."""
    _check("input rows", rows, location, "max_batch", settings)


def check_test_cases(count: int, settings: Settings) -> None:
    """Test cases of a grade request (each is one input row)."""
    _check("test cases", count, ("test_cases",), "max_batch", settings)


def check_submissions(count: int, settings: Settings) -> None:
    """Submissions of a batch grade request, each graded (and a network one evaluated) on
    every test case."""
    _check("submissions", count, ("submissions",), "max_submissions", settings)


def check_trace_terms(network: core.Network, samples: int, settings: Settings) -> None:
    """Terms of the node traces asked for, before any trace is built."""
    _check(
        "node trace terms (nodes × inputs × samples); narrow it with 'samples'",
        core.count_terms(network.layers, samples),
        ("trace",),
        "max_trace_terms",
        settings,
    )


def check_import(nodes: int, parameters: int, settings: Settings) -> None:
    """An uploaded model's graph, after protobuf has read it (bounded by the body size) and
    before any of its tensors is converted: a dense layer takes a node or two and its
    activation up to three, so more than six nodes a layer is no network nntrace accepts."""
    _check("nodes in the model's graph", nodes, (), "max_layers", settings, per=6)
    _check("parameters in the model", parameters, (), "max_parameters", settings)


def check_values(count: int, location: Location, settings: Settings, what: str = "values") -> None:
    """Points of one activation evaluation or curve."""
    _check(what, count, location, "max_values", settings)
