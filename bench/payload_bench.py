"""Large payloads: the 784-512-256-10 network plus 64 inputs, as JSON and as base64 arrays.

* floor       - orjson decoding the body and ``np.asarray`` of every array (float64): the least
  any server must do with that body;
* server      - the Flask app answering ``POST /v1/evaluate`` in process (test client), end to
  end, plus a breakdown: parse, validate (pydantic), evaluate (build + forward), serialise;
* memory      - peak RSS growth (``VmHWM``) of a real gunicorn worker handling the request,
  against the body size; and tracemalloc's peak inside the in-process request;
* binary      - the same request with every array as ``{"dtype", "shape", "data": base64}``.

Run: ``python bench/payload_bench.py [--smoke] [--out FILE]``.
"""

from __future__ import annotations

import sys
import tracemalloc
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pybase64
from benchlib import (
    BIG_NET,
    SMALL_NET,
    Report,
    finish,
    mlp_inputs,
    network_spec,
    parse_args,
    resolve_activations,
    time_many,
)
from http_bench import SERVICE_APP, gunicorn
from stages import request_stages
from threadpoolctl import threadpool_limits

from nntrace._arrays import encode_binary
from nntrace_service.app import create_app

BATCH = 64
BINARY_DTYPES = ("float64", "float32")


# ---- bodies ----------------------------------------------------------------------------------


def request_object(
    encode: Callable[[np.ndarray], Any], sizes: tuple[int, ...] = BIG_NET[0]
) -> dict[str, Any]:
    """The evaluate request for the big network, each array passed through ``encode``."""
    activations = resolve_activations(BIG_NET[1] if sizes == BIG_NET[0] else SMALL_NET[1])
    network = network_spec(sizes, activations)
    for layer in network["layers"]:
        layer["weights"] = encode(layer["weights"])
        layer["bias"] = encode(layer["bias"])
    return {
        "network": network,
        "inputs": encode(mlp_inputs(sizes[0], BATCH, dtype="float64")),
        "trace": "none",
        "dtype": "float64",
    }


def json_body(sizes: tuple[int, ...] = BIG_NET[0]) -> bytes:
    """Nested JSON lists of float64 values (shortest round-trip form, as orjson writes)."""
    return orjson.dumps(request_object(lambda a: a, sizes), option=orjson.OPT_SERIALIZE_NUMPY)


def binary_body(dtype: str) -> bytes:
    """The same request with every array in the binary form."""
    return orjson.dumps(request_object(lambda a: encode_binary(np.asarray(a, dtype=dtype))))


# ---- floors ----------------------------------------------------------------------------------


def json_floor(body: bytes) -> list[np.ndarray]:
    """The least a server does with a JSON body: decode it, make the arrays."""
    document = orjson.loads(body)
    network = document["network"]
    arrays = [np.asarray(document["inputs"], dtype=np.float64)]
    for layer in network["layers"]:
        arrays.append(np.asarray(layer["weights"], dtype=np.float64))
        arrays.append(np.asarray(layer["bias"], dtype=np.float64))
    return arrays


def binary_floor(body: bytes) -> list[np.ndarray]:
    """The same for the binary form: decode JSON, base64-decode, view as numbers."""

    def array(value: dict[str, Any]) -> np.ndarray:
        raw = pybase64.b64decode(value["data"])
        return np.frombuffer(raw, dtype=np.dtype(value["dtype"]).newbyteorder("<")).reshape(
            value["shape"]
        )

    document = orjson.loads(body)
    arrays = [array(document["inputs"])]
    for layer in document["network"]["layers"]:
        arrays += [array(layer["weights"]), array(layer["bias"])]
    return arrays


# ---- server time -----------------------------------------------------------------------------


def server_call(body: bytes) -> Callable[[], Any]:
    """One in-process ``POST /v1/evaluate`` through Flask's test client, checked for 200."""
    client = create_app().test_client()

    def call() -> Any:
        response = client.post("/v1/evaluate", data=body, content_type="application/json")
        if response.status_code != 200:
            raise AssertionError(f"{response.status_code}: {response.get_data(as_text=True)[:500]}")
        return response.get_data()

    return call


def tracemalloc_peak(call: Callable[[], Any]) -> int:
    """Peak bytes traced (Python objects and numpy buffers) during one call."""
    call()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# ---- worker memory ---------------------------------------------------------------------------


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _worker_pid(arbiter: int) -> int:
    children = Path(f"/proc/{arbiter}/task/{arbiter}/children").read_text().split()
    if len(children) != 1:
        raise RuntimeError(f"expected one gunicorn worker, found {children}")
    return int(children[0])


def _post(url: str, body: bytes) -> None:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()


def worker_peak_growth(body: bytes, warmup: bytes, name: str) -> dict[str, int]:
    """Peak RSS growth of a fresh single gunicorn worker handling ``body`` once, after a
    small warm-up request (imports, first allocations)."""
    with gunicorn(SERVICE_APP, f"payload-{name}", env={"WEB_CONCURRENCY": "1"}) as (url, arbiter):
        worker = _worker_pid(arbiter)
        _post(f"{url}/v1/evaluate", warmup)
        rss_before = _status_kib(worker, "VmRSS")
        _post(f"{url}/v1/evaluate", body)
        hwm_after = _status_kib(worker, "VmHWM")
    return {
        "rss_before_kib": rss_before,
        "hwm_after_kib": hwm_after,
        "growth_bytes": (hwm_after - rss_before) * 1024,
    }


# ---- main ------------------------------------------------------------------------------------


def measure(
    name: str, body: bytes, floor: Callable[[bytes], Any], timing: dict[str, Any]
) -> dict[str, Any]:
    """Floor, server time, breakdown and memory of one encoding of the request."""
    call = server_call(body)
    # Interleaved rounds: drift between two separate loops moved this ratio by 40% (1.26 and
    # 1.80 in two runs an hour apart, the floor alone 77 and 50 ms).
    times = time_many({"floor": lambda: floor(body), "server": call}, **timing)
    row: dict[str, Any] = {
        "encoding": name,
        "body_bytes": len(body),
        "floor_us": times["floor"].median_us,
        "server_us": times["server"].median_us,
        "tracemalloc_peak_bytes": tracemalloc_peak(call),
    }
    row["server/floor"] = row["server_us"] / row["floor_us"]
    row["stages_us"] = request_stages(body, timing, baseline=name == "json")
    memory = worker_peak_growth(body, json_body(SMALL_NET[0]), name)
    row.update(memory)
    row["worker_peak/body"] = memory["growth_bytes"] / len(body)
    row["tracemalloc/body"] = row["tracemalloc_peak_bytes"] / len(body)
    print(
        f"{name:>8}: body {len(body) / 1e6:6.2f} MB  floor {row['floor_us'] / 1e3:7.1f} ms  "
        f"server {row['server_us'] / 1e3:7.1f} ms ({row['server/floor']:.2f}x)  "
        f"worker peak +{memory['growth_bytes'] / 1e6:.1f} MB ({row['worker_peak/body']:.2f}x body)"
    )
    for stage, us in row["stages_us"].items():
        print(f"          {stage:>30}: {us / 1e3:7.1f} ms")
    return row


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    # One BLAS thread, as gunicorn.conf.py gives each worker: on a loaded 2-core machine a
    # second spinning OpenBLAS thread makes in-process timings swing tenfold.
    threadpool_limits(limits=1, user_api="blas")
    timing = {"min_time": 0.0, "repeats": 2} if args.smoke else {"min_time": 0.5, "repeats": 7}
    report = Report(name="payload", smoke=args.smoke)
    encodings: list[tuple[str, bytes, Callable[[bytes], Any]]] = [("json", json_body(), json_floor)]
    for dtype in BINARY_DTYPES:
        encodings.append((f"b64-{dtype}", binary_body(dtype), binary_floor))
    for name, body, floor in encodings:
        report.rows.append(measure(name, body, floor, timing))
    json_row = report.rows[0]
    for row in report.rows[1:]:
        row["size_gain"] = json_row["body_bytes"] / row["body_bytes"]
        row["server_time_gain"] = json_row["server_us"] / row["server_us"]
    report.target(
        "payload JSON server/floor", json_row["server/floor"], 1.5, higher_is_better=False
    )
    report.target(
        "payload JSON worker peak memory / body", json_row["worker_peak/body"], 4.0,
        higher_is_better=False,
    )  # fmt: skip
    return finish(report, args.out)


if __name__ == "__main__":
    sys.exit(main())
