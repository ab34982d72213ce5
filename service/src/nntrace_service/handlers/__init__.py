"""Use cases, one module per area: ``networks`` (validate, evaluate), ``activations``
(catalog, values, curves), ``grading`` (compare, grade).

A handler takes a validated request model (or plain values) and the settings, checks the
limits (:mod:`nntrace_service.limits`), calls the core or grading, and returns the response
document; problems are raised as :class:`nntrace_service.problems.ApiError`.

May import: core, grading, limits, schemas, problems, settings. Never Flask or http.
"""
