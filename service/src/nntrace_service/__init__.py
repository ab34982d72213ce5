"""nntrace service: evaluate small neural networks and show what every node computed.

Importing this package must stay cheap and must not import Flask: the numpy core in
``nntrace_service.core`` is used on its own (benchmarks, grading) and by the app factory in
``nntrace_service.app``.
"""

__version__ = "0.1.0"
