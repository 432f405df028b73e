"""Sweeps and sensitivity analysis: the pipeline, the resumable store, Dask, bad input."""

from __future__ import annotations

import gc
import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sweep_helpers

from simulation.cli import main
from simulation.errors import InputError
from simulation.folders import CLAIM
from simulation.sweep import functions
from simulation.sweep.design import design_points
from simulation.sweep.execute import Run, plan_runs, point_means, run_alone, run_chunk, run_sweep
from simulation.sweep.sensitivity import analyse
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


def stored_runs(path: Path, out: Path) -> pd.DataFrame:
    """The runs in ``out``'s store, checked against the plan of the sweep file ``path``."""
    _, planned = plan_runs(load_sweep(path))
    return ResultStore(out, [run.run_id for run in planned]).load()


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


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
    resumed = subprocess.run(command, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {len(before)} of 20 runs already stored" in resumed.stderr
    runs = stored_runs(path, out)
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


def test_morris_sweeps_lose_no_runs_where_design_points_repeat(tmp_path):
    """Issue 13, defect 1: run ids ignored the point index, so repeated points shared ids
    and parts (an Ishigami Morris with chunk = 1 kept 61 of 160 runs)."""
    path = ishigami_file(tmp_path, design="morris", samples=20, levels=4, chunk=1,
                         replicates=2)
    design, planned = plan_runs(load_sweep(path))
    assert design.duplicated().sum() > 10  # the Morris grid repeats points
    out = tmp_path / "out"
    assert main(["sensitivity", str(path), "--out", str(out), "--workers", "1"]) == 0
    runs = stored_runs(path, out)
    assert len(runs) == len(design) * 2 == len(planned) == 160
    assert not runs.duplicated(["point", "replicate"]).any() and (runs["error"] == "").all()
    assert len(list((out / "runs").glob("part-*.parquet"))) == 160
    mu = pd.read_csv(out / "indices.csv").query("index == 'mu_star'")
    assert sorted(mu["factor"]) == ["x1", "x2", "x3"] and mu["value"].notna().all()


@pytest.mark.parametrize("problem", ["stored more than once", "that this sweep does not plan"])
def test_a_store_not_holding_exactly_the_planned_runs_is_refused(tmp_path, capsys, problem):
    path = ishigami_file(tmp_path, design="lhs", samples=8, chunk=1)
    out = tmp_path / "out"
    run_sweep(load_sweep(path), out)
    part = sorted((out / "runs").glob("part-*.parquet"))[0]
    rows = pd.read_parquet(part)
    if problem == "that this sweep does not plan":
        rows["run_id"] = "0" * 20
    rows.to_parquet(out / "runs" / "part-copy.parquet", index=False)
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert f"1 run(s) {problem}" in err and "--overwrite" in err and "Traceback" not in err


def test_a_sweep_draws_its_figure_only_when_asked(tmp_path):
    path = ishigami_file(tmp_path, design="lhs", samples=16)
    plain, drawn = tmp_path / "plain", tmp_path / "drawn"
    assert main(["sweep", str(path), "--out", str(plain), "--workers", "1"]) == 0
    assert (plain / "points.csv").exists() and not (plain / "points.png").exists()
    assert main(["sweep", str(path), "--out", str(drawn), "--workers", "1", "--figure"]) == 0
    assert (drawn / "points.png").stat().st_size > 10_000


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


# --- the folder belongs to one sweep: its key covers everything that defines the runs -------
def swap_x1_x2(text: str) -> str:
    return text.replace('"x1"', '"@"').replace('"x2"', '"x1"').replace('"@"', '"x2"')


def widen_x3(text: str) -> str:
    return text.replace('path = "x3"\nbounds = [0.0, 1.0]', 'path = "x3"\nbounds = [0.0, 2.0]')


@pytest.mark.parametrize("change", [swap_x1_x2, widen_x3])
def test_the_sweep_key_covers_factor_paths_so_another_sweep_is_refused(tmp_path, capsys,
                                                                       change):
    """Issue 13, defect 2: a sweep with the factors swapped said "done in 0.1 s" and
    reported the outputs of other parameter values."""
    path = ishigami_file(tmp_path, design="lhs", samples=8)
    text = path.read_text().replace(f"bounds = [{-PI!r}, {PI!r}]", "bounds = [0.0, 1.0]")
    path.write_text(text)
    other = tmp_path / "other.toml"
    other.write_text(change(text))
    assert load_sweep(other).key() != load_sweep(path).key()
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1"]) == 0
    before = folder_bytes(out)
    capsys.readouterr()
    assert main(["sweep", str(other), "--out", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "holds a different sweep (factors[" in err and "--overwrite" in err
    assert "Traceback" not in err and folder_bytes(out) == before
    assert main(["sweep", str(other), "--out", str(out), "--workers", "1", "--overwrite"]) == 0
    assert len(stored_runs(other, out)) == 8
    assert json.loads((out / CLAIM).read_text())["key"] == load_sweep(other).key()


def test_raising_replicates_resumes_and_lowering_them_is_refused(tmp_path):
    """Replicates are not part of the key: replicate r of a point is the same run whatever
    their number, so raising them runs only the new ones."""
    one = ishigami_file(tmp_path, design="lhs", samples=8, replicates=1)
    out = tmp_path / "out"
    first = run_sweep(load_sweep(one), out)
    one.write_text(one.read_text().replace("replicates = 1", "replicates = 2"))
    two = load_sweep(one)
    seen = []
    both = run_sweep(two, out, on_progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (8, 16) and len(both) == 16
    pd.testing.assert_frame_equal(both[both["replicate"] == 0].drop(columns="seconds")
                                  .reset_index(drop=True), first.drop(columns="seconds"))
    with pytest.raises(InputError, match="8 run.s. that this sweep does not plan"):
        run_sweep(replace(two, replicates=1), out)


# --- failed runs and dying workers ----------------------------------------------------------
def test_one_failed_run_does_not_poison_its_worker_its_memory_is_freed():
    """Issue 13, defect 4: the traceback of a failed run kept its frames (and the memory of
    the failed simulation) alive in reference cycles; under a memory limit the runs after
    it failed too. Automatic garbage collection is off here, so only run_chunk frees it."""
    run = Run("r", 0, 0, (0.1, 0.2, 0.3))
    gc.disable()
    try:
        rows = run_chunk(sweep_helpers.FailsHoldingMemory(), ["x1", "x2", "x3"], [run])
        assert sweep_helpers.HELD[-1]() is None, "the failed run's array is still alive"
    finally:
        gc.enable()
    assert rows["error"].iloc[0] == "RuntimeError: failed holding memory"


def test_a_local_worker_that_dies_does_not_abort_the_sweep(tmp_path):
    """Issue 13, defect 5: a worker killed by its run broke the process pool and aborted
    the sweep (BrokenProcessPool). Now that run alone is recorded as failed, and every
    other run gives what a clean serial sweep gives."""
    path = ishigami_file(tmp_path, design="lhs", samples=12, chunk=2)
    spec = load_sweep(path)
    design, _ = plan_runs(spec)
    killer = sweep_helpers.KillsItsProcess(x1=float(design["x1"].iloc[5]))
    runs = run_sweep(replace(spec, function=killer), tmp_path / "killed", workers=2)
    clean = run_sweep(spec, tmp_path / "clean", workers=1)
    failed = runs[runs["error"] != ""]
    assert list(failed["point"]) == [5] and failed["y"].isna().all()
    assert failed["error"].iloc[0] == "worker process died (signal 9)"
    ok, expected = runs["point"] != 5, clean["point"] != 5
    cols = ["run_id", "point", "replicate", "x1", "x2", "x3", "y"]
    pd.testing.assert_frame_equal(runs.loc[ok, cols].reset_index(drop=True),
                                  clean.loc[expected, cols].reset_index(drop=True))


@pytest.mark.slow
def test_a_dask_worker_killed_by_a_run_is_one_failed_run(tmp_path):
    """Dask restarts a killed worker and retries its task; when it gives up (KilledWorker)
    the chunk is split and the one run that kills its worker is recorded as failed."""
    spec = load_sweep(ishigami_file(tmp_path, design="lhs", samples=6, chunk=3))
    design, _ = plan_runs(spec)
    killer = sweep_helpers.KillsItsProcess(x1=float(design["x1"].iloc[4]))
    runs = run_sweep(replace(spec, function=killer), tmp_path / "dask", workers=2,
                     dask_local=True)
    failed = runs[runs["error"] != ""]
    assert list(failed["point"]) == [4] and "KilledWorker" in failed["error"].iloc[0]
    assert len(runs) == 6 and runs.loc[runs["point"] != 4, "y"].notna().all()


def test_a_run_alone_whose_process_exits_is_recorded_with_its_exit_code():
    run = Run("r", 0, 0, (0.5, 0.2, 0.3))
    killer = sweep_helpers.KillsItsProcess(x1=0.5, how="exit")
    rows = run_alone(killer, ["x1", "x2", "x3"], run)
    assert rows["error"].iloc[0] == "worker process died (exit code 3)"
    assert rows["y"].isna().all() and rows["run_id"].iloc[0] == "r"


def test_worker_processes_that_cannot_start_abort_instead_of_failing_every_run():
    run = Run("r", 0, 0, (0.5, 0.2, 0.3))
    with pytest.raises(RuntimeError, match=r"died before it started a run \(exit code 1\)"):
        run_alone(sweep_helpers.CannotStart(), ["x1", "x2", "x3"], run)


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


def test_a_scheduler_address_without_a_scheduler_exits_2_before_any_run(tmp_path, capsys):
    path = ishigami_file(tmp_path, design="lhs", samples=8)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--scheduler", "nowhere"]) == 2
    err = capsys.readouterr().err
    assert "--scheduler: expected the address of a running Dask scheduler" in err
    assert "Traceback" not in err and not list((out / "runs").glob("part-*"))


def test_sobol_needs_a_power_of_two_and_factorial_needs_levels(tmp_path):
    with pytest.raises(InputError, match="sweep.samples: expected a power of two"):
        load_sweep(ishigami_file(tmp_path, samples=100))
    with pytest.raises(InputError, match=r"factors\[0\].levels"):
        load_sweep(ishigami_file(tmp_path, design="factorial"))


# --- sensitivity: every check that can be made is made before the first run ----------------
@pytest.mark.parametrize(("design", "samples", "extra", "key"), [
    ("lhs", 8, "", "sweep.design"),
    ("morris", 1, "", "sweep.samples"),
    ("morris", 8, '[analysis]\noutputs = ["why"]\n', "analysis.outputs[0]"),
])
def test_sensitivity_checks_its_design_and_outputs_before_running(tmp_path, capsys, design,
                                                                  samples, extra, key):
    """Issue 13, defect 12: ``devise sensitivity`` of an LHS design ran every point, then
    said "expected sobol or morris"."""
    path = ishigami_file(tmp_path, design=design, samples=samples)
    path.write_text(path.read_text() + extra)
    out = tmp_path / "out"
    assert main(["sensitivity", str(path), "--out", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert f"{path}: {key}" in err and "Traceback" not in err and not out.exists()


def test_cost_per_sme_is_no_default_analysis_output_and_a_nan_output_names_its_key(tmp_path):
    """cost_per_sme is NaN by construction where no SME is added: it is analysed only when
    listed. An output NaN at some point names analysis.outputs, saying where it came from."""
    spec = load_sweep(small_devise_file(tmp_path, counterfactual="true"))
    assert "additional" in spec.analysis_outputs()
    assert "cost_per_sme" not in spec.analysis_outputs()
    path = ishigami_file(tmp_path, design="morris", samples=4)
    spec = load_sweep(path)
    design = design_points(spec)
    means = pd.DataFrame({"y": np.where(design["x1"] > 0, 1.0, np.nan)}, index=design.index)
    with pytest.raises(InputError) as err:
        analyse(spec, means, list(spec.analysis_outputs()), design)
    assert str(err.value).startswith(f"{path}: analysis.outputs (not in the file: its default")
    assert "'y', NaN at" in str(err.value)
    listed = replace(spec, outputs=("y",))
    with pytest.raises(InputError, match=r"analysis.outputs: expected outputs defined"):
        analyse(listed, means, ["y"], design)


def test_a_run_that_calls_sys_exit_is_a_failed_run_not_the_end_of_the_sweep(tmp_path,
                                                                            monkeypatch):
    original = functions.Ishigami.__call__

    def exits(self, values, replicate):
        if values["x1"] > 2.0:
            raise SystemExit(4)
        return original(self, values, replicate)

    monkeypatch.setattr(functions.Ishigami, "__call__", exits)
    runs = run_sweep(load_sweep(ishigami_file(tmp_path, design="lhs", samples=20)),
                     tmp_path / "out", workers=1)
    failed = runs[runs["error"] != ""]
    assert len(runs) == 20 and 0 < len(failed) < 20 and (failed["x1"] > 2.0).all()


def test_a_sweep_file_chooses_point_or_posterior_parameters_and_the_key_follows(tmp_path):
    from simulation.errors import InputError

    posterior = load_sweep(small_devise_file(tmp_path))
    assert posterior.function.base.parameters == "posterior"  # the base scenario's default
    point = load_sweep(small_devise_file(tmp_path, parameters='"point"'))
    assert point.function.base.parameters == "point"
    assert point.key() != posterior.key()
    with pytest.raises(InputError, match=r"parameters.*one of posterior, point"):
        load_sweep(small_devise_file(tmp_path, parameters='"best"'))


def test_counterfactual_runs_report_the_change_without_instruments(tmp_path):
    spec = load_sweep(small_devise_file(tmp_path, samples=2, counterfactual="true",
                                        parameters='"point"'))
    runs = run_sweep(spec, tmp_path / "out", workers=1)
    assert (runs["error"] == "").all()
    assert {"change", "base_change", "base_growth"} <= set(runs)
    assert runs["base_change"].notna().all()
