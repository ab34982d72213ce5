"""gunicorn settings for nntrace: ``gunicorn --config service/gunicorn.conf.py``.

Every value can be changed from the environment, so the same file serves ``make serve``,
the container and the benchmarks.
"""

import os

from nntrace_service.observability import gunicorn_hooks, logs

wsgi_app = "nntrace_service.app:create_app()"
bind = os.environ.get("NNTRACE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
threads = int(os.environ.get("NNTRACE_THREADS", "1"))
timeout = int(os.environ.get("NNTRACE_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("NNTRACE_GRACEFUL_TIMEOUT", "10"))
keepalive = int(os.environ.get("NNTRACE_KEEPALIVE", "5"))
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
