#!/usr/bin/env bash
# Container smoke test: build the image from the Dockerfile, run it, and check it from outside
# the way a user would, with curl.
#
#   make container-test                                  (BASE_IMAGE=python:3.11-slim)
#   make container-test BASE_IMAGE=localhost/python-base:bookworm     (no registry needed)
#   BASE_IMAGE=... bash tests/container/smoke.sh         (the same)
#
# The engine is Docker when `docker` is installed and its daemon answers, else podman
# (NNTRACE_CONTAINER_ENGINE picks one). The README's commands, `docker build -t nntrace .` and `docker run -p 8000:8000
# nntrace`, run here with the base image as a build argument. With podman, the flags that
# rootful podman on a bare VM needs are added (see ../shared/container/make-base-image):
# chroot isolation, the docker format (which keeps the HEALTHCHECK), the host's CA bundle for
# pip, the runc runtime when installed, host networking and explicit ulimits; with host
# networking there is no -p, NNTRACE_BIND picks the port instead (8000 when free).
#
# Base image: used when present, pulled when missing. With no registry reachable the script
# says, in one line, how to point BASE_IMAGE at a local image. A missing BASE_IMAGE named
# localhost/python-base:* is built on the spot by make-base-image (a Debian bookworm image with
# python3 and python3-venv) when NNTRACE_SHARED_DIR (default: ../shared beside the repository)
# has it, which is how CI runs it.
#
# Steps: tools and base image, build, run, wait for /readyz, the image's own HEALTHCHECK,
# evaluate the README's example network (the body of its node-by-node curl example) and check
# the numbers against an independent computation, the client wheel the image serves,
# problem+json for bad requests, non-root processes, no errors in gunicorn's log, SIGTERM ->
# exit code 0. The container is always removed. The last line is the verdict:
# "container smoke: PASS ...".
#
# Environment: BASE_IMAGE (python:3.11-slim), NNTRACE_CONTAINER_ENGINE (docker, else podman),
# NNTRACE_SHARED_DIR, NNTRACE_READY_TIMEOUT (s, 60).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || (cd "$HERE/../.." && pwd))"
SHARED="${NNTRACE_SHARED_DIR:-$ROOT/../shared}"
BASE_IMAGE="${BASE_IMAGE:-python:3.11-slim}"
READY_TIMEOUT="${NNTRACE_READY_TIMEOUT:-60}"
STOP_TIMEOUT=10 # seconds the engine waits after SIGTERM before it sends SIGKILL (exit code 137)
IMAGE=nntrace
NAME="nntrace-smoke-$$"

if [[ -n "${NNTRACE_CONTAINER_ENGINE:-}" ]]; then
    ENGINE="$NNTRACE_CONTAINER_ENGINE"
elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    ENGINE=docker # installed and its daemon answers (a docker CLI alone is not enough)
else
    ENGINE=podman
fi
BUILD_FLAGS=()
RUN_FLAGS=(--ulimit nofile=1024:1024 --ulimit nproc=1000:1000)
ENGINE_FLAGS=()
if [[ "$ENGINE" == podman ]]; then
    # --no-cache: buildah (podman 4.x) reuses the cached layer of a `RUN --mount=type=bind,from=<stage>`
    # even when that stage changed (containers/buildah#6609), so the runtime stage kept installing
    # the wheels of an earlier build: the image ran old code under the new gunicorn.conf.py.
    BUILD_FLAGS+=(--isolation chroot --format docker --pull=never --no-cache)
    [[ -f /etc/ssl/certs/ca-certificates.crt ]] && BUILD_FLAGS+=(
        -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
    RUN_FLAGS+=(--network host)
    if command -v runc >/dev/null 2>&1; then ENGINE_FLAGS+=(--runtime runc); fi
fi


WORK="$(mktemp -d)"
STEP="setup"
SUMMARY=()
STARTED=$(date +%s.%N)

log() { printf '[smoke] %s\n' "$*"; }
fail() {
    log "FAIL in step '$STEP': $*"
    exit 1
}
now() { date +%s.%N; }
since() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$(now)"; }

# The container engine. podman without a systemd socket logs an error for every healthcheck
# timer it cannot create; the healthcheck itself is run explicitly below, so that known line
# is dropped.
ce() {
    { "$ENGINE" "${ENGINE_FLAGS[@]}" "$@" 2>&1 1>&3 3>&- \
        | { grep -v 'unable to get systemd connection' || true; } >&2; } 3>&1
}

finish() {
    local status=$?
    trap - EXIT
    if [[ $status -ne 0 && $status -ne $NO_BASE ]] && ce inspect "$NAME" >/dev/null 2>&1; then
        log "container log (last 40 lines):"
        ce logs --tail 40 "$NAME" 2>&1 | sed 's/^/    /' || true
    fi
    ce rm -f "$NAME" >/dev/null 2>&1 || true
    rm -rf "$WORK"
    local total
    total=$(since "$STARTED")
    if [[ $status -eq $NO_BASE ]]; then
        exit 1 # the one line has been said
    elif [[ $status -eq 0 ]]; then
        echo "container smoke: PASS in ${total} s ($(printf '%s, ' "${SUMMARY[@]}" | sed 's/, $//'))"
    else
        echo "container smoke: FAIL in step '$STEP' after ${total} s"
    fi
    exit "$status"
}
trap finish EXIT
NO_BASE=90 # exit status of ensure_tools when the base image cannot be had

ensure_tools() {
    STEP="tools and base image"
    local make_base="$SHARED/container/make-base-image"
    for tool in "$ENGINE" curl python3; do
        command -v "$tool" >/dev/null || fail "$tool is not installed"
    done
    # An image already here is used as it is (a plain clone has no shared/ beside it); a
    # missing localhost/python-base:* is built when make-base-image is at hand (CI), any other
    # missing image is pulled.
    if "$ENGINE" image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
        return 0
    elif [[ "$BASE_IMAGE" == localhost/python-base:* && -x "$make_base" ]]; then
        "$make_base" "$BASE_IMAGE"
    elif ! "$ENGINE" pull "$BASE_IMAGE" >"$WORK/pull.log" 2>&1; then
        echo "container smoke: cannot pull $BASE_IMAGE (no registry reachable?); use a local" \
            "image with python3 and python3-venv: make container-test BASE_IMAGE=<image>" \
            "(e.g. localhost/python-base:bookworm from shared/container/make-base-image)"
        exit "$NO_BASE"
    fi
}

build_image() {
    STEP="build"
    local t0 seconds size
    t0=$(now)
    log "$ENGINE build ... --build-arg BASE_IMAGE=$BASE_IMAGE -t $IMAGE ."
    # The rest of the script uses the id of the image built here, not the tag, which another
    # build on the same machine may have moved meanwhile.
    (cd "$ROOT" && ce build "${BUILD_FLAGS[@]}" --iidfile "$WORK/image-id" \
        --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$IMAGE" .) \
        >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; fail "$ENGINE build failed"; }
    IMAGE_ID=$(<"$WORK/image-id")
    seconds=$(since "$t0")
    size=$(($(ce image inspect "$IMAGE_ID" --format '{{.Size}}') / 1000000))

    SUMMARY+=("build $seconds s" "image $size MB")
    log "built $IMAGE: $size MB in $seconds s"
}

pick_port() {
    python3 - <<'PY'
import socket
with socket.socket() as sock:
    try:
        sock.bind(("0.0.0.0", 8000))
    except OSError:
        sock.bind(("0.0.0.0", 0))
    print(sock.getsockname()[1])
PY
}

start_container() {
    STEP="run"
    PORT=$(pick_port)
    BASE_URL="http://127.0.0.1:$PORT"
    if [[ "$ENGINE" == podman ]]; then
        log "podman run -d ... -e NNTRACE_BIND=0.0.0.0:$PORT $IMAGE"
        ce run -d --name "$NAME" "${RUN_FLAGS[@]}" -e NNTRACE_BIND="0.0.0.0:$PORT" "$IMAGE_ID" >/dev/null
    else
        log "$ENGINE run -d ... -p 127.0.0.1:$PORT:8000 $IMAGE"
        ce run -d --name "$NAME" "${RUN_FLAGS[@]}" -p "127.0.0.1:$PORT:8000" "$IMAGE_ID" >/dev/null
    fi
}

wait_until_ready() {
    STEP="wait for /readyz"
    local t0 seconds
    t0=$(now)
    until curl -fsS --max-time 2 "$BASE_URL/readyz" >"$WORK/ready.json" 2>/dev/null; do
        [[ "$(ce inspect "$NAME" --format '{{.State.Running}}')" == true ]] \
            || fail "the container exited before it became ready"
        python3 -c "import sys; sys.exit(float(sys.argv[1]) > $READY_TIMEOUT)" "$(since "$t0")" \
            || fail "no answer from $BASE_URL/readyz within $READY_TIMEOUT s"
        sleep 0.2
    done
    grep -q '"status":"ready"' "$WORK/ready.json" || fail "readyz said $(cat "$WORK/ready.json")"
    seconds=$(since "$t0")
    SUMMARY+=("ready $seconds s")
    log "ready on port $PORT after $seconds s"

    STEP="HEALTHCHECK"
    # The image's own HEALTHCHECK command, run now rather than after its 30 s interval (the
    # same with Docker and podman).
    local check
    check=$(ce image inspect "$IMAGE_ID" --format '{{json .Config.Healthcheck.Test}}')
    python3 -c 'import json, sys; test = json.loads(sys.argv[1]); assert test[0] == "CMD"; print("\0".join(test[1:]), end="")' \
        "$check" >"$WORK/healthcheck" || fail "the image has no HEALTHCHECK CMD (got $check)"
    xargs -0 -a "$WORK/healthcheck" "$ENGINE" "${ENGINE_FLAGS[@]}" exec "$NAME" \
        || fail "the image's HEALTHCHECK reported unhealthy"
    log "HEALTHCHECK: healthy"
}

# post NAME BODY_FILE -> prints "status content-type", response body in $WORK/NAME.out
post() {
    curl -sS --max-time 10 -o "$WORK/$1.out" -w '%{http_code} %{content_type}' \
        -H 'Content-Type: application/json' --data-binary "@$2" "$BASE_URL/v1/evaluate"
}

check_example() {
    STEP="evaluate the README example"
    local got
    # The body of the README's node-by-node curl example, taken from README.md itself.
    python3 "$HERE/check_http.py" readme-example "$ROOT/README.md" "$WORK/example.json" \
        || fail "cannot find the example in README.md"
    got=$(post example "$WORK/example.json")
    [[ "$got" == "200 application/json" ]] || fail "got $got: $(head -c 500 "$WORK/example.out")"
    python3 "$HERE/check_http.py" evaluate "$WORK/example.json" "$WORK/example.out" \
        || fail "the evaluated numbers differ from the independent computation"
    log "README example network: outputs, activations and node traces match"
}

check_client_wheel() {
    STEP="client wheel"
    local name
    curl -fsS --max-time 10 "$BASE_URL/client/" >"$WORK/client.html" \
        || fail "GET /client/ failed"
    name=$(grep -o 'nntrace_client-[^"#]*\.whl' "$WORK/client.html" | head -1)
    [[ -n "$name" ]] || fail "/client/ lists no wheel: $(head -c 300 "$WORK/client.html")"
    curl -fsS --max-time 10 -o "$WORK/$name" "$BASE_URL/client/$name" || fail "GET /client/$name failed"
    python3 -c 'import sys, zipfile; names = zipfile.ZipFile(sys.argv[1]).namelist(); sys.exit("nntrace/__init__.py" not in names)' \
        "$WORK/$name" || fail "$name is not the client wheel"
    log "serves the client wheel: /client/$name"
}

check_bad_requests() {
    STEP="problem+json for bad requests"
    local net='{"input_size": 3, "layers": [{"activation": "linear", "weights": [[1, 2, 3]], "bias": [0]}]}'
    # name | body | status | problem type | first error pointer ("-": none expected)
    local cases=(
        "shape|{\"network\": $net, \"inputs\": [[1, 2]]}|422|/problems/shape-mismatch|/inputs"
        "value|{\"network\": $net, \"inputs\": [[1, \"x\", 3]]}|422|/problems/validation-error|/inputs/0/1"
        "syntax|{\"network\":|400|/problems/bad-request|-"
    )
    local case name body status type pointer got extra
    for case in "${cases[@]}"; do
        IFS='|' read -r name body status type pointer <<<"$case"
        printf '%s' "$body" >"$WORK/$name.json"
        got=$(post "$name" "$WORK/$name.json")
        [[ "$got" == "$status application/problem+json" ]] \
            || fail "$name: got $got, expected $status application/problem+json"
        extra=()
        [[ "$pointer" == "-" ]] || extra=("$pointer")
        python3 "$HERE/check_http.py" problem "$WORK/$name.out" "$status" "$type" "${extra[@]}" \
            || fail "$name: wrong problem document: $(cat "$WORK/$name.out")"
    done
    log "bad requests: ${#cases[@]} problem documents as expected"
}

check_slow_clients() {
    STEP="slow clients"
    local report success
    # 64 connections trickle headers, trickle or stall bodies, or send nothing, for 20 s, while
    # /healthz is probed on fresh connections (bounded, loopback only; see the script).
    report=$(python3 "$ROOT/tests/hardening/slow_clients.py" "$BASE_URL" --connections 64 \
        --seconds 20 --min-success 0.95) || fail "healthz starved by slow clients: $report"
    success=$(python3 -c "import json, sys; print(round(100 * json.loads(sys.argv[1])['success'], 1))" "$report")
    SUMMARY+=("healthz ${success} % under 64 slow clients")
    log "slow clients: $report"
}

check_non_root() {
    STEP="non-root"
    local uid
    uid=$(ce exec "$NAME" id -u)
    [[ "$uid" != 0 ]] || fail "$ENGINE exec runs as root"
    # Every process in the container, from /proc inside it: real uid and command line.
    ce exec "$NAME" python -c '
import pathlib
for proc in sorted(pathlib.Path("/proc").glob("[0-9]*"), key=lambda p: int(p.name)):
    try:
        uid = next(l.split()[1] for l in (proc / "status").read_text().splitlines() if l.startswith("Uid:"))
        args = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except (OSError, StopIteration):
        continue
    print(uid, args)
' | tee "$WORK/top.txt" | sed 's/^/    /'
    local gunicorns root
    gunicorns=$(grep -c 'gunicorn --config' "$WORK/top.txt" || true)
    root=$(awk '$1 == "0"' "$WORK/top.txt" | wc -l)
    [[ "$gunicorns" -ge 2 ]] || fail "expected a gunicorn arbiter and workers, found $gunicorns"
    [[ "$root" -eq 0 ]] || fail "$root process(es) run as root"
    log "all $gunicorns gunicorn processes run as uid $uid"
}

check_log() {
    STEP="gunicorn log"
    log "gunicorn's log, from start to shutdown, has no errors"
    if ce logs "$NAME" 2>&1 | grep -E '\[(ERROR|CRITICAL)\]|Traceback|WORKER TIMEOUT'; then
        fail "gunicorn logged errors"
    fi
}

stop_gracefully() {
    STEP="SIGTERM"
    local t0 seconds code
    t0=$(now)
    ce stop -t "$STOP_TIMEOUT" "$NAME" >/dev/null
    seconds=$(since "$t0")
    code=$(ce inspect "$NAME" --format '{{.State.ExitCode}}')
    log "stopped with SIGTERM in $seconds s, exit code $code"
    [[ "$code" == 0 ]] || fail "exit code $code after SIGTERM (137: killed after $STOP_TIMEOUT s)"
    ce logs "$NAME" 2>&1 | grep -q 'Shutting down: Master' \
        || fail "gunicorn did not log its graceful shutdown"
    SUMMARY+=("stop ${seconds} s, exit 0")
}

ensure_tools
build_image
start_container
wait_until_ready
check_example
check_client_wheel
check_bad_requests
check_slow_clients
check_non_root
stop_gracefully
check_log
STEP="done"
