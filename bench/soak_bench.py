"""Soak: five minutes of traced requests on one gunicorn; worker memory and latency must stay flat.

Two workers answer a small network traced node by node (the HTTP benchmark's body) under wrk
in 30-second slices. After each slice the workers' resident
memory (VmRSS from /proc) and the slice's latency percentiles are recorded. Memory growth is
measured from the end of the first slice (warm caches, imported modules) to the last. Latency
drift is the last slice's median latency over the first's, divided by the same ratio of a
calibration measured right after each slice: the same request through a fresh in-process
app (best of 30), which cannot drift itself. So a machine that got busier or quieter in the
meantime (other work on these shared 2 cores) does not read as drift of the service. Loopback only; the run stops by itself.

Run: ``python bench/soak_bench.py [--smoke] [--out FILE]``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from benchlib import RESULTS_DIR, Report, finish, parse_args, time_call
from http_bench import SERVICE_APP, gunicorn, request_body, run_wrk, wrk_script


def worker_rss_kib(arbiter: int) -> dict[int, int]:
    """Resident memory of each worker (the arbiter's children), in KiB."""
    children = Path(f"/proc/{arbiter}/task/{arbiter}/children").read_text().split()
    sizes = {}
    for pid in map(int, children):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes[pid] = int(line.split()[1])
    return sizes


def calibration(body: bytes) -> Callable[[], float]:
    """Best-of-30 µs of ``body`` through a fresh in-process app: the machine's current speed."""
    from nntrace_service.app import create_app

    client = create_app().test_client()

    def post() -> None:
        response = client.post("/v1/evaluate", data=body, content_type="application/json")
        assert response.status_code == 200, response.get_data(as_text=True)[:300]

    return lambda: time_call(post, min_time=0.0, repeats=30).best_us


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    slices, seconds = (3, 2.0) if args.smoke else (10, 30.0)
    report = Report(name="soak", smoke=args.smoke)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    body = request_body("nodes")
    script = wrk_script(body, RESULTS_DIR / "wrk-soak.lua")
    machine_speed = calibration(body)
    machine_speed()  # the app's first requests are slower (lazy imports, caches): not a speed
    with gunicorn(SERVICE_APP, "soak", env={"WEB_CONCURRENCY": "2"}) as (url, arbiter):
        workers = worker_rss_kib(arbiter)
        for index in range(slices):
            result = run_wrk(f"{url}/v1/evaluate", script, seconds)
            rss = worker_rss_kib(arbiter)
            calibration_us = machine_speed()
            if set(rss) != set(workers):
                report.notes.append(
                    f"slice {index}: workers changed {sorted(workers)} -> {sorted(rss)}"
                )
            report.rows.append(
                {
                    "slice": index,
                    "rss_kib": sum(rss.values()),
                    "calibration_us": calibration_us,
                    **result,
                }
            )
            print(
                f"slice {index + 1}/{slices}: {result['rps']:7.0f} req/s  p99 {result['p99_ms']:.2f} ms  "
                f"rss {sum(rss.values()) / 1024:.1f} MiB  calibration {calibration_us:.0f} us"
            )
    first, last = report.rows[0], report.rows[-1]
    report.extra["rss_growth"] = last["rss_kib"] / first["rss_kib"] - 1
    report.extra["p99_drift_raw"] = last["p99_ms"] / first["p99_ms"]
    report.extra["p50_drift_raw"] = last["p50_ms"] / first["p50_ms"]
    report.extra["machine_speed_ratio"] = last["calibration_us"] / first["calibration_us"]
    report.extra["p50_drift"] = report.extra["p50_drift_raw"] / report.extra["machine_speed_ratio"]
    report.target(
        "soak worker memory growth (first→last slice)",
        report.extra["rss_growth"],
        0.05,
        higher_is_better=False,
    )
    report.target(
        "soak p50 latency drift last/first slice (machine-load corrected)",
        report.extra["p50_drift"],
        1.2,
        higher_is_better=False,
    )
    errors = sum(row["non_2xx"] + row["socket_errors"] for row in report.rows)
    report.target("soak non-2xx + socket errors", errors, 0, higher_is_better=False)
    return finish(report, args.out)


if __name__ == "__main__":
    sys.exit(main())
