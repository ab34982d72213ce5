"""The client SDK and the ``nntrace`` command line against the store, through a real
gunicorn: keys from ``api_key=`` and ``NNTRACE_API_KEY``, push / pull / update / list /
delete, networks used by id, and the grading flow with a stored reference and a grade key."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import nntrace
from nntrace import cli
from nntrace_service.store import Scope, Store
from tests.store.test_http_networks import naive_forward
from tests.support import ROOT, SEED_INPUTS, gunicorn_process, seed_network

pytestmark = pytest.mark.live  # starts gunicorn


@dataclass(frozen=True)
class Live:
    url: str
    database_url: str
    admin: str
    write: str
    grade: str
    other: str


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("client-store")
    database_url = f"sqlite+pysqlite:///{tmp / 'store.sqlite3'}"
    store = Store.open(database_url)
    tokens = [
        store.create_key(owner, [scope])[1]
        for owner, scope in (
            ("ops", Scope.ADMIN),
            ("cs101", Scope.WRITE),
            ("cs101", Scope.GRADE),
            ("cs102", Scope.WRITE),
        )
    ]
    store.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NNTRACE_DATABASE_URL": database_url}
    with gunicorn_process(env, tmp / "gunicorn.log", timeout=60) as (url, _):
        yield Live(url, database_url, *tokens)


def test_push_pull_update_list_delete(live: Live) -> None:
    with nntrace.Client(live.url, api_key=live.write) as client:
        pushed = client.push(seed_network(), "lifecycle", tags=["week1"])
        updated = client.update(pushed, seed_network("tanh"))
        with pytest.raises(nntrace.PreconditionFailedError):
            client.update(pushed, seed_network("relu"))
        listed = [n.id for n in client.networks(tag="week1", page_size=1)]
        old = client.pull(pushed.id, version=1)
        client.delete(updated)
        with pytest.raises(nntrace.NetworkNotFoundError):
            client.pull(pushed.id)

    assert (pushed.version, updated.version, updated.etag) == (1, 2, '"v2"')
    assert old.network == seed_network()
    assert listed == [pushed.id]


def test_keys_from_the_environment_and_their_errors(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    with nntrace.Client(live.url) as anonymous, pytest.raises(nntrace.AuthenticationError):
        anonymous.push(seed_network(), "nokey")
    with nntrace.Client(live.url, api_key=live.grade) as grader:
        with pytest.raises(nntrace.PermissionDeniedError):
            grader.push(seed_network(), "gradekey")
    monkeypatch.setenv("NNTRACE_API_KEY", live.write)
    with nntrace.Client(live.url) as client:
        mine = client.push(seed_network(), "from-env")
    with nntrace.Client(live.url, api_key=live.other) as other:
        with pytest.raises(nntrace.NetworkNotFoundError):
            other.pull(mine.id)
        with pytest.raises(nntrace.NetworkNotFoundError):
            other.evaluate(nntrace.Stored(mine.id), SEED_INPUTS)


def test_grading_with_a_stored_reference_and_a_grade_key(live: Live) -> None:
    """The README's flow: the instructor stores a hidden reference once; the autograder holds
    only its id and a grade key."""
    with nntrace.Client(live.url, api_key=live.write) as instructor:
        reference = instructor.push(seed_network(), "hw3-reference", hidden_weights=True)
    row = [1.0, 2.0, 3.0]
    layers = naive_forward(seed_network(), row)
    with nntrace.Client(live.url, api_key=live.grade) as autograder:
        result = autograder.grade(
            nntrace.Stored(reference.id),
            {"a": {"layers": layers}},
            [{"id": "a", "input": row, "points": 3}],
            format="gradescope",
        )
        seen = autograder.pull(reference.id)
        values = autograder.evaluate(nntrace.Stored(reference.id), [row])

    assert sum(t["score"] for t in result["tests"]) == pytest.approx(3.0)
    assert seen.network is None and seen.hidden_weights
    assert values.outputs[0][0] == pytest.approx(layers[-1][0], abs=1e-12)


def test_cli_networks_push_pull_list(
    live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    network_file = tmp_path / "net.json"
    network_file.write_text(json.dumps(seed_network("relu")))
    common = ["--url", live.url, "--api-key", live.write]

    assert cli.main(["networks", "push", str(network_file), "--name", "cli-net", *common]) == 0
    network_id = capsys.readouterr().out.split()[0]
    assert cli.main(["networks", "list", "--json", *common]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    pulled = tmp_path / "pulled.json"
    assert cli.main(["networks", "pull", network_id, "--out", str(pulled), *common]) == 0

    assert network_id in [item["id"] for item in listed]
    assert json.loads(pulled.read_text()) == seed_network("relu")
    assert cli.main(["networks", "pull", network_id, "--url", live.url]) == 1  # no key: 404


def test_cli_grade_with_reference_id(
    live: Live, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with nntrace.Client(live.url, api_key=live.write) as instructor:
        reference = instructor.push(seed_network(), "cli-reference", hidden_weights=True)
    row = [1.0, 2.0, 3.0]
    grading = tmp_path / "grading.json"
    grading.write_text(
        json.dumps({"reference_id": reference.id, "test_cases": [{"id": "a", "input": row}]})
    )
    submission = tmp_path / "submission.json"
    submission.write_text(json.dumps({"a": {"layers": naive_forward(seed_network(), row)}}))
    out = tmp_path / "results.json"

    code = cli.main(
        [
            "grade", str(grading), str(submission), "--format", "gradescope",
            "--out", str(out), "--url", live.url, "--api-key", live.grade,
        ]
    )  # fmt: skip

    assert code == 0, capsys.readouterr().err
    assert sum(t["score"] for t in json.loads(out.read_text())["tests"]) == pytest.approx(1.0)


@pytest.mark.parametrize("given_by", ["environment", "zip files"])
def test_gradescope_example_with_a_stored_reference(
    live: Live, tmp_path: Path, given_by: str
) -> None:
    """examples/gradescope with grading.stored.json: the reference pushed hidden, the
    autograder given only its id and a grade key, the results as with the inline reference.
    The address and key come from the environment or, as on Gradescope (which has no place
    for environment variables), from the files `make gradescope-zip` packs."""
    import shutil
    import subprocess
    import sys

    examples = ROOT / "examples" / "gradescope"
    inline = json.loads((examples / "grading.json").read_text())
    with nntrace.Client(live.url, api_key=live.write) as instructor:
        stored = instructor.push(
            inline["reference"]["network"],
            f"gradescope-hw-{given_by.replace(' ', '-')}",
            hidden_weights=True,
        )
    spec = json.loads((examples / "grading.stored.json").read_text())
    spec["reference_id"] = stored.id
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    (root / "source" / "grading.json").write_text(json.dumps(spec))
    shutil.copytree(examples / "sample_submission", root / "submission")
    env = {**os.environ, "NNTRACE_AUTOGRADER_ROOT": str(root)}
    if given_by == "environment":
        env.update(NNTRACE_URL=live.url, NNTRACE_API_KEY=live.grade)
    else:
        (root / "source" / "nntrace_url").write_text(f"{live.url}\n")
        (root / "source" / "nntrace_api_key").write_text(f"{live.grade}\n")

    done = subprocess.run(
        [sys.executable, str(examples / "run_autograder")],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    results = json.loads((root / "results" / "results.json").read_text())
    with nntrace.Client(live.url) as anyone:
        expected = anyone.grade(
            inline["reference"],
            json.loads((examples / "sample_submission" / "node_values.json").read_text()),
            inline["test_cases"],
            format="gradescope",
            tolerance=inline["tolerance"],
            scoring=inline["scoring"],
            feedback=inline["feedback"],
        )

    assert done.returncode == 0, done.stdout + done.stderr
    assert [t["score"] for t in results["tests"]] == [t["score"] for t in expected["tests"]]
    assert not any(str(w) in json.dumps(results) for w in (0.75, -1.5, -0.25))


def test_the_readme_grading_flow_runs_as_written(live: Live, tmp_path: Path) -> None:
    """The README's shell blocks against this server: the keys block (its two tokens become
    WRITE and GRADE, as the README says), then the store, grade and read-back block."""
    import re
    import subprocess
    import sys

    readme = (ROOT / "README.md").read_text()
    shell = re.findall(r"```bash\n(.*?)```", readme, flags=re.DOTALL)
    keys_block = next(b for b in shell if b.startswith("nntrace-service keys create"))
    flow_block = next(b for b in shell if "reference_id" in b)
    env = {
        **os.environ,
        "NNTRACE_DATABASE_URL": live.database_url,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }

    def bash(block: str) -> str:
        script = "set -euo pipefail\n" + block.replace("http://127.0.0.1:8000", live.url)
        done = subprocess.run(
            ["bash", "-c", script], env=env, cwd=tmp_path, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    write, grade = bash(keys_block).split()
    env.update(WRITE=write, GRADE=grade)
    decoder, text = json.JSONDecoder(), bash(flow_block).strip()
    results, end = decoder.raw_decode(text)
    shown = json.loads(text[end:])

    assert sum(t["score"] for t in results["tests"]) == pytest.approx(5.0)
    assert shown["hidden_weights"] is True and "network" not in shown
