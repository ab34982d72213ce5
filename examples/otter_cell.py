"""An nbgrader / Otter-Grader test cell that grades a student's node values with nntrace.

Paste the body into a locked, graded test cell (nbgrader: give it ``points = 10``). The
student's notebook defines ``h_values`` and ``o_values`` for each input; the cell sends them
to the service, prints feedback the student can act on, and ends with the points as a bare
float, which nbgrader takes as partial credit.

nbgrader scores a cell 0 if *anything* reaches stderr, warnings included, so the client is
called with warnings silenced and nothing else writes to stderr. For Otter, wrap the same
call in a ``test_case`` and assert ``result.ok`` with ``result.feedback()`` as the message,
or call ``update_score`` from an ``after_grading`` plugin for fractional credit.
"""

import os
import warnings

import nntrace

REFERENCE = {
    "input_size": 2,
    "layers": [
        {
            "name": "h",
            "activation": "sigmoid",
            "weights": [[0.5, -0.25], [0.75, 0.1]],
            "bias": [0.1, -0.2],
        },
        {"name": "o", "activation": "tanh", "weights": [[1.0, -1.5]], "bias": [0.25]},
    ],
}
CASES = [
    {"id": "in1", "name": "Input x=[1, 2]", "input": [1.0, 2.0], "points": 5},
    {"id": "in2", "name": "Input x=[-1, 0.5]", "input": [-1.0, 0.5], "points": 5},
]

# In the notebook these come from the student's cells; here, a sample with one slip (h2).
h_values = globals().get("h_values", {"in1": [0.524979, 0.67], "in2": [0.371684, 0.28905]})
o_values = globals().get("o_values", {"in1": [-0.226048], "in2": [0.18592]})

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    with nntrace.Client(os.environ.get("NNTRACE_URL"), max_retries=1) as client:
        result = client.grade(
            REFERENCE,
            {
                case["id"]: {"layers": [h_values[case["id"]], o_values[case["id"]]]}
                for case in CASES
            },
            CASES,
            tolerance={"profile": "hand"},
            feedback={"reveal_expected": "always"},
        )

print(result.feedback())
points = result.points
points  # noqa: B018  (the cell's value: nbgrader's partial credit)
