"""Slow clients against a running service, and health probes while they last.

Standard library only: the container smoke test runs it with the system's python3.

    python3 tests/hardening/slow_clients.py http://127.0.0.1:8000 --connections 64 --seconds 20

Each attacking connection does one of the things a slowloris does (round robin): trickles
its request headers one byte at a time, trickles a declared body, declares a body and stalls
after a few bytes, or connects and sends nothing. A connection the server closes is opened
again, so the pressure lasts. Meanwhile ``/healthz`` is probed on fresh connections; the
verdict is the share of probes answered 200 within the probe timeout. Bounded: loopback
only, a fixed number of connections, a fixed duration, and it stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import selectors
import socket
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from urllib.parse import urlsplit

KINDS = ("headers", "body", "stall", "idle")


@dataclass
class Report:
    """What happened during one attack."""

    connections: int
    seconds: float
    probes: int = 0
    answered: int = 0
    latencies: list[float] = field(default_factory=list)
    reopened: int = 0
    bytes_trickled: int = 0

    @property
    def success(self) -> float:
        return self.answered / self.probes if self.probes else 0.0

    def summary(self) -> dict[str, object]:
        ordered = sorted(self.latencies) or [float("nan")]
        data = asdict(self)
        del data["latencies"]
        data.update(
            success=round(self.success, 4),
            probe_p50_ms=round(1000 * ordered[len(ordered) // 2], 1),
            probe_max_ms=round(1000 * ordered[-1], 1),
        )
        return data


def _opening(kind: str, host: str) -> bytes:
    """The bytes a connection of ``kind`` sends at once, before trickling."""
    if kind == "headers":
        return f"POST /v1/evaluate HTTP/1.1\r\nHost: {host}\r\n".encode()
    if kind in ("body", "stall"):
        return (
            f"POST /v1/evaluate HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            'Content-Length: 100000\r\n\r\n{"in'
        ).encode()
    return b""


def _trickle_byte(kind: str) -> bytes | None:
    """The next byte a connection of ``kind`` sends, or None if it only waits."""
    return {"headers": b"X", "body": b" "}.get(kind)


class _Attacker:
    """Keeps ``connections`` slow connections open, all in one thread with a selector."""

    def __init__(self, host: str, port: int, connections: int, gap: float, report: Report):
        self.address = (host, port)
        self.gap = gap
        self.report = report
        self.kinds = [KINDS[i % len(KINDS)] for i in range(connections)]
        self.socks: list[socket.socket | None] = [None] * connections
        self.selector = selectors.DefaultSelector()

    def _open(self, index: int) -> None:
        try:
            sock = socket.create_connection(self.address, timeout=2)
            sock.sendall(_opening(self.kinds[index], self.address[0]))
            sock.setblocking(False)
        except OSError:
            self.socks[index] = None
            return
        self.socks[index] = sock
        self.selector.register(sock, selectors.EVENT_READ, index)

    def _close(self, index: int) -> None:
        sock = self.socks[index]
        if sock is not None:
            self.selector.unregister(sock)
            sock.close()
            self.socks[index] = None

    def run(self, until: float) -> None:
        for index in range(len(self.socks)):
            self._open(index)
        next_round = time.monotonic()
        while time.monotonic() < until:
            timeout = max(0.0, min(next_round, until) - time.monotonic())
            for key, _ in self.selector.select(timeout):
                # The server answered or closed: read it, and start that slow client anew.
                index = key.data
                try:
                    self.socks[index].recv(65536)
                except OSError:
                    pass
                self._close(index)
                self.report.reopened += 1
                self._open(index)
            if time.monotonic() >= next_round:
                next_round += self.gap
                for index, sock in enumerate(self.socks):
                    if sock is None:
                        self._open(index)
                        continue
                    byte = _trickle_byte(self.kinds[index])
                    if byte is None:
                        continue
                    try:
                        sock.send(byte)
                        self.report.bytes_trickled += 1
                    except OSError:
                        self._close(index)
        for index in range(len(self.socks)):
            self._close(index)
        self.selector.close()


def _probe(host: str, port: int, timeout: float) -> float | None:
    """Seconds ``GET /healthz`` took on a fresh connection, or None if it failed."""
    started = time.monotonic()
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        response.read()
        ok = response.status == 200
    except OSError:
        ok = False
    finally:
        connection.close()
    elapsed = time.monotonic() - started
    return elapsed if ok and elapsed <= timeout else None


def attack(
    base_url: str,
    *,
    connections: int = 64,
    seconds: float = 20.0,
    gap: float = 0.5,
    probe_interval: float = 0.25,
    probe_timeout: float = 2.0,
) -> Report:
    """Run the slow clients against ``base_url`` (loopback only) for ``seconds`` while
    probing ``/healthz``; return the report."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "", parts.port or 80
    if not host.startswith("127.") and host not in ("localhost", "::1"):
        raise ValueError(f"slow clients are for loopback only, not {host}")
    report = Report(connections=connections, seconds=seconds)
    until = time.monotonic() + seconds
    attacker = _Attacker(host, port, connections, gap, report)
    thread = threading.Thread(target=attacker.run, args=(until,), daemon=True)
    thread.start()
    time.sleep(min(2.0, seconds / 4))  # let every slow connection be in place first
    while time.monotonic() < until - probe_timeout:
        began = time.monotonic()
        elapsed = _probe(host, port, probe_timeout)
        report.probes += 1
        if elapsed is not None:
            report.answered += 1
            report.latencies.append(elapsed)
        time.sleep(max(0.0, probe_interval - (time.monotonic() - began)))
    thread.join(timeout=seconds + 10)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--min-success", type=float, default=0.95)
    args = parser.parse_args(argv)
    report = attack(args.url, connections=args.connections, seconds=args.seconds)
    sys.stdout.write(json.dumps(report.summary()) + "\n")
    return 0 if report.success >= args.min_success else 1


if __name__ == "__main__":
    sys.exit(main())
