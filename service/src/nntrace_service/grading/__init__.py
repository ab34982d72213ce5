"""Comparing activations and grading submissions for autograders.

Lives here: :mod:`tolerance` decides which numbers count as equal, :mod:`values` reads a
student's numbers without trusting them, :mod:`scoring` turns comparisons into points with
follow-through credit, :mod:`compare` builds the ``/v1/compare`` document, :mod:`formats`
renders a grade for Gradescope, PrairieLearn, JUnit or as native JSON.

May import: numpy, the standard library and ``core``; no Flask, no pydantic (the request
models are in ``nntrace_service.schemas.grading``), enforced by import-linter.
"""
