"""Small local servers for what a healthy nntrace service never does: answer 503 a few
times, send a proxy's HTML page, redirect elsewhere, answer slowly or byte by byte, announce
a huge body, or accept a connection and never answer."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DROP = 0
"""A reply status meaning: close the connection without answering."""


@dataclass(frozen=True)
class Reply:
    """One scripted HTTP answer."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (past the client's read timeout, say)."""
    trickle: float = 0.0
    """Seconds between single bytes of the whole answer (status line, headers, body)."""
    length: int | None = None
    """The Content-Length to announce; None: the body's; -1: none (the body ends when the
    connection closes)."""

    @classmethod
    def json(cls, status: int, document: Any, content_type: str = "application/json") -> Reply:
        return cls(status, json.dumps(document).encode(), content_type)

    @classmethod
    def problem(cls, status: int, slug: str, detail: str = "scripted") -> Reply:
        document = {
            "type": f"/problems/{slug}",
            "title": slug.replace("-", " ").capitalize(),
            "status": status,
            "detail": detail,
            "instance": "/",
            "request_id": "scripted-1",
        }
        return cls.json(status, document, "application/problem+json")


@dataclass
class Seen:
    """What the scripted server received."""

    method: str
    path: str
    body: bytes


class ScriptedServer:
    """Answers requests with the scripted replies in order (the last one repeats) and
    records every request, so tests can count retries."""

    def __init__(self, replies: Sequence[Reply]) -> None:
        self.replies = list(replies)
        self.seen: list[Seen] = []
        self._lock = threading.Lock()

    def next_reply(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            index = min(len(self.seen), len(self.replies)) - 1
            return self.replies[index]


@contextmanager
def scripted_server(replies: Sequence[Reply]) -> Iterator[tuple[str, ScriptedServer]]:
    """Run a :class:`ScriptedServer` on a free loopback port; yield its URL and itself."""
    script = ScriptedServer(replies)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen = Seen(self.command, self.path, self.rfile.read(length))
            reply = script.next_reply(seen)
            if reply.status == DROP:
                self.close_connection = True
                return
            time.sleep(reply.delay)
            pieces = [bytes([b]) for b in _wire(reply)] if reply.trickle else [_wire(reply)]
            try:
                for piece in pieces:
                    self.wfile.write(piece)
                    self.wfile.flush()
                    time.sleep(reply.trickle)
            except OSError:  # the client gave up: that is what these tests want
                self.close_connection = True
            if reply.length == -1:
                self.close_connection = True

        do_GET = _answer
        do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet: the default handler logs every request to stderr."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _wire(reply: Reply) -> bytes:
    """The whole answer as bytes, written by hand so that it can be trickled."""
    reason = {
        200: "OK",
        301: "Moved Permanently",
        302: "Found",
        307: "Temporary Redirect",
        308: "Permanent Redirect",
        429: "Too Many Requests",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
    head = [f"HTTP/1.1 {reply.status} {reason.get(reply.status, 'Status')}",
            f"Content-Type: {reply.content_type}"]  # fmt: skip
    length = len(reply.body) if reply.length is None else reply.length
    head.append("Connection: close" if length == -1 else f"Content-Length: {length}")
    head += [f"{name}: {value}" for name, value in reply.headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + reply.body


@contextmanager
def silent_server() -> Iterator[str]:
    """A port where the kernel completes the TCP handshake (the socket listens) but nothing
    ever reads or answers: every request waits until the client's read timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
