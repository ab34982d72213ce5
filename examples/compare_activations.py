"""Sigmoid vs tanh vs ReLU on the same network: what changes, node by node.

A notebook-style script: each ``# %%`` cell runs on its own in VS Code, PyCharm or Jupyter
(via jupytext), and the whole file runs as a script. It needs a running service::

    make serve                                   # or: docker run -p 8000:8000 nntrace
    NNTRACE_URL=http://127.0.0.1:8000 python examples/compare_activations.py [--output FILE.png]

and, for the optional figure, matplotlib (``pip install './client[plot]'``). The figure goes
to ``--output`` or, by default, to a new temporary folder (never into the working directory,
which is usually the repository); the script prints where.
"""

# %% The seed network: 3 inputs, 4 hidden nodes, 1 linear output.
import argparse
import tempfile
from pathlib import Path

import nntrace

HERE = Path(__file__).resolve().parent
parser = argparse.ArgumentParser(description="Sigmoid vs tanh vs ReLU on the seed network.")
parser.add_argument(
    "--output",
    type=Path,
    metavar="FILE.png",
    help="where to write the figure (default: a temp dir)",
)
# parse_known_args: in a notebook kernel, sys.argv holds the kernel's own arguments.
options, _ = parser.parse_known_args()
network = nntrace.Network.load(HERE / "seed_network.json")
inputs = [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]]
print(network)

# %% Evaluate the same weights with three hidden activations.
client = nntrace.Client()  # NNTRACE_URL, else http://127.0.0.1:8000
comparison = client.compare_activations(
    network, inputs, ["sigmoid", "tanh", "relu"], trace="nodes", gradients=True
)
print(comparison)  # in a notebook, just `comparison` shows HTML tables

# %% Every node's calculation, per activation, for the first sample.
for activation, result in comparison.evaluations.items():
    print(f"\n--- {activation} ---")
    for node in result.nodes or []:
        if node.sample == 0:
            print(node)

# %% What the activations do to the gradient reaching the first layer.
print("\nmean |gradient| per layer (first layer first):")
for activation, result in comparison.evaluations.items():
    if result.gradients is not None:
        means = ", ".join(f"{g:.4f}" for g in result.gradients.mean_abs_gradient_by_layer)
        print(f"  {activation:8} {means}")

# %% Curves of the three activations and their derivatives (needs matplotlib).
try:
    figure = nntrace.plot_activations(["sigmoid", "tanh", "relu"], client)
except ImportError:
    print("\n(install matplotlib to draw the curves)")
else:
    out = options.output or Path(tempfile.mkdtemp(prefix="nntrace-")) / "activations.png"
    figure.savefig(out)
    print(f"\ncurves written to {out}")

client.close()
