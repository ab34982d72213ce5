"""What operators see of a running service: Prometheus metrics and structured logs.

No Flask here: the WSGI middleware in ``middleware`` wraps any WSGI app, ``metrics`` holds the
metric objects (correct across gunicorn workers through prometheus_client's multiprocess
mode) and ``logs`` the logging setup shared by gunicorn and the app. Imports: the standard
library, prometheus_client and python-json-logger, nothing else of the package but its version.
"""
