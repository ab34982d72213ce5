"""Splitting a large batch of inputs into several requests, and putting the answers back
together as if the service had evaluated the batch in one go."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from nntrace._arrays import FloatArray
from nntrace._results import Evaluation, Gradients, Layer, NodeTrace


@dataclasses.dataclass(frozen=True)
class Chunk:
    """Rows ``start:stop`` of the batch, and which of them get node traces (chunk-local)."""

    start: int
    stop: int
    samples: list[int] | None


def chunks(rows: int, batch_size: int, samples: Sequence[int] | None) -> Iterator[Chunk]:
    """The chunks of a batch of ``rows``; ``samples`` (global indices) are mapped to each
    chunk's own numbering, in the order given."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    for start in range(0, rows, batch_size):
        stop = min(start + batch_size, rows)
        local = None if samples is None else [s - start for s in samples if start <= s < stop]
        yield Chunk(start, stop, local)


def check_samples(samples: Sequence[int] | None, rows: int) -> None:
    """Refuse sample indices outside the batch here: a chunk would silently drop them."""
    for sample in samples or ():
        if not 0 <= sample < rows:
            raise ValueError(f"sample {sample} does not exist: there are {rows} input row(s)")


def merge(parts: Sequence[tuple[int, Evaluation]], samples: Sequence[int] | None) -> Evaluation:
    """One evaluation from the chunks' (first row, result) pairs: rows stacked, node traces
    renumbered to the whole batch, per-layer mean gradients recomputed over all rows."""
    first = parts[0][1]
    results = [result for _, result in parts]
    layers = [_merge_layer([r.layers[i] for r in results]) for i in range(len(first.layers))]
    gradients = None
    if first.gradients is not None:
        gradients = Gradients(
            target=first.gradients.target,
            inputs=np.vstack([r.gradients.inputs for r in results if r.gradients is not None]),
            mean_abs_gradient_by_layer=[
                layer.mean_abs_gradient for layer in layers if layer.mean_abs_gradient is not None
            ],
        )
    return Evaluation(
        dtype=first.dtype,
        outputs=np.vstack([r.outputs for r in results]),
        layers=layers,
        nodes=_merge_nodes(parts, samples),
        gradients=gradients,
        extra=dict(first.extra),
    )


def _stack(arrays: Sequence[FloatArray | None]) -> FloatArray | None:
    present = [a for a in arrays if a is not None]
    return np.vstack(present) if present else None


def _merge_layer(layers: Sequence[Layer]) -> Layer:
    gradients = _stack([layer.gradients for layer in layers])
    return dataclasses.replace(
        layers[0],
        preactivations=np.vstack([layer.preactivations for layer in layers]),
        activations=np.vstack([layer.activations for layer in layers]),
        derivatives=_stack([layer.derivatives for layer in layers]),
        gradients=gradients,
        # The service's value is the mean over the whole batch; recompute it the same way.
        mean_abs_gradient=None if gradients is None else float(np.mean(np.abs(gradients))),
    )


def _merge_nodes(
    parts: Sequence[tuple[int, Evaluation]], samples: Sequence[int] | None
) -> list[NodeTrace] | None:
    if all(result.nodes is None for _, result in parts):
        return None
    nodes = [
        dataclasses.replace(node, sample=node.sample + start)
        for start, result in parts
        for node in result.nodes or ()
    ]
    if samples is not None:
        # The service traces samples in the order asked for; chunks see them in row order.
        order: dict[int, Any] = {}
        for position, sample in enumerate(samples):
            order.setdefault(sample, position)
        nodes.sort(key=lambda node: order[node.sample])
    return nodes
