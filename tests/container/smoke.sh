#!/usr/bin/env bash
# Container smoke test: build the image from the Dockerfile, run it, and check it from outside
# the way a user would, with curl.
#
#   bash tests/container/smoke.sh          (as root; `make container-test` does the same)
#
# The README's commands, `docker build -t nntrace .` and `docker run -p 8000:8000 nntrace`,
# run here with podman plus the flags this kind of machine needs (see
# ../shared/container/make-base-image): chroot isolation, the docker format (which keeps the
# HEALTHCHECK), the CA bundle for pip, the runc runtime, host networking and explicit ulimits.
# With host networking there is no -p: NNTRACE_BIND picks the port instead (8000 when free).
#
# Steps: tools and base image (built locally by make-base-image when missing), build, run,
# wait for /readyz, the image's own HEALTHCHECK, evaluate the README's example network (the
# body of its node-by-node curl example) and check the numbers against an independent
# computation, problem+json for bad requests,
# non-root processes, no errors in gunicorn's log, SIGTERM -> exit code 0.
# The container is always removed. The last line is the verdict: "container smoke: PASS ...".
#
# Environment: NNTRACE_SHARED_DIR (default: ../shared beside the repository),
# NNTRACE_BASE_IMAGE (default localhost/python-base:bookworm), NNTRACE_READY_TIMEOUT (s, 60).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null || (cd "$HERE/../.." && pwd))"
SHARED="${NNTRACE_SHARED_DIR:-$ROOT/../shared}"
BASE_IMAGE="${NNTRACE_BASE_IMAGE:-localhost/python-base:bookworm}"
READY_TIMEOUT="${NNTRACE_READY_TIMEOUT:-60}"
STOP_TIMEOUT=10 # seconds podman waits after SIGTERM before it sends SIGKILL (exit code 137)
IMAGE=nntrace
NAME="nntrace-smoke-$$"

# --no-cache: buildah (podman 4.x) reuses the cached layer of a `RUN --mount=type=bind,from=<stage>`
# even when that stage changed (containers/buildah#6609), so the runtime stage kept installing
# the wheels of an earlier build: the image ran old code under the new gunicorn.conf.py.
BUILD_FLAGS=(--isolation chroot --format docker --pull=never --no-cache
    -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
RUN_FLAGS=(--network host --ulimit nofile=1024:1024 --ulimit nproc=1000:1000)

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

# podman without a systemd socket logs an error for every healthcheck timer it cannot create;
# the healthcheck itself is run explicitly below, so that known line is dropped.
pm() {
    { podman "$@" 2>&1 1>&3 3>&- | { grep -v 'unable to get systemd connection' || true; } >&2; } 3>&1
}

finish() {
    local status=$?
    trap - EXIT
    if [[ $status -ne 0 ]] && podman container exists "$NAME" 2>/dev/null; then
        log "container log (last 40 lines):"
        pm logs --tail 40 "$NAME" 2>&1 | sed 's/^/    /' || true
    fi
    pm --runtime runc rm -f "$NAME" >/dev/null 2>&1 || true
    rm -rf "$WORK"
    local total
    total=$(since "$STARTED")
    if [[ $status -eq 0 ]]; then
        echo "container smoke: PASS in ${total} s ($(printf '%s, ' "${SUMMARY[@]}" | sed 's/, $//'))"
    else
        echo "container smoke: FAIL in step '$STEP' after ${total} s"
    fi
    exit "$status"
}
trap finish EXIT

ensure_tools() {
    STEP="tools and base image"
    local make_base="$SHARED/container/make-base-image"
    if [[ "$BASE_IMAGE" == localhost/python-base:* ]]; then
        [[ -x "$make_base" ]] || fail "$make_base not found (set NNTRACE_SHARED_DIR)"
        "$make_base" "$BASE_IMAGE"
    fi
    for tool in podman runc curl python3; do
        command -v "$tool" >/dev/null || fail "$tool is not installed"
    done
}

build_image() {
    STEP="build"
    local t0 seconds size
    t0=$(now)
    log "podman build ... --build-arg BASE_IMAGE=$BASE_IMAGE -t $IMAGE ."
    # The rest of the script uses the id of the image built here, not the tag, which another
    # build on the same machine may have moved meanwhile.
    (cd "$ROOT" && pm build "${BUILD_FLAGS[@]}" --iidfile "$WORK/image-id" \
        --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$IMAGE" .) \
        >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; fail "podman build failed"; }
    IMAGE_ID=$(<"$WORK/image-id")
    seconds=$(since "$t0")
    size=$(($(podman image inspect "$IMAGE_ID" --format '{{.Size}}') / 1000000))
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
    log "podman run -d ... -e NNTRACE_BIND=0.0.0.0:$PORT $IMAGE"
    pm --runtime runc run -d --name "$NAME" "${RUN_FLAGS[@]}" -e NNTRACE_BIND="0.0.0.0:$PORT" "$IMAGE_ID" \
        >/dev/null
}

wait_until_ready() {
    STEP="wait for /readyz"
    local t0 seconds
    t0=$(now)
    until curl -fsS --max-time 2 "$BASE_URL/readyz" >"$WORK/ready.json" 2>/dev/null; do
        [[ "$(podman inspect "$NAME" --format '{{.State.Running}}')" == true ]] \
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
    pm healthcheck run "$NAME" || fail "the image's HEALTHCHECK reported unhealthy"
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

check_non_root() {
    STEP="non-root"
    local uid
    uid=$(podman exec "$NAME" id -u)
    [[ "$uid" != 0 ]] || fail "podman exec runs as root"
    # HUSER is the numeric uid of every process in the container: the arbiter and its workers.
    podman top "$NAME" huser args | tee "$WORK/top.txt" | sed 's/^/    /'
    local gunicorns root
    gunicorns=$(grep -c 'gunicorn --config' "$WORK/top.txt" || true)
    root=$(awk 'NR > 1 && ($1 == "0" || $1 == "root")' "$WORK/top.txt" | wc -l)
    [[ "$gunicorns" -ge 2 ]] || fail "expected a gunicorn arbiter and workers, found $gunicorns"
    [[ "$root" -eq 0 ]] || fail "$root process(es) run as root"
    log "all $gunicorns gunicorn processes run as uid $uid"
}

check_log() {
    STEP="gunicorn log"
    log "gunicorn's log, from start to shutdown, has no errors"
    if pm logs "$NAME" 2>&1 | grep -E '\[(ERROR|CRITICAL)\]|Traceback'; then
        fail "gunicorn logged errors"
    fi
}

stop_gracefully() {
    STEP="SIGTERM"
    local t0 seconds code
    t0=$(now)
    pm --runtime runc stop -t "$STOP_TIMEOUT" "$NAME" >/dev/null
    seconds=$(since "$t0")
    code=$(podman inspect "$NAME" --format '{{.State.ExitCode}}')
    log "stopped with SIGTERM in $seconds s, exit code $code"
    [[ "$code" == 0 ]] || fail "exit code $code after SIGTERM (137: killed after $STOP_TIMEOUT s)"
    pm logs "$NAME" 2>&1 | grep -q 'Shutting down: Master' \
        || fail "gunicorn did not log its graceful shutdown"
    SUMMARY+=("stop ${seconds} s, exit 0")
}

ensure_tools
build_image
start_container
wait_until_ready
check_example
check_bad_requests
check_non_root
stop_gracefully
check_log
STEP="done"
