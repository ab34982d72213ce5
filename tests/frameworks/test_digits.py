"""End to end on data a package ships: scikit-learn's bundled digits (1797 8×8 images).

An MLPClassifier, a small Keras model and a small PyTorch model are trained here (seconds),
imported, evaluated on the service with a node-by-node trace, and their predicted
probabilities reproduced to float tolerance. The README's example runs as written.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pytest

import nntrace
from tests.frameworks.conftest import need
from tests.support import ROOT

sklearn = need("sklearn")
torch = need("torch")
keras = need("keras")
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402


@pytest.fixture(scope="module")
def digits() -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    x, y = load_digits(return_X_y=True)
    return x / 16.0, y


@pytest.fixture
def sdk(live_server: str) -> Any:
    with nntrace.Client(live_server, max_retries=0) as client:
        yield client


def _check_trace(result: Any, network: nntrace.Network, x: np.ndarray[Any, Any]) -> None:
    """Every traced node's z is its terms plus its bias, and its a what the layer passed on."""
    assert result.nodes is not None
    assert len(result.nodes) == sum(layer.units for layer in network.layers)
    for node in result.nodes:
        assert node.z == pytest.approx(sum(t.product for t in node.terms) + node.bias, abs=1e-12)
        assert node.a == result.layers[node.layer].activations[0][node.node]
    first = result.nodes[0]
    assert [t.input for t in first.terms] == pytest.approx(list(x[0]))


def test_mlp_classifier(sdk: Any, digits: Any) -> None:
    x, y = digits
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp = MLPClassifier(hidden_layer_sizes=(32,), max_iter=200, random_state=0).fit(x, y)
    assert mlp.score(x, y) > 0.9
    network = nntrace.Network.from_sklearn(mlp)
    result = sdk.evaluate(network, x[:200])
    np.testing.assert_allclose(result.outputs, mlp.predict_proba(x[:200]), rtol=1e-12, atol=1e-15)
    assert (result.outputs.argmax(axis=1) == mlp.predict(x[:200])).all()
    _check_trace(sdk.evaluate(network, x[:1], trace="nodes"), network, x)


def test_keras_model(sdk: Any, digits: Any) -> None:
    x, y = digits
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((64,)),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
    model.fit(x.astype("float32"), y, epochs=12, batch_size=256, verbose=0)
    network = nntrace.Network.from_keras(model)
    sample = x[:200].astype("float32")
    want = model(keras.ops.convert_to_tensor(sample)).detach().numpy()
    assert (want.argmax(axis=1) == y[:200]).mean() > 0.5  # it learned (chance: 0.1)
    result = sdk.evaluate(network, sample, dtype="float32")
    np.testing.assert_allclose(result.outputs, want, rtol=1e-6, atol=1e-6)
    _check_trace(sdk.evaluate(network, x[:1], trace="nodes"), network, x)


def test_torch_model(sdk: Any, digits: Any) -> None:
    x, y = digits
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10), torch.nn.Softmax(dim=1)
    ).double()
    inputs, labels = torch.from_numpy(x), torch.from_numpy(y)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(60):
        optimizer.zero_grad()
        loss = torch.nn.functional.nll_loss(torch.log(model(inputs)), labels)
        loss.backward()
        optimizer.step()
    model.eval()
    network = nntrace.Network.from_torch(model)
    with torch.no_grad():
        want = model(inputs[:200]).numpy()
    assert (want.argmax(axis=1) == y[:200]).mean() > 0.9
    result = sdk.evaluate(network, x[:200])
    np.testing.assert_allclose(result.outputs, want, rtol=1e-12, atol=1e-15)
    _check_trace(sdk.evaluate(network, x[:1], trace="nodes"), network, x)


def test_readme_example_runs(
    live_server: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    """The README's digits example, as written, against a real gunicorn."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- digits-example -->\n```python\n(.*?)```", readme, re.DOTALL)
    assert block is not None
    code = block.group(1)
    assert len(code.strip().splitlines()) <= 10
    monkeypatch.setenv("NNTRACE_URL", live_server)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sklearn's ConvergenceWarning, if any
        exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert float(printed[0]) < 1e-12
    assert printed[1].startswith("h1[0] = relu(")
