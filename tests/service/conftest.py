"""Fixtures of the HTTP tests: one ``call`` interface over two transports.

The malformed-request table must behave the same in process (Flask's test client) and
behind a real gunicorn on loopback, where the WSGI server, not werkzeug's test harness,
reads bodies and enforces the size limit. Both transports run with the small limits in
:data:`LIMITS`, so that every limit can be exceeded with a request of a few hundred bytes.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
import requests
from flask.testing import FlaskClient

from nntrace_service.app import create_app
from nntrace_service.settings import Settings
from tests.support import running_gunicorn

LIMITS: dict[str, Any] = {
    "max_body_bytes": 4096,
    "max_layers": 3,
    "max_units": 8,
    "max_parameters": 60,
    "max_batch": 4,
    "max_trace_terms": 30,
    "max_layer_values": 40,
    "max_expression_length": 40,
    "max_values": 50,
}
"""Small service limits shared by both transports of the malformed-request table."""

TRACEBACK_MARKERS = ("Traceback", 'File "')


@dataclass(frozen=True)
class Reply:
    """What a transport got back, in one shape for both transports."""

    status: int
    headers: Mapping[str, str]
    text: str

    @property
    def mimetype(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip()

    def json(self) -> Any:
        return jsonlib.loads(self.text)


class Call(Protocol):
    """Send one request: ``json`` is serialised, ``data`` is sent as is."""

    def __call__(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: str | bytes | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply: ...


def _encode(
    json: Any, data: str | bytes | None, content_type: str | None
) -> tuple[bytes | None, dict[str, str]]:
    """The bytes and headers both transports send, so that they see identical requests."""
    headers: dict[str, str] = {}
    if json is not None:
        data = jsonlib.dumps(json)
        content_type = content_type or "application/json"
    if content_type is not None:
        headers["Content-Type"] = content_type
    body = data.encode() if isinstance(data, str) else data
    return body, headers


def _checked(reply: Reply) -> Reply:
    """Every reply of every test passes through here: none may leak a stack trace."""
    for marker in TRACEBACK_MARKERS:
        assert marker not in reply.text, f"response contains {marker!r}: {reply.text[:500]}"
    return reply


Send = Callable[[str, str, bytes | None, dict[str, str]], Reply]
"""One transport: (method, path, body, headers) -> reply."""


def _call_over(send: Send) -> Call:
    """A :class:`Call` that encodes the request the same way for every transport and checks
    every reply for leaked stack traces."""

    def call(
        method: str,
        path: str,
        *,
        json: Any = None,
        data: str | bytes | None = None,
        content_type: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        body, sent = _encode(json, data, content_type)
        return _checked(send(method, path, body, {**sent, **(headers or {})}))

    return call


def flask_call(client: FlaskClient) -> Call:
    """A :class:`Call` over the Flask test client (no sockets)."""

    def send(method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Reply:
        response = client.open(path, method=method, data=body, headers=headers)
        with response:  # closes a streamed file (send_file) as a WSGI server would
            text = response.get_data().decode(errors="replace")  # as requests' .text would
            return Reply(response.status_code, dict(response.headers), text)

    return _call_over(send)


def http_call(base_url: str) -> Call:
    """A :class:`Call` over real HTTP to `base_url` (a gunicorn on 127.0.0.1)."""

    def send(method: str, path: str, body: bytes | None, headers: dict[str, str]) -> Reply:
        response = requests.request(
            method, base_url + path, data=body, headers=headers, timeout=30, allow_redirects=False
        )  # redirects are answers too, as with Flask's test client
        return Reply(response.status_code, dict(response.headers), response.text)

    return _call_over(send)


@pytest.fixture(params=["flask", pytest.param("gunicorn", marks=pytest.mark.live)])
def api(request: pytest.FixtureRequest, client: FlaskClient) -> Call:
    """Default settings over either transport, for happy paths."""
    if request.param == "flask":
        return flask_call(client)
    return http_call(request.getfixturevalue("live_server"))


@pytest.fixture(scope="session")
def limited_server() -> Iterator[str]:
    """A real gunicorn with :data:`LIMITS` set through ``NNTRACE_*`` variables."""
    env = {f"NNTRACE_{name.upper()}": str(value) for name, value in LIMITS.items()}
    with running_gunicorn(env) as base_url:
        yield base_url


@pytest.fixture(params=["flask", pytest.param("gunicorn", marks=pytest.mark.live)])
def call(request: pytest.FixtureRequest) -> Call:
    """The same request over either transport, both with :data:`LIMITS`."""
    if request.param == "flask":
        return flask_call(create_app(Settings(**LIMITS)).test_client())
    return http_call(request.getfixturevalue("limited_server"))
