"""Activation curves from the service, drawn with matplotlib (``nntrace-client[plot]``).

Figures are built with ``matplotlib.figure.Figure`` rather than pyplot: nothing global is
touched, a notebook shows the returned figure once, and a script saves it with
``figure.savefig("curves.png")``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from nntrace._client import Client
from nntrace._network import ActivationSpec, activation_label
from nntrace._results import _require_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_activations(
    activations: Iterable[ActivationSpec] | str,
    client: Client | None = None,
    *,
    start: float = -6.0,
    stop: float = 6.0,
    num: int = 241,
    derivatives: bool = True,
) -> Figure:
    """Each activation's curve (and, with ``derivatives``, its derivative in a second panel),
    as computed by the service. Activations are names or ``{"name": ..., <parameters>}``.
    Without ``client``, one is made from ``NNTRACE_URL`` for the duration of the call."""
    figure_class = _require_figure()
    names = [activations] if isinstance(activations, str) else list(activations)
    if not names:
        raise ValueError("give at least one activation to plot")
    own = client is None
    active = Client() if client is None else client
    try:
        curves = [_curve(active, spec, start, stop, num) for spec in names]
    finally:
        if own:
            active.close()
    figure: Figure = figure_class(figsize=(10 if derivatives else 5.5, 4), layout="constrained")
    axes = figure.subplots(1, 2 if derivatives else 1, squeeze=False)[0]
    for spec, curve in zip(names, curves, strict=True):
        axes[0].plot(curve.x, curve.y, label=activation_label(spec))
        if derivatives:
            axes[1].plot(curve.x, curve.dy, label=activation_label(spec))
    titles = ["activation", "derivative"]
    for ax, title in zip(axes, titles, strict=False):
        ax.set_title(title)
        ax.set_xlabel("z")
        ax.axhline(0, color="black", linewidth=0.5)
        ax.axvline(0, color="black", linewidth=0.5)
        ax.grid(alpha=0.3)
        ax.legend()
    return figure


def _curve(client: Client, spec: ActivationSpec, start: float, stop: float, num: int) -> Any:
    if isinstance(spec, Mapping):
        if "name" not in spec:
            raise ValueError(f"only named activations can be plotted, got {dict(spec)!r}")
        params = {k: v for k, v in spec.items() if k != "name"}
        return client.curve(str(spec["name"]), start, stop, num, **params)
    return client.curve(spec, start, stop, num)
