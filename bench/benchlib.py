"""Shared helpers of the nntrace benchmarks: timing, test networks, machine facts, results.

Every benchmark script is runnable on its own (``python bench/core_bench.py --smoke``) and
writes one JSON document; ``run_all.py`` runs them in subprocesses and prints one table.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import statistics
import sys
import time
import timeit
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "bench" / "results"
SERVICE_SRC = ROOT / "service" / "src"
for _path in (SERVICE_SRC, ROOT):  # ROOT: tests.support, which starts gunicorn for both
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

#: The two MLPs of the issue: (layer sizes, activation of each layer).
BIG_NET: tuple[tuple[int, ...], tuple[str, ...]] = (
    (784, 512, 256, 10),
    ("relu", "relu", "softmax"),
)
SMALL_NET: tuple[tuple[int, ...], tuple[str, ...]] = ((3, 4, 4, 1), ("relu", "sigmoid", "sigmoid"))

#: Variables that slow a current OpenBLAS down on this workplace (see the env README); the
#: benchmarks unset both together in their own subprocesses only, never in tests or CI.
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


@dataclass
class Timing:
    """Per-call times of one benchmarked callable, in microseconds."""

    median_us: float
    best_us: float
    calls_per_repeat: int
    repeats: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Report:
    """One benchmark's output: measured rows, targets checked and free-form notes."""

    name: str
    smoke: bool
    rows: list[dict[str, Any]] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def target(
        self, what: str, measured: float | None, limit: float, *, higher_is_better: bool
    ) -> None:
        """Record a target and whether the measured ratio meets it (``None``: not measured)."""
        if measured is None:
            met = None
        else:
            met = measured >= limit if higher_is_better else measured <= limit
        bound = ">=" if higher_is_better else "<="
        self.targets.append(
            {"target": what, "measured": measured, "limit": f"{bound} {limit:g}", "met": met}
        )


def _loop_size(timer: timeit.Timer, min_time: float) -> int:
    """How many calls fill ``min_time`` seconds (at least one)."""
    number = 1
    while True:
        elapsed = timer.timeit(number)
        if elapsed >= min_time or number >= 1_000_000:
            return number
        number *= 10 if elapsed < min_time / 20 else 2


def time_call(fn: Callable[[], object], *, min_time: float, repeats: int) -> Timing:
    """Median and best per-call time over ``repeats`` rounds of ``autorange``-sized loops.

    Each round runs the callable as many times as fill ``min_time`` seconds, so tiny calls are
    timed over thousands of iterations and large ones over a few.
    """
    return time_many({"fn": fn}, min_time=min_time, repeats=repeats)["fn"]


def time_many(
    fns: Mapping[str, Callable[[], object]],
    *,
    min_time: float,
    repeats: int,
    settle: float = 0.0,
) -> dict[str, Timing]:
    """Like :func:`time_call` for several callables, interleaved round by round so that
    background load and drift hit every callable alike (the ratios are what matters).

    ``settle`` seconds of sleep before each timed loop let the previous engine's spinning
    worker threads (OpenBLAS, OpenMP, ONNX Runtime) go idle: on two cores they would
    otherwise steal the next engine's second core.
    """
    timers = {}
    numbers = {}
    for name, fn in fns.items():
        fn()  # warm caches (transposed weights, ORT arenas, torch kernels)
        timers[name] = timeit.Timer(fn)
        numbers[name] = _loop_size(timers[name], min_time)
    rounds: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, timer in timers.items():
            if settle:
                time.sleep(settle)
            rounds[name].append(timer.timeit(numbers[name]) / numbers[name] * 1e6)
    return {
        name: Timing(
            median_us=statistics.median(times),
            best_us=min(times),
            calls_per_repeat=numbers[name],
            repeats=repeats,
        )
        for name, times in rounds.items()
    }


def resolve_activations(activations: Sequence[str]) -> tuple[str, ...]:
    """The activations, with any the catalog does not (yet) have replaced by ``linear``."""
    from nntrace_service.core import CoreError, lookup

    resolved = []
    for name in activations:
        try:
            lookup(name)
        except CoreError:
            name = "linear"
        resolved.append(name)
    return tuple(resolved)


def mlp_weights(
    sizes: Sequence[int], seed: int = 0, dtype: str = "float32"
) -> list[tuple[np.ndarray, np.ndarray]]:
    """He-initialised ``(weights (units x fan_in), bias)`` pairs for the layer sizes."""
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, units in itertools.pairwise(sizes):
        weights = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(units, fan_in)).astype(dtype)
        bias = rng.normal(0.0, 0.1, size=units).astype(dtype)
        layers.append((weights, bias))
    return layers


def network_spec(sizes: Sequence[int], activations: Sequence[str], seed: int = 0) -> dict[str, Any]:
    """The JSON ``network`` object of the service contract for a random MLP."""
    layers = []
    for index, ((weights, bias), activation) in enumerate(
        zip(mlp_weights(sizes, seed, "float64"), activations, strict=True)
    ):
        name = "out" if index == len(activations) - 1 else f"h{index + 1}"
        layers.append({"name": name, "activation": activation, "weights": weights, "bias": bias})
    return {"input_size": sizes[0], "layers": layers}


def mlp_inputs(size: int, batch: int, seed: int = 1, dtype: str = "float32") -> np.ndarray:
    """A ``(batch, size)`` array of inputs in [0, 1) (pixel-like)."""
    return np.random.default_rng(seed).random((batch, size)).astype(dtype)


def blas_info() -> list[dict[str, Any]]:
    """threadpoolctl's view of the BLAS/OpenMP libraries loaded in this process."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    return [{k: v for k, v in lib.items() if k != "filepath"} for lib in threadpool_info()]


def machine_info() -> dict[str, Any]:
    """The machine and software the figures come from."""
    cpu = "unknown"
    flags: list[str] = []
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and cpu == "unknown":
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = [f for f in line.split(":", 1)[1].split() if f.startswith(("avx", "fma"))]
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "simd": " ".join(flags),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas_info(),
        "openblas_env": {k: os.environ.get(k) for k in OPENBLAS_OVERRIDES},
        "load_average": os.getloadavg(),
    }


def benchmark_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a benchmark subprocess gets: OpenBLAS overrides removed together."""
    env = dict(os.environ if base is None else base)
    for name in OPENBLAS_OVERRIDES:
        env.pop(name, None)
    return env


def parse_args(description: str) -> argparse.Namespace:
    """The common command line: ``--smoke`` and ``--out`` (JSON file)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--smoke", action="store_true", help="run for seconds, not minutes")
    parser.add_argument("--out", type=Path, help="write the JSON report here")
    return parser.parse_args()


def write_report(report: Report, out: Path | None) -> Path:
    """Write ``report`` (with the machine facts) as JSON and return the path."""
    path = out or RESULTS_DIR / f"{report.name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "name": report.name,
        "smoke": report.smoke,
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine_info(),
        "rows": report.rows,
        "targets": report.targets,
        "notes": report.notes,
        "extra": report.extra,
    }
    path.write_text(json.dumps(document, indent=1, default=_json_default))
    return path


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def finish(report: Report, out: Path | None) -> int:
    """End of every benchmark script: write the report, summarise its targets, exit 0 (a
    missed target is a finding, not a failure)."""
    path = write_report(report, out)
    print_targets(report)
    print(f"wrote {path}")
    return 0


def print_targets(report: Report) -> None:
    """A short human summary of the targets of one report."""
    for target in report.targets:
        measured = "n/a" if target["measured"] is None else f"{target['measured']:.3g}"
        verdict = {True: "met", False: "MISSED", None: "not measured"}[target["met"]]
        print(f"  {target['target']}: {measured} (target {target['limit']}) {verdict}")
