"""gunicorn settings for nntrace: ``gunicorn --config service/gunicorn.conf.py``.

Every value can be changed from the environment, so the same file serves ``make serve``,
the container and the benchmarks.
"""

import os

wsgi_app = "nntrace_service.app:create_app()"
bind = os.environ.get("NNTRACE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 1))
threads = int(os.environ.get("NNTRACE_THREADS", "1"))
timeout = int(os.environ.get("NNTRACE_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("NNTRACE_GRACEFUL_TIMEOUT", "10"))
keepalive = int(os.environ.get("NNTRACE_KEEPALIVE", "5"))
accesslog = os.environ.get("NNTRACE_ACCESS_LOG", "-") or None
# One line per request with its duration and the id that problem documents carry.
access_log_format = '%(h)s "%(r)s" %(s)s %(B)sB %(M)sms request_id=%({x-request-id}o)s'
errorlog = "-"
loglevel = os.environ.get("NNTRACE_LOG_LEVEL", "info")
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# numpy is CPU-bound: one BLAS thread per worker keeps workers × threads within the cores.
# Set here, in the arbiter, before any worker imports numpy; explicit settings win.
_blas_threads = os.environ.get("NNTRACE_BLAS_THREADS", "1")
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, _blas_threads)
