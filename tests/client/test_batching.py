"""Large batches: split into requests under the service's limits, reassembled as one result."""

from __future__ import annotations

import numpy as np
import pytest

import nntrace
from tests.client.reference import naive_forward
from tests.support import seed_network

ROWS = np.random.default_rng(7).normal(size=(11, 3))


def _assert_same(batched: nntrace.Evaluation, whole: nntrace.Evaluation) -> None:
    """Equal structure and text; numbers equal up to BLAS summation order, which may differ
    between batch shapes in the last bit."""
    a, b = batched.to_dict(), whole.to_dict()
    assert a.keys() == b.keys()
    np.testing.assert_allclose(batched.outputs, whole.outputs, rtol=1e-12)
    for x, y in zip(batched.layers, whole.layers, strict=True):
        assert (x.index, x.name, x.activation, x.units) == (y.index, y.name, y.activation, y.units)
        np.testing.assert_allclose(x.preactivations, y.preactivations, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(x.activations, y.activations, rtol=1e-12, atol=1e-15)
        for name in ("derivatives", "gradients"):
            left, right = getattr(x, name), getattr(y, name)
            assert (left is None) == (right is None)
            if left is not None:
                np.testing.assert_allclose(left, right, rtol=1e-12, atol=1e-15)
        if y.mean_abs_gradient is None:
            assert x.mean_abs_gradient is None
        else:
            assert x.mean_abs_gradient == pytest.approx(y.mean_abs_gradient, rel=1e-12)
    assert [(n.sample, n.label, n.calculation) for n in batched.nodes or ()] == [
        (n.sample, n.label, n.calculation) for n in whole.nodes or ()
    ]
    if whole.gradients is not None:
        assert batched.gradients is not None
        np.testing.assert_allclose(
            batched.gradients.inputs, whole.gradients.inputs, rtol=1e-12, atol=1e-15
        )
        assert batched.gradients.mean_abs_gradient_by_layer == pytest.approx(
            whole.gradients.mean_abs_gradient_by_layer, rel=1e-12
        )


@pytest.mark.parametrize("batch_size", [1, 3, 4, 11, 50])
def test_batched_equals_unbatched(
    sdk: nntrace.Client, seed: nntrace.Network, batch_size: int
) -> None:
    """Outputs, layers, node traces and gradients reassemble to the one-request answer."""
    options = {"trace": "nodes", "gradients": True}

    whole = sdk.evaluate(seed, ROWS, **options)  # type: ignore[arg-type]
    batched = sdk.evaluate(seed, ROWS, batch_size=batch_size, **options)  # type: ignore[arg-type]

    _assert_same(batched, whole)


def test_selected_samples_are_renumbered(sdk: nntrace.Client, seed: nntrace.Network) -> None:
    """Traced samples keep their global index and the order they were asked for."""
    whole = sdk.evaluate(seed, ROWS, trace="nodes", samples=[9, 2, 5])
    batched = sdk.evaluate(seed, ROWS, trace="nodes", samples=[9, 2, 5], batch_size=4)

    _assert_same(batched, whole)
    assert [n.sample for n in batched.nodes or ()][::5] == [9, 2, 5]


def test_batches_fit_under_the_service_limit(small_server: str, seed: nntrace.Network) -> None:
    """Ten rows exceed a 4-row limit in one request but evaluate correctly in batches of 4."""
    rows = ROWS[:10]
    with nntrace.Client(small_server, max_retries=0) as client:
        with pytest.raises(nntrace.LimitExceededError):
            client.evaluate(seed, rows, trace="none")
        result = client.evaluate(seed, rows, trace="none", batch_size=4, binary=True)

    expected = [naive_forward(seed_network(), row)[-1] for row in rows.tolist()]
    np.testing.assert_allclose(result.outputs, expected, rtol=1e-12)
    assert result.layers == []


def test_flat_single_sample(sdk: nntrace.Client, seed: nntrace.Network) -> None:
    """One flat sample with a batch size is evaluated as one row."""
    result = sdk.evaluate(seed, [1.0, 2.0, 3.0], batch_size=2)

    assert result.outputs.shape == (1, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"batch_size": 0}, "batch_size"), ({"batch_size": 2, "samples": [11]}, "sample 11")],
    ids=["zero-batch", "sample-out-of-range"],
)
def test_bad_batch_arguments(
    sdk: nntrace.Client, seed: nntrace.Network, kwargs: dict[str, object], message: str
) -> None:
    """A zero batch size or a sample beyond the batch is refused before any request."""
    with pytest.raises(ValueError, match=message):
        sdk.evaluate(seed, ROWS, trace="nodes", **kwargs)  # type: ignore[arg-type]


def test_progress_bar_on_stdout_only(
    sdk: nntrace.Client, seed: nntrace.Network, capfd: pytest.CaptureFixture[str]
) -> None:
    """progress=True draws a tqdm bar on stdout and leaves stderr empty."""
    sdk.evaluate(seed, ROWS, batch_size=3, progress=True)

    out, err = capfd.readouterr()
    assert "sample" in out
    assert err == ""
