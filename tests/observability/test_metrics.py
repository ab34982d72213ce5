"""GET /metrics: Prometheus text that prometheus_client's own parser reads, with counters
that match the requests sent, in one process and summed across gunicorn workers."""

from __future__ import annotations

import concurrent.futures
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from nntrace_service.app import create_app
from nntrace_service.settings import Settings
from tests.support import free_port, running_gunicorn, seed_network


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, keyed by name and sorted labels (parsed by prometheus_client)."""
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def requests_total(scrape: dict[Any, float], route: str, status: str, method: str = "GET") -> float:
    key = (
        "nntrace_http_requests_total",
        (("method", method), ("route", route), ("status", status)),
    )
    return scrape.get(key, 0.0)


def _evaluate_body() -> dict[str, Any]:
    return {
        "network": seed_network("relu"),
        "inputs": [[1.0, 2.0, 3.0], [0.0, 1.0, 0.0]],
        "trace": "nodes",
    }


class TestInProcess:
    def test_counts_requests_by_route_and_status(self, client: FlaskClient) -> None:
        """Each answered request adds one to its route's counter, under its status; the
        route label is the URL rule, not the path, so names in paths stay out of labels."""
        before = samples(client.get("/metrics", buffered=True).text)
        for _ in range(3):
            assert client.get("/healthz", buffered=True).status_code == 200
        assert client.get("/v1/activations/tanh", buffered=True).status_code == 200
        assert client.get("/v1/activations/no-such-thing", buffered=True).status_code == 404
        after = samples(client.get("/metrics", buffered=True).text)

        assert (
            requests_total(after, "/healthz", "200") - requests_total(before, "/healthz", "200")
            == 3
        )
        rule = "/v1/activations/<name>"
        assert requests_total(after, rule, "200") - requests_total(before, rule, "200") == 1
        assert requests_total(after, rule, "404") - requests_total(before, rule, "404") == 1

    def test_problems_by_type_and_evaluation_sizes(self, client: FlaskClient) -> None:
        """A validation error counts under its problem type; an evaluation records its rows,
        parameters and trace terms."""
        before = samples(client.get("/metrics", buffered=True).text)
        assert client.post("/v1/evaluate", json={"network": {}}, buffered=True).status_code == 422
        assert client.post("/v1/evaluate", json=_evaluate_body(), buffered=True).status_code == 200
        after = samples(client.get("/metrics", buffered=True).text)

        def delta(name: str, labels: tuple[tuple[str, str], ...] = ()) -> float:
            return after.get((name, labels), 0.0) - before.get((name, labels), 0.0)

        assert delta("nntrace_problems_total", (("type", "validation-error"),)) == 1
        assert delta("nntrace_evaluation_rows_count") == 1
        assert delta("nntrace_evaluation_rows_sum") == 2
        assert delta("nntrace_evaluation_parameters_sum") == 4 * 3 + 4 + 4 + 1
        assert delta("nntrace_trace_terms_sum") == 2 * (4 * 3 + 1 * 4)

    def test_store_operations_by_outcome_with_their_duration(self, client: FlaskClient) -> None:
        """Each store operation a request makes counts under its outcome, and its duration
        is observed: a stored network (authenticate, create_network ok), the same name again
        (conflict), an unknown id (get_network not_found)."""
        from nntrace_service.store import Scope

        store = client.application.extensions["nntrace.store"]
        _, token = store.create_key("metrics", [Scope.WRITE])
        auth = {"Authorization": f"Bearer {token}"}
        body = {"name": "counted", "network": seed_network("relu")}
        before = samples(client.get("/metrics", buffered=True).text)
        assert (
            client.post("/v1/networks", json=body, headers=auth, buffered=True).status_code == 201
        )
        assert (
            client.post("/v1/networks", json=body, headers=auth, buffered=True).status_code == 409
        )
        unknown = "/v1/networks/nw_" + "A" * 22
        assert client.get(unknown, headers=auth, buffered=True).status_code == 404
        after = samples(client.get("/metrics", buffered=True).text)

        def delta(operation: str, outcome: str) -> float:
            key = (
                "nntrace_store_operations_total",
                (("operation", operation), ("outcome", outcome)),
            )
            return after.get(key, 0.0) - before.get(key, 0.0)

        assert delta("authenticate", "ok") == 3
        assert delta("create_network", "ok") == 1
        assert delta("create_network", "conflict") == 1
        assert delta("get_network", "not_found") == 1
        durations = (
            "nntrace_store_operation_duration_seconds_count",
            (("operation", "create_network"),),
        )
        assert after[durations] - before.get(durations, 0.0) == 2
        seconds = (
            "nntrace_store_operation_duration_seconds_sum",
            (("operation", "create_network"),),
        )
        assert after[seconds] > before.get(seconds, 0.0)

    def test_build_info_names_the_version(self, client: FlaskClient) -> None:
        """nntrace_build_info carries the running version as a label."""
        from nntrace_service import __version__

        scrape = samples(client.get("/metrics", buffered=True).text)

        versions = {
            dict(labels).get("version") for (name, labels) in scrape if name == "nntrace_build_info"
        }
        assert versions == {__version__}

    def test_off_switch(self) -> None:
        """NNTRACE_METRICS=off: no /metrics route at all."""
        client = create_app(Settings(metrics=False)).test_client()

        response = client.get("/metrics", buffered=True)

        assert response.status_code == 404
        assert response.mimetype == "application/problem+json"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The service under gunicorn with two workers."""
    with running_gunicorn(workers=2) as base_url:
        yield base_url


def eventually(
    scrape: Callable[[], dict[Any, float]], done: Callable[[dict[Any, float]], bool]
) -> dict[Any, float]:
    """Scrape until ``done`` holds (2 s at most): a request is counted when its response has
    been sent, a moment after the client has it."""
    deadline = time.monotonic() + 2
    found = scrape()
    while not done(found) and time.monotonic() < deadline:
        time.sleep(0.05)
        found = scrape()
    return found


@pytest.mark.live
class TestAcrossWorkers:
    def test_counters_match_requests_sent_under_load(self, server: str) -> None:
        """300 requests from 8 threads spread over both workers: the scrape (parsed by
        prometheus_client) counts exactly 300, and scrapes taken during the load parse."""
        before = samples(_get(f"{server}/metrics"))
        body = json.dumps(_evaluate_body()).encode()

        def one(index: int) -> int:
            if index % 50 == 0:
                samples(_get(f"{server}/metrics"))  # a scrape under load parses
            return _post(f"{server}/v1/evaluate", body)

        def sent(scrape: dict[Any, float]) -> float:
            return requests_total(scrape, "/v1/evaluate", "200", "POST") - requests_total(
                before, "/v1/evaluate", "200", "POST"
            )

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(one, range(300)))
        after = eventually(lambda: samples(_get(f"{server}/metrics")), lambda s: sent(s) >= 300)

        assert statuses == [200] * 300
        assert sent(after) == 300
        assert (
            after[("nntrace_evaluation_rows_count", ())]
            - before.get(("nntrace_evaluation_rows_count", ()), 0)
            == 300
        )

    def test_separate_metrics_port(self) -> None:
        """NNTRACE_METRICS_BIND serves the workers' metrics from the arbiter on a port of its
        own; the service's port then has no /metrics."""
        port = free_port()
        with running_gunicorn({"NNTRACE_METRICS_BIND": f"127.0.0.1:{port}"}, workers=2) as base_url:
            for _ in range(5):
                _get(f"{base_url}/healthz")
            scrape = eventually(
                lambda: samples(_get(f"http://127.0.0.1:{port}/metrics")),
                lambda s: requests_total(s, "/healthz", "200") >= 5,
            )
            with pytest.raises(urllib.error.HTTPError) as refused:
                _get(f"{base_url}/metrics")
            refused.value.close()

        assert requests_total(scrape, "/healthz", "200") >= 5
        assert refused.value.code == 404


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as answer:
        return str(answer.read().decode())


def _post(url: str, body: bytes) -> int:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        answer.read()
        return int(answer.status)
