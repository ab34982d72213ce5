# nntrace service image.
#
#   docker build -t nntrace .
#   docker run -p 8000:8000 nntrace
#
# Two stages: the builder turns service/ and its dependencies into wheels; the runtime stage
# installs only those wheels into a virtual environment, so no compiler, build backend, source
# tree or pip cache reaches the final image. Needs BuildKit (Docker 23+ default) or buildah for
# the RUN --mount lines.
#
# BASE_IMAGE must provide `python3` with the venv module (the official python images do;
# Debian's python3 + python3-venv works too, which is how the container smoke test builds it).
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# A private venv: its pip is current and free of Debian's externally-managed guard.
RUN python3 -m venv /opt/build-venv
COPY service/ /src/service/
COPY client/ /src/client/
# The client wheel goes apart from the service's: the service serves it at /client/.
RUN --mount=type=cache,target=/root/.cache/pip \
    /opt/build-venv/bin/pip wheel --wheel-dir /wheels "/src/service[onnx,postgres]" \
    && /opt/build-venv/bin/pip wheel --no-deps --wheel-dir /client-wheels /src/client


FROM ${BASE_IMAGE} AS runtime
# Keep equal to nntrace_service.__version__ (tests/contract/test_version.py checks).
ARG VERSION=0.1.0
# The repository URL is an assumption until the project has a public home: pass --build-arg.
ARG SOURCE=https://github.com/nntrace/nntrace
LABEL org.opencontainers.image.title="nntrace" \
      org.opencontainers.image.description="Evaluate small neural networks over HTTP and see what every node computed." \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}"

# Workers, timeouts and the worker class (gevent: slow clients cost a greenlet, not a worker)
# are read by gunicorn.conf.py; override any of them with -e.
# Two workers by default: os.cpu_count() in a container sees the host's CPUs, not its quota.
# XDG_RUNTIME_DIR is where gunicorn (25.1+) puts its control socket; the default, $HOME, is the
# root-owned /app. Under --read-only the socket cannot be made: gunicorn logs it, serves anyway.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH="/opt/venv/bin:${PATH}" \
    NNTRACE_BIND=0.0.0.0:8000 \
    WEB_CONCURRENCY=2 \
    NNTRACE_THREADS=1 \
    NNTRACE_TIMEOUT=30 \
    NNTRACE_GRACEFUL_TIMEOUT=10 \
    NNTRACE_BLAS_THREADS=1 \
    XDG_RUNTIME_DIR=/run/nntrace \
    NNTRACE_CLIENT_WHEELS=/opt/nntrace/client \
    NNTRACE_DATA_DIR=/data

# The wheels are bind-mounted from the builder, never copied into a layer. pip and setuptools
# (seeded by Python 3.11's venv) are removed afterwards: nothing installs at run time.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links=/wheels "nntrace-service[onnx,postgres]" \
    && /opt/venv/bin/pip uninstall --yes --quiet setuptools pip \
    && groupadd --gid 10001 nntrace \
    && useradd --uid 10001 --gid nntrace --no-log-init --no-create-home --home-dir /app \
        --shell /usr/sbin/nologin nntrace \
    && install --directory --owner=nntrace --group=nntrace --mode=0700 /run/nntrace /data

# The embedded store (SQLite) lives here; mount a volume to keep it, or set
# NNTRACE_DATABASE_URL=postgresql+psycopg://... (psycopg is installed) to share one.
VOLUME /data
WORKDIR /app
COPY service/gunicorn.conf.py /app/gunicorn.conf.py
# The client wheel the service offers at /client/ (`pip install http://HOST/client/...whl`).
COPY --from=builder /client-wheels/ /opt/nntrace/client/

# Numeric so that orchestrators (runAsNonRoot) can check it without reading /etc/passwd.
USER 10001:10001
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; port = os.environ['NNTRACE_BIND'].rpartition(':')[2]; urllib.request.urlopen(f'http://127.0.0.1:{port}/readyz', timeout=4)"]

# Exec form: gunicorn is PID 1 and receives SIGTERM itself, then stops its workers gracefully.
CMD ["gunicorn", "--config", "/app/gunicorn.conf.py"]
