"""Scale-out: requests/s through nginx for 1, 2 and 3 single-worker replicas.

Each replica is a gunicorn with one worker (so replicas = workers = cores used), started with
the service's config; Debian's nginx with the shipped deploy/nginx configuration balances
over them; wrk drives nginx with the README's traced request. A single replica without nginx
is the baseline, so the proxy's own cost shows too. This machine has 2 cores, shared with
nginx and wrk: the efficiency per core (requests/s per replica-core against one replica) is
the figure that carries over to bigger machines. Loopback only; every run stops by itself.

Run: ``python bench/topology_bench.py [--smoke] [--out FILE]``.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchlib import RESULTS_DIR, Report, benchmark_env, finish, parse_args
from http_bench import request_body, run_wrk, wrk_script

from tests.support import free_port
from tests.topology.nginx import running_nginx
from tests.topology.replicas import Replica

REPLICAS = (1, 2, 3)


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    if shutil.which("wrk") is None or shutil.which("nginx") is None:
        print("needs wrk and nginx: apt-get install wrk nginx-light", file=sys.stderr)
        return 2
    duration = 2.0 if args.smoke else 15.0
    report = Report(name="topology", smoke=args.smoke)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    script = wrk_script(request_body("nodes"), RESULTS_DIR / "wrk-topology.lua")
    env = {
        **benchmark_env(),
        "WEB_CONCURRENCY": "1",
        "NNTRACE_ACCESS_LOG": "",
        "NNTRACE_LOG_LEVEL": "warning",
    }
    with tempfile.TemporaryDirectory(prefix="nntrace-topology-") as scratch:
        directory = Path(scratch)
        os.chmod(directory, 0o755)
        replicas = [Replica(f"replica-{index}", env, directory) for index in range(max(REPLICAS))]
        try:
            for replica in replicas:
                replica.start()
            direct = run_wrk(f"http://{replicas[0].address}/v1/evaluate", script, duration)
            report.rows.append(_row("1 replica, no proxy", 1, direct))
            for count in REPLICAS:
                upstreams = [replica.address for replica in replicas[:count]]
                with running_nginx(
                    upstreams,
                    listen_port=free_port(),
                    rate_per_second=100_000,
                ) as proxy:
                    result = run_wrk(f"{proxy}/v1/evaluate", script, duration)
                report.rows.append(
                    _row(f"{count} replica{'s' * (count > 1)} via nginx", count, result)
                )
        finally:
            for replica in replicas:
                replica.stop()
    _summarize(report)
    return finish(report, args.out)


def _row(name: str, replicas: int, result: dict[str, Any]) -> dict[str, Any]:
    row = {"setup": name, "replicas": replicas, **result}
    print(
        f"{name:>26}: {row['rps']:8.0f} req/s  p50 {row['p50_ms']:.2f} ms  p99 {row['p99_ms']:.2f} ms"
    )
    return row


def _summarize(report: Report) -> None:
    """Efficiency per core: requests/s per replica (capped at the cores there are) against
    one replica behind nginx."""
    cores = os.cpu_count() or 1
    proxied = [row for row in report.rows if "via nginx" in row["setup"]]
    single = proxied[0]["rps"]
    for row in proxied:
        row["speedup"] = row["rps"] / single
        row["efficiency_per_core"] = row["speedup"] / min(row["replicas"], cores)
    direct = report.rows[0]["rps"]
    report.extra["proxy_cost"] = 1 - proxied[0]["rps"] / direct
    errors = sum(row["non_2xx"] + row["socket_errors"] for row in report.rows)
    report.target("topology non-2xx + socket errors", errors, 0, higher_is_better=False)
    report.notes.append(
        f"{cores} cores shared by the replicas, nginx and wrk; efficiency_per_core is the "
        "speed-up over one proxied replica divided by the cores the replicas can use."
    )


if __name__ == "__main__":
    sys.exit(main())
