"""The Open Inference Protocol (KServe V2, REST) over stored networks and a model repository.

Models are found, per request and without caching (so replicas agree), in this order:
a stored network's id (``nw_…``), a network of the caller's owner by name, then
``NNTRACE_MODEL_REPOSITORY/<model>/<version>/network.json`` (Triton's layout, read-only).
Stored versions are the network's versions; repository versions are its numeric
directories; without a version, the current (highest) one.

Beyond the protocol's peers, every layer is a named output (``layers.<i>.z``,
``layers.<i>.a``), and ``parameters.trace = "nodes"`` adds each node's calculation as a BYTES
output ``trace`` — refused (403) on a network whose weights are hidden from the caller.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from nntrace_service import __version__, core, limits
from nntrace_service.handlers import stored, traces
from nntrace_service.handlers.networks import build, core_problem
from nntrace_service.problems import ApiError, Location, from_validation, located
from nntrace_service.schemas.base import NETWORK_ID_PATTERN
from nntrace_service.schemas.networks import NetworkSpec
from nntrace_service.schemas.oip import InferenceRequest
from nntrace_service.settings import Settings
from nntrace_service.store import NetworkNotFound, NetworkRecord, Principal, Store

EXTENSIONS = ["binary_tensor_data", "model_repository", "layer_outputs", "node_trace"]
INPUT = "input"
OUTPUT = "output"
TRACE = "trace"
_DTYPES: dict[str, np.dtype[Any]] = {"FP64": np.dtype("<f8"), "FP32": np.dtype("<f4")}
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_VERSION = re.compile(r"[1-9][0-9]{0,9}")


@dataclass(frozen=True)
class Model:
    """A servable network: its name as addressed, the version found, every version."""

    name: str
    version: str
    versions: list[str]
    spec: NetworkSpec
    record: NetworkRecord | None
    """The stored network (None for a repository model)."""


def server_metadata() -> dict[str, Any]:
    return {"name": "nntrace", "version": __version__, "extensions": EXTENSIONS}


def _unknown(name: str, version: str | None) -> ApiError:
    at = f" version {version}" if version else ""
    return ApiError(
        "network-not-found", f"No model {name!r}{at} is served to this caller.", status=404
    )


def find(store: Store, who: Principal, settings: Settings, name: str, version: str | None) -> Model:
    """The model ``name`` (at ``version``), as this caller may see it."""
    if version is not None and not _VERSION.fullmatch(version):
        raise _unknown(name, version)
    number = int(version) if version else None
    record = _stored(store, who, name, number)
    if record is not None:
        spec = _spec(record.definition, settings)
        versions = [str(v) for v, _ in store.versions(record.id)]
        return Model(name, str(record.version), versions, spec, record)
    return _from_repository(settings, name, version)


def _stored(store: Store, who: Principal, name: str, version: int | None) -> NetworkRecord | None:
    try:
        if re.fullmatch(NETWORK_ID_PATTERN, name):
            return store.get_network(name, version, seen_by=who)
        if not who.anonymous and _SEGMENT.fullmatch(name):
            current = store.find_network(who.owner, name)  # the caller's own: always seen
            return current if version is None else store.get_network(current.id, version)
        return None
    except NetworkNotFound:
        return None


def _spec(definition: Mapping[str, Any] | None, settings: Settings) -> NetworkSpec:
    try:
        return NetworkSpec.model_validate(definition, context=limits.validation_context(settings))
    except ValidationError as error:
        raise from_validation(error).at("network") from None


def _from_repository(settings: Settings, name: str, version: str | None) -> Model:
    root = settings.model_repository
    if root is None or not _SEGMENT.fullmatch(name) or ".." in name:
        raise _unknown(name, version)
    folder = root / name
    versions = sorted((p.name for p in _children(folder) if _VERSION.fullmatch(p.name)), key=int)
    chosen = version or (versions[-1] if versions else None)
    if chosen is None or chosen not in versions:
        raise _unknown(name, version)
    path = folder / chosen / "network.json"
    try:
        if path.stat().st_size > settings.max_body_bytes:
            raise ApiError(
                "limit-exceeded",
                f"model {name} version {chosen} is larger than NNTRACE_MAX_BODY_BYTES",
            )
        definition = json.loads(path.read_bytes())
    except (OSError, ValueError):
        raise _unknown(name, version) from None
    return Model(name, chosen, versions, _spec(definition, settings), None)


def _children(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if p.is_dir()]
    except OSError:
        return []


def _sizes(spec: NetworkSpec) -> list[int]:
    return [int(layer.weights.shape[0]) for layer in spec.layers]


def output_names(spec: NetworkSpec) -> list[str]:
    names = [OUTPUT]
    for index in range(len(spec.layers)):
        names += [f"layers.{index}.z", f"layers.{index}.a"]
    return names


def metadata(model: Model) -> dict[str, Any]:
    sizes = _sizes(model.spec)
    outputs = [{"name": OUTPUT, "datatype": "FP64", "shape": [-1, sizes[-1]]}]
    for index, units in enumerate(sizes):
        for part in ("z", "a"):
            outputs.append(
                {"name": f"layers.{index}.{part}", "datatype": "FP64", "shape": [-1, units]}
            )
    return {
        "name": model.name,
        "versions": model.versions,
        "platform": "nntrace_json",
        "inputs": [{"name": INPUT, "datatype": "FP64", "shape": [-1, model.spec.input_size]}],
        "outputs": outputs,
    }


def _bad(detail: str, location: Location) -> ApiError:
    """A request the protocol cannot run, with the pointer of the member at fault."""
    return located(detail, location, "invalid_inference_request", slug="bad-request")


def _input_array(
    body: InferenceRequest, binary: memoryview, spec: NetworkSpec, settings: Settings
) -> tuple[np.ndarray[Any, Any], str]:
    tensor, at = body.inputs[0], ("inputs", 0)
    if tensor.name != INPUT:
        raise _bad(f"the model's only input is {INPUT!r}, not {tensor.name!r}", (*at, "name"))
    if tensor.datatype not in _DTYPES:
        raise _bad(
            f"input datatype {tensor.datatype} is not supported: use FP64 or FP32",
            (*at, "datatype"),
        )
    shape = tensor.shape
    if len(shape) not in (1, 2) or any(d < 0 for d in shape) or shape[-1] != spec.input_size:
        raise _bad(
            f"input shape {shape} does not fit the model: use [batch, {spec.input_size}]",
            (*at, "shape"),
        )
    rows = shape[0] if len(shape) == 2 else 1
    limits.check_batch(rows, ("inputs", 0, "shape", 0), settings)
    count = rows * spec.input_size
    dtype = _DTYPES[tensor.datatype]
    size = tensor.parameters.get("binary_data_size")
    if size is not None:
        if not isinstance(size, int) or isinstance(size, bool) or size != count * dtype.itemsize:
            raise _bad(
                f"binary_data_size must be {count * dtype.itemsize} for shape {shape}",
                (*at, "parameters", "binary_data_size"),
            )
        if len(binary) != size:
            raise _bad(
                f"the body carries {len(binary)} bytes of tensor data, not {size}",
                (*at, "parameters", "binary_data_size"),
            )
        values = np.frombuffer(binary, dtype=dtype).astype(np.float64)
    else:
        if len(binary):
            raise _bad(
                "tensor bytes after the JSON header, but no input has binary_data_size",
                (*at, "parameters"),
            )
        values = _json_values(tensor.data, count, (*at, "data"))
    if not np.isfinite(values).all():
        raise _bad("input values must be finite numbers", (*at, "data"))
    return values.reshape(rows, spec.input_size), tensor.datatype


def _json_values(data: Any, count: int, location: Location) -> np.ndarray[Any, Any]:
    try:
        values = np.asarray(data)
    except (ValueError, OverflowError):
        raise _bad("input data is not a rectangular array of numbers", location) from None
    if values.dtype.kind not in "iuf" or values.size != count:
        raise _bad(f"input data must be {count} numbers (row-major, nested or flat)", location)
    return values.astype(np.float64).ravel()


def infer(
    model: Model,
    body: InferenceRequest,
    binary: memoryview,
    settings: Settings,
    who: Principal,
) -> tuple[dict[str, Any], list[bytes]]:
    """Run the request; the response header and the tensor bytes that follow it."""
    network = build(model.spec, settings, ("network",))
    inputs, datatype = _input_array(body, binary, model.spec, settings)
    limits.check_rows(network, inputs.shape[0], settings, ("inputs", 0, "shape"))
    trace = body.parameters.get("trace", "none")
    if trace not in ("none", "nodes"):
        raise _bad('parameter "trace" must be "none" or "nodes"', ("parameters", "trace"))
    known = output_names(model.spec)
    wanted = [o.name for o in body.outputs] if body.outputs is not None else list(known)
    if trace == "nodes" and TRACE not in wanted:
        wanted.append(TRACE)
    unknown = [i for i, name in enumerate(wanted) if name not in (*known, TRACE)]
    if unknown:
        names = [wanted[i] for i in unknown]
        raise _bad(
            f"unknown output(s) {names}: this model has {', '.join(known)}, trace",
            ("outputs", unknown[0], "name"),
        )
    if TRACE in wanted:
        if trace != "nodes":
            raise _bad(
                'the trace output needs parameters: {"trace": "nodes"}', ("parameters", "trace")
            )
        if model.record is not None and stored.weights_hidden(who, model.record):
            raise stored.hidden(model.record.id)
        limits.check_trace_terms(network, inputs.shape[0], settings)
    try:
        result = core.forward(network, inputs, dtype="float32" if datatype == "FP32" else "float64")
    except core.CoreError as error:
        raise core_problem(error, ("network",)) from None
    all_binary = body.parameters.get("binary_data_output") is True
    as_bytes = {o.name: o.parameters.get("binary_data") is True for o in body.outputs or []}
    header: dict[str, Any] = {"model_name": model.name, "model_version": model.version}
    if body.id is not None:
        header["id"] = body.id
    outputs, chunks = [], []
    for name in wanted:
        if name == TRACE:
            layer_traces = core.trace_layers(result, samples=list(range(inputs.shape[0])))
            documents = traces.node_documents(layer_traces, 4)
            texts = [json.dumps(d, default=_plain) for d in documents]
            tensor, chunk = _bytes_tensor(texts, as_bytes.get(name, all_binary))
        else:
            tensor, chunk = _number_tensor(
                name, _values(result, name), datatype, as_bytes.get(name, all_binary)
            )
        outputs.append(tensor)
        if chunk is not None:
            chunks.append(chunk)
    header["outputs"] = outputs
    return header, chunks


def _values(result: core.ForwardResult, name: str) -> np.ndarray[Any, Any]:
    if name == OUTPUT:
        return np.asarray(result.outputs)
    _, index, part = name.split(".")
    layer = result.layers[int(index)]
    return np.asarray(layer.z if part == "z" else layer.a)


def _number_tensor(
    name: str, values: np.ndarray[Any, Any], datatype: str, binary: bool
) -> tuple[dict[str, Any], bytes | None]:
    array = np.ascontiguousarray(values, dtype=_DTYPES[datatype])
    tensor: dict[str, Any] = {"name": name, "datatype": datatype, "shape": list(array.shape)}
    if binary:
        data = array.tobytes()
        tensor["parameters"] = {"binary_data_size": len(data)}
        return tensor, data
    tensor["data"] = array.ravel().tolist()
    return tensor, None


def _bytes_tensor(texts: list[str], binary: bool) -> tuple[dict[str, Any], bytes | None]:
    tensor: dict[str, Any] = {"name": TRACE, "datatype": "BYTES", "shape": [len(texts)]}
    if binary:
        encoded = [t.encode() for t in texts]
        data = b"".join(struct.pack("<I", len(e)) + e for e in encoded)
        tensor["parameters"] = {"binary_data_size": len(data)}
        return tensor, data
    tensor["data"] = texts
    return tensor, None


def _plain(value: Any) -> Any:
    """numpy values in node traces, for json.dumps."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value).__name__)
