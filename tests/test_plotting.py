"""Figures: scale and replicates under the title, axes that span the data, zero lines on effects."""

import numpy as np
import pandas as pd
import pytest

from simulation.plotting import (
    comparison_figure,
    contributions_figure,
    kpi_figure,
    sensitivity_figure,
    sweep_figure,
)


def title(fig) -> str:
    return fig._suptitle.get_text()


def horizontal_zero(ax) -> bool:  # an axhline(0): y = 0 across the whole axis
    return any(list(line.get_ydata()) == [0, 0] and list(line.get_xdata()) == [0, 1]
               for line in ax.lines)


def vertical_zero(ax) -> bool:  # an axvline(0)
    return any(list(line.get_xdata()) == [0, 0] and list(line.get_ydata()) == [0, 1]
               for line in ax.lines)


def visible(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


@pytest.fixture
def ts():
    quarters = [f"{y}Q{q}" for y in range(2017, 2023) for q in range(1, 5)]
    rows = [{"region": region, "replicate": r, "q": 40 + k, "quarter": quarter,
             "burn_in": quarter < "2018Q1", "growth": 0.01 * k + 0.02 * r}
            for region in ("ES13", "NWCB") for r in range(3) for k, quarter in enumerate(quarters)]
    return pd.DataFrame(rows)


def test_kpi_figure_states_scale_and_replicates_and_starts_with_the_data(ts):
    fig = kpi_figure(ts, "base", scale=0.05)
    text = title(fig)
    assert "5% scale, 3 replicates" in text and "not comparable" in text
    reported = ts[~ts["burn_in"]]["q"]
    for ax in visible(fig):
        assert ax.get_xlim() == (reported.min(), reported.max())
    assert "ES13 Cantabria" in [ax.get_title() for ax in fig.axes]
    assert "full scale, 3 replicates" in title(kpi_figure(ts, "base", scale=1.0))


def comparison():
    return pd.DataFrame([{"policy": "mix", "region": region, "replicates": 4,
                          **{f"additional_{y}{s}": v for y in (2021, 2022)
                             for s, v in (("", 3.0), ("_p05", -1.0), ("_p95", 6.0))}}
                         for region in ("ES13", "RO42", "ALL")])


def test_comparison_figure_has_a_zero_line_on_every_panel_and_states_its_runs():
    fig = comparison_figure(comparison(), "mix against base", scale=0.03)
    assert "3% scale, 4 replicates" in title(fig)
    assert len(visible(fig)) == 3 and all(horizontal_zero(ax) for ax in visible(fig))


def test_contributions_figure_has_a_zero_line_on_every_panel_and_states_its_runs():
    rows = [{"policy": "mix", "instrument": name, "region": "ALL", "year": y, "mean": 2.0,
             "p05": -1.0, "p95": 4.0} for name in ("vouchers", "interaction")
            for y in (2021, 2022)]
    fig = contributions_figure(pd.DataFrame(rows), "mix", scale=1.0, replicates=4)
    assert "full scale, 4 replicates" in title(fig)
    assert len(visible(fig)) == 2 and all(vertical_zero(ax) for ax in visible(fig))


def test_sweep_and_sensitivity_figures_state_their_runs():
    rng = np.random.default_rng(1)
    points = pd.DataFrame({"a": rng.uniform(0, 1, 20), "b": rng.uniform(5, 9, 20)})
    points["additional"] = points["a"] - 0.5
    fig = sweep_figure(points, ["a", "b"], "additional", 0.1, 2, effect=True)
    assert "10% scale, 2 replicates" in title(fig)
    assert all(horizontal_zero(ax) for ax in visible(fig))
    assert not any(horizontal_zero(ax) for ax in
                   visible(sweep_figure(points, ["a", "b"], "b", 0.1, 2)))
    indices = pd.DataFrame([{"factor": f, "index": i, "value": 0.3, "conf": 0.05}
                            for f in ("a", "b") for i in ("S1", "ST")])
    assert "scale not stated, 8 replicates" in title(sensitivity_figure(indices, "y",
                                                                        replicates=8))
