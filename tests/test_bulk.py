"""Runs in bulk: a sweep run's outputs from the series arrays, and a light run path."""

from __future__ import annotations

import math
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from simulation.region import BASELINE_YEAR
from simulation.runner import TARGET_GROWTH, series_frame, simulate, simulate_series
from simulation.scenario import load_scenario
from simulation.sweep.functions import REPORT_YEAR, DeviseRun, report_outputs

REPO = Path(__file__).resolve().parents[1]


def table_outputs(ts: pd.DataFrame) -> dict[str, float]:
    """The outputs of one run computed from simulate()'s table with pandas (the reference)."""
    end = ts[ts["quarter"] == f"{REPORT_YEAR}Q4"]
    base = ts.loc[ts["quarter"] == f"{BASELINE_YEAR}Q4", "enabling"].sum()
    enabling = float(end["enabling"].sum())
    growth = enabling / base - 1.0 if base > 0 else math.nan
    reported = ts[~ts["burn_in"] & (ts["year"] <= REPORT_YEAR)]
    return {"enabling": enabling, "growth": growth, "change": enabling - float(base),
            "target_met": float(growth >= TARGET_GROWTH) if growth == growth else math.nan,
            "spend": float(reported["public_spend"].sum()),
            "dii_basic_share": float(end["dii_basic_share"].mean())}


def same(a: dict[str, float], b: dict[str, float]) -> bool:
    """Equal to the bit, NaN equal to NaN."""
    return a.keys() == b.keys() and all(
        (math.isnan(a[k]) and math.isnan(b[k])) or a[k] == b[k] for k in a)


@pytest.fixture(scope="module")
def policy():
    """Several regions with instruments, at 2% scale, to 2022."""
    scenario = load_scenario(REPO / "scenarios" / "devise_all.toml")
    return replace(scenario, regions=scenario.regions[:3], scale=0.02, end_year=2022)


@pytest.mark.parametrize("case", ["policy", "without instruments", "one region", "short"])
def test_report_outputs_equal_the_table_path(policy, case):
    scenario = {
        "policy": policy,
        "without instruments": replace(policy, instruments=()),
        "one region": replace(policy, regions=policy.regions[:1], instruments=(),
                              model={"demand_base": 0.1}),
        "short": replace(policy, end_year=2019, instruments=()),  # no 2021Q4: NaN outputs
    }[case]
    for replicate in (0, 3):
        series = simulate_series(scenario, replicate)
        expected = table_outputs(simulate(scenario, replicate))
        assert same(report_outputs(series), expected)
        pd.testing.assert_frame_equal(series_frame(series, replicate),
                                      simulate(scenario, replicate), check_exact=True)


def test_counterfactual_outputs_equal_the_table_path(policy):
    function = DeviseRun(policy, counterfactual=True)
    out = function({"model.demand_base": 0.08}, 2)
    scenario = function.scenario({"model.demand_base": 0.08})
    with_, without = (table_outputs(simulate(s, 2))
                      for s in (scenario, replace(scenario, instruments=())))
    expected = with_ | {"additional": with_["enabling"] - without["enabling"],
                        "additional_spend": with_["spend"] - without["spend"],
                        "base_growth": without["growth"], "base_change": without["change"]}
    assert same(out, expected)


def loaded_after(imports: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has loaded after ``import`` of ``imports``."""
    code = (f"import sys, {imports}; "
            f"print(' '.join(sorted(m for m in {modules!r} if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO)
    return out.stdout.split()


def test_the_run_path_imports_no_figures_or_dask():
    assert loaded_after("simulation.runner, simulation.outputs, simulation.sweep.execute, "
                        "simulation.sweep.report, simulation.cli",
                        ("matplotlib", "distributed")) == []


def test_a_runs_provenance_imports_no_fitting_libraries():
    """A run's manifest says whether its regions' fits are current (simulation.calibration's
    workflow and posterior modules): that needs neither scipy's optimiser nor its statistics."""
    assert loaded_after("simulation.outputs, simulation.calibration.workflow, "
                        "simulation.calibration.posterior",
                        ("scipy.optimize", "scipy.stats")) == []


def test_sweep_workers_import_no_design_libraries():
    """A sweep worker unpickles run_chunk from simulation.sweep.execute: it needs the model,
    not SALib or scipy.stats (only the main process draws the design)."""
    assert loaded_after("simulation.sweep.execute", ("SALib", "scipy.stats")) == []
