"""Python's cyclic garbage collector held off while one request builds a large result.

A batch grade keeps some 20,000 small objects alive at once (every student's grade, case,
layer and node report) until the last document is rendered. Each time the collector's
youngest generation fills up it moves them on, and once they add up to a quarter of the
process's long-lived objects it runs a full collection: a walk over every object of the
worker (Flask, pydantic, numpy, SQLAlchemy and all their modules), some 10 ms here, once
or twice per batch of 300 students. None of that finds garbage: these objects hold no
reference cycles and are freed by reference counting when the work returns.

Held off for the length of the work, they come and go without ever being scanned. What the
work allocates is bounded before it starts (``limits.py``), so memory cannot run away
meanwhile, and a cycle made meanwhile is found by the next collection after it.

The collector is one switch for the whole process, and requests run side by side (threads
or greenlets). Only a request that finds it on turns it off, and that same request turns it
back on (two that both find it on both do): a pause never outlasts the request that began
it, however many overlap, so collections cannot be put off for good.
The enclosed work must not wait on I/O (a slow client would hold the pause).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def held_off() -> Iterator[None]:
    """Run the enclosed work with the cyclic collector disabled (see the module)."""
    mine = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if mine:
            gc.enable()
