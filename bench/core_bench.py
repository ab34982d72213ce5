"""The numpy forward pass against ONNX Runtime (CPU) and PyTorch (CPU) on the same float32 MLPs.

Engines, all on the same weights, inputs and thread count:

* ``nntrace``  - ``core.forward(network, x, dtype="float32")``, what the service runs;
* ``bare``     - the same matmul + bias + catalog activation per layer, nothing else (what
  "traces off costs nothing" is measured against);
* ``lean``     - a prototype of a leaner forward pass: in-place, mask-free activations, one
  cheap finite check per layer and the same values kept; it shows what a change would buy;
* ``ort``      - ONNX Runtime, MatMul + Add + activation per layer (opset 17);
* ``ort_all``  - the same ONNX graph with every layer's ``z`` and ``a`` exposed as graph
  outputs: what a user does to get per-layer values out of ONNX Runtime;
* ``torch``    - ``torch.nn.Sequential`` of Linear + activation under ``inference_mode``;
* ``torch_hooks`` - the same model with a forward hook on every module collecting its
  output (every ``z`` and ``a``): what a user does to get per-layer values out of PyTorch.

``nntrace`` keeps every layer's ``z`` and ``a``, so ``ort_all`` and ``torch_hooks`` are its
like-for-like peers; ``ort`` and ``torch`` are the bare engines next to them.

Run: ``python bench/core_bench.py [--smoke] [--out FILE]``.
"""

from __future__ import annotations

import functools
import itertools
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from benchlib import (
    BIG_NET,
    SMALL_NET,
    Report,
    finish,
    mlp_inputs,
    mlp_weights,
    parse_args,
    resolve_activations,
    time_call,
    time_many,
)
from threadpoolctl import threadpool_limits

from nntrace_service.core import LayerDef, build_network, forward
from nntrace_service.core.network import Network
from nntrace_service.core.trace import calculation_lines, trace_layers

Weights = list[tuple[np.ndarray, np.ndarray]]
Engine = Callable[[np.ndarray], Any]
BATCHES = (1, 64, 1024)
THREADS = (1, 2)


# ---- engines ---------------------------------------------------------------------------------


def nntrace_network(weights: Weights, activations: Sequence[str]) -> Network:
    """The core network for the weights (float64 master copy, float32 cached on first use)."""
    activations = resolve_activations(activations)
    layers = [
        LayerDef(weights=w, bias=b, activation=act)
        for (w, b), act in zip(weights, activations, strict=True)
    ]
    return build_network(weights[0][0].shape[1], layers)


def _chain(prepared: Sequence[tuple[np.ndarray, np.ndarray, Callable[..., np.ndarray]]]) -> Engine:
    """matmul + bias + activation per prepared layer, keeping nothing."""

    def run(x: np.ndarray) -> np.ndarray:
        a = x
        for weights_t, bias, activation in prepared:
            z = a @ weights_t
            z += bias
            a = activation(z)
        return a

    return run


def bare_chain(network: Network) -> Engine:
    """matmul + bias + the catalog's activation, with no checks or bookkeeping: the very
    steps ``forward`` runs (``Network.plan``: weights, bias, and the activation as the pass
    applies it, the catalog's values bit for bit, relu and softmax in fewer numpy calls), so
    that nntrace/bare measures the checks and the kept values alone."""
    prepared = [(s.weights_t, s.bias, s.activation) for s in network.plan("float32").steps]
    return _chain(prepared)


def _lean_relu(z: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0, dtype=z.dtype)


def _lean_sigmoid(z: np.ndarray) -> np.ndarray:
    """Mask-free and as exact as the catalog's: with e = exp(-|z|) (never overflows),
    sigmoid = 1/(1+e) for z >= 0 and e/(1+e) below, computed in float64 in place and rounded
    once to the input's dtype."""
    e = np.abs(z, dtype=np.float64)
    np.negative(e, out=e)
    np.exp(e, out=e)
    r = e + 1.0
    np.reciprocal(r, out=r)
    below = e
    below *= r  # e / (1 + e)
    return np.where(z >= 0, r, below).astype(z.dtype, copy=False)


def _lean_softmax(z: np.ndarray) -> np.ndarray:
    a = z - z.max(axis=-1, keepdims=True)
    np.exp(a, out=a)
    a /= a.sum(axis=-1, keepdims=True)
    return a


LEAN_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": _lean_relu,
    "sigmoid": _lean_sigmoid,
    "softmax": _lean_softmax,
    "linear": np.copy,
}


def lean_forward(network: Network, activations: Sequence[str]) -> Engine:
    """Prototype forward pass: keeps every layer's z and a and still refuses non-finite
    values, but checks finiteness with one reduction (``sum`` is finite iff every term is,
    barring an overflow of the sum itself, which then takes the exact slow path) and uses
    mask-free activations. No ``np.errstate`` (nothing here can warn for finite input)."""
    prepared = [
        (*layer.transposed("float32"), LEAN_ACTIVATIONS[name])
        for layer, name in zip(network.layers, activations, strict=True)
    ]

    def run(x: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        if not math.isfinite(x.sum()):
            raise ValueError("non-finite input")
        values = []
        a = x
        for weights_t, bias, activation in prepared:
            z = a @ weights_t
            z += bias
            if not math.isfinite(z.sum()) and not np.isfinite(z).all():
                raise ValueError("non-finite z")
            a = activation(z)
            values.append((z, a))
        return values

    return run


def numpy_floor(network: Network, activations: Sequence[str]) -> Engine:
    """The least numpy can do: matmul + bias + in-place activation, nothing kept or checked."""
    prepared = [
        (*layer.transposed("float32"), LEAN_ACTIVATIONS[name])
        for layer, name in zip(network.layers, activations, strict=True)
    ]
    return _chain(prepared)


def ort_session(
    weights: Weights, activations: Sequence[str], threads: int, *, every_layer: bool = False
) -> Engine:
    """An ONNX Runtime CPU session of MatMul + Add + activation per layer; with
    ``every_layer`` every ``z`` and ``a`` is a graph output too (returned as a list)."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper

    nodes, initializers = [], []
    current = "x"
    for index, ((w, b), act) in enumerate(zip(weights, activations, strict=True)):
        initializers += [
            numpy_helper.from_array(np.ascontiguousarray(w.T), f"W{index}"),
            numpy_helper.from_array(b, f"b{index}"),
        ]
        nodes += [
            helper.make_node("MatMul", [current, f"W{index}"], [f"mm{index}"]),
            helper.make_node("Add", [f"mm{index}", f"b{index}"], [f"z{index}"]),
        ]
        op = {"relu": "Relu", "sigmoid": "Sigmoid", "softmax": "Softmax", "linear": "Identity"}[act]
        extra: dict[str, Any] = {"axis": -1} if op == "Softmax" else {}
        nodes.append(helper.make_node(op, [f"z{index}"], [f"a{index}"], **extra))
        current = f"a{index}"
    outputs = [(current, weights[-1][0].shape[0])]
    if every_layer:
        outputs = [
            (f"{kind}{index}", w.shape[0])
            for index, (w, _) in enumerate(weights)
            for kind in ("z", "a")
        ]
    graph = helper.make_graph(
        nodes,
        "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", weights[0][0].shape[1]])],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", n]) for name, n in outputs],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(
        model.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    names = [name for name, _ in outputs]
    if every_layer:

        def run_all(x: np.ndarray) -> list[np.ndarray]:
            return session.run(names, {"x": x})

        return run_all

    def run(x: np.ndarray) -> np.ndarray:
        return session.run(names, {"x": x})[0]

    return run


def torch_model(weights: Weights, activations: Sequence[str], *, hooks: bool = False) -> Engine:
    """``torch.nn.Sequential`` of Linear + activation, called under ``inference_mode``; with
    ``hooks`` a forward hook on every module collects its output, and a call returns the
    list of every layer's ``z`` and ``a`` (as tensors, which ``.numpy()`` views without a
    copy)."""
    import torch

    modules: list[torch.nn.Module] = []
    for (w, b), act in zip(weights, activations, strict=True):
        linear = torch.nn.Linear(w.shape[1], w.shape[0])
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w))
            linear.bias.copy_(torch.from_numpy(b))
        modules.append(linear)
        modules.append(
            {
                "relu": torch.nn.ReLU(),
                "sigmoid": torch.nn.Sigmoid(),
                "softmax": torch.nn.Softmax(dim=-1),
                "linear": torch.nn.Identity(),
            }[act]
        )
    model = torch.nn.Sequential(*modules).eval()
    if hooks:
        collected: list[Any] = []
        for module in modules:
            module.register_forward_hook(lambda _m, _i, out: collected.append(out))

        def run_hooked(x: np.ndarray) -> list[Any]:
            collected.clear()
            with torch.inference_mode():
                model(torch.from_numpy(x))
            return list(collected)

        return run_hooked

    def run(x: np.ndarray) -> Any:
        with torch.inference_mode():
            return model(torch.from_numpy(x))

    return run


# ---- measurements ----------------------------------------------------------------------------


def _to_numpy(result: Any) -> np.ndarray:
    if hasattr(result, "outputs"):
        return np.asarray(result.outputs)
    if isinstance(result, list):
        last = result[-1]
        return _to_numpy(last[1] if isinstance(last, tuple) else last)
    if hasattr(result, "numpy"):
        return result.numpy()
    return np.asarray(result)


def _every_layer(result: Any) -> list[np.ndarray]:
    """Every kept ``z`` and ``a``, in layer order, from any engine that keeps them."""
    if hasattr(result, "layers"):
        return [v for values in result.layers for v in (values.z, values.a)]
    if isinstance(result[0], tuple):
        return [v for pair in result for v in pair]
    return [_to_numpy(v) for v in result]


def check_agreement(engines: dict[str, Engine], x: np.ndarray) -> float:
    """Every engine's outputs agree with nntrace's (float32 tolerances); returns the max
    absolute difference seen, raises if any disagrees."""
    reference = _to_numpy(engines["nntrace"](x))
    worst = 0.0
    for name, engine in engines.items():
        got = _to_numpy(engine(x))
        if not np.allclose(got, reference, rtol=1e-4, atol=1e-5):
            raise AssertionError(
                f"{name} disagrees with nntrace: max diff {np.abs(got - reference).max()}"
            )
        worst = max(worst, float(np.abs(got - reference).max()))
    kept = _every_layer(engines["nntrace"](x))
    for name in ("lean", "ort_all", "torch_hooks"):
        theirs = _every_layer(engines[name](x))
        if len(theirs) != len(kept) or not all(
            np.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(theirs, kept, strict=True)
        ):
            raise AssertionError(f"{name} does not keep the same layer values as nntrace")
    return worst


def bench_config(
    label: str,
    sizes: Sequence[int],
    activations: Sequence[str],
    batch: int,
    threads: int,
    timing: dict[str, Any],
    settle: float,
) -> dict[str, Any]:
    """Time every engine on one network, batch size and thread count."""
    import torch

    activations = resolve_activations(activations)
    weights = mlp_weights(sizes)
    network = nntrace_network(weights, activations)
    x = mlp_inputs(sizes[0], batch)
    torch.set_num_threads(threads)
    engines: dict[str, Engine] = {
        "nntrace": lambda xs: forward(network, xs, dtype="float32"),
        "bare": bare_chain(network),
        "lean": lean_forward(network, activations),
        "floor": numpy_floor(network, activations),
        "ort": ort_session(weights, activations, threads),
        "ort_all": ort_session(weights, activations, threads, every_layer=True),
        "torch": torch_model(weights, activations),
        "torch_hooks": torch_model(weights, activations, hooks=True),
    }
    row: dict[str, Any] = {"net": label, "batch": batch, "threads": threads}
    with threadpool_limits(limits=threads, user_api="blas"):
        row["max_abs_diff"] = check_agreement(engines, x)
        times = time_many(
            {name: functools.partial(engine, x) for name, engine in engines.items()},
            **timing,
            settle=settle if threads > 1 else 0.0,
        )
    for name, measured in times.items():
        row[f"{name}_us"] = measured.median_us
        row[f"{name}_best_us"] = measured.best_us
    nn = times["nntrace"].median_us
    row["nntrace/ort"] = nn / times["ort"].median_us
    row["nntrace/torch"] = nn / times["torch"].median_us
    row["nntrace/bare"] = nn / times["bare"].median_us
    row["lean/ort"] = times["lean"].median_us / times["ort"].median_us
    row["lean/torch"] = times["lean"].median_us / times["torch"].median_us
    row["floor/ort"] = times["floor"].median_us / times["ort"].median_us
    row["nntrace/ort_all"] = nn / times["ort_all"].median_us
    row["nntrace/torch_hooks"] = nn / times["torch_hooks"].median_us
    return row


TRACE_CONFIGS = (("3-4-4-1", SMALL_NET, 64), ("784-512-256-10", BIG_NET, 1))


def bench_traces(timing: dict[str, Any], smoke: bool) -> list[dict[str, Any]]:
    """What node traces cost on top of the forward pass, per ``w × x`` term.

    * ``arrays``: ``trace_layers`` (the products broadcast per layer), nothing serialised;
    * ``columns json`` / ``columns base64``: the ``"trace_layout": "columns"`` documents
      without their text, serialised by the service's JSON provider (numpy arrays as JSON
      numbers, or as base64 with ``"encoding": "base64"``);
    * ``nodes json``: the default ``"trace_layout": "nodes"`` documents (one object per node
      and per term, text included), serialised;
    * ``text``: the calculation lines of every node (numbers formatted in bulk per layer).

    Each is timed as forward + that work; µs/term = (that - forward) / terms.
    """
    import orjson

    from nntrace_service.handlers.traces import binary_array, column_documents, node_documents

    numpy_json = orjson.OPT_SERIALIZE_NUMPY
    rows = []
    for label, (sizes, activations), batch in TRACE_CONFIGS:
        network = nntrace_network(mlp_weights(sizes), activations)
        x = mlp_inputs(sizes[0], batch)
        big = sizes[0] > 100
        budget = {"min_time": timing["min_time"], "repeats": 3 if big else timing["repeats"]}
        if big and smoke:
            budget = {"min_time": 0.0, "repeats": 1}

        def traced(n: Network = network, xs: np.ndarray = x) -> Any:
            return trace_layers(forward(n, xs, dtype="float32"))

        def structure(traces: Any) -> list[dict[str, Any]]:
            documents = []
            for t in traces:
                documents.append(
                    {
                        "inputs": t.inputs,
                        "weights": t.weights,
                        "bias": t.bias,
                        "products": t.products,
                        "z": t.z,
                        "a": t.a,
                    }
                )
            return documents

        work: dict[str, Callable[[], object]] = {
            "forward": functools.partial(forward, network, x, dtype="float32"),
            "arrays": traced,
            "columns json": lambda: orjson.dumps(structure(traced()), option=numpy_json),
            "columns base64": lambda: orjson.dumps(
                [{k: binary_array(v) for k, v in d.items()} for d in structure(traced())]
            ),
            "columns json + text": lambda: orjson.dumps(
                column_documents(traced(), 4), option=numpy_json
            ),
            "nodes json": lambda: orjson.dumps(node_documents(traced(), 4), option=numpy_json),
            "text": lambda: calculation_lines(traced(), 4),
        }
        with threadpool_limits(limits=1, user_api="blas"):
            times = time_many(work, **budget)
        terms = batch * sum(a * b for a, b in itertools.pairwise(sizes))
        forward_us = times["forward"].median_us
        row: dict[str, Any] = {"net": label, "batch": batch, "terms": terms}
        for name, measured in times.items():
            row[f"{name} us"] = measured.median_us
            if name != "forward":
                row[f"{name} us/term"] = (measured.median_us - forward_us) / terms
        rows.append(row)
    return rows


# ---- per-call overheads (the diagnosis) --------------------------------------------------------


def bench_overheads(timing: dict[str, Any]) -> list[dict[str, Any]]:
    """What each piece of bookkeeping in ``forward`` costs per call on tiny arrays."""
    from nntrace_service.core import bind
    from nntrace_service.core.network import LayerValues, as_batch

    z = mlp_inputs(4, 1) - 0.5
    z_big = mlp_inputs(512, 64) - 0.5
    network = nntrace_network(mlp_weights(SMALL_NET[0]), SMALL_NET[1])
    x = mlp_inputs(3, 1)
    sigmoid, relu = bind("sigmoid"), bind("relu")

    def errstate() -> None:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            pass

    @np.errstate(over="ignore", invalid="ignore", divide="ignore")
    def errstate_decorated() -> None:
        pass

    def dot_check(values: np.ndarray) -> bool:
        flat = values.ravel()
        return math.isfinite(flat.dot(flat))

    big = nntrace_network(mlp_weights(BIG_NET[0]), BIG_NET[1])
    x_big = mlp_inputs(BIG_NET[0][0], 64)
    big_steps = big.plan("float32").steps

    def big_matmuls() -> None:
        a = x_big
        for step in big_steps:
            a = a @ step.weights_t

    def big_elementwise() -> None:
        """What the forward pass does around each matmul of the big net at batch 64: bias,
        activation, check (on the z values of a real call)."""
        for step, values in zip(big_steps, big_values.layers, strict=True):
            z = values.z.copy()
            z += step.bias
            step.activation(z)
            dot_check(z)

    big_values = forward(big, x_big, dtype="float32")

    pieces: dict[str, Callable[[], object]] = {
        "np.errstate enter+exit": errstate,
        "np.errstate as decorator (forward's form)": errstate_decorated,
        "as_batch (asarray + isfinite)": lambda: as_batch(network, x, "float32"),
        "isfinite(z).all() 1x4": lambda: np.isfinite(z).all(),
        "math.isfinite(z.sum()) 1x4": lambda: math.isfinite(z.sum()),
        "z.ravel() @ z.ravel() finite (forward's check) 1x4": lambda: dot_check(z),
        "isfinite(z).all() 64x512": lambda: np.isfinite(z_big).all(),
        "math.isfinite(z.sum()) 64x512": lambda: math.isfinite(z_big.sum()),
        "z.ravel() @ z.ravel() finite (forward's check) 64x512": lambda: dot_check(z_big),
        "LayerValues(...) (named tuple)": lambda: LayerValues(z=z, a=z),
        "784-512-256-10 batch 64: the three matmuls alone": big_matmuls,
        "784-512-256-10 batch 64: copy + bias + activation + check, all layers": big_elementwise,
        "catalog sigmoid 1x4 (masks)": lambda: sigmoid(z),
        "mask-free float64 sigmoid 1x4": lambda: _lean_sigmoid(z),
        "catalog relu 1x4 (where+astype)": lambda: relu(z),
        "np.maximum relu 1x4": lambda: _lean_relu(z),
        "catalog sigmoid 64x512 (masks)": lambda: sigmoid(z_big),
        "mask-free float64 sigmoid 64x512": lambda: _lean_sigmoid(z_big),
        "np.where(z > 0, z, 0) relu 64x512": lambda: np.where(z_big > 0, z_big, 0),
        "catalog relu 64x512": lambda: relu(z_big),
        "np.maximum relu 64x512": lambda: _lean_relu(z_big),
        "matmul 1x3 @ 3x4 + bias": lambda: (
            x @ network.layers[0].transposed("float32")[0]
            + network.layers[0].transposed("float32")[1]
        ),
    }
    with threadpool_limits(limits=1, user_api="blas"):
        return [
            {"piece": name, "us": time_call(fn, **timing).median_us} for name, fn in pieces.items()
        ]


# ---- report ----------------------------------------------------------------------------------


def add_targets(report: Report, rows: list[dict[str, Any]]) -> None:
    """The core targets, each a ceiling on the worst (largest) ratio over some rows: issue 17's
    like-for-like peers first, then issue 7's bare ones, at 1 thread (the service's setting)
    and at 2."""
    big_net = "784-512-256-10"
    kept: list[tuple[str, list[dict[str, Any]], str, float]] = []
    bare: list[tuple[str, list[dict[str, Any]], str, float]] = []
    for threads in THREADS:
        mine = [r for r in rows if r["threads"] == threads]
        large = [r for r in mine if r["batch"] >= 64]
        single = [r for r in mine if r["batch"] == 1]
        big = [r for r in large if r["net"] == big_net]
        kept += [
            (f"every layer kept: nntrace/torch with hooks, all batches ({threads} thread)",
             mine, "nntrace/torch_hooks", 1.0),
            (f"every layer kept: nntrace/ORT all outputs, {big_net} batch>=64 ({threads} thread)",
             big, "nntrace/ort_all", 1.2),
        ]  # fmt: skip
        bare += [
            (f"(issue 7) bare engines: batch>=64 nntrace/ORT, worst case ({threads} thread)",
             large, "nntrace/ort", 1.1),
            (f"(issue 7) bare engines: batch>=64 nntrace/torch, worst case ({threads} thread)",
             large, "nntrace/torch", 1.0),
            (f"(issue 7) bare engines: batch 1 nntrace/ORT, worst case ({threads} thread)",
             single, "nntrace/ort", 1.5),
        ]  # fmt: skip
    tiny = [r for r in rows if r["net"] == "3-4-4-1" and r["batch"] == 1]
    big = [r for r in rows if r["net"] == big_net and r["batch"] >= 64]
    targets = [
        *kept,
        ("tiny net 3-4-4-1 batch 1: forward/bare numpy chain (worst)", tiny, "nntrace/bare", 1.15),
        *bare,
        (f"(issue 7) traces off: forward/bare chain, {big_net} batch>=64 (worst)",
         big, "nntrace/bare", 1.05),
    ]  # fmt: skip
    for what, chosen, ratio, limit in targets:
        report.target(what, max(r[ratio] for r in chosen), limit, higher_is_better=False)


def add_trace_targets(report: Report, traces: list[dict[str, Any]]) -> None:
    """Issue 17's trace targets: structured traces serialised, and calculation text."""
    big = next(r for r in traces if r["net"] == "784-512-256-10")
    for encoding in ("json", "base64"):
        report.target(
            f"node traces us/term, 784-512-256-10 batch 1, columns serialised as {encoding}",
            big[f"columns {encoding} us/term"],
            0.05,
            higher_is_better=False,
        )
    report.target(
        "calculation text us/term, worst of 3-4-4-1 batch 64 and 784-512-256-10 batch 1",
        max(r["text us/term"] for r in traces),
        0.5,
        higher_is_better=False,
    )


ENGINE_COLUMNS = ("nntrace", "bare", "lean", "floor", "ort", "ort_all", "torch", "torch_hooks")
RATIO_COLUMNS = ("nntrace/ort_all", "nntrace/torch_hooks", "nntrace/ort", "nntrace/torch")


def print_rows(rows: list[dict[str, Any]]) -> None:
    names = [*ENGINE_COLUMNS, *(c.replace("nntrace", "nn") for c in RATIO_COLUMNS)]
    print(f"{'net':>15} {'batch':>5} {'thr':>3} " + " ".join(f"{n:>11}" for n in names))
    for r in rows:
        cells = [f"{r[f'{name}_us']:11.1f}" for name in ENGINE_COLUMNS]
        cells += [f"{r[name]:11.2f}" for name in RATIO_COLUMNS]
        print(f"{r['net']:>15} {r['batch']:>5} {r['threads']:>3} " + " ".join(cells))


def main() -> int:
    args = parse_args(__doc__.splitlines()[0])
    timing = {"min_time": 0.005, "repeats": 3} if args.smoke else {"min_time": 0.2, "repeats": 7}
    settle = 0.0 if args.smoke else 0.15
    report = Report(name="core", smoke=args.smoke)
    for threads in THREADS:  # all single-thread runs first: no idle thread pools around yet
        for label, (sizes, activations) in (("3-4-4-1", SMALL_NET), ("784-512-256-10", BIG_NET)):
            for batch in BATCHES:
                report.rows.append(
                    bench_config(label, sizes, activations, batch, threads, timing, settle)
                )
    print_rows(report.rows)
    add_targets(report, report.rows)
    traces = bench_traces(timing, args.smoke)
    add_trace_targets(report, traces)
    overheads = bench_overheads(timing)
    report.extra = {"traces": traces, "overheads": overheads}
    for row in traces:
        print(f"traces {row['net']} batch {row['batch']}: {row}")
    for row in overheads:
        print(f"  {row['piece']:>40}: {row['us']:8.2f} us")
    return finish(report, args.out)


if __name__ == "__main__":
    sys.exit(main())
