"""The nntrace command line, run as a separate process against a real gunicorn: its output
and the exit codes shell scripts rely on (0 ok, 1 service problem, 2 usage, 3 unreachable)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.client.fakes import silent_server
from tests.client.reference import naive_forward
from tests.support import SEED_INPUTS, free_port, seed_network

pytestmark = pytest.mark.live  # every test runs the nntrace command in a subprocess

CONSOLE_SCRIPT = Path(sys.executable).with_name("nntrace")


def nntrace(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m nntrace.cli ARGS`` with no NNTRACE_* variables inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NNTRACE_")}
    return subprocess.run(
        [sys.executable, "-m", "nntrace.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=60,
        check=False,
    )


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """The seed network, its inputs, a network with a typo and a file that is not JSON."""
    bad = seed_network()
    bad["layers"][0]["activation"] = "sigmoidd"
    paths = {
        "net": (tmp_path / "net.json", seed_network()),
        "inputs": (tmp_path / "inputs.json", SEED_INPUTS),
        "bad": (tmp_path / "bad.json", bad),
        "request": (
            tmp_path / "request.json",
            {"network": seed_network("relu"), "inputs": SEED_INPUTS},
        ),
    }
    for path, document in paths.values():
        path.write_text(json.dumps(document))
    (tmp_path / "broken.json").write_text("{not json")
    return {name: path for name, (path, _) in paths.items()} | {"broken": tmp_path / "broken.json"}


def _hand_values() -> list[list[list[float]]]:
    """The seed network's layer values for the seed inputs, by plain loops: [layer][row]."""
    return [[naive_forward(seed_network(), row)[i] for row in SEED_INPUTS] for i in (0, 1)]


def _compare(
    values: list[list[list[float]]], files: dict[str, Path], tmp_path: Path, url: str
) -> subprocess.CompletedProcess[str]:
    """``nntrace compare`` of the seed network against ``values`` for the seed inputs."""
    path = tmp_path / "values.json"
    path.write_text(json.dumps(values))
    return nntrace(
        "compare", str(files["net"]), str(path), "--inputs", str(files["inputs"]), "--url", url
    )


def _expected_output(network: dict[str, Any], row: list[float]) -> float:
    return naive_forward(network, row)[-1][0]


class TestSuccess:
    def test_health(self, live_server: str) -> None:
        """health reports readiness and the version, exit 0, nothing on stderr."""
        run = nntrace("health", "--url", live_server)

        assert (run.returncode, run.stderr) == (0, "")
        assert run.stdout.startswith("ready: nntrace service ")

    def test_activations_table(self, live_server: str) -> None:
        """activations prints one row per catalog entry with aliases and range."""
        run = nntrace("activations", "--url", live_server)

        assert (run.returncode, run.stderr) == (0, "")
        sigmoid = next(line for line in run.stdout.splitlines() if line.startswith("sigmoid "))
        assert "logistic" in sigmoid and "(0, 1)" in sigmoid

    def test_activation_detail_json(self, live_server: str) -> None:
        """activations NAME --json prints the catalog entry as JSON."""
        run = nntrace("activations", "leaky_relu", "--json", "--url", live_server)

        assert run.returncode == 0
        assert json.loads(run.stdout)["parameters"][0]["name"] == "negative_slope"

    def test_evaluate_with_calculations(self, live_server: str, files: dict[str, Path]) -> None:
        """evaluate --trace nodes prints the layer tables and every node's calculation line."""
        run = nntrace(
            "evaluate",
            str(files["net"]),
            "--inputs",
            str(files["inputs"]),
            "--trace",
            "nodes",
            "--url",
            live_server,
        )

        assert (run.returncode, run.stderr) == (0, "")
        assert "layer 0 'hidden': sigmoid, 4 nodes" in run.stdout
        assert (
            "hidden[0] = sigmoid(0.50×1.00 + (-0.30)×2.00 + 0.80×3.00 + 0.10) = sigmoid(2.40) = 0.9168"
            in run.stdout
        )
        assert f"{_expected_output(seed_network(), SEED_INPUTS[1]):.4f}" in run.stdout

    def test_evaluate_json(self, live_server: str, files: dict[str, Path]) -> None:
        """--json prints the service's answer, numbers matching a plain-loop forward pass."""
        run = nntrace(
            "evaluate",
            str(files["net"]),
            "--inputs",
            json.dumps(SEED_INPUTS),
            "--json",
            "--url",
            live_server,
        )

        assert run.returncode == 0
        outputs = json.loads(run.stdout)["outputs"]
        assert outputs == [
            [pytest.approx(_expected_output(seed_network(), row), rel=1e-12)] for row in SEED_INPUTS
        ]

    def test_evaluate_request_file_from_stdin(
        self, live_server: str, files: dict[str, Path]
    ) -> None:
        """A request document on stdin supplies both network and inputs."""
        run = nntrace(
            "evaluate", "-", "--json", "--url", live_server, stdin=files["request"].read_text()
        )

        assert run.returncode == 0
        expected = _expected_output(seed_network("relu"), SEED_INPUTS[0])
        assert json.loads(run.stdout)["outputs"][0] == [pytest.approx(expected, rel=1e-12)]

    def test_plot(self, live_server: str, tmp_path: Path) -> None:
        """plot writes a PNG image of the curves."""
        out = tmp_path / "curves.png"

        run = nntrace("plot", "sigmoid", "tanh", "relu", "--out", str(out), "--url", live_server)

        assert (run.returncode, run.stderr) == (0, "")
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    def test_console_script(self, live_server: str) -> None:
        """The installed console script runs the same command line."""
        run = subprocess.run(
            [str(CONSOLE_SCRIPT), "health", "--url", live_server],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

        assert (run.returncode, run.stderr) == (0, "")


class TestHelp:
    @pytest.mark.parametrize(
        ("command", "option", "default"),
        [
            ("evaluate", "--trace", "layers"),
            ("evaluate", "--dtype", "float64"),
            ("evaluate", "--decimals", "4"),
            ("grade", "--format", "native"),
            ("plot", "--start", "-6.0"),
            ("plot", "--stop", "6.0"),
            ("plot", "--num", "241"),
            ("compare", "--profile", "float64"),
        ],
    )
    def test_options_explain_themselves(self, command: str, option: str, default: str) -> None:
        """Each option's help says what it does and shows its default."""
        run = nntrace(command, "--help")

        assert run.returncode == 0
        text = " ".join(run.stdout.split())
        start = text.index(f" {option} ")
        entry = text[start : text.find(" --", start + len(option) + 2)]
        assert f"(default: {default})" in entry
        assert len(entry.split("(default:")[0].split("}")[-1].split()) >= 4, entry

    def test_command_list(self) -> None:
        """validate and compare are listed with the other commands."""
        run = nntrace("--help")

        for command in (
            "health",
            "activations",
            "validate",
            "evaluate",
            "compare",
            "plot",
            "grade",
        ):
            assert re.search(rf"^ +{command}\b", run.stdout, re.MULTILINE), command


class TestWording:
    def test_one_node_one_output(self, live_server: str, tmp_path: Path) -> None:
        """Counts of one take the singular: "1 node", "1 input → 1 output"."""
        net = {
            "input_size": 1,
            "layers": [{"activation": "relu", "weights": [[2.0]], "bias": [0.5]}],
        }
        path = tmp_path / "tiny.json"
        path.write_text(json.dumps(net))

        evaluated = nntrace("evaluate", str(path), "--inputs", "[[1]]", "--url", live_server)
        validated = nntrace("validate", str(path), "--url", live_server)

        assert "layer 0 'out': relu, 1 node\n" in evaluated.stdout
        assert validated.stdout.startswith("1 input → 1 output, 2 parameters\n")
        for run in (evaluated, validated):
            assert " 1 nodes" not in run.stdout and " 1 outputs" not in run.stdout

    def test_calculations_say_which_sample(self, live_server: str, files: dict[str, Path]) -> None:
        """With several samples, each sample's calculation lines come under its heading."""
        run = nntrace(
            "evaluate", str(files["net"]), "--inputs", str(files["inputs"]),
            "--trace", "nodes", "--url", live_server,
        )  # fmt: skip

        block = run.stdout.split("calculations\n", 1)[1].splitlines()
        assert [i for i, line in enumerate(block) if line.startswith("sample ")] == [0, 6]
        assert (block[0], block[6]) == ("sample 0:", "sample 1:")
        assert block[7].startswith("  hidden[0] = sigmoid(0.50×(-1.00) + ")
        assert block[11] == (
            f"  output[0] = linear(0.70×0.3659 + (-0.40)×0.6457 + 0.60×0.5498 + 0.50×0.5374 + "
            f"(-0.10)) = linear({_expected_output(seed_network(), SEED_INPUTS[1]):.4f}) = "
            f"{_expected_output(seed_network(), SEED_INPUTS[1]):.4f}"
        )

    def test_one_sample_needs_no_heading(self, live_server: str, files: dict[str, Path]) -> None:
        """One traced sample: the lines stand alone, as the README prints them."""
        run = nntrace(
            "evaluate", str(files["net"]), "--inputs", "[[1, 2, 3]]",
            "--trace", "nodes", "--url", live_server,
        )  # fmt: skip

        block = run.stdout.split("calculations\n", 1)[1].splitlines()
        assert len(block) == 5 and block[0].startswith("hidden[0] = sigmoid(")

    def test_activation_ranges_show_their_bounds(self, live_server: str) -> None:
        """The catalog table brackets an end the activation reaches and parenthesises one it
        only approaches (each finite bracketed end is reached at the x in the comment)."""
        expected = {
            "relu": "[0, ∞)",  # x = 0
            "relu6": "[0, 6]",  # x = 0 and x = 6
            "hard_sigmoid": "[0, 1]",  # x = -3 and x = 3
            "hard_tanh": "[-1, 1]",  # x = -1 and x = 1
            "hard_silu": "[-0.375, ∞)",  # x = -1.5
            "sigmoid": "(0, 1)",
            "tanh": "(-1, 1)",
            "elu": "(-1, ∞)",
            "softplus": "(0, ∞)",
            "linear": "(-∞, ∞)",
        }

        run = nntrace("activations", "--url", live_server)

        rows = {line.split()[0]: line.rstrip() for line in run.stdout.splitlines()[2:]}
        shown = {name: rows[name][-len(text) :] for name, text in expected.items()}
        assert shown == expected


class TestValidateAndCompare:
    def test_validate(self, live_server: str, files: dict[str, Path]) -> None:
        """validate prints sizes, the parameter count (4·3 + 4 + 4 + 1 = 21) and linearity."""
        run = nntrace("validate", str(files["net"]), "--url", live_server)

        assert (run.returncode, run.stderr) == (0, "")
        assert run.stdout.startswith("3 inputs → 1 output, 21 parameters\n")
        assert "hidden" in run.stdout and "sigmoid" in run.stdout

    def test_validate_problem(self, live_server: str, files: dict[str, Path]) -> None:
        """An invalid network exits 1 with the service's pointer."""
        run = nntrace("validate", str(files["bad"]), "--url", live_server)

        assert run.returncode == 1
        assert "at /network/layers/0/activation:" in run.stderr

    def test_compare_networks(
        self, live_server: str, tmp_path: Path, files: dict[str, Path]
    ) -> None:
        """compare reports the layer that differs and the numbers, from a plain-loop reference."""
        candidate = seed_network()
        candidate["layers"][1]["bias"] = [0.4]
        path = tmp_path / "candidate.json"
        path.write_text(json.dumps(candidate))

        run = nntrace(
            "compare", str(files["net"]), str(path), "--inputs", str(files["inputs"]),
            "--json", "--url", live_server,
        )  # fmt: skip

        assert (run.returncode, run.stderr) == (0, "")
        result = json.loads(run.stdout)
        assert [layer["ok"] for layer in result["layers"]] == [True, False]
        first = result["first_mismatches"][0]
        assert first["expected"] == pytest.approx(_expected_output(seed_network(), SEED_INPUTS[0]))
        assert first["got"] == pytest.approx(_expected_output(candidate, SEED_INPUTS[0]))

    def test_compare_layer_values(
        self, live_server: str, tmp_path: Path, files: dict[str, Path]
    ) -> None:
        """Layer values computed by hand (here: plain loops) against the network: all ok."""
        run = _compare(_hand_values(), files, tmp_path, live_server)

        assert (run.returncode, run.stderr) == (0, "")
        assert run.stdout.splitlines() == ["layer hidden: ok", "layer output: ok"]

    def test_compare_one_node_differs(
        self, live_server: str, tmp_path: Path, files: dict[str, Path]
    ) -> None:
        """The text output names the layer and says "1 node differs"."""
        values = _hand_values()
        values[0][0][2] += 0.1

        run = _compare(values, files, tmp_path, live_server)

        assert run.stdout.splitlines()[0] == "layer hidden: 1 node differs"


class TestFailures:
    def test_problem_is_printed_plainly(self, live_server: str, files: dict[str, Path]) -> None:
        """A problem exits 1 and shows title, detail and pointer on stderr, nothing on stdout."""
        run = nntrace(
            "evaluate", str(files["bad"]), "--inputs", str(files["inputs"]), "--url", live_server
        )

        assert run.returncode == 1
        assert run.stdout == ""
        assert "Unknown activation (HTTP 422, unknown-activation)" in run.stderr
        assert "at /network/layers/0/activation:" in run.stderr
        assert "did you mean 'sigmoid'" in run.stderr
        assert "request id: " in run.stderr

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["evaluate", "{missing}"], "cannot read the network file"),
            (["evaluate", "{broken}"], "is not valid JSON"),
            (["evaluate", "{net}"], "no inputs"),
            (["evaluate", "{net}", "--inputs", "[1, 2"], "neither a file nor valid JSON"),
            (["evaluate", "{inputs}", "--inputs", "{inputs}"], "not a network"),
            (["evaluate", "{net}", "--trace", "everything"], "invalid choice"),
            (["frobnicate"], "invalid choice"),
            ([], "required"),
            (["health", "--url", "localhost:8000"], "http://"),
        ],
        ids=[
            "missing-file",
            "broken-json",
            "no-inputs",
            "bad-inline-inputs",
            "not-a-network",
            "bad-choice",
            "bad-command",
            "no-command",
            "bad-url",
        ],
    )
    def test_usage_errors(self, files: dict[str, Path], args: list[str], message: str) -> None:
        """Usage mistakes exit 2 with a message on stderr, before any request is sent."""
        paths = {name: str(path) for name, path in files.items()} | {
            "missing": "/nonexistent/net.json"
        }
        argv = [arg.format(**paths) for arg in args]
        if argv and "--url" not in argv:  # a request would fail with 3, not 2
            argv += ["--url", f"http://127.0.0.1:{free_port()}"]

        run = nntrace(*argv)

        assert run.returncode == 2
        assert message in run.stderr
        assert run.stdout == ""

    def test_unreachable(self) -> None:
        """No service listening exits 3 and says it cannot reach it."""
        run = nntrace("health", "--url", f"http://127.0.0.1:{free_port()}", "--retries", "0")

        assert run.returncode == 3
        assert "cannot reach the nntrace service" in run.stderr
        # and where to look: a service to start, or the address to give
        assert "`make serve`" in run.stderr and "--url or NNTRACE_URL" in run.stderr

    def test_timeout(self) -> None:
        """A service that never answers exits 3 with a timeout message."""
        with silent_server() as url:
            run = nntrace("health", "--url", url, "--timeout", "0.3", "--retries", "0")

        assert run.returncode == 3
        assert "timed out" in run.stderr
        assert "is the service running?" not in run.stderr  # it is: it answered the connect
