"""Results in notebooks and scripts: text and HTML tables, DataFrames, plots, and silence
on stderr (autograders count any stderr output as a failure)."""

from __future__ import annotations

import sys
from html.parser import HTMLParser

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

import nntrace
from tests.support import SEED_INPUTS, seed_network


class _Cells(HTMLParser):
    """Collects the text of every table cell and checks that tags are balanced."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self.open: list[str] = []
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.open.append(tag)
        self._in_cell = tag in ("td", "th")
        if self._in_cell:
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        assert self.open.pop() == tag
        self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            self.cells[-1] += data


@pytest.fixture
def traced(sdk: nntrace.Client, seed: nntrace.Network) -> nntrace.Evaluation:
    """The seed network on the seed inputs, with node traces and gradients."""
    return sdk.evaluate(seed, SEED_INPUTS, trace="nodes", gradients=True)


class TestTables:
    def test_text(self, traced: nntrace.Evaluation) -> None:
        """print() shows each layer's z and a per node, the outputs and every calculation."""
        text = str(traced)

        assert "layer 0 'hidden': sigmoid, 4 nodes" in text
        assert "hidden[3]" in text and "0.9168" in text and "da/dz" in text
        for line in traced.calculations:
            assert line in text

    def test_html(self, traced: nntrace.Evaluation) -> None:
        """The notebook HTML is balanced and holds the values and calculation lines."""
        parser = _Cells()
        parser.feed(traced._repr_html_())

        assert parser.open == []
        assert "hidden[0]" in parser.cells and "0.9168" in parser.cells
        assert traced.calculations[0] in traced._repr_html_()

    def test_html_escapes(self) -> None:
        """Names from the network are escaped, never injected into the page."""
        net = nntrace.Network(1).add_layer([[1.0]], name="<b>x</b>")

        assert "<b>" not in net._repr_html_()

    def test_repr_is_short(self, traced: nntrace.Evaluation) -> None:
        """repr() summarises instead of dumping arrays."""
        assert (
            repr(traced) == "Evaluation(samples=2, outputs=1, layers=2, nodes=10, dtype='float64')"
        )

    def test_other_results_render(self, sdk: nntrace.Client, seed: nntrace.Network) -> None:
        """Validation, activation info and values render as text and HTML."""
        validation = sdk.validate(seed)
        info = sdk.activation("tanh")
        values = sdk.curve("tanh", num=3)

        assert "21 parameters" in str(validation) and "<table>" in validation._repr_html_()
        assert "tanh" in info._repr_html_()
        assert "dy/dx" in str(values) and "<table>" in values._repr_html_()

    def test_long_tables_are_cut(self, sdk: nntrace.Client) -> None:
        """A long table shows its first rows and says how many more there are."""
        text = str(sdk.curve("relu", num=80))

        assert "… 30 more rows" in text


class TestDataFrame:
    def test_long_format(self, traced: nntrace.Evaluation) -> None:
        """One row per layer, sample and node, with z, a, derivative and gradient."""
        frame = traced.to_dataframe()

        assert len(frame) == 2 * (4 + 1)
        row = frame[
            (frame.layer_name == "hidden") & (frame["sample"] == 0) & (frame.node == 0)
        ].iloc[0]
        assert row.z == pytest.approx(2.4)
        assert row.a == pytest.approx(1 / (1 + np.exp(-2.4)))
        assert row.derivative == pytest.approx(row.a * (1 - row.a))

    def test_comparison_frame(self, sdk: nntrace.Client, seed: nntrace.Network) -> None:
        """A comparison's frame stacks each variant's rows under a variant column."""
        frame = sdk.compare_activations(seed, SEED_INPUTS, ["tanh", "relu"]).to_dataframe()

        assert list(frame.columns[:2]) == ["variant", "layer"]
        assert frame.groupby("variant").size().to_dict() == {"relu": 10, "tanh": 10}

    def test_without_pandas(
        self, traced: nntrace.Evaluation, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without pandas, to_dataframe explains which extra to install."""
        monkeypatch.setitem(sys.modules, "pandas", None)

        with pytest.raises(ImportError, match=r"nntrace-client\[pandas\]"):
            traced.to_dataframe()


class TestPlots:
    def test_evaluation_plot(self, traced: nntrace.Evaluation) -> None:
        """plot() draws one panel per layer with z and a bars per node."""
        figure = traced.plot(sample=1)

        assert isinstance(figure, Figure)
        hidden = figure.axes[0]
        assert hidden.get_title() == "hidden (sigmoid)"
        heights = [bar.get_height() for bar in hidden.patches if isinstance(bar, Rectangle)]
        assert heights[:4] == pytest.approx(traced.layer("hidden").preactivations[1].tolist())

    def test_plot_activations(self, sdk: nntrace.Client) -> None:
        """plot_activations draws each curve as computed by the service, and its derivative."""
        figure = nntrace.plot_activations(["sigmoid", "tanh", "relu"], sdk, start=-2, stop=2, num=5)

        values, slopes = figure.axes
        relu = values.get_lines()[2]
        assert [line.get_label() for line in values.get_lines()[:3]] == ["sigmoid", "tanh", "relu"]
        assert np.asarray(relu.get_ydata()).tolist() == [0.0, 0.0, 0.0, 1.0, 2.0]
        assert np.asarray(slopes.get_lines()[1].get_ydata())[2] == pytest.approx(1.0)

    def test_plot_activations_from_environment(
        self, live_server: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without a client, plot_activations uses NNTRACE_URL."""
        monkeypatch.setenv("NNTRACE_URL", live_server)

        figure = nntrace.plot_activations("tanh", derivatives=False)

        assert len(figure.axes) == 1

    def test_without_matplotlib(
        self, traced: nntrace.Evaluation, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without matplotlib, plotting explains which extra to install."""
        monkeypatch.setitem(sys.modules, "matplotlib.figure", None)

        with pytest.raises(ImportError, match=r"nntrace-client\[plot\]"):
            traced.plot()


def test_nothing_on_stderr(
    sdk: nntrace.Client, seed: nntrace.Network, capfd: pytest.CaptureFixture[str]
) -> None:
    """A whole notebook-style session writes nothing to stderr (file descriptor level)."""
    result = sdk.evaluate(seed, SEED_INPUTS, trace="nodes", gradients=True, batch_size=1)
    sdk.compare_activations(seed, SEED_INPUTS, ["sigmoid", "tanh", "relu"])
    sdk.validate(seed_network())
    result.to_dataframe()
    result.plot()
    nntrace.plot_activations(["sigmoid", "relu"], sdk)
    print(result)  # noqa: T201  (what a notebook user does)

    out, err = capfd.readouterr()
    assert err == ""
    assert "hidden[0] = sigmoid(" in out
