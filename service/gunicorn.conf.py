"""gunicorn settings for nntrace: ``gunicorn --config service/gunicorn.conf.py``.

Every value can be changed from the environment, so the same file serves ``make serve``,
the container and the benchmarks.

Slow clients: gunicorn's default (sync) worker is busy for as long as a client takes to send
its request, so eight connections trickling their headers kept ``/healthz`` from answering;
gthread only moves the problem to its thread pool (a thread blocks once the first byte
arrives). gunicorn's docs name the two answers: a buffering proxy, or an asynchronous worker
for serving "directly to the internet". Here it is the gevent worker, so ``make serve`` and
``docker run`` are safe without a proxy: a waiting connection costs a greenlet, not a worker;
the request head must arrive within ``keepalive`` seconds (gevent's worker wraps every header
read, also the first, in that timeout); after the head, each socket read or write may wait at
most ``NNTRACE_CLIENT_TIMEOUT`` seconds (``pre_request`` below). numpy work is CPU-bound, so
one request still computes at a time per worker: ``WEB_CONCURRENCY`` sets the parallelism.
Behind nginx (see the README) the proxy buffers instead, and any worker class works.
"""

import json
import os
import secrets
import socket

import gunicorn.http.wsgi
import gunicorn.util

from nntrace_service.observability import gunicorn_hooks, logs

wsgi_app = "nntrace_service.app:create_app()"
bind = os.environ.get("NNTRACE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
worker_class = os.environ.get("NNTRACE_WORKER_CLASS", "gevent")
# Connections one gevent worker holds at once (slow ones included); beyond, the kernel queues.
worker_connections = int(os.environ.get("NNTRACE_WORKER_CONNECTIONS", "1000"))
threads = int(os.environ.get("NNTRACE_THREADS", "1"))  # gthread only
timeout = int(os.environ.get("NNTRACE_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("NNTRACE_GRACEFUL_TIMEOUT", "10"))
# Idle seconds of a kept-alive connection, and (gevent) the time a request head may take.
keepalive = max(1, int(os.environ.get("NNTRACE_KEEPALIVE", "5")))
client_timeout = float(os.environ.get("NNTRACE_CLIENT_TIMEOUT", "10"))
# Request line and header sizes: gunicorn's defaults, stated so that the README can cite them.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
loglevel = os.environ.get("NNTRACE_LOG_LEVEL", "info")
# Text (the default) or JSON lines; gunicorn's own logs follow the same format, and every
# line logged while a request is handled carries its request id.
_log_format = logs.log_format()
logconfig_dict = logs.dict_config(_log_format, loglevel)
# In text mode gunicorn writes the request log: one line per request with its duration and
# the id that problem documents carry. In JSON mode the service writes it (route, sizes, key
# id), so gunicorn's stays off unless NNTRACE_ACCESS_LOG asks for it.
accesslog = os.environ.get("NNTRACE_ACCESS_LOG", "-" if _log_format == "text" else "") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(B)sB %(M)sms request_id=%({x-request-id}o)s'
errorlog = "-"
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# gunicorn 24+ opens a control socket at ~/.gunicorn/gunicorn.ctl: one shared path for every
# gunicorn of a user (replicas on one host, parallel tests), a write to a home directory that a
# read-only container root may not allow, and a runtime management interface nntrace never uses.
control_socket_disable = True

# numpy is CPU-bound: one BLAS thread per worker keeps workers × threads within the cores.
# Set here, in the arbiter, before any worker imports numpy; explicit settings win.
_blas_threads = os.environ.get("NNTRACE_BLAS_THREADS", "1")
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, _blas_threads)

# Prometheus metrics across workers (prometheus_client's multiprocess mode): the directory is
# made fresh here in the arbiter, before any worker imports prometheus_client.
# NNTRACE_METRICS=off turns metrics off; NNTRACE_METRICS_BIND=host:port serves them from the
# arbiter on a port of their own instead of /metrics on the service's port.
gunicorn_hooks.prepare_metrics_directory()
when_ready = gunicorn_hooks.when_ready
child_exit = gunicorn_hooks.child_exit


def pre_request(worker, req):  # noqa: ARG001 (gunicorn's hook signature)
    """Bound each later socket read and write of this request (its body, the response to a
    client that does not read): a client that stalls for ``client_timeout`` seconds gets a
    timeout error in the application (answered 408) instead of holding its connection."""
    sock = getattr(req.unreader, "sock", None)
    if isinstance(sock, socket.socket):
        sock.settimeout(client_timeout)


def _problem_error(sock, status_int, reason, mesg):
    """gunicorn's own error answers (a malformed request line, a 414 or 431, a worker that
    hit ``timeout``) as RFC 9457 problem+json with the security headers, instead of its HTML
    page. gunicorn has no setting for this; it calls ``gunicorn.util.write_error``, which is
    replaced below. Its message can quote the request line: only a short prefix is kept."""
    slug = {400: "bad-request", 500: "internal-error"}.get(status_int)
    base = os.environ.get("NNTRACE_PROBLEM_BASE_URI", "/problems/")
    rid = secrets.token_hex(16)
    detail = mesg if len(mesg) <= 120 else mesg[:120] + "…"
    body = json.dumps(
        {
            "type": base + slug if slug else "about:blank",
            "title": reason,
            "status": status_int,
            "detail": detail or reason,
            "instance": "",
            "request_id": rid,
        }
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/problem+json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Request-ID: {rid}\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "X-Frame-Options: DENY\r\n"
        "Referrer-Policy: no-referrer\r\n"
        "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n"
        "\r\n"
    )
    gunicorn.util.write_nonblock(sock, head.encode("latin-1") + body)


gunicorn.util.write_error = _problem_error


ONE_WRITE_MAX_BYTES = 1 << 20
"""Responses whose first body chunk is at most this size leave in one write with their head."""


class _Recorder:
    """A stand-in socket that keeps what is sent to it."""

    def __init__(self):
        self.data = bytearray()

    def sendall(self, data):
        self.data += data


_write_in_parts = gunicorn.http.wsgi.Response.write


def _write_with_head(self, arg):
    """The head and the first body chunk of a response in one write, not two.

    gunicorn writes the status line and headers, then the body. A worker that dies between
    the two (``kill -9``, the OOM killer, a node lost) leaves a proxy holding a response head
    it has already passed on to the client, so it cannot retry the request elsewhere and the
    client sees a cut connection. In one write, the kernel has either none of the response
    (the proxy retries on another replica) or all of it (delivered even after the process is
    gone). The first chunk is the whole body of every JSON response of the service; larger
    chunks keep the two writes rather than copy megabytes."""
    if self.headers_sent or not isinstance(arg, bytes) or len(arg) > ONE_WRITE_MAX_BYTES:
        return _write_in_parts(self, arg)
    sock, recorder = self.sock, _Recorder()
    self.sock = recorder
    try:
        _write_in_parts(self, arg)
    finally:
        self.sock = sock
    sock.sendall(bytes(recorder.data))
    return None


gunicorn.http.wsgi.Response.write = _write_with_head
