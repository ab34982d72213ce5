"""Render ``bench/results/summary.json`` as the Markdown tables of ``docs/performance.md``.

Run: ``python bench/render_tables.py [bench/results/summary.json]`` and paste the output.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from benchlib import RESULTS_DIR


def table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table."""

    def cell(value: Any) -> str:
        if value is None:
            return "n/a"
        if isinstance(value, float):
            return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
        return str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def targets(summary: dict[str, Any]) -> str:
    rows = []
    for name, report in summary["reports"].items():
        for t in report["targets"]:
            verdict = {True: "met", False: "**missed**", None: "n/a"}[t["met"]]
            rows.append([name, t["target"], t["measured"], t["limit"], verdict])
    return table(["bench", "target", "measured", "limit", "verdict"], rows)


def core(report: dict[str, Any]) -> str:
    engines = ["nntrace", "bare", "lean", "floor", "ort", "ort_all", "torch", "torch_hooks"]
    ratios = ["nntrace/ort_all", "nntrace/torch_hooks", "nntrace/bare", "nntrace/ort"]
    ratios += ["nntrace/torch"]
    rows = [
        [r["net"], r["batch"], r["threads"]]
        + [r[f"{e}_us"] for e in engines]
        + [r[name] for name in ratios]
        for r in report["rows"]
    ]
    header = ["net", "batch", "threads", *(f"{e} µs" for e in engines), *ratios]
    parts = [table(header, rows)]
    traces = report["extra"]["traces"]
    kinds = ["arrays", "columns json", "columns base64", "columns json + text", "nodes json"]
    kinds += ["text"]
    parts.append(
        table(
            ["net", "batch", "w×x terms", "forward µs", *(f"{k} µs/term" for k in kinds)],
            [
                [t["net"], t["batch"], t["terms"], t["forward us"]]
                + [t[f"{k} us/term"] for k in kinds]
                for t in traces
            ],
        )
    )
    parts.append(
        table(
            ["piece", "µs per call"], [[o["piece"], o["us"]] for o in report["extra"]["overheads"]]
        )
    )
    return "\n\n".join(parts)


def http(report: dict[str, Any]) -> str:
    rows = [
        [
            r["server"],
            r["rps"],
            r["rps/baseline"],
            r["p50_ms"],
            r["p99_ms"],
            r["non_2xx"],
            r["socket_errors"],
        ]
        for r in report["rows"]
    ]
    parts = [
        table(
            ["server", "req/s", "vs baseline", "p50 ms", "p99 ms", "non-2xx", "socket errors"], rows
        )
    ]
    stages = report["extra"].get("stages_us", {})
    parts.append(table(["stage (in process)", "µs"], [[k, v] for k, v in stages.items()]))
    grading = report["extra"].get("grading")
    if grading:
        parts.append(
            table(
                ["students", "test cases", "one request each /s", "one batch /s", "batch gain"],
                [
                    [
                        grading["students"],
                        grading["test_cases"],
                        grading["one_request_each_per_s"],
                        grading["batch_per_s"],
                        grading["gain"],
                    ]
                ],
            )
        )
    return "\n\n".join(parts)


def payload(report: dict[str, Any]) -> str:
    rows = [
        [
            r["encoding"],
            r["body_bytes"] / 1e6,
            r["floor_us"] / 1e3,
            r["server_us"] / 1e3,
            r["server/floor"],
            r["growth_bytes"] / 1e6,
            r["worker_peak/body"],
            r["tracemalloc_peak_bytes"] / 1e6,
            r.get("size_gain"),
            r.get("server_time_gain"),
        ]
        for r in report["rows"]
    ]
    header = ["encoding", "body MB", "floor ms", "server ms", "server/floor", "worker peak +MB"]
    header += ["peak/body", "tracemalloc MB", "size gain", "time gain"]
    parts = [table(header, rows)]
    names = list(report["rows"][0]["stages_us"])
    stage_rows = [
        [name] + [r["stages_us"].get(name, 0.0) / 1e3 for r in report["rows"]] for name in names
    ]
    parts.append(table(["stage (ms)", *(r["encoding"] for r in report["rows"])], stage_rows))
    return "\n\n".join(parts)


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS_DIR / "summary.json"
    summary = json.loads(path.read_text())
    print(f"git {summary['git_commit']}, machine {json.dumps(summary['machine'])}\n")
    print(targets(summary), end="\n\n")
    renderers = {"core": core, "http": http, "payload": payload}
    for name, report in summary["reports"].items():
        print(f"### {name}\n\n{renderers[name](report)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
