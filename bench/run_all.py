"""Run every nntrace benchmark and print one table of ratios from the same run.

Each benchmark runs in its own subprocess (with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset
together, see ``benchlib.benchmark_env``) and writes JSON to ``bench/results/``; this script
gathers them into ``bench/results/summary.json``. ``--smoke`` runs each for seconds, to prove
the scripts still work (CI). The exit status is non-zero only when a benchmark crashes, never
for a missed target.

Run: ``python bench/run_all.py [--smoke] [--only core,http,payload,topology,soak,explorer]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from typing import Any

from benchlib import RESULTS_DIR, ROOT, benchmark_env, machine_info

BENCHMARKS = {
    "core": "core_bench.py",
    "http": "http_bench.py",
    "payload": "payload_bench.py",
    "topology": "topology_bench.py",
    "soak": "soak_bench.py",
    "explorer": "explorer_bench.py",
}
TIME_LIMIT_S = {
    "core": 1200,
    "http": 600,
    "payload": 900,
    "topology": 600,
    "soak": 900,
    "explorer": 300,
}


def run_one(name: str, smoke: bool) -> tuple[dict[str, Any] | None, float]:
    """Run one benchmark script; its JSON report (``None`` if it failed) and wall time."""
    out = RESULTS_DIR / f"{name}{'-smoke' if smoke else ''}.json"
    out.unlink(missing_ok=True)
    command = [sys.executable, str(ROOT / "bench" / BENCHMARKS[name]), "--out", str(out)]
    if smoke:
        command.append("--smoke")
    print(f"== {name}: {' '.join(command[1:])}", flush=True)
    start = time.monotonic()
    try:
        completed = subprocess.run(
            command, env=benchmark_env(), timeout=TIME_LIMIT_S[name], check=False
        )
    except subprocess.TimeoutExpired:
        print(f"!! {name} exceeded {TIME_LIMIT_S[name]} s", flush=True)
        return None, time.monotonic() - start
    elapsed = time.monotonic() - start
    if completed.returncode != 0 or not out.exists():
        print(f"!! {name} failed with exit code {completed.returncode}", flush=True)
        return None, elapsed
    report: dict[str, Any] = json.loads(out.read_text())
    return report, elapsed


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def print_table(reports: dict[str, dict[str, Any]]) -> None:
    """One table: every target of every benchmark with the measured ratio."""
    rows = [("benchmark", "target", "measured", "limit", "verdict")]
    for name, report in reports.items():
        for target in report["targets"]:
            verdict = {True: "met", False: "MISSED", None: "n/a"}[target["met"]]
            rows.append(
                (name, target["target"], _fmt(target["measured"]), target["limit"], verdict)
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="seconds per benchmark (CI)")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated subset")
    args = parser.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    reports: dict[str, dict[str, Any]] = {}
    failed: list[str] = []
    wall: dict[str, float] = {}
    for name in names:
        report, wall[name] = run_one(name, args.smoke)
        if report is None:
            failed.append(name)
        else:
            reports[name] = report
    print()
    print_table(reports)
    summary_path = RESULTS_DIR / f"summary{'-smoke' if args.smoke else ''}.json"
    summary = {
        "smoke": args.smoke,
        "machine": machine_info(),
        "git_commit": _git_commit(),
        "wall_seconds": wall,
        "failed": failed,
        "reports": reports,
    }
    summary_path.write_text(json.dumps(summary, indent=1))
    print(f"\nwrote {summary_path}")
    if failed:
        print(f"benchmark(s) crashed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _git_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None


if __name__ == "__main__":
    sys.exit(main())
