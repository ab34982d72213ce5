"""Two transports for hostile requests, with the default settings: Flask's test client, and
raw bytes on a socket to a real gunicorn (2 workers, as ``make serve`` and the image run it)
whose log is watched for killed or replaced workers.

Raw sockets, because the attacks need what an HTTP library will not send: a Content-Length
that lies, a malformed request line, a body that stops half-way.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import socket
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest
from flask.testing import FlaskClient

from nntrace_service.app import create_app
from nntrace_service.settings import Settings
from tests.support import free_port, gunicorn_process, seed_network

CLIENT_TIMEOUT = 2.0
"""NNTRACE_CLIENT_TIMEOUT of the test server: how long a stalled body may wait (10 s by
default, shortened so that the stalled-body attack takes two seconds, not ten)."""

WORKERS = 2


@dataclass(frozen=True)
class Outcome:
    """What came back, the same for both transports."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    seconds: float

    @property
    def media_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip()


class Transport(Protocol):
    name: str

    def send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        declared_length: str | None = None,
        stall: bool = False,
    ) -> Outcome:
        """Send one request. ``declared_length`` replaces the Content-Length header (a lie
        or a malformed value); ``stall`` stops sending after ``body`` and waits."""
        ...


class _StallingStream(io.RawIOBase):
    """A request body that gives its bytes, then times out as a stalled socket does."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        if not chunk:
            raise TimeoutError("timed out")
        buffer[: len(chunk)] = chunk
        return len(chunk)


@dataclass
class FlaskTransport:
    client: FlaskClient
    name: str = "flask"

    def send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        declared_length: str | None = None,
        stall: bool = False,
    ) -> Outcome:
        overrides = {}
        if declared_length is not None:
            overrides["CONTENT_LENGTH"] = declared_length
        started = time.monotonic()
        if stall:
            overrides["wsgi.input"] = _StallingStream(body or b"")  # type: ignore[assignment]
            response = self.client.open(
                path, method=method, headers=dict(headers or {}), environ_overrides=overrides
            )
        else:
            response = self.client.open(
                path,
                method=method,
                data=body,
                headers=dict(headers or {}),
                environ_overrides=overrides,
            )
        data = response.get_data()
        return Outcome(
            response.status_code, dict(response.headers), data, time.monotonic() - started
        )


@dataclass
class GunicornServer:
    """A running gunicorn and its log."""

    base_url: str
    log: Path

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    def worker_trouble(self) -> list[str]:
        """Log lines that mean a worker was killed, replaced or crashed."""
        text = self.log.read_text(errors="replace")
        bad = [
            line
            for line in text.splitlines()
            if any(m in line for m in ("WORKER TIMEOUT", "SIGKILL", "[ERROR]", "[CRITICAL]"))
        ]
        if text.count("Booting worker") > WORKERS:
            bad.append(f"{text.count('Booting worker')} workers booted for {WORKERS}")
        return bad

    def healthy(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                outcome = exchange(sock, b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 5)
        except OSError:
            return False
        return outcome.status == 200


def exchange(sock: socket.socket, request: bytes, timeout: float) -> Outcome:
    started = time.monotonic()
    sock.settimeout(timeout)
    sock.sendall(request)
    response = http.client.HTTPResponse(sock)
    response.begin()
    body = response.read()
    return Outcome(response.status, dict(response.getheaders()), body, time.monotonic() - started)


@dataclass
class SocketTransport:
    server: GunicornServer
    name: str = "gunicorn"

    def send(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        declared_length: str | None = None,
        stall: bool = False,
    ) -> Outcome:
        lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        length = declared_length
        if length is None and (body is not None or stall):
            length = str(len(body or b"") + (1000 if stall else 0))
        if length is not None:
            lines.append(f"Content-Length: {length}")
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as sock:
            return exchange(sock, request, 60)


@pytest.fixture(scope="session")
def model_repository(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A read-only OIP model repository holding ``seed`` (version 1), Triton's layout."""
    root = tmp_path_factory.mktemp("models")
    (root / "seed" / "1").mkdir(parents=True)
    (root / "seed" / "1" / "network.json").write_text(json.dumps(seed_network()))
    return root


@pytest.fixture(scope="session")
def attack_server(
    tmp_path_factory: pytest.TempPathFactory, model_repository: Path
) -> Iterator[GunicornServer]:
    """gunicorn with the default limits, 2 workers, access log on, and a short
    NNTRACE_CLIENT_TIMEOUT (see :data:`CLIENT_TIMEOUT`)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NNTRACE_")}
    environment.update(
        WEB_CONCURRENCY=str(WORKERS),
        NNTRACE_ACCESS_LOG="-",
        NNTRACE_CLIENT_TIMEOUT=str(CLIENT_TIMEOUT),
        NNTRACE_DATA_DIR=str(tmp_path_factory.mktemp("attack-store")),
        NNTRACE_MODEL_REPOSITORY=str(model_repository),
    )
    log = tmp_path_factory.mktemp("gunicorn") / f"attacks-{free_port()}.log"
    with gunicorn_process(environment, log, timeout=60) as (base_url, _):
        yield GunicornServer(base_url, log)


def make_transport(name: str, request: pytest.FixtureRequest) -> Transport:
    """The default-settings service over the transport called ``name``."""
    if name == "flask":
        repository = request.getfixturevalue("model_repository")
        return FlaskTransport(create_app(Settings(model_repository=repository)).test_client())
    return SocketTransport(request.getfixturevalue("attack_server"))


@pytest.fixture(params=["flask", "gunicorn"])
def transport(request: pytest.FixtureRequest) -> Transport:
    """The default-settings service over either transport."""
    return make_transport(request.param, request)
