"""Service throughput: nntrace under gunicorn against a minimal Flask endpoint, same settings.

Both apps are started as gunicorn subprocesses on 127.0.0.1 with ``service/gunicorn.conf.py``
and the same environment (workers, threads, worker class, access log), checked to give the
same outputs for the same body, and then loaded in turn by ``wrk`` (one client thread, a few
connections, bounded duration) with a POST of a tiny network (3-4-4-1, 8 rows) at each trace
level, and of the README's 3-4-1 example with and without node traces. Loopback only; every
run stops by itself.

Run: ``python bench/http_bench.py [--smoke] [--out FILE]``.
"""

from __future__ import annotations

import copy
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from benchlib import (
    RESULTS_DIR,
    ROOT,
    SMALL_NET,
    Report,
    benchmark_env,
    finish,
    mlp_inputs,
    network_spec,
    parse_args,
    resolve_activations,
)
from stages import request_stages

from tests.grading.support import WORKED
from tests.support import gunicorn_process, seed_network
from tests.topology.load import parse_wrk as wrk_output

BENCH_DIR = ROOT / "bench"
SERVICE_APP = "nntrace_service.app:create_app()"
BASELINE_APP = "baseline_app:create_app()"
BATCH = 8
WRK_THREADS = 1
WRK_CONNECTIONS = 4


def server_env() -> dict[str, str]:
    """The gunicorn settings both apps get (explicit, so the run records them)."""
    env = benchmark_env()
    env.update(
        {
            "WEB_CONCURRENCY": env.get("WEB_CONCURRENCY", str(os.cpu_count() or 1)),
            "NNTRACE_THREADS": env.get("NNTRACE_THREADS", "1"),
            "NNTRACE_LOG_LEVEL": "warning",
        }
    )
    return env


@contextmanager
def gunicorn(
    app: str, name: str, *, env: dict[str, str] | None = None, timeout: float = 30.0
) -> Iterator[tuple[str, int]]:
    """Serve ``app`` with the service's gunicorn config (plus ``env``); yield
    ``(base_url, arbiter_pid)``."""
    log = RESULTS_DIR / f"gunicorn-{name}.log"
    with gunicorn_process(
        {**server_env(), **(env or {})},
        log,
        args=["--pythonpath", str(BENCH_DIR), app],
        timeout=timeout,
    ) as served:
        yield served


def readme_body(trace: str) -> bytes:
    """The README's example: its 3-4-1 network and one input row."""
    body = {"network": seed_network(), "inputs": [1.0, 2.0, 3.0], "trace": trace}
    return json.dumps(body).encode()


def request_body(trace: str) -> bytes:
    """The POST body: the tiny 3-4-4-1 network and a batch of inputs."""
    sizes, activations = SMALL_NET
    body = {
        "network": network_spec(sizes, resolve_activations(activations)),
        "inputs": mlp_inputs(sizes[0], BATCH, dtype="float64"),
        "trace": trace,
        "gradients": False,
        "dtype": "float64",
    }
    return json.dumps(body, default=lambda a: a.tolist()).encode()


def post(url: str, body: bytes) -> dict[str, Any]:
    """One POST with a JSON body; the decoded JSON answer (raises on HTTP errors)."""
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read())
        return answer


def wrk_script(body: bytes, path: Path) -> Path:
    """A wrk Lua script that POSTs ``body`` as JSON."""
    path.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = [==[{body.decode()}]==]\n"
    )
    return path


def run_wrk(url: str, script: Path, duration: float) -> dict[str, Any]:
    """Drive ``url`` with wrk for ``duration`` seconds; parsed requests/s, latency, errors."""
    command = [
        "wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{max(1, round(duration))}s",
        "--timeout", "5s", "--latency", "-s", str(script), url,
    ]  # fmt: skip
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=duration + 30, check=True
    )
    return parse_wrk(completed.stdout)


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/s, p50/p90/p99 latency (ms), request count, non-2xx and socket errors, as a
    report row's columns."""
    parsed = wrk_output(output)
    return {
        "rps": parsed.requests_per_second,
        "requests": parsed.requests,
        "non_2xx": parsed.non_2xx,
        "socket_errors": sum(parsed.socket_errors.values()),
        **{f"p{percent}_ms": ms for percent, ms in parsed.latency_ms.items()},
    }


def check_same_outputs(service_url: str, baseline_url: str, body: bytes) -> float:
    """Both apps answer the body with the same outputs; the max absolute difference."""
    mine = np.asarray(post(f"{service_url}/v1/evaluate", body)["outputs"])
    theirs = np.asarray(post(f"{baseline_url}/v1/evaluate", body)["outputs"])
    if mine.shape != theirs.shape or not np.allclose(mine, theirs, rtol=1e-9, atol=1e-12):
        raise AssertionError(f"outputs differ:\n{mine}\n{theirs}")
    return float(np.abs(mine - theirs).max())


def load(url: str, body: bytes, name: str, duration: float) -> dict[str, Any]:
    """One bounded wrk run against ``url`` with ``body``."""
    script = wrk_script(body, RESULTS_DIR / f"wrk-{name}.lua")
    return run_wrk(url, script, duration)


def class_submissions(count: int) -> dict[str, dict[str, Any]]:
    """``count`` students' node values for the grading example, each a little off."""
    rng = np.random.default_rng(7)
    base = WORKED["submission"]
    students = {}
    for index in range(count):
        submission = copy.deepcopy(base)
        for case in submission["node_values"].values():
            case["layers"] = [
                (np.asarray(layer) + rng.normal(0, 1e-3, len(layer))).tolist()
                for layer in case["layers"]
            ]
        students[f"student-{index:04d}"] = submission
    return students


BATCHES_PER_ROUND = 10
"""A batch of the class is one request of some 15-30 ms here: timed alone, one preemption or
garbage collection moved the gain between 16x and 23x in three runs of the same code."""


def grading_throughput(base_url: str, students: int, rounds: int) -> dict[str, Any]:
    """Submissions graded per second: one request per submission (one keep-alive
    connection, sequential) against batch requests of them all (``BATCHES_PER_ROUND`` in a
    row), alternated per round; the gain is the median of the rounds' gains."""
    host, port = base_url.removeprefix("http://").split(":")
    submissions = class_submissions(students)
    common = {k: v for k, v in WORKED.items() if k != "submission"}
    singles = [json.dumps({**common, "submission": s}).encode() for s in submissions.values()]
    batch = json.dumps(
        {**common, "submissions": [{"id": k, "submission": v} for k, v in submissions.items()]}
    ).encode()
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"Content-Type": "application/json"}

    def send(body: bytes) -> bytes:
        connection.request("POST", "/v1/grade", body=body, headers=headers)
        reply = connection.getresponse()
        data = reply.read()
        if reply.status != 200:
            raise AssertionError(data[:300])
        return data

    results = json.loads(send(batch))["results"]
    for (name, body), item in zip(zip(submissions, singles, strict=True), results, strict=True):
        if item["id"] != name or json.loads(send(body)) != item["result"]:
            raise AssertionError(f"batch result for {name} differs from its own request")
    one_by_one, batched = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        for body in singles:
            send(body)
        one_by_one.append(students / (time.perf_counter() - started))
        started = time.perf_counter()
        for _ in range(BATCHES_PER_ROUND):
            send(batch)
        batched.append(BATCHES_PER_ROUND * students / (time.perf_counter() - started))
    connection.close()
    return {
        "students": students,
        "test_cases": len(WORKED["test_cases"]),
        "one_request_each_per_s": statistics.median(one_by_one),
        "batch_per_s": statistics.median(batched),
        "gain": statistics.median(b / o for b, o in zip(batched, one_by_one, strict=True)),
        "batch_body_bytes": len(batch),
    }


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    duration, rounds = (1.0, 1) if args.smoke else (2.0, 5)
    traces = ("none",) if args.smoke else ("none", "layers", "nodes")
    readme_traces = ("none", "nodes")
    report = Report(name="http", smoke=args.smoke)
    bodies = {trace: request_body(trace) for trace in traces}
    readme = {trace: readme_body(trace) for trace in readme_traces}
    runs: dict[str, list[dict[str, Any]]] = {}
    with (
        gunicorn(BASELINE_APP, "baseline") as (baseline, _),
        gunicorn(SERVICE_APP, "service") as (service, _),
    ):
        report.extra["max_abs_diff"] = check_same_outputs(service, baseline, bodies["none"])
        for round_index in range(rounds):
            # Alternate the servers in short slices so that drift and other load on this
            # shared 2-core machine hit both alike; the ratio is what is reported.
            runs.setdefault("baseline", []).append(
                load(f"{baseline}/v1/evaluate", bodies["none"], "baseline", duration)
            )
            for trace in traces:
                runs.setdefault(f"nntrace trace={trace}", []).append(
                    load(f"{service}/v1/evaluate", bodies[trace], f"service-{trace}", duration)
                )
            for trace in readme_traces:
                runs.setdefault(f"README net trace={trace}", []).append(
                    load(f"{service}/v1/evaluate", readme[trace], f"readme-{trace}", duration)
                )
            print(f"round {round_index + 1}/{rounds} done")
        grading = grading_throughput(service, 40 if args.smoke else 300, rounds)
    summarize(report, runs)
    report.extra["grading"] = grading
    print(f"  grading: {grading}")
    report.target(
        "batch grading submissions/s vs one request per submission",
        grading["gain"],
        20,
        higher_is_better=True,
    )
    timing = {"min_time": 0.01, "repeats": 3} if args.smoke else {"min_time": 0.2, "repeats": 7}
    report.extra["stages_us"] = request_stages(bodies["none"], timing)
    for stage, us in report.extra["stages_us"].items():
        print(f"  {stage:>36}: {us:8.1f} us")
    report.extra["settings"] = {
        "workers": server_env()["WEB_CONCURRENCY"],
        "threads": server_env()["NNTRACE_THREADS"],
        "worker_class": server_env().get(
            "NNTRACE_WORKER_CLASS", "gevent (gunicorn.conf.py default)"
        ),
        "wrk": f"-t{WRK_THREADS} -c{WRK_CONNECTIONS}, {duration:g} s x {rounds} rounds",
        "body_bytes": len(bodies["none"]),
        "batch": BATCH,
    }
    return finish(report, args.out)


def summarize(report: Report, runs: dict[str, list[dict[str, Any]]]) -> None:
    """Rows per server (requests/s summed over rounds, worst latency), and the targets."""
    for name, results in runs.items():
        requests = sum(r["requests"] for r in results)
        row = {
            "server": name,
            "rps": sum(r["rps"] for r in results) / len(results),
            "requests": requests,
            "p50_ms": float(np.median([r["p50_ms"] for r in results])),
            "p99_ms": max(r["p99_ms"] for r in results),
            "non_2xx": sum(r["non_2xx"] for r in results),
            "socket_errors": sum(r["socket_errors"] for r in results),
        }
        report.rows.append(row)
        print(
            f"{name:>22}: {row['rps']:8.0f} req/s  p50 {row['p50_ms']:.2f} ms  "
            f"p99 {row['p99_ms']:.2f} ms  non-2xx {row['non_2xx']}  errors {row['socket_errors']}"
        )
    baseline = next(r for r in report.rows if r["server"] == "baseline")
    for row in report.rows:
        row["rps/baseline"] = row["rps"] / baseline["rps"]
    none = next(r for r in report.rows if r["server"] == "nntrace trace=none")
    report.target(
        "http nntrace/minimal Flask+numpy requests/s (trace none)", none["rps/baseline"], 0.9,
        higher_is_better=True,
    )  # fmt: skip
    readme = {r["server"]: r["rps"] for r in report.rows if r["server"].startswith("README")}
    report.target(
        "http README net requests/s, trace nodes vs trace none",
        readme["README net trace=nodes"] / readme["README net trace=none"],
        0.6,
        higher_is_better=True,
    )
    errors = sum(r["non_2xx"] + r["socket_errors"] for r in report.rows)
    report.target("http non-2xx + socket errors (all runs)", errors, 0, higher_is_better=False)


if __name__ == "__main__":
    sys.exit(main())
