"""The Gradescope and PrairieLearn examples end to end, in images built the way the platforms
build theirs, on Debian 12 (bookworm), whose system Python refuses `pip install` (PEP 668).

* Gradescope: the zip `make gradescope-zip` packs (scripts/gradescope_zip.py) is unpacked to
  /autograder/source, its setup.sh runs as root at image build time and installs the client
  from the wheel inside the zip; then /autograder/run_autograder grades the sample submission,
  finding the service through the address packed into the zip.
* PrairieLearn: the grader image from examples/prairielearn/Dockerfile installs the client
  from the wheel the service itself serves (GET /client/…whl); then /grade/tests/grade.py
  grades the sample answers from a /grade directory mounted as PrairieLearn does.

Both reach a real gunicorn on the host's loopback (host networking). Base image: the local
Debian image from shared/container/make-base-image when it is at hand (CI), else
debian:bookworm-slim from a registry. Gated like the smoke test (NNTRACE_CONTAINER_TESTS=1).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.grading.support import check_gradescope, check_prairielearn, strict_json
from tests.support import ROOT, build_client_wheel, running_gunicorn

SHARED = Path(os.environ.get("NNTRACE_SHARED_DIR", ROOT.parent / "shared"))
MAKE_BASE = SHARED / "container" / "make-base-image"
EXAMPLES = ROOT / "examples"
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")

pytestmark = [
    pytest.mark.container,
    pytest.mark.live,
    pytest.mark.skipif(
        os.environ.get("NNTRACE_CONTAINER_TESTS") != "1",
        reason="builds two images with podman as root (minutes); .ci/run sets "
        "NNTRACE_CONTAINER_TESTS=1 to run them.",
    ),
]


def podman(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """podman with the flags this kind of machine needs (see make-base-image's header)."""
    runtime = ["--runtime", "runc"] if shutil.which("runc") else []
    done = subprocess.run(
        ["podman", *runtime, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, (
        f"podman {' '.join(args[:2])}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    )
    return done


def build(context: Path, tag: str, *args: str) -> None:
    ca = ["-v", f"{CA_BUNDLE}:{CA_BUNDLE}:ro"] if CA_BUNDLE.exists() else []
    podman(
        "build", "--isolation", "chroot", "--format", "docker", "--pull=never",
        "--network", "host", *ca, *args, "-t", tag, str(context),
    )  # fmt: skip


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """podman run --rm with explicit ulimits (the defaults are refused on these machines)."""
    return podman(
        "run", "--rm", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000", *args
    )  # fmt: skip


@pytest.fixture(scope="module")
def base_image() -> str:
    if MAKE_BASE.is_file():
        image = "localhost/python-base:bookworm"
        subprocess.run([str(MAKE_BASE), image], check=True, capture_output=True, timeout=1800)
        return image
    image = "docker.io/library/debian:bookworm-slim"
    podman("pull", image)
    return image


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A real gunicorn serving its client wheel; yields its URL and the wheel."""
    folder = tmp_path_factory.mktemp("client-wheels")
    wheel = build_client_wheel(folder)
    with running_gunicorn({"NNTRACE_CLIENT_WHEELS": str(folder)}) as base_url:
        yield base_url, wheel


@pytest.fixture(scope="module")
def images() -> Iterator[list[str]]:
    """Tags built here; removed afterwards."""
    tags: list[str] = []
    yield tags
    for tag in tags:
        subprocess.run(["podman", "rmi", "-f", tag], capture_output=True, timeout=300, check=False)


def test_gradescope(
    base_image: str, service: tuple[str, Path], images: list[str], tmp_path: Path
) -> None:
    """setup.sh installs the client from the zip's wheel into a venv on Debian 12, and the
    autograder gives the sample submission 8.75 of 10 points."""
    base_url, wheel = service
    archive = tmp_path / "autograder.zip"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gradescope_zip.py"), "--wheel", str(wheel),
         "--out", str(archive), "--url", base_url],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    context = tmp_path / "context"
    with zipfile.ZipFile(archive) as unpacked:
        unpacked.extractall(context / "source")
    for info in zipfile.ZipFile(archive).infolist():  # extractall drops the modes
        (context / "source" / info.filename).chmod(info.external_attr >> 16 & 0o777)
    (context / "Containerfile").write_text(
        f"FROM {base_image}\n"
        "COPY source/ /autograder/source/\n"
        "RUN cd /autograder/source && ./setup.sh "
        "&& cp run_autograder /autograder/run_autograder\n"
    )
    tag = "localhost/nntrace-test-gradescope"
    images.append(tag)

    build(context, tag)

    managed = run(tag, "sh", "-c", "ls /usr/lib/python3*/EXTERNALLY-MANAGED")
    assert "EXTERNALLY-MANAGED" in managed.stdout  # the PEP 668 case: system pip refuses
    submission = tmp_path / "submission"
    submission.mkdir()
    shutil.copy(EXAMPLES / "gradescope" / "sample_submission" / "node_values.json", submission)
    results = tmp_path / "results"
    results.mkdir()
    run(
        "--network", "host",
        "-v", f"{submission}:/autograder/submission:ro", "-v", f"{results}:/autograder/results",
        tag, "/autograder/run_autograder",
    )  # fmt: skip

    document = strict_json((results / "results.json").read_text())
    check_gradescope(document)
    assert sum(t["score"] for t in document["tests"]) == 8.75


def test_prairielearn(
    base_image: str, service: tuple[str, Path], images: list[str], tmp_path: Path
) -> None:
    """The grader image installs the client from the service's own wheel URL into a venv on
    Debian 12; the external grader scores the sample answers 0.875."""
    base_url, wheel = service
    tag = "localhost/nntrace-test-prairielearn"
    images.append(tag)

    build(
        EXAMPLES / "prairielearn", tag,
        "--build-arg", f"BASE_IMAGE={base_image}",
        "--build-arg", f"NNTRACE_CLIENT={base_url}/client/{wheel.name}",
    )  # fmt: skip

    grade = tmp_path / "grade"
    shutil.copytree(EXAMPLES / "prairielearn" / "tests", grade / "tests")
    (grade / "data").mkdir()
    shutil.copy(EXAMPLES / "prairielearn" / "sample_data.json", grade / "data" / "data.json")
    info = json.loads((EXAMPLES / "prairielearn" / "info.json").read_text())
    options = info["externalGradingOptions"]
    run(
        "--network", "host", "-v", f"{grade}:/grade",
        "-e", f"NNTRACE_URL={base_url}", tag, options["entrypoint"],
    )  # fmt: skip

    document = strict_json((grade / "results" / "results.json").read_text())
    check_prairielearn(document)
    assert document["score"] == 0.875
