"""Typed results: what the service answers, as dataclasses with numpy arrays.

Each class declares the members of its response document once, as fields;
:class:`~nntrace._wire.Wire` derives ``from_dict`` (parse) and ``to_dict`` (write back
unchanged, keeping any member a newer service adds) from them. Results print as readable text tables
and render as HTML tables in notebooks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from nntrace import _render
from nntrace._arrays import FloatArray, decode_binary
from nntrace._wire import EXTRA_MEMBERS, Matrix, Vector, Wire

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure


def _require_pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "to_dataframe() needs pandas: pip install 'nntrace-client[pandas]'"
        ) from None
    return pandas


def _require_figure() -> Any:
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'nntrace-client[plot]'") from None
    return Figure


# ---- health ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Health(Wire):
    """The answer of ``/healthz`` or ``/readyz``."""

    status: str
    version: str


# ---- activations -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParameterInfo(Wire):
    """One parameter of an activation, with its default and bounds."""

    name: str
    description: str
    type: str
    default: float | bool | None
    required: bool
    nullable: bool
    minimum: float | None
    maximum: float | None
    exclusive_minimum: bool


@dataclass(frozen=True)
class ActivationInfo(Wire):
    """A catalog entry: formula and derivative (LaTeX), parameters, range and notes."""

    name: str
    aliases: list[str]
    kind: str
    """``axis`` for the softmax family (works across a layer's nodes), else ``elementwise``."""
    parameters: list[ParameterInfo]
    formula: str
    derivative_formula: str
    output_range: tuple[float | None, float | None]
    description: str
    notes: list[str]
    halves_units: bool
    output_range_closed: tuple[bool, bool]
    """Whether each end of ``output_range`` is attained (``[0, ∞)`` for relu); an infinite
    end never is."""
    dialects: dict[str, Any]
    """Each framework's names for this activation (``keras``, ``torch``, ``onnx``), with
    their parameter names and defaults."""
    extra: dict[str, Any] = field(default_factory=dict, repr=False, metadata=EXTRA_MEMBERS)

    @property
    def range_text(self) -> str:
        """The output range as ``(-1, 1)``, ``[0, ∞)``, ``[0, 6]``: a bracket where the
        end is attained, a parenthesis where it is only approached."""
        low, high = self.output_range
        low_closed, high_closed = self.output_range_closed
        left = "(-∞" if low is None else f"{'[' if low_closed else '('}{low:g}"
        right = "∞)" if high is None else f"{high:g}{']' if high_closed else ')'}"
        return f"{left}, {right}"

    def _repr_html_(self) -> str:
        params = [(p.name, p.default, p.description) for p in self.parameters]
        return (
            f"<h4>{self.name}</h4><p>{self.description}</p>"
            f"<p>$${self.formula}$$</p><p>derivative: $${self.derivative_formula}$$</p>"
            f"<p>output range {self.range_text}</p>"
            + (_render.html_table(["parameter", "default", "meaning"], params) if params else "")
        )


@dataclass(frozen=True, eq=False)
class ActivationValues(Wire):
    """An activation's values ``y`` and derivatives ``dy`` at the points ``x``."""

    name: str
    params: dict[str, float | bool | None]
    """Every parameter, defaults filled in."""
    dtype: str
    x: Vector
    y: Vector
    dy: Vector

    def __str__(self) -> str:
        rows = list(zip(self.x.tolist(), self.y.tolist(), self.dy.tolist(), strict=True))
        return _render.text_table(["x", "y", "dy/dx"], rows)

    def _repr_html_(self) -> str:
        rows = list(zip(self.x.tolist(), self.y.tolist(), self.dy.tolist(), strict=True))
        return _render.html_table(["x", "y", "dy/dx"], rows, caption=self.name)


Curve = ActivationValues
"""What :meth:`Client.curve` returns: the same fields, at evenly spaced points."""


# ---- validation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LayerSummary(Wire):
    """One layer of a validated network."""

    name: str
    units: int
    fan_in: int
    output_size: int
    activation: str
    parameter_count: int
    formula: str
    """The activation as LaTeX (a custom expression's own formula)."""
    derivative_formula: str
    """Its derivative as LaTeX."""


@dataclass(frozen=True, eq=False)
class EquivalentLayer(Wire):
    """The single layer a linear network collapses to."""

    weights: Matrix
    bias: Vector


@dataclass(frozen=True, eq=False)
class Linearity(Wire):
    """Whether the network is linear; if so, the single layer it collapses to."""

    is_linear: bool
    nonlinear_layers: list[int]
    explanation: str
    equivalent_layer: EquivalentLayer | None
    """``None`` unless the network is linear."""

    @property
    def equivalent_weights(self) -> FloatArray | None:
        """The equivalent layer's weights (outputs × inputs), if the network is linear."""
        return None if self.equivalent_layer is None else self.equivalent_layer.weights

    @property
    def equivalent_bias(self) -> FloatArray | None:
        """The equivalent layer's bias, if the network is linear."""
        return None if self.equivalent_layer is None else self.equivalent_layer.bias


@dataclass(frozen=True)
class NetworkSummary(Wire):
    """Sizes and linearity of a network."""

    input_size: int
    output_size: int
    parameter_count: int
    layers: list[LayerSummary]
    linearity: Linearity

    def _table(self) -> tuple[list[str], list[list[Any]]]:
        headers = ["layer", "name", "nodes", "inputs", "outputs", "activation", "parameters"]
        rows: list[list[Any]] = [
            [i, s.name, s.units, s.fan_in, s.output_size, s.activation, s.parameter_count]
            for i, s in enumerate(self.layers)
        ]
        return headers, rows

    @property
    def headline(self) -> str:
        """``3 inputs → 1 output, 21 parameters``."""
        return (
            f"{_render.count(self.input_size, 'input')} → "
            f"{_render.count(self.output_size, 'output')}, "
            f"{_render.count(self.parameter_count, 'parameter')}"
        )

    def __str__(self) -> str:
        headers, rows = self._table()
        return f"{self.headline}\n{_render.text_table(headers, rows)}\n{self.linearity.explanation}"

    def _repr_html_(self) -> str:
        headers, rows = self._table()
        caption = self.headline
        return _render.html_table(headers, rows, caption) + f"<p>{self.linearity.explanation}</p>"


@dataclass(frozen=True)
class Validation(Wire):
    """A network that passed validation: as the service understood it (names filled in,
    activations in canonical form) and its summary."""

    network: dict[str, Any]
    """The normalized network document; ``nntrace.Network.from_dict`` turns it into a builder."""
    summary: NetworkSummary

    def __post_init__(self) -> None:
        if "layers" not in self.network:
            raise ValueError("'network' is not a network document")

    def __str__(self) -> str:
        return str(self.summary)

    def _repr_html_(self) -> str:
        return self.summary._repr_html_()


@dataclass(frozen=True)
class ImportNote:
    """What one operator of an imported model became."""

    node: str
    op_type: str
    mapped_to: str

    def __str__(self) -> str:
        return f"{self.node} ({self.op_type}) -> {self.mapped_to}"


@dataclass(frozen=True)
class ImportedModel:
    """A model the service imported: the network document (nntrace's names, every
    parameter explicit) and a note per operator."""

    network: dict[str, Any]
    notes: list[ImportNote]
    source: dict[str, Any]
    """``format``, ``opset`` and ``producer`` of the model."""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ImportedModel:
        network = data["network"]
        if not isinstance(network, dict) or "layers" not in network:
            raise ValueError("'network' is not a network document")
        notes = [ImportNote(n["node"], n["op_type"], n["mapped_to"]) for n in data["notes"]]
        return cls(network=network, notes=notes, source=dict(data["source"]))

    def to_dict(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "notes": [vars(n) for n in self.notes],
            "source": self.source,
        }

    def __str__(self) -> str:
        return "\n".join(str(n) for n in self.notes)


# ---- evaluation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term(Wire):
    """One product ``weight × input`` of a node's weighted sum."""

    weight: float
    input: float
    product: float


@dataclass(frozen=True)
class NodeTrace(Wire):
    """One node's calculation for one sample; ``str()`` is the calculation line, e.g.
    ``h1[0] = sigmoid(0.50×1.00 + (-0.30)×2.00 + 0.10) = sigmoid(0.00) = 0.5000``."""

    sample: int
    layer: int
    layer_name: str
    node: int
    label: str
    terms: list[Term]
    bias: float
    z: float
    activation: str
    a: float | None
    """``None`` for the second half of a GLU layer, whose nodes only gate the first half."""
    calculation: str
    extra: dict[str, Any] = field(default_factory=dict, repr=False, metadata=EXTRA_MEMBERS)

    def __str__(self) -> str:
        return self.calculation


@dataclass(frozen=True, eq=False)
class Layer(Wire):
    """One layer's values for every sample (rows = samples, columns = nodes)."""

    index: int
    name: str
    activation: str
    units: int
    preactivations: Matrix
    """z = weights · input + bias."""
    activations: Matrix
    """a = activation(z)."""
    derivatives: Matrix | None = None
    """da/dz (only with ``gradients=True``)."""
    gradients: Matrix | None = None
    """d(target)/dz, back-propagated (only with ``gradients=True``)."""
    mean_abs_gradient: float | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False, metadata=EXTRA_MEMBERS)

    @property
    def title(self) -> str:
        """``layer 0 'hidden': sigmoid, 4 nodes`` (``1 node``)."""
        return (
            f"layer {self.index} {self.name!r}: {self.activation}, "
            f"{_render.count(self.units, 'node')}"
        )

    def table(self) -> tuple[list[str], list[list[Any]]]:
        """Headers and rows: one row per sample and quantity (z, a, da/dz, gradient),
        one column per node."""
        width = max(self.preactivations.shape[1], self.activations.shape[1])
        headers = ["sample", "value", *(f"{self.name}[{j}]" for j in range(width))]
        quantities = [("z", self.preactivations), ("a", self.activations)]
        if self.derivatives is not None:
            quantities.append(("da/dz", self.derivatives))
        if self.gradients is not None:
            quantities.append(("gradient", self.gradients))
        rows: list[list[Any]] = []
        for sample in range(self.preactivations.shape[0]):
            for label, values in quantities:
                cells: list[Any] = values[sample].tolist()
                rows.append([sample, label, *cells, *[None] * (width - len(cells))])
        return headers, rows


@dataclass(frozen=True, eq=False)
class Gradients(Wire):
    """What was differentiated, the gradient with respect to each input, and the mean
    absolute gradient of each layer (small values in early layers: vanishing gradients)."""

    target: str
    inputs: Matrix
    mean_abs_gradient_by_layer: list[float]


def with_node_documents(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """``data`` with columnar traces (``"trace_layout": "columns"``: one object of arrays per
    layer, as ``traces``) read out into the per-node documents of ``nodes``, so an evaluation
    reads the same whichever layout the service was asked for."""
    traces = data.get("traces")
    if traces is None or data.get("nodes") is not None:
        return data
    nodes: list[dict[str, Any]] = []
    layers = []
    for layer in traces:
        arrays = {
            key: _array(layer[key]).tolist()
            for key in ("inputs", "weights", "bias", "products", "z", "a")
        }
        layers.append((layer, arrays))
    for row, sample in enumerate(traces[0]["samples"] if traces else ()):
        for layer, arrays in layers:
            x, products, a = arrays["inputs"][row], arrays["products"][row], arrays["a"][row]
            for node in range(int(layer["units"])):
                weights = arrays["weights"][node]
                nodes.append(
                    {
                        "sample": sample,
                        "layer": layer["layer"],
                        "layer_name": layer["layer_name"],
                        "node": node,
                        "label": f"{layer['layer_name']}[{node}]",
                        "terms": [
                            {"weight": w, "input": xi, "product": p}
                            for w, xi, p in zip(weights, x, products[node], strict=True)
                        ],
                        "bias": arrays["bias"][node],
                        "z": arrays["z"][row][node],
                        "activation": layer["activation"],
                        "a": a[node] if node < len(a) else None,
                        "calculation": layer["calculations"][row][node],
                    }
                )
    return {**{k: v for k, v in data.items() if k != "traces"}, "nodes": nodes}


def _array(value: Any) -> FloatArray:
    """Any response array (nested lists or base64) as float64."""
    return decode_binary(value) if isinstance(value, Mapping) else np.asarray(value, np.float64)


@dataclass(frozen=True, eq=False)
class Evaluation(Wire):
    """The result of :meth:`Client.evaluate`: outputs and, as requested, every layer's values,
    each node's calculation and the gradients.

    ``print(evaluation)`` shows the layer tables and calculation lines; in a notebook the
    same appears as HTML tables.
    """

    dtype: str
    outputs: Matrix
    """samples × output nodes."""
    layers: list[Layer]
    """Empty with ``trace="none"`` (unless gradients were requested)."""
    nodes: list[NodeTrace] | None = None
    """Node traces (``trace="nodes"``), ordered by sample, layer, node."""
    gradients: Gradients | None = None
    extra: dict[str, Any] = field(default_factory=dict, repr=False, metadata=EXTRA_MEMBERS)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Evaluation:
        """Parse the response, node traces in either layout (see :func:`with_node_documents`)."""
        return super().from_dict(with_node_documents(data))

    # ---- convenience ---------------------------------------------------------------------------

    @property
    def calculations(self) -> list[str]:
        """Every traced node's calculation line (empty unless ``trace="nodes"``)."""
        return [node.calculation for node in self.nodes or ()]

    def layer(self, key: int | str) -> Layer:
        """A layer by index or name."""
        for layer in self.layers:
            if layer.index == key or layer.name == key:
                return layer
        raise KeyError(f"no layer {key!r}; layers: {[layer.name for layer in self.layers]}")

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __repr__(self) -> str:
        return (
            f"Evaluation(samples={self.outputs.shape[0]}, outputs={self.outputs.shape[1]}, "
            f"layers={len(self.layers)}, nodes={len(self.nodes or ())}, dtype={self.dtype!r})"
        )

    def _outputs_table(self) -> tuple[list[str], list[list[Any]]]:
        headers = ["sample", *(f"output[{j}]" for j in range(self.outputs.shape[1]))]
        return headers, [[i, *row] for i, row in enumerate(self.outputs.tolist())]

    def __str__(self) -> str:
        parts = []
        for layer in self.layers:
            parts.append(f"{layer.title}\n{_render.text_table(*layer.table())}")
        parts.append(f"outputs\n{_render.text_table(*self._outputs_table())}")
        if self.nodes:
            limit = _render.MAX_ROWS * 4
            more = len(self.nodes) - limit
            lines = self._labelled_calculations(limit)
            parts.append(
                "calculations\n" + "\n".join(lines) + (f"\n… {more} more" if more > 0 else "")
            )
        return "\n\n".join(parts)

    def _labelled_calculations(self, limit: int | None = None) -> list[str]:
        """The first ``limit`` calculation lines, under a ``sample N`` heading for each
        sample when several were traced (a line alone does not say which sample it is for)."""
        nodes = (self.nodes or [])[:limit]
        return _render.grouped_lines([n.sample for n in nodes], [n.calculation for n in nodes])

    def _repr_html_(self) -> str:
        parts = [_render.html_table(*layer.table(), caption=layer.title) for layer in self.layers]
        parts.append(_render.html_table(*self._outputs_table(), caption="outputs"))
        if self.nodes:
            parts.append(_render.html_lines(self._labelled_calculations()))
        return "<div>" + "".join(parts) + "</div>"

    def to_dataframe(self) -> pd.DataFrame:
        """One row per (layer, sample, node): ``z``, ``a`` and, with gradients, ``derivative``
        and ``gradient``. Needs pandas (``pip install 'nntrace-client[pandas]'``)."""
        pandas = _require_pandas()
        records = []
        for layer in self.layers:
            for sample in range(layer.preactivations.shape[0]):
                for node in range(layer.preactivations.shape[1]):
                    record: dict[str, Any] = {
                        "layer": layer.index,
                        "layer_name": layer.name,
                        "activation": layer.activation,
                        "sample": sample,
                        "node": node,
                        "z": float(layer.preactivations[sample, node]),
                        "a": _cell(layer.activations, sample, node),
                    }
                    if layer.derivatives is not None and layer.gradients is not None:
                        record["derivative"] = float(layer.derivatives[sample, node])
                        record["gradient"] = float(layer.gradients[sample, node])
                    records.append(record)
        frame: pd.DataFrame = pandas.DataFrame.from_records(records)
        return frame

    def plot(self, sample: int = 0) -> Figure:
        """A matplotlib figure with one panel per layer: each node's z and a for ``sample``.
        Needs matplotlib (``pip install 'nntrace-client[plot]'``)."""
        figure_class = _require_figure()
        if not self.layers:
            raise ValueError("no layer values to plot: evaluate with trace='layers' or 'nodes'")
        figure: Figure = figure_class(figsize=(3.2 * len(self.layers), 3.2), layout="constrained")
        axes = figure.subplots(1, len(self.layers), squeeze=False)[0]
        for ax, layer in zip(axes, self.layers, strict=True):
            z = layer.preactivations[sample]
            a = layer.activations[sample]
            ax.bar(np.arange(z.size) - 0.2, z, width=0.4, label="z")
            ax.bar(np.arange(a.size) + 0.2, a, width=0.4, label="a")
            ax.axhline(0, color="black", linewidth=0.5)
            ax.set_title(f"{layer.name} ({layer.activation})")
            ax.set_xlabel("node")
            ax.set_xticks(np.arange(z.size))
        axes[0].legend()
        figure.suptitle(f"sample {sample}")
        return figure


def _cell(values: FloatArray, sample: int, node: int) -> float | None:
    """A value, or ``None`` where a GLU layer has fewer activations than nodes."""
    return float(values[sample, node]) if node < values.shape[1] else None


# ---- comparisons -------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Comparison:
    """The same network and inputs evaluated with different activations, side by side.

    ``comparison["tanh"]`` is that variant's :class:`Evaluation`.
    """

    evaluations: dict[str, Evaluation]
    """Activation label → result, in the order asked for."""

    def __getitem__(self, activation: str) -> Evaluation:
        return self.evaluations[activation]

    def __iter__(self) -> Iterator[str]:
        return iter(self.evaluations)

    def __len__(self) -> int:
        return len(self.evaluations)

    @property
    def outputs(self) -> dict[str, FloatArray]:
        """Activation label → outputs."""
        return {label: result.outputs for label, result in self.evaluations.items()}

    def tables(self) -> list[tuple[str, list[str], list[list[Any]]]]:
        """One table per layer (rows: sample and node; columns: z and a per variant), then
        the outputs."""
        results = list(self.evaluations.items())
        first = results[0][1]
        tables = []
        for index, layer in enumerate(first.layers):
            headers = ["sample", "node"]
            for label, _ in results:
                headers += [f"z ({label})", f"a ({label})"]
            rows: list[list[Any]] = []
            for sample in range(layer.preactivations.shape[0]):
                for node in range(layer.preactivations.shape[1]):
                    row: list[Any] = [sample, f"{layer.name}[{node}]"]
                    for _, result in results:
                        other = result.layers[index]
                        row += [
                            float(other.preactivations[sample, node]),
                            _cell(other.activations, sample, node),
                        ]
                    rows.append(row)
            tables.append((f"layer {index} {layer.name!r}", headers, rows))
        headers = ["sample", "output"] + [label for label, _ in results]
        rows = [
            [sample, j, *(float(r.outputs[sample, j]) for _, r in results)]
            for sample in range(first.outputs.shape[0])
            for j in range(first.outputs.shape[1])
        ]
        tables.append(("outputs", headers, rows))
        return tables

    def __str__(self) -> str:
        return "\n\n".join(
            f"{title}\n{_render.text_table(headers, rows)}"
            for title, headers, rows in self.tables()
        )

    def _repr_html_(self) -> str:
        return (
            "<div>"
            + "".join(
                _render.html_table(headers, rows, caption=title)
                for title, headers, rows in self.tables()
            )
            + "</div>"
        )

    def to_dataframe(self) -> pd.DataFrame:
        """Every variant's :meth:`Evaluation.to_dataframe`, with a ``variant`` column first."""
        pandas = _require_pandas()
        frames = [
            result.to_dataframe().assign(variant=label)
            for label, result in self.evaluations.items()
        ]
        combined = pandas.concat(frames, ignore_index=True)
        ordered: pd.DataFrame = combined[
            ["variant", *[c for c in combined.columns if c != "variant"]]
        ]
        return ordered

    def __repr__(self) -> str:
        return f"Comparison({', '.join(self.evaluations)})"
