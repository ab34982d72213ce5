"""nntrace service: evaluate small neural networks and show what every node computed.

Layout (CONTRIBUTING.md has the map): ``app`` assembles ``http`` (Flask: blueprints, body
parsing, problem responses), which calls ``handlers`` (use cases), which use ``limits`` (the
cost model), ``schemas`` (pydantic wire models), ``problems`` (the error catalogue),
``grading`` and ``core`` (numpy). import-linter enforces that direction.

Importing this package must stay cheap and must not import Flask: the numpy core in
``nntrace_service.core`` is used on its own (benchmarks, grading). ``__version__`` here is
the one source of the service's version (the wheel and openapi.yaml read it).
"""

__version__ = "0.1.0"
