"""Where the time of one ``POST /v1/evaluate`` goes, stage by stage, in process.

Used by ``http_bench.py`` (tiny network: fixed per-request costs) and ``payload_bench.py``
(large network: per-byte costs). Each stage is called directly and timed on its own; the
full request through Flask's test client is timed too, next to the baseline app's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchlib import time_many


def request_stages(
    body: bytes, timing: dict[str, Any], *, baseline: bool = True
) -> dict[str, float]:
    """Median µs of the whole request (service and baseline, via the test client) and of
    each stage of the service's handling: parse, validate, build, forward, shape+serialise."""
    import baseline_app

    from nntrace_service import core, limits
    from nntrace_service.app import create_app
    from nntrace_service.handlers import networks
    from nntrace_service.http.jsonio import OrjsonProvider
    from nntrace_service.schemas import EvaluateRequest
    from nntrace_service.settings import Settings

    app = create_app()
    service_client = app.test_client()
    baseline_client = baseline_app.create_app().test_client()
    provider = OrjsonProvider(app)
    settings = Settings()
    context = limits.validation_context(settings)
    document = provider.loads(body)
    request = EvaluateRequest.model_validate(document, context=context)
    network = networks.build(request.spec, settings, ("network",))

    def post(client: Any) -> Callable[[], Any]:
        def call() -> Any:
            response = client.post("/v1/evaluate", data=body, content_type="application/json")
            if response.status_code != 200:
                raise AssertionError(response.get_data(as_text=True)[:500])
            return response.get_data()

        return call

    with app.app_context():
        response = networks.evaluate(request, settings)
        stages: dict[str, Callable[[], Any]] = {
            "service request (test client)": post(service_client),
            "parse (orjson)": lambda: provider.loads(body),
            "validate (pydantic + arrays)": lambda: EvaluateRequest.model_validate(
                document, context=context
            ),
            "build network": lambda: networks.build(request.spec, settings, ("network",)),
            "forward": lambda: core.forward(network, request.inputs, dtype=request.dtype),
            "evaluate (build + forward + shape)": lambda: networks.evaluate(request, settings),
            "serialise response": lambda: provider.dumps(response),
        }
        if baseline:  # the baseline app reads nested lists only
            stages["baseline request (test client)"] = post(baseline_client)
        timings = time_many(stages, **timing)
    return {name: t.median_us for name, t in timings.items()}
