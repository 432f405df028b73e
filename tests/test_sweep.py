"""Sweeps and sensitivity analysis: the pipeline, the resumable store, Dask, bad input."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.errors import InputError
from simulation.sweep import functions
from simulation.sweep.design import design_points
from simulation.sweep.execute import plan_runs, point_means, run_sweep
from simulation.sweep.spec import load_sweep
from simulation.sweep.store import ResultStore

REPO = Path(__file__).resolve().parents[1]
PI = math.pi


def ishigami_file(folder: Path, design: str = "sobol", samples: int = 1024, **extra) -> Path:
    lines = ["[sweep]", 'name = "ishigami"', 'function = "ishigami"', f'design = "{design}"',
             f"samples = {samples}", "seed = 3"]
    lines += [f"{k} = {v}" for k, v in extra.items()]
    for x in ("x1", "x2", "x3"):
        lines += ["[[factors]]", f'path = "{x}"', f"bounds = [{-PI!r}, {PI!r}]"]
    path = folder / f"ishigami-{design}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def small_devise_file(folder: Path, samples: int = 6, chunk: int = 0, **extra) -> Path:
    """A sweep of the smallest region at 5% scale to 2021: a fraction of a second per run."""
    lines = ["[sweep]", 'name = "small"', f'base = "{REPO / "scenarios" / "baseline.toml"}"',
             'regions = ["NWCB"]', "scale = 0.05", "end_year = 2021", 'design = "lhs"',
             f"samples = {samples}", "replicates = 2", "seed = 5", f"chunk = {chunk}"]
    lines += [f"{k} = {v}" for k, v in extra.items()]
    lines += ["[[factors]]", 'path = "model.demand_base"',
              "[[factors]]", 'path = "model.search_breadth"', "bounds = [2, 9]"]
    path = folder / "small.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


# --- the pipeline recovers known indices ---------------------------------------------------
def test_ishigami_sobol_indices_are_recovered_through_the_cli(tmp_path):
    out = tmp_path / "out"
    assert main(["sensitivity", str(ishigami_file(tmp_path)), "--out", str(out),
                 "--workers", "1"]) == 0
    indices = pd.read_csv(out / "indices.csv").set_index(["factor", "index"])["value"]
    for x, s1, st in (("x1", 0.314, 0.558), ("x2", 0.442, 0.442), ("x3", 0.0, 0.244)):
        assert indices[(x, "S1")] == pytest.approx(s1, abs=0.05), x
        assert indices[(x, "ST")] == pytest.approx(st, abs=0.05), x
    s2 = pd.read_csv(out / "second_order.csv").set_index(["factor", "other"])["value"]
    assert s2[("x1", "x3")] == pytest.approx(0.244, abs=0.08)  # the only interaction
    convergence = pd.read_csv(out / "convergence.csv")
    assert set(convergence["index"]) == {"S1", "ST"} and convergence["converged"].all()
    assert (out / "sensitivity_y.png").stat().st_size > 10_000
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"] == 1024 * 8 and manifest["failed"] == 0
    assert manifest["design"] == "sobol" and len(manifest["scenario"]["sha256"]) == 64


def test_morris_screening_runs_and_ranks_the_inert_first_order_factor_last(tmp_path):
    out = tmp_path / "out"
    path = ishigami_file(tmp_path, design="morris", samples=200, levels=6)
    assert main(["sensitivity", str(path), "--out", str(out), "--workers", "1"]) == 0
    mu = pd.read_csv(out / "indices.csv").query("index == 'mu_star'").set_index("factor")
    assert mu["value"].idxmax() in ("x1", "x2")
    assert (mu["conf"] > 0).all()


def test_the_first_half_of_a_sobol_design_is_the_design_for_half_the_samples(tmp_path):
    full = design_points(load_sweep(ishigami_file(tmp_path, samples=64)))
    half = design_points(load_sweep(ishigami_file(tmp_path, samples=32)))
    np.testing.assert_array_equal(full.to_numpy()[: len(half)], half.to_numpy())


# --- the store: resumable, each run once ------------------------------------------------------
def test_a_sweep_killed_part_way_resumes_and_stores_each_run_exactly_once(tmp_path):
    path = small_devise_file(tmp_path, samples=10, chunk=1)
    out = tmp_path / "out"
    command = [sys.executable, "-m", "simulation.cli", "sweep", str(path), "--out", str(out),
               "--workers", "1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    runs_folder = out / "runs"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(runs_folder.glob("part-*"))) < 4:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    before = {p.name: p.read_bytes() for p in runs_folder.glob("part-*.parquet")}
    assert 4 <= len(before) < 20, "the sweep must be killed part-way"
    assert subprocess.run(command, capture_output=True).returncode == 0
    runs = ResultStore(out).load()
    _, planned = plan_runs(load_sweep(path))
    assert len(runs) == len(planned) == 20
    assert runs["run_id"].is_unique and set(runs["run_id"]) == {r.run_id for r in planned}
    for name, content in before.items():  # nothing done before the kill was recomputed
        assert (runs_folder / name).read_bytes() == content
    assert not list(runs_folder.glob(".*.tmp"))


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch):
    original = functions.Ishigami.__call__

    def flaky(self, values, replicate):
        if values["x1"] > 2.0:
            raise ValueError("x1 too large for this test")
        return original(self, values, replicate)

    monkeypatch.setattr(functions.Ishigami, "__call__", flaky)
    spec = load_sweep(ishigami_file(tmp_path, design="lhs", samples=40))
    runs = run_sweep(spec, tmp_path / "out", workers=1)
    failed = runs[runs["error"] != ""]
    assert 0 < len(failed) < len(runs) == 40
    assert failed["error"].str.contains("x1 too large").all() and failed["y"].isna().all()
    assert point_means(spec, runs)["y"].notna().all()


def test_rerunning_a_finished_sweep_computes_nothing(tmp_path):
    spec = load_sweep(ishigami_file(tmp_path, design="lhs", samples=16))
    first = run_sweep(spec, tmp_path / "out", workers=1)
    seen = []
    again = run_sweep(spec, tmp_path / "out", workers=1, on_progress=lambda d, t: seen.append(d))
    assert seen == [16] and again.equals(first)


def test_the_simulator_sweep_is_deterministic_and_has_a_counterfactual(tmp_path):
    path = small_devise_file(tmp_path, samples=3, counterfactual="true")
    spec = load_sweep(path)
    a = run_sweep(spec, tmp_path / "a", workers=1)
    b = run_sweep(spec, tmp_path / "b", workers=2)
    cols = ["run_id", "enabling", "growth", "additional", "spend", "dii_basic_share"]
    pd.testing.assert_frame_equal(a[cols], b[cols])
    assert (a["error"] == "").all() and {"additional", "additional_spend"} <= set(a)
    assert (a["model.search_breadth"] == a["model.search_breadth"].round()).all()


# --- Dask ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_sweep_on_a_dask_local_cluster_matches_local_processes(tmp_path):
    spec = load_sweep(small_devise_file(tmp_path, samples=4))
    dask = run_sweep(spec, tmp_path / "dask", workers=2, dask_local=True)
    local = run_sweep(spec, tmp_path / "local", workers=1)
    cols = ["run_id", "point", "replicate", "enabling", "growth", "target_met"]
    pd.testing.assert_frame_equal(dask[cols], local[cols])


# --- bad input ----------------------------------------------------------------------------
@pytest.mark.parametrize(("change", "key", "hint"), [
    (('path = "model.demand_base"', 'path = "model.demand_bas"'), "factors[0].path",
     "model.demand_base"),
    (("bounds = [2, 9]", "bounds = [2, 99]"), "factors[1].bounds[1]", ""),
    (('design = "lhs"', 'design = "sobl"'), "sweep.design", "sobol"),
    (("samples = 6", "samples = 6\nbogus = 1"), "sweep.bogus", ""),
    (('regions = ["NWCB"]', 'regions = ["XX"]'), "sweep.regions", ""),
])
def test_bad_sweep_files_name_file_and_key_and_exit_2(tmp_path, capsys, change, key, hint):
    path = small_devise_file(tmp_path)
    path.write_text(path.read_text().replace(*change))
    with pytest.raises(InputError) as err:
        load_sweep(path)
    assert str(err.value).startswith(f"{path}: {key}") and hint in str(err.value)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out)]) == 2
    assert "Traceback" not in capsys.readouterr().err and not out.exists()


def test_sobol_needs_a_power_of_two_and_factorial_needs_levels(tmp_path):
    with pytest.raises(InputError, match="sweep.samples: expected a power of two"):
        load_sweep(ishigami_file(tmp_path, samples=100))
    with pytest.raises(InputError, match=r"factors\[0\].levels"):
        load_sweep(ishigami_file(tmp_path, design="factorial"))
