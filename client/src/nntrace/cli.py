"""The ``nntrace`` command line.

::

    nntrace health
    nntrace activations [NAME]
    nntrace validate NET.json [--json]
    nntrace evaluate NET.json --inputs INPUTS.json [--trace nodes] [--gradients] [--json]
    nntrace compare REFERENCE.json CANDIDATE.json [--inputs INPUTS.json] [--profile hand]
    nntrace plot NAME... --out FILE.png
    nntrace grade GRADING.json SUBMISSION.json --format gradescope --out results.json
    nntrace import MODEL.onnx [--out NET.json] [--json]
    nntrace networks push NET.json --name xor [--visibility public] [--hidden-weights]
    nntrace networks pull NETWORK_ID [--version N] [--out NET.json]
    nntrace networks list [--owner cs101] [--tag week1] [--json]

Every command takes ``--url`` (default: ``$NNTRACE_URL``, then http://127.0.0.1:8000),
``--api-key`` (default: ``$NNTRACE_API_KEY``) and ``--timeout``. ``GRADING.json`` may name a
stored reference with ``reference_id`` instead of holding it in ``reference``. Results go to
stdout; stderr stays empty unless something fails.

Exit codes (for shell scripts):

====  ==============================================================================
0     success
1     the service reported a problem (printed: title, status, detail, each pointer)
2     usage error: bad arguments, unreadable or invalid input file, missing extra
3     the service cannot be reached or did not answer in time
====  ==============================================================================
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from nntrace import _render
from nntrace._client import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, Client
from nntrace._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
)
from nntrace._network import Network
from nntrace._store import Stored, StoredNetwork
from nntrace._version import __version__

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2
EXIT_UNREACHABLE = 3

UNREACHABLE_HINT = (
    "nntrace: is the service running? Start one with `make serve` in a checkout (or "
    "`docker run -p 8000:8000 nntrace`), or give its address with --url or NNTRACE_URL"
)
"""Printed under a refused or unresolvable connection: a newcomer's first run of the CLI
usually has no service yet, or one on another port."""


class UsageError(Exception):
    """A mistake in the command line or its input files (exit code 2)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (the console script exits with it)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        timeout = (min(3.05, args.timeout), args.timeout)
        with Client(
            args.url, timeout=timeout, max_retries=args.retries, api_key=args.api_key
        ) as client:
            command: Callable[[Client, argparse.Namespace], None] = args.command
            command(client, args)
    except UsageError as error:
        print(f"nntrace: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as error:  # e.g. a malformed --url
        print(f"nntrace: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except APIStatusError as error:
        print(_describe_problem(error), file=sys.stderr)
        return EXIT_PROBLEM
    except APIResponseValidationError as error:
        print(f"nntrace: unexpected answer from the service: {error}", file=sys.stderr)
        return EXIT_PROBLEM
    except APIConnectionError as error:
        print(f"nntrace: {error}", file=sys.stderr)
        if not isinstance(error, APITimeoutError):  # nothing answered: say where to look
            print(UNREACHABLE_HINT, file=sys.stderr)
        return EXIT_UNREACHABLE
    return EXIT_OK


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--url", help="service base URL (default: $NNTRACE_URL or http://127.0.0.1:8000)"
    )
    common.add_argument("--api-key", help="API key for stored networks (default: $NNTRACE_API_KEY)")
    common.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT[1],
        help=f"seconds to wait for each read (default {DEFAULT_TIMEOUT[1]:g})",
    )
    common.add_argument(
        "--retries",
        type=int,
        default=DEFAULT_MAX_RETRIES,
        help=f"retries when the service did not run the request (default {DEFAULT_MAX_RETRIES})",
    )

    parser = argparse.ArgumentParser(
        prog="nntrace",
        description="Evaluate neural networks on an nntrace service and show every calculation.",
        epilog="exit codes: 0 ok, 1 problem reported by the service, 2 usage error, "
        "3 service unreachable or timed out",
    )
    parser.add_argument("--version", action="version", version=f"nntrace-client {__version__}")
    commands = parser.add_subparsers(title="commands", required=True, metavar="COMMAND")

    health = commands.add_parser(
        "health", parents=[common], help="check that the service is up and ready"
    )
    health.add_argument("--json", action="store_true", help="print the raw JSON")
    health.set_defaults(command=_health)

    activations = commands.add_parser(
        "activations", parents=[common], help="list the activation catalog"
    )
    activations.add_argument("name", nargs="?", help="show one activation in detail")
    activations.add_argument("--json", action="store_true", help="print the raw JSON")
    activations.set_defaults(command=_activations)

    evaluate = commands.add_parser(
        "evaluate",
        parents=[common],
        help="evaluate a network and print its layers and calculations",
    )
    evaluate.add_argument("network", metavar="NET.json", help="network JSON file ('-' for stdin)")
    evaluate.add_argument(
        "--inputs",
        metavar="INPUTS.json",
        help="JSON file (or inline JSON) with a list of rows or {'inputs': [...]}; "
        "default: the 'inputs' in NET.json",
    )
    evaluate.add_argument(
        "--trace",
        choices=["none", "layers", "nodes"],
        default="layers",
        help="none: outputs only; layers: every layer's z and a; nodes: also each node's "
        "calculation line (default: %(default)s)",
    )
    evaluate.add_argument("--samples", type=int, nargs="+", help="samples to trace (default: all)")
    evaluate.add_argument("--gradients", action="store_true", help="add derivatives and gradients")
    evaluate.add_argument(
        "--dtype",
        choices=["float64", "float32"],
        default="float64",
        help="precision the service computes in (default: %(default)s)",
    )
    evaluate.add_argument(
        "--decimals",
        type=int,
        default=4,
        help="decimals in calculation lines (default: %(default)s)",
    )
    evaluate.add_argument("--batch-size", type=int, help="rows per request for large inputs")
    evaluate.add_argument("--json", action="store_true", help="print the service's JSON answer")
    evaluate.set_defaults(command=_evaluate)

    validate = commands.add_parser(
        "validate",
        parents=[common],
        help="check a network: sizes, parameter count and whether it is linear",
    )
    validate.add_argument("network", metavar="NET.json", help="network JSON file ('-' for stdin)")
    validate.add_argument("--json", action="store_true", help="print the service's JSON answer")
    validate.set_defaults(command=_validate)

    compare = commands.add_parser(
        "compare",
        parents=[common],
        help="compare two networks (or sets of layer values) layer by layer",
    )
    compare.add_argument(
        "reference",
        metavar="REFERENCE.json",
        help="a network, or layer values: a list with one list of node values per layer",
    )
    compare.add_argument(
        "candidate", metavar="CANDIDATE.json", help="the same kinds of file as REFERENCE.json"
    )
    compare.add_argument(
        "--inputs",
        metavar="INPUTS.json",
        help="JSON file (or inline JSON) with the input rows; needed when a side is a network "
        "(default: the 'inputs' in REFERENCE.json)",
    )
    compare.add_argument(
        "--profile",
        choices=["float64", "float64-strict", "float32", "hand"],
        default="float64",
        help="tolerance profile; hand allows values typed to about 3 decimals "
        "(default: %(default)s)",
    )
    compare.add_argument("--json", action="store_true", help="print the service's JSON answer")
    compare.set_defaults(command=_compare)

    plot = commands.add_parser(
        "plot", parents=[common], help="plot activation curves to an image file"
    )
    plot.add_argument("names", nargs="+", metavar="NAME", help="activation names")
    plot.add_argument("--out", required=True, metavar="FILE.png", help="image file to write")
    plot.add_argument(
        "--start", type=float, default=-6.0, help="left end of the x axis (default: %(default)s)"
    )
    plot.add_argument(
        "--stop", type=float, default=6.0, help="right end of the x axis (default: %(default)s)"
    )
    plot.add_argument(
        "--num",
        type=int,
        default=241,
        help="points per curve, ends included (default: %(default)s)",
    )
    plot.add_argument(
        "--no-derivatives", action="store_true", help="leave out the derivative panel"
    )
    plot.set_defaults(command=_plot)

    grade = commands.add_parser(
        "grade", parents=[common], help="grade a submission and write an autograder results file"
    )
    grade.add_argument(
        "spec",
        metavar="GRADING.json",
        help="reference, test_cases and optional tolerance, scoring, feedback, suite",
    )
    grade.add_argument(
        "submission", metavar="SUBMISSION.json", help="node values per test case id, or a network"
    )
    grade.add_argument(
        "--format",
        choices=["native", "gradescope", "prairielearn", "junit"],
        default="native",
        help="native: nntrace's JSON; gradescope or prairielearn: that platform's results.json; "
        "junit: JUnit XML (default: %(default)s)",
    )
    grade.add_argument("--out", metavar="FILE", help="results file to write (default: stdout)")
    grade.set_defaults(command=_grade)

    importer = commands.add_parser(
        "import",
        parents=[common],
        help="import an ONNX model as a network (mapped by the service)",
    )
    importer.add_argument("model", metavar="MODEL.onnx", help="the ONNX model file")
    importer.add_argument(
        "--out", metavar="NET.json", help="write the network here and print the notes"
    )
    importer.add_argument(
        "--json", action="store_true", help="print the service's whole answer (network and notes)"
    )
    importer.set_defaults(command=_import)

    networks = commands.add_parser(
        "networks", help="stored networks: push, pull, list"
    ).add_subparsers(title="networks commands", required=True, metavar="COMMAND")
    push = networks.add_parser("push", parents=[common], help="store a network (a write key)")
    push.add_argument("network", metavar="NET.json", help="network JSON file ('-' for stdin)")
    push.add_argument("--name", required=True, help="unique among your owner's networks")
    push.add_argument("--description", default="")
    push.add_argument("--tag", action="append", default=[], help="a tag (repeat for several)")
    push.add_argument("--visibility", choices=["private", "unlisted", "public"], default="private")
    push.add_argument(
        "--hidden-weights",
        action="store_true",
        help="a grading reference: others grade against it, never see its weights",
    )
    push.set_defaults(command=_push)
    pull = networks.add_parser("pull", parents=[common], help="fetch a stored network's JSON")
    pull.add_argument("network_id", metavar="NETWORK_ID")
    pull.add_argument("--version", type=int, help="a version (default: the current one)")
    pull.add_argument("--out", metavar="NET.json", help="file to write (default: stdout)")
    pull.set_defaults(command=_pull)
    listing = networks.add_parser("list", parents=[common], help="list stored networks")
    listing.add_argument("--owner")
    listing.add_argument("--tag")
    listing.add_argument("--json", action="store_true", help="one JSON document per line")
    listing.set_defaults(command=_list_networks)
    return parser


# ---- commands ----------------------------------------------------------------------------------


def _health(client: Client, args: argparse.Namespace) -> None:
    health = client.health()
    ready = client.ready()
    if args.json:
        _print_json({"health": health.to_dict(), "ready": ready.to_dict()})
    else:
        print(f"{ready.status}: nntrace service {health.version} at {client.base_url}")


def _activations(client: Client, args: argparse.Namespace) -> None:
    if args.name:
        info = client.activation(args.name)
        if args.json:
            _print_json(info.to_dict())
            return
        print(f"{info.name} ({', '.join(info.aliases) or 'no aliases'}): {info.description}")
        print(f"  formula:    {info.formula}\n  derivative: {info.derivative_formula}")
        print(f"  range:      {info.range_text}")
        for p in info.parameters:
            print(f"  parameter {p.name} (default {p.default}): {p.description}")
        for note in info.notes:
            print(f"  note: {note}")
        return
    catalog = client.activations()
    if args.json:
        _print_json({"activations": [a.to_dict() for a in catalog]})
        return
    rows = [
        [
            a.name,
            ", ".join(a.aliases),
            ", ".join(f"{p.name}={p.default}" for p in a.parameters),
            a.range_text,
        ]
        for a in catalog
    ]
    print(_render.text_table(["name", "aliases", "parameters", "range"], rows))


def _evaluate(client: Client, args: argparse.Namespace) -> None:
    document = _read_json(args.network, "network")
    inputs = _inputs(args.inputs, document, args.network)
    result = client.evaluate(
        _network(args.network, document),
        inputs,
        trace=args.trace,
        samples=args.samples,
        gradients=args.gradients,
        dtype=args.dtype,
        decimals=args.decimals,
        batch_size=args.batch_size,
    )
    if args.json:
        _print_json(result.to_dict())
    else:
        print(result)


def _validate(client: Client, args: argparse.Namespace) -> None:
    validation = client.validate(_network(args.network, _read_json(args.network, "network")))
    if args.json:
        _print_json(validation.to_dict())
    else:
        print(validation)


def _compare(client: Client, args: argparse.Namespace) -> None:
    """Exit 0 whatever the differences: they are the answer, printed layer by layer."""
    reference = _read_json(args.reference, "reference")
    candidate = _read_json(args.candidate, "candidate")
    inputs = None
    if args.inputs is not None or (isinstance(reference, dict) and "inputs" in reference):
        inputs = _inputs(args.inputs, reference, args.reference)
    result = client.compare(
        _side(reference, args.reference),
        _side(candidate, args.candidate),
        inputs=inputs,
        tolerance={"profile": args.profile},
    )
    if args.json:
        _print_json(result.raw)
    else:
        print(result)


def _plot(client: Client, args: argparse.Namespace) -> None:
    try:
        from nntrace.plotting import plot_activations

        figure = plot_activations(
            args.names,
            client,
            start=args.start,
            stop=args.stop,
            num=args.num,
            derivatives=not args.no_derivatives,
        )
    except ImportError as error:
        raise UsageError(str(error)) from None
    try:
        figure.savefig(args.out)
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot write {args.out}: {error}") from None
    print(f"wrote {args.out}")


def _grade(client: Client, args: argparse.Namespace) -> None:
    """Write the service's results document for ``--format`` exactly as it answered."""
    spec = _read_json(args.spec, "grading")
    if (
        not isinstance(spec, dict)
        or ("reference" not in spec and "reference_id" not in spec)
        or "test_cases" not in spec
    ):
        raise UsageError(
            f"{args.spec}: expected an object with 'reference' (or 'reference_id') and 'test_cases'"
        )
    options = {k: spec.get(k) for k in ("tolerance", "scoring", "feedback", "suite")}
    reference = (
        Stored(spec["reference_id"], spec.get("reference_version"))
        if "reference_id" in spec
        else spec["reference"]
    )
    result = client.grade(
        reference,
        _read_json(args.submission, "submission"),
        spec["test_cases"],
        format=args.format,
        **options,
    )
    if args.format == "junit":
        text = result
    else:
        document = result.raw if args.format == "native" else result
        text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if args.out is None:
        sys.stdout.write(text)
        return
    try:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {args.out}: {error.strerror}") from None


# ---- helpers -----------------------------------------------------------------------------------


def _read_json(source: str, what: str) -> Any:
    """A JSON file's contents, or stdin for ``-``; usage errors say which file and where."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read the {what} file {source}: {error.strerror}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{source} is not valid JSON: {error}") from None


def _network(source: str, document: Any) -> Network:
    """The network in a file: the document itself or its ``network`` member."""
    try:
        return Network.from_dict(document)
    except (ValueError, TypeError, KeyError) as error:
        raise UsageError(f"{source}: not a network: {error}") from None


def _side(document: Any, source: str) -> Any:
    """One side of a comparison: a network (bare or under ``network``), or layer values
    (a list, or an object with ``layers``) passed on as they are."""
    if isinstance(document, dict) and ("input_size" in document or "network" in document):
        return _network(source, document)
    if isinstance(document, list) or (isinstance(document, dict) and "layers" in document):
        return document
    raise UsageError(f"{source}: expected a network or a list of layer values")


def _inputs(option: str | None, document: Any, network_path: str) -> Any:
    """The inputs: from --inputs (a file, or inline JSON), else from the network file."""
    if option is None:
        if isinstance(document, dict) and "inputs" in document:
            return document["inputs"]
        raise UsageError(f"no inputs: pass --inputs INPUTS.json ({network_path} has none)")
    if option.lstrip().startswith("[") and not Path(option).exists():
        try:
            data = json.loads(option)
        except json.JSONDecodeError as error:
            raise UsageError(f"--inputs is neither a file nor valid JSON: {error}") from None
    else:
        data = _read_json(option, "inputs")
    if isinstance(data, dict):
        if "inputs" not in data:
            raise UsageError(f"{option}: expected a list of rows or an object with 'inputs'")
        data = data["inputs"]
    return data


def _describe_problem(error: APIStatusError) -> str:
    """The service's problem, plainly: what, where, and the request id for the logs."""
    problem = error.problem
    lines = [f"nntrace: {problem.title} (HTTP {error.status_code}, {problem.slug})"]
    if problem.detail:
        lines.append(f"  {problem.detail}")
    lines += [f"  at {item.pointer or '(body)'}: {item.detail}" for item in problem.errors]
    if error.request_id:
        lines.append(f"  request id: {error.request_id}")
    return "\n".join(lines)


def _import(client: Client, args: argparse.Namespace) -> None:
    """The network JSON on stdout (or in --out, with one note per operator on stdout)."""
    path = Path(args.model)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UsageError(f"{args.model}: {error.strerror or error}") from None
    imported = client.import_onnx(data)
    if args.json:
        _print_json(imported.to_dict())
    elif args.out:
        Network.from_dict(imported.network).save(args.out)
        for note in imported.notes:
            print(note)
        print(f"wrote {args.out}")
    else:
        _print_json(imported.network)


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _push(client: Client, args: argparse.Namespace) -> None:
    document = _read_json(args.network, "network")
    if not isinstance(document, dict):
        raise UsageError(f"{args.network}: expected a network object")
    network = document.get("network", document) if "input_size" not in document else document
    stored = client.push(
        network,
        args.name,
        description=args.description,
        tags=args.tag,
        visibility=args.visibility,
        hidden_weights=args.hidden_weights,
    )
    print(f"{stored.id} version {stored.version} ({stored.name}, {stored.visibility})")


def _pull(client: Client, args: argparse.Namespace) -> None:
    stored = client.pull(args.network_id, args.version)
    if stored.network is None:
        raise UsageError(f"{stored.id}: its weights are hidden from this key")
    text = json.dumps(stored.network, indent=2) + "\n"
    if args.out is None:
        sys.stdout.write(text)
        return
    Path(args.out).write_text(text)


def _list_networks(client: Client, args: argparse.Namespace) -> None:
    for stored in client.networks(owner=args.owner, tag=args.tag):
        if args.json:
            print(json.dumps(_listed(stored)))
        else:
            tags = f"  [{', '.join(stored.tags)}]" if stored.tags else ""
            hidden = " hidden-weights" if stored.hidden_weights else ""
            print(
                f"{stored.id}  v{stored.current_version}  {stored.owner}/{stored.name}  "
                f"{stored.visibility}{hidden}{tags}"
            )


def _listed(stored: StoredNetwork) -> dict[str, Any]:
    return {k: v for k, v in stored.__dict__.items() if v is not None}


if __name__ == "__main__":
    sys.exit(main())
