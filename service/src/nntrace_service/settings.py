"""Service settings, read from ``NNTRACE_*`` environment variables.

Every limit that protects the service from a request too large to handle lives here, so that
operators can see and change them in one place (the README's configuration table lists them).
gunicorn's own settings (workers, threads, timeouts) are in ``gunicorn.conf.py``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Limits and behaviour of one service instance; build it directly in tests."""

    model_config = SettingsConfigDict(env_prefix="NNTRACE_", frozen=True, extra="ignore")

    max_body_bytes: int = Field(32 * 1024 * 1024, ge=1024)
    """Largest request body accepted, in bytes; larger ones get 413 before any parsing."""
    max_layers: int = Field(64, ge=1)
    """Most layers a network may have."""
    max_units: int = Field(4096, ge=1)
    """Most nodes in one layer (and most inputs to the network)."""
    max_parameters: int = Field(2_000_000, ge=1)
    """Most weights and biases in one network."""
    max_batch: int = Field(4096, ge=1)
    """Most input rows in one request."""
    max_layer_values: int = Field(2_000_000, ge=1)
    """Most values the forward pass keeps (rows × nodes over all layers): bounds the memory
    of a request and the size of its response, which can far exceed its body (one input
    feeding 4096 nodes)."""
    max_trace_terms: int = Field(250_000, ge=1)
    """Most ``w × x`` terms in the node traces of one response (nodes × fan-in × samples)."""
    max_expression_length: int = Field(500, ge=10)
    """Longest custom activation expression, in characters."""
    max_values: int = Field(100_000, ge=1)
    """Most values in one activation evaluation or curve."""
    max_submissions: int = Field(1000, ge=1)
    """Most submissions in one batch grade request (``submissions``)."""
    max_expression_cost: int = Field(2_000_000_000, ge=1)
    """Most work of custom activation expressions in one request, in about nanoseconds: each
    function in a formula weighs what it costs per value (``+`` 4, ``exp`` 40, exact
    ``gelu`` 300, ...), times the values it runs on (rows × nodes, twice with gradients)."""
    max_response_values: int = Field(500_000, ge=1)
    """Most per-node results one grade may report (test cases × nodes of the reference):
    bounds an answer whose size the values kept do not predict (a 62 KB grade request once
    answered 217 MB)."""
    max_json_depth: int = Field(32, ge=8, le=512)
    """Deepest nesting of arrays and objects in a request body (the deepest request the
    API documents needs 8); deeper bodies get 400 with the location."""
    max_request_seconds: float = Field(20.0, gt=0)
    """Wall-clock budget of one request's work, below gunicorn's worker timeout (30 s):
    work that outlives it (something the limits above do not foresee) is stopped with a
    422 naming this setting, and the worker lives on."""
    metrics: bool = True
    """Serve Prometheus metrics at ``/metrics`` (``NNTRACE_METRICS=off`` turns them off)."""
    metrics_bind: str = ""
    """``host:port`` to serve metrics from gunicorn's arbiter on a port of their own instead of
    ``/metrics`` on the service's port (read by gunicorn.conf.py)."""
    log_format: Literal["text", "json"] = "text"
    """``json``: one JSON line per request and JSON application logs (gunicorn.conf.py)."""
    data_dir: Path = Field(
        default_factory=lambda: (
            Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "nntrace"
        )
    )
    """Where the embedded SQLite store lives (``nntrace.sqlite3``) when no database URL is
    set; the container sets ``/data`` (a volume)."""
    database_url: str | None = None
    """The store's database, e.g. ``postgresql+psycopg://user:pass@host/nntrace`` when several
    replicas share one store; unset: SQLite in ``NNTRACE_DATA_DIR``."""
    migrate_on_start: bool = True
    """Run the store's migrations when the service starts (under a lock, so every worker may);
    turn off where a separate job runs ``nntrace-service db upgrade``."""
    auth: Literal["store", "all", "off"] = "store"
    """``store``: the stored networks need an API key (public and unlisted ones are readable
    without), inline computation stays open; ``all``: every endpoint but health and docs needs
    a key; ``off``: no keys at all (a single-user machine: everything is owned by ``local``)."""
    model_repository: Path | None = None
    """A read-only Triton-layout model repository (``<repo>/<model>/<version>/network.json``)
    served by the Open Inference Protocol endpoints under ``/v2``, next to stored networks."""
    max_page_size: int = Field(200, ge=1)
    """Most items in one page of a listing (``limit``)."""
    problem_base_uri: str = "/problems/"
    """Prefix of every problem ``type``; the service documents each type under this path."""
    client_wheels: Path | None = None
    """Folder of ``nntrace_client-*.whl`` files the service offers at ``/client/``, so that an
    autograder can ``pip install`` the client from the service it will call (the client is
    on no package index). The Docker image sets it; ``make serve`` uses ``dist/``. None: the
    listing is empty."""

    @property
    def store_url(self) -> str:
        """The database the store uses: ``database_url``, else SQLite in ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite+pysqlite:///{self.data_dir / 'nntrace.sqlite3'}"
