"""Comparing activations and grading submissions for autograders.

Pure numpy and the core (no Flask): :mod:`tolerance` decides which numbers count as equal,
:mod:`values` reads a student's numbers without trusting them, :mod:`scoring` turns
comparisons into points with follow-through credit, :mod:`compare` builds the
``/v1/compare`` document, :mod:`formats` renders a grade for Gradescope, PrairieLearn, JUnit
or as native JSON, and :mod:`schemas` holds the request models.
"""
