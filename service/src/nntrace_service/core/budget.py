"""The wall-clock budget of one request's work, checked cooperatively by long loops.

The limits in ``limits.py`` bound a request's cost before work starts; this is the backstop
for what they do not foresee. A worker killed by gunicorn's timeout takes every request it
holds with it and answers nothing useful; a loop that checks the budget between layers,
nodes or test cases stops with :class:`OverBudgetError` instead, which the service answers
as a 422 naming its setting, and the worker goes on serving.

The deadline lives in a context variable, so every request (thread or greenlet) has its own
and code outside a request (tests, the core used as a library) runs unbounded.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import Any

from nntrace_service.core.errors import CoreError

_BUDGET: ContextVar[tuple[float, float] | None] = ContextVar("nntrace_budget", default=None)
"""(seconds allowed, monotonic deadline) of the current request, or None."""


class OverBudgetError(CoreError):
    """The request's work took longer than its wall-clock budget."""

    slug = "limit-exceeded"

    def __init__(self, seconds: float, elapsed: float) -> None:
        super().__init__(
            f"the request's work took more than its budget of {seconds:g} s "
            f"(stopped after {elapsed:.1f} s); send a smaller network, batch or trace"
        )
        self.seconds = seconds
        self.elapsed = elapsed

    @property
    def code(self) -> str:
        return "limit_exceeded"

    @property
    def extensions(self) -> dict[str, Any]:
        return {"limit": self.seconds, "actual": round(self.elapsed, 3)}


@contextmanager
def budget(seconds: float | None) -> Iterator[None]:
    """Run the enclosed work under a budget of ``seconds`` (None: unbounded)."""
    token = start(seconds)
    try:
        yield
    finally:
        end(token)


def start(seconds: float | None) -> Token[tuple[float, float] | None]:
    """Start a budget of ``seconds`` (None: unbounded) for what runs until :func:`end` is
    given the token returned: :func:`budget` without a generator, for the per-request
    middleware."""
    return _BUDGET.set(None if seconds is None else (seconds, time.monotonic() + seconds))


def end(token: Token[tuple[float, float] | None]) -> None:
    """Restore the budget that was current before the :func:`start` of ``token``."""
    _BUDGET.reset(token)


def restart() -> None:
    """Start the current budget anew (after a request body has arrived: a slow upload waits
    on the network, not on the worker's CPU)."""
    current = _BUDGET.get()
    if current is not None:
        _BUDGET.set((current[0], time.monotonic() + current[0]))


def active() -> bool:
    """Whether the current code runs under a budget: a loop of many cheap steps (the forward
    pass of a tiny network) reads this once and calls :func:`check` per step only then."""
    return _BUDGET.get() is not None


def check() -> None:
    """Raise :class:`OverBudgetError` if the current request is past its deadline."""
    current = _BUDGET.get()
    if current is not None and time.monotonic() > current[1]:
        seconds, deadline = current
        raise OverBudgetError(seconds, seconds + time.monotonic() - deadline)
