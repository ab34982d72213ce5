"""The client: one method per endpoint, typed results, typed exceptions."""

from __future__ import annotations

import base64
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import numpy as np
import requests

from nntrace import _batching, _transport, grading
from nntrace._arrays import as_float_array, dumps, encode_binary
from nntrace._exceptions import APIResponseValidationError, status_error
from nntrace._network import (
    ActivationSpec,
    Network,
    activation_label,
    as_network_dict,
    coerce_network,
)
from nntrace._results import (
    ActivationInfo,
    ActivationValues,
    Comparison,
    Evaluation,
    Health,
    ImportedModel,
    Validation,
)
from nntrace._store import ApiKey, Stored, StoredNetwork, stored_reference
from nntrace._version import __version__

T = TypeVar("T")
NetworkLike = Network | Mapping[str, Any]
NetworkRef = NetworkLike | Stored | StoredNetwork
"""A network inline, or stored (sent as ``network_id``)."""
Timeout = float | tuple[float, float] | None
Trace = Literal["none", "layers", "nodes"]
TraceLayout = Literal["nodes", "columns"]
DType = Literal["float64", "float32"]

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT: tuple[float, float] = (3.05, 60.0)
"""(connect, read) seconds: connect slightly above a multiple of 3 s (TCP's retransmission
interval); read twice the service's worker timeout (30 s) and three times its request budget
(``NNTRACE_MAX_REQUEST_SECONDS``, 20 s), so that a slow but legitimate answer is never cut
and never retried into running twice."""
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_RETRY_WAIT = 60.0
"""Longest wait between attempts, in seconds; a ``Retry-After`` asking for more ends the
retries and raises the answer at once (urllib3 would wait up to six hours)."""
DEFAULT_DEADLINE = 180.0
"""Seconds one request may take in all: every attempt, wait, redirect and the body."""
DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024
"""Largest answer the client reads (decompressed); the service's largest stays far below."""


class Client:
    """A connection to an nntrace service.

    >>> with Client("http://127.0.0.1:8000") as client:      # doctest: +SKIP
    ...     result = client.evaluate(network, [[1.0, 2.0, 3.0]], trace="nodes")
    ...     for node in result.nodes:
    ...         print(node)

    ``base_url`` defaults to the ``NNTRACE_URL`` environment variable, then
    ``http://127.0.0.1:8000``; ``api_key`` to ``NNTRACE_API_KEY`` (sent as ``Authorization:
    Bearer``; needed for stored networks, and everywhere under ``NNTRACE_AUTH=all``).
    ``timeout`` is ``(connect, read)`` seconds for each socket
    operation; ``deadline`` bounds a whole request (attempts, waits, body) and
    ``max_response_bytes`` the answer's size. A request is sent again (``max_retries`` times,
    waiting ``backoff_factor`` · 2ⁿ s plus up to ``backoff_jitter`` s, or what
    ``Retry-After`` asks up to ``max_retry_wait`` s) only when that cannot run it twice: when
    no connection was made, when the service answered 429 or 503, and for GETs also after a
    read timeout, a dropped connection or a proxy's 502/504. Redirects are followed only for
    a GET to the same origin. Pass your own ``session`` to control adapters, proxies or
    certificates yourself; the client does not close it, and the deadline then starts to cut
    a request only once its headers have arrived.

    Every method goes through :meth:`_request` (which maps failures to exceptions) and
    :meth:`_parse` (which turns a JSON body into a typed result); subclasses and later
    methods for new endpoints should do the same.
    """

    def __init__(
        self,
        base_url: str | None = None,
        *,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        session: requests.Session | None = None,
        backoff_factor: float = 0.5,
        backoff_jitter: float = 0.25,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        deadline: float | None = DEFAULT_DEADLINE,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        api_key: str | None = None,
    ) -> None:
        url = base_url or os.environ.get("NNTRACE_URL") or DEFAULT_BASE_URL
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {url!r}")
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
        for name, value in (("deadline", deadline), ("max_response_bytes", max_response_bytes)):
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive or None, got {value}")
        if max_retry_wait < 0:
            raise ValueError(f"max_retry_wait must be 0 or more, got {max_retry_wait}")
        self.base_url = url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.policy = _transport.Policy(
            timeout=timeout,
            max_retries=max_retries,
            backoff_factor=backoff_factor,
            backoff_jitter=backoff_jitter,
            max_retry_wait=max_retry_wait,
            deadline=deadline,
            max_response_bytes=max_response_bytes,
        )
        self._owns_session = session is None
        self.session = session if session is not None else requests.Session()
        if self._owns_session:
            adapter = _transport.WatchedAdapter()
            self.session.mount("http://", adapter)
            self.session.mount("https://", adapter)
        self._headers = {
            "Accept": "application/json, application/problem+json",
            "User-Agent": f"nntrace-client/{__version__} python-requests/{requests.__version__}",
        }
        key = api_key or os.environ.get("NNTRACE_API_KEY")
        if key:
            self._headers["Authorization"] = f"Bearer {key}"

    # ---- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the pooled connections (only of a session this client created)."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Client({self.base_url!r}, timeout={self.timeout!r}, max_retries={self.max_retries})"
        )

    # ---- plumbing ------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
    ) -> requests.Response:
        """Send one request (retried as configured) and return a successful response;
        raises :class:`APIConnectionError`/:class:`APITimeoutError` when the service cannot
        be reached or the deadline passes, an :class:`APIStatusError` subclass for an error
        status and :class:`RedirectNotFollowedError`/:class:`ResponseTooLargeError` for an
        answer the client will not read."""
        url = self.base_url + path
        merged = dict(self._headers)
        data = content
        if json is not None:
            data = dumps(json)
            merged["Content-Type"] = "application/json"
        merged.update(headers or {})
        response = _transport.send(
            self.session, self.policy, method, url, data=data, params=params, headers=merged
        )
        if response.status_code >= 400:
            raise status_error(response)
        return response

    def _parse(self, response: requests.Response, parse: Callable[[Any], T]) -> T:
        """The response's JSON body through ``parse``; a body that is not JSON or not shaped
        as documented raises :class:`APIResponseValidationError`."""
        try:
            data = response.json()
        except ValueError:
            raise APIResponseValidationError(
                f"{response.url} answered {response.status_code} with a body that is not JSON",
                response=response,
            ) from None
        try:
            return parse(data)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise APIResponseValidationError(
                f"{response.url} answered with an unexpected document ({type(error).__name__}: "
                f"{error}); is this an nntrace service of a compatible version?",
                response=response,
            ) from error

    # ---- health --------------------------------------------------------------------------------

    def health(self) -> Health:
        """Liveness: the service process is up (``GET /healthz``)."""
        return self._parse(self._request("GET", "/healthz"), Health.from_dict)

    def ready(self) -> Health:
        """Readiness: the service can evaluate networks (``GET /readyz``); raises
        :class:`ServiceNotReadyError` otherwise."""
        return self._parse(self._request("GET", "/readyz"), Health.from_dict)

    # ---- activations ---------------------------------------------------------------------------

    def activations(self) -> list[ActivationInfo]:
        """The activation catalog."""
        return self._parse(
            self._request("GET", "/v1/activations"),
            lambda data: [ActivationInfo.from_dict(a) for a in data["activations"]],
        )

    def activation(self, name: str) -> ActivationInfo:
        """One catalog entry, by name or alias; :class:`UnknownActivationError` (status 404)
        with suggestions when there is none."""
        response = self._request("GET", f"/v1/activations/{quote(name, safe='')}")
        return self._parse(response, ActivationInfo.from_dict)

    def evaluate_activation(
        self,
        name: str,
        x: Any,
        *,
        dtype: DType = "float64",
        binary: bool = False,
        **params: float | bool | None,
    ) -> ActivationValues:
        """The activation's values and derivatives at ``x`` (one layer's pre-activations, for
        the softmax family); keyword arguments are its parameters (``negative_slope=0.1``)."""
        body = {
            "x": encode_binary(as_float_array(x, what="x")) if binary else x,
            "params": params,
            "dtype": dtype,
        }
        response = self._request(
            "POST", f"/v1/activations/{quote(name, safe='')}/evaluate", json=body
        )
        return self._parse(response, ActivationValues.from_dict)

    def curve(
        self,
        name: str,
        start: float = -6.0,
        stop: float = 6.0,
        num: int = 121,
        **params: float | bool | None,
    ) -> ActivationValues:
        """``num`` evenly spaced values from ``start`` to ``stop`` (for plotting); keyword
        arguments are activation parameters."""
        query: dict[str, Any] = {"start": start, "stop": stop, "num": num}
        query.update({key: _query_value(value) for key, value in params.items()})
        response = self._request(
            "GET", f"/v1/activations/{quote(name, safe='')}/curve", params=query
        )
        return self._parse(response, ActivationValues.from_dict)

    # ---- networks ------------------------------------------------------------------------------

    def explore_url(
        self,
        network: NetworkLike,
        inputs: Any = None,
        *,
        sample: int = 0,
        lang: Literal["en", "ja"] | None = None,
    ) -> str:
        """A link to this service's explorer page showing ``network`` with ``inputs`` (one
        row per sample; default one sample of zeros), tracing ``sample``.

        The whole state travels in the URL fragment (``#s=`` and base64url of JSON, the
        format the page writes itself), which browsers never send to the server: the link
        works offline against the same service and the network is never logged. Nothing is
        sent now; open the link in a browser.
        """
        builder = coerce_network(network)
        rows = (
            np.zeros((1, builder.input_size))
            if inputs is None
            else as_float_array(inputs, what="inputs")
        )
        rows = rows.reshape(1, -1) if rows.ndim == 1 else rows
        if rows.ndim != 2 or rows.shape[1] != builder.input_size:
            raise ValueError(
                f"inputs must have {builder.input_size} values per row, got shape {rows.shape}"
            )
        if not 0 <= sample < rows.shape[0]:
            raise ValueError(f"sample {sample} does not exist: there are {rows.shape[0]} rows")
        if lang not in (None, "en", "ja"):
            raise ValueError(f"lang must be 'en' or 'ja', got {lang!r}")
        state: dict[str, Any] = {
            "v": 1,
            "network": builder.to_dict(binary=False),
            "inputs": rows.tolist(),
            "sample": sample,
            "layer": 0,
        }
        if lang is not None:
            state["lang"] = lang
        text = json.dumps(state, separators=(",", ":"), allow_nan=False, default=_jsonable)
        payload = base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode("ascii")
        return f"{self.base_url}/explore#s={payload}"

    def validate(self, network: NetworkRef, *, binary: bool = False) -> Validation:
        """The network as the service understands it, its sizes and whether it is linear;
        raises with pointers into the network when it is not valid."""
        body = _network_part(network, binary)
        return self._parse(
            self._request("POST", "/v1/networks/validate", json=body), Validation.from_dict
        )

    def import_onnx(self, model: Any) -> ImportedModel:
        """Import an ONNX model (a path, its bytes or an ``onnx.ModelProto``): the network
        in nntrace's names and a note per operator. Unsupported operators raise
        :class:`~nntrace.UnsupportedOperatorsError` listing every one with its node name."""
        from nntrace.importers import onnx_bytes

        response = self._request(
            "POST",
            "/v1/networks/import",
            content=onnx_bytes(model),
            headers={"Content-Type": "application/onnx"},
        )
        return self._parse(response, ImportedModel.from_dict)

    def evaluate(
        self,
        network: NetworkRef,
        inputs: Any,
        *,
        trace: Trace = "layers",
        samples: Sequence[int] | None = None,
        gradients: bool = False,
        output: int | None = None,
        dtype: DType = "float64",
        decimals: int = 4,
        batch_size: int | None = None,
        progress: bool = False,
        binary: bool = False,
        trace_layout: TraceLayout = "nodes",
    ) -> Evaluation:
        """Run ``inputs`` (one row per sample, or one flat sample) through ``network``.

        ``trace``: ``"none"`` (outputs only), ``"layers"`` (every layer's z and a) or
        ``"nodes"`` (also each node's calculation line, for ``samples`` or all).
        ``gradients``: add da/dz and the back-propagated gradient of ``output`` (default:
        the sum of the outputs). ``batch_size``: send at most that many rows per request and
        reassemble one result (``progress=True`` shows a tqdm bar on stdout, if tqdm is
        installed). ``binary``: send and receive arrays base64-encoded (smaller, faster to
        parse). ``trace_layout="columns"``: the service sends node traces as whole arrays per
        layer (much faster for wide layers); ``nodes`` reads the same either way.
        """
        options: dict[str, Any] = {
            "trace": trace,
            "gradients": gradients,
            "dtype": dtype,
            "decimals": decimals,
        }
        if trace_layout != "nodes":
            options["trace_layout"] = trace_layout
        if binary:
            options["encoding"] = "base64"
        if output is not None:
            options["output"] = output
        net = _network_part(network, binary)
        if batch_size is None:
            if samples is not None:
                options["samples"] = list(samples)
            return self._evaluate_once(net, _inputs_body(inputs, binary), options)
        rows = as_float_array(inputs, what="inputs")
        rows = rows.reshape(1, -1) if rows.ndim == 1 else rows
        _batching.check_samples(samples, rows.shape[0])
        parts = []
        with _progress_bar(rows.shape[0], progress) as bar:
            for chunk in _batching.chunks(rows.shape[0], batch_size, samples):
                chunk_options = dict(options)
                if chunk.samples is not None:
                    chunk_options["samples"] = chunk.samples
                block = rows[chunk.start : chunk.stop]
                body = encode_binary(block) if binary else block
                parts.append((chunk.start, self._evaluate_once(net, body, chunk_options)))
                bar.update(chunk.stop - chunk.start)
        return _batching.merge(parts, samples)

    def _evaluate_once(
        self, network: Mapping[str, Any], inputs: Any, options: Mapping[str, Any]
    ) -> Evaluation:
        body = {**network, "inputs": inputs, **options}
        return self._parse(self._request("POST", "/v1/evaluate", json=body), Evaluation.from_dict)

    def compare_activations(
        self,
        network: NetworkLike,
        inputs: Any,
        activations: Iterable[ActivationSpec],
        *,
        layers: Iterable[int | str] | None = None,
        **evaluate_options: Any,
    ) -> Comparison:
        """Evaluate the network once per activation (put in ``layers``, default: every
        hidden layer) and return the results side by side; other keyword arguments go to
        :meth:`evaluate`."""
        base = coerce_network(network)
        chosen = None if layers is None else list(layers)
        results = {
            activation_label(activation): self.evaluate(
                base.with_activation(activation, chosen), inputs, **evaluate_options
            )
            for activation in activations
        }
        if not results:
            raise ValueError("give at least one activation to compare")
        return Comparison(results)

    # ---- grading -------------------------------------------------------------------------------

    def compare(
        self,
        reference: Any,
        candidate: Any,
        *,
        inputs: Any = None,
        tolerance: Mapping[str, Any] | None = None,
        max_mismatches: int | None = None,
    ) -> grading.CompareResult:
        """Per-layer differences between two networks or sets of layer values on the same
        ``inputs`` (``POST /v1/compare``); each side is a network or a list of layer values."""
        body: dict[str, Any] = {
            "reference": grading.side_body(reference),
            "candidate": grading.side_body(candidate),
        }
        extra = {
            "inputs": _inputs_body(inputs, False),
            "tolerance": tolerance,
            "max_mismatches": max_mismatches,
        }
        body.update({k: v for k, v in extra.items() if v is not None})
        response = self._request("POST", "/v1/compare", json=body)
        return self._parse(response, grading.CompareResult.from_dict)

    def grade(
        self,
        reference: NetworkRef,
        submission: Any,
        test_cases: Sequence[Mapping[str, Any]],
        *,
        format: grading.Format = "native",
        tolerance: Mapping[str, Any] | None = None,
        scoring: Mapping[str, Any] | None = None,
        feedback: Mapping[str, Any] | None = None,
        suite: str | None = None,
    ) -> Any:
        """Grade a submission (node values per test case id, or a network) against the
        reference (``POST /v1/grade``). ``native`` returns a :class:`~nntrace.grading.GradeResult`;
        ``gradescope`` and ``prairielearn`` the exact results dict to write; ``junit`` the XML text."""
        if format not in grading.FORMATS:
            raise ValueError(f"format must be one of {', '.join(grading.FORMATS)}, got {format!r}")
        options = {"tolerance": tolerance, "scoring": scoring, "feedback": feedback, "suite": suite}
        body = grading.grade_body(reference, submission, test_cases, options)
        response = self._request("POST", "/v1/grade", json=body, params={"format": format})
        if format == "junit":
            return response.text
        if format == "native":
            return self._parse(response, grading.GradeResult.from_dict)
        return self._parse(response, dict)

    def grade_batch(
        self,
        reference: NetworkLike,
        submissions: Mapping[str, Any],
        test_cases: Sequence[Mapping[str, Any]],
        *,
        format: grading.Format = "native",
        tolerance: Mapping[str, Any] | None = None,
        scoring: Mapping[str, Any] | None = None,
        feedback: Mapping[str, Any] | None = None,
        suite: str | None = None,
    ) -> dict[str, Any]:
        """Grade a whole class in one request: ``submissions`` maps an id (a student) to a
        submission as :meth:`grade` takes it; the reference is evaluated once for all. Returns
        id -> what :meth:`grade` would have returned (JSON formats only, not ``junit``)."""
        if format not in grading.FORMATS or format == "junit":
            raise ValueError(f"format must be native, gradescope or prairielearn, got {format!r}")
        options = {"tolerance": tolerance, "scoring": scoring, "feedback": feedback, "suite": suite}
        body = grading.grade_body(reference, None, test_cases, options)
        del body["submission"]
        body["submissions"] = [
            {"id": key, "submission": grading.submission_body(value)}
            for key, value in submissions.items()
        ]
        response = self._request("POST", "/v1/grade", json=body, params={"format": format})
        parse: Callable[[Any], Any] = grading.GradeResult.from_dict if format == "native" else dict
        return self._parse(
            response, lambda data: {item["id"]: parse(item["result"]) for item in data["results"]}
        )

    # ---- stored networks -----------------------------------------------------------------------

    def push(
        self,
        network: NetworkLike,
        name: str,
        *,
        description: str = "",
        tags: Sequence[str] = (),
        visibility: Literal["private", "unlisted", "public"] = "private",
        hidden_weights: bool = False,
    ) -> StoredNetwork:
        """Store a network under the key's owner (``POST /v1/networks``, a ``write`` key)."""
        body = _stored_body(network, name, description, tags, visibility, hidden_weights)
        response = self._request("POST", "/v1/networks", json=body)
        return self._parse(response, StoredNetwork.from_dict)

    def pull(self, network_id: str, version: int | None = None) -> StoredNetwork:
        """A stored network (its current version, or ``version``)."""
        path = f"/v1/networks/{quote(network_id, safe='')}"
        if version is not None:
            path += f"/versions/{int(version)}"
        return self._parse(self._request("GET", path), StoredNetwork.from_dict)

    def update(
        self,
        current: StoredNetwork,
        network: NetworkLike,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Sequence[str] | None = None,
        visibility: Literal["private", "unlisted", "public"] | None = None,
        hidden_weights: bool | None = None,
    ) -> StoredNetwork:
        """A new version over ``current`` (sent as ``If-Match``): raises
        :class:`PreconditionFailedError` if someone else wrote first; pull and try again."""
        body = _stored_body(
            network,
            current.name if name is None else name,
            current.description if description is None else description,
            current.tags if tags is None else tags,
            current.visibility if visibility is None else visibility,
            current.hidden_weights if hidden_weights is None else hidden_weights,
        )
        response = self._request(
            "PUT",
            f"/v1/networks/{quote(current.id, safe='')}",
            json=body,
            headers={"If-Match": current.etag},
        )
        return self._parse(response, StoredNetwork.from_dict)

    def delete(self, current: StoredNetwork) -> None:
        """Delete a stored network (only if ``current`` is still its current version)."""
        self._request(
            "DELETE",
            f"/v1/networks/{quote(current.id, safe='')}",
            headers={"If-Match": current.etag},
        )

    def networks(
        self, *, owner: str | None = None, tag: str | None = None, page_size: int = 50
    ) -> Iterator[StoredNetwork]:
        """Every stored network this key may list (its owner's and public ones), following
        the cursor page after page."""
        params: dict[str, Any] = {"limit": page_size}
        params.update({k: v for k, v in (("owner", owner), ("tag", tag)) if v is not None})
        while True:
            page = self._parse(self._request("GET", "/v1/networks", params=params), dict)
            for item in page["items"]:
                yield StoredNetwork.from_dict(item)
            if not page.get("next_cursor"):
                return
            params["cursor"] = page["next_cursor"]

    # ---- keys (admin) ----------------------------------------------------------------------------

    def create_key(self, owner: str, scopes: Sequence[str], name: str = "") -> ApiKey:
        """A new API key (needs an admin key); its ``token`` is shown only now."""
        body = {"owner": owner, "scopes": list(scopes), "name": name}
        return self._parse(self._request("POST", "/v1/keys", json=body), ApiKey.from_dict)

    def keys(self, owner: str | None = None) -> list[ApiKey]:
        params = {"owner": owner} if owner is not None else None
        return self._parse(
            self._request("GET", "/v1/keys", params=params),
            lambda data: [ApiKey.from_dict(k) for k in data["items"]],
        )

    def revoke_key(self, key_id: str) -> ApiKey:
        """Revoke a key, at once."""
        response = self._request("DELETE", f"/v1/keys/{quote(key_id, safe='')}")
        return self._parse(response, ApiKey.from_dict)


# ---- helpers -------------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    """numpy values inside a network document, as JSON."""
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} into an explorer link")


def _network_part(network: Any, binary: bool) -> dict[str, Any]:
    """The request fields naming a network: inline, or stored (``network_id``)."""
    stored = stored_reference(network)
    if stored is not None:
        return stored
    return {"network": as_network_dict(network, binary=binary)}


def _stored_body(
    network: Any,
    name: str,
    description: str,
    tags: Sequence[str],
    visibility: str,
    hidden_weights: bool,
) -> dict[str, Any]:
    return {
        "network": as_network_dict(network, binary=False),
        "name": name,
        "description": description,
        "tags": list(tags),
        "visibility": visibility,
        "hidden_weights": hidden_weights,
    }


def _query_value(value: float | bool | None) -> str:
    """Query strings carry text: booleans as true/false, None as null."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else repr(float(value))


def _inputs_body(inputs: Any, binary: bool) -> Any:
    if binary and not isinstance(inputs, Mapping):
        return encode_binary(as_float_array(inputs, what="inputs"))
    if isinstance(inputs, np.ndarray):
        return inputs.tolist()
    return inputs


class _NoBar:
    """Stands in for a progress bar when none is wanted (or tqdm is not installed)."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, _n: int) -> None:
        return None


def _progress_bar(total: int, enabled: bool) -> Any:
    """A tqdm bar on stdout (stderr output fails some autograders), or a stand-in."""
    if not enabled:
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:
        return _NoBar()
    return tqdm(total=total, unit="sample", file=sys.stdout, leave=False)
