"""Load and misbehaving clients for the topology test: wrk for steady idempotent traffic, a
prober for /healthz, and connections that trickle their headers a byte at a time."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

WRK_SCRIPT = """
paths = {%s}
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
"""


@dataclass
class WrkResult:
    """What wrk printed, parsed (the topology test and the HTTP benchmarks read it)."""

    requests: int
    non_2xx: int
    socket_errors: dict[str, int]
    """By kind: connect, read, write, timeout."""
    requests_per_second: float
    latency_ms: dict[int, float | None]
    """The 50th, 90th and 99th percentile (None unless wrk ran with ``--latency``)."""
    output: str


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}
SOCKET_ERRORS = ("connect", "read", "write", "timeout")


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    assert found, f"not a wrk duration: {text!r}"
    return float(found.group(1)) * _UNITS[found.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """wrk's summary; a run that did not finish (no request count or rate) fails here."""
    total = re.search(r"(\d+) requests in", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert total and rate, output
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    latency: dict[int, float | None] = {}
    for percent in (50, 90, 99):
        found = re.search(rf"^\s+{percent}%\s+(\S+)", output, re.MULTILINE)
        latency[percent] = _ms(found.group(1)) if found else None
    counts = map(int, errors.groups()) if errors else [0] * len(SOCKET_ERRORS)
    return WrkResult(
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=dict(zip(SOCKET_ERRORS, counts, strict=True)),
        requests_per_second=float(rate.group(1)),
        latency_ms=latency,
        output=output,
    )


def wrk_binary() -> str:
    found = shutil.which("wrk")
    assert found, "wrk is not installed: apt-get install wrk"
    return found


def run_wrk(
    base_url: str, paths: list[str], *, seconds: int, connections: int, directory: Path
) -> subprocess.Popen[str]:
    """Start wrk cycling over ``paths``; read the result with :func:`wrk_result`."""
    script = directory / "paths.lua"
    script.write_text(WRK_SCRIPT % ", ".join(f'"{path}"' for path in paths))
    command = [
        wrk_binary(), "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
        "-s", str(script), base_url,
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wrk_result(process: subprocess.Popen[str], timeout: float) -> WrkResult:
    output, _ = process.communicate(timeout=timeout)
    return parse_wrk(output)


class Background:
    """A loop (``_run``, which watches ``_stop``) on a daemon thread from start() to stop()."""

    join_seconds = 10.0
    _stop: threading.Event
    _thread: threading.Thread

    def start(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self.join_seconds)

    def _run(self) -> None:
        raise NotImplementedError


@dataclass
class Prober(Background):
    """GET ``url`` every ``interval`` seconds with a short timeout until stopped."""

    url: str
    interval: float = 0.05
    timeout: float = 2.0
    ok: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def success_ratio(self) -> float:
        return self.ok / max(1, self.ok + self.failed)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=self.timeout) as answer:
                    answer.read()
                    self.ok += answer.status == 200
                    self.failed += answer.status != 200
            except (OSError, urllib.error.HTTPError) as error:
                self.failed += 1
                self.failures.append(f"{time.strftime('%H:%M:%S')} {error}")
            self._stop.wait(self.interval)


@dataclass
class Tricklers:
    """``count`` connections that each send a request's headers one byte every ``pause``
    seconds, reopening when the server gives up on them; never a complete request."""

    host: str
    port: int
    count: int
    pause: float = 0.5
    opened: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        for _ in range(self.count):
            thread = threading.Thread(target=self._run, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def _run(self) -> None:
        request = b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n"
        while not self._stop.is_set():
            try:
                with socket.create_connection((self.host, self.port), timeout=5) as sock:
                    self.opened += 1
                    for byte in request:
                        if self._stop.is_set():
                            return
                        sock.sendall(bytes([byte]))
                        self._stop.wait(self.pause)
            except OSError:
                self._stop.wait(self.pause)
