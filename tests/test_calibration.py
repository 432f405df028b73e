"""Calibration: targets from sourced rows, moments, the fit, its files, and their use."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest

from simulation import fitted as fitted_files
from simulation.calibration.fit import MODES, Problem, calibrate, identification, verdict
from simulation.calibration.moments import size_tail_exponent
from simulation.calibration.targets import load_targets
from simulation.calibration.validation import growth_facts
from simulation.calibration.workflow import calibrate_region
from simulation.cli import main
from simulation.errors import InputError
from simulation.params import MODEL_PARAMS, fitted_params
from simulation.region import RegionModel
from simulation.regions import CALIBRATION_DIR_ENV, default_calibration_dir, load_registry

REGION = "NWCB"  # the smallest region: a smoke fit takes a few seconds
REPO_CALIBRATION = Path(__file__).resolve().parents[1] / "calibration"


@pytest.fixture
def calibration_dir(tmp_path, monkeypatch) -> Path:
    """A copy of the calibration folder without fitted files, made the default."""
    source = default_calibration_dir()
    folder = tmp_path / "calibration"
    folder.mkdir()
    shutil.copy(source / "regions.toml", folder)
    shutil.copy(source / "targets.toml", folder)
    shutil.copytree(source / "data", folder / "data")
    monkeypatch.setenv(CALIBRATION_DIR_ENV, str(folder))
    return folder


@pytest.fixture
def smoke_fit(calibration_dir) -> tuple[Path, dict]:
    path = calibrate_region(REGION, "smoke")
    return path, fitted_files.read_fitted(path)


@pytest.fixture
def installed_fit(smoke_fit) -> tuple[Path, dict]:
    """The smoke fit copied to where region models read full fits."""
    path, record = smoke_fit
    installed = fitted_files.fitted_path(REGION)
    installed.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, installed)
    return installed, record


# --- targets -----------------------------------------------------------------------------
def test_every_region_has_every_target_with_its_source():
    for code, spec in load_registry().items():
        targets = load_targets(code)
        trends = [name for name, figure in (("firm_growth", spec.firm_growth_rate),
                                            ("digital_jobs_growth", spec.ict_employment_growth))
                  if figure is not None]
        assert [t.name for t in targets] == [
            "digital_smes_2018", "smart_firms_2018", "entry_rate", "exit_rate", "survival_1y",
            "survival_5y", "dii_basic_2021", "dii_basic_medium_2021", "dii_high_2021",
            "dii_very_high_2021", *trends, "size_tail", "voucher_additionality"]
        for t in targets:
            assert t.uncertainty > 0 and t.weight > 0 and t.rows and t.source, (code, t.name)


def test_targets_come_from_the_registry_and_the_rows():
    spec = load_registry()["ES13"]
    targets = {t.name: t for t in load_targets("ES13")}
    assert targets["digital_smes_2018"].value == spec.n_digital_smes.value
    smes = spec.n_digital_smes.value
    assert targets["digital_smes_2018"].uncertainty == pytest.approx(0.15 * smes)
    assert targets["dii_basic_2021"].value == spec.dii_basic_share_2021.value
    # "0.80-0.82": the midpoint, half the range added to the stated uncertainty
    assert targets["survival_1y"].value == pytest.approx(0.81)
    assert targets["survival_1y"].uncertainty == pytest.approx(0.02 + 0.01)
    assert targets["survival_5y"].value == 0.44
    assert targets["voucher_additionality"].value == 0.8


def test_national_and_uk_digital_intensity_are_marked_as_proxies():
    for code in ("ES13", "UKN0", "NWCB"):
        dii = {t.name: t for t in load_targets(code)}["dii_basic_2021"]
        assert dii.proxy and dii.uncertainty == pytest.approx(0.07), code
    uk = {t.name: t for t in load_targets("UKN0")}["dii_basic_2021"]
    assert uk.rows == ("EU27_2020.sme_at_least_basic_digital_intensity.2021",)


def test_a_malformed_target_names_file_and_key(calibration_dir):
    path = calibration_dir / "targets.toml"
    path.write_text(path.read_text().replace('moment = "sme_exit_rate"', 'moment = "exit"'))
    with pytest.raises(InputError, match=r"targets\.toml: targets\[3\]\.moment"):
        load_targets("ES13")


# --- moments -----------------------------------------------------------------------------
def test_size_tail_exponent_recovers_zipf():
    u = np.random.default_rng(1).random(200_000)
    assert size_tail_exponent(1.0 / u) == pytest.approx(1.0, abs=0.03)
    assert size_tail_exponent(1.0 / u ** (2 / 3)) == pytest.approx(1.5, abs=0.08)


def test_growth_facts_tell_laplace_from_normal_and_recover_the_size_slope():
    rng = np.random.default_rng(2)
    before = 10 ** rng.uniform(1, 3.5, 50_000)
    sd = 0.3 * before**-0.2
    laplace = growth_facts(before, before * np.exp(rng.laplace(0, sd / np.sqrt(2))))
    normal = growth_facts(before, before * np.exp(rng.normal(0, sd)))
    assert laplace["laplace_vs_normal"] > 0 > normal["laplace_vs_normal"]
    assert normal["volatility_size_exponent"] == pytest.approx(-0.2, abs=0.02)
    assert abs(normal["growth_excess_kurtosis"]) < laplace["growth_excess_kurtosis"]


# --- the fit -------------------------------------------------------------------------------
def test_fitted_parameters_are_declared_once_with_bounds_inside_the_declared_ones():
    fitted = fitted_params()
    assert len(fitted) >= 6
    for name, p in fitted.items():
        low, high = p.fit
        assert p.low <= low < high <= p.high and low <= p.default <= high, name


def test_smoke_calibration_writes_a_valid_file_with_a_lower_objective(smoke_fit):
    path, record = smoke_fit
    assert path.name == f"{REGION}.toml"
    cal = record["calibration"]
    assert cal["region"] == REGION and cal["mode"] == "smoke"
    assert cal["seed"] == MODES["smoke"].seed and cal["code_version"].startswith("devise ")
    assert set(record["parameters"]) == set(fitted_params())
    for name, p in record["parameters"].items():
        assert p["low"] <= p["value"] <= p["high"], name
    targets = [t.name for t in load_targets(REGION)]
    assert list(record["moments"]) == targets
    for m in record["moments"].values():
        assert m["simulated_p05"] <= m["simulated"] <= m["simulated_p95"]
        assert m["source"] and m["rows"]
    assert set(record["validation"]["dii_basic_share"]) == {str(y) for y in range(2021, 2026)}
    assert (path.parent / "diagnostics" / f"{REGION}.png").stat().st_size > 10_000  # smoke/
    # Re-evaluated independently, with the fit's own settings and seeds:
    problem = Problem(REGION, MODES["smoke"])
    fitted = {n: p["value"] for n, p in record["parameters"].items()}
    assert problem.evaluate(fitted).objective == pytest.approx(cal["objective"])
    assert problem.evaluate(fitted).objective < problem.evaluate(problem.provisional()).objective


def test_the_simulator_picks_up_the_fitted_values(installed_fit):
    _, record = installed_fit
    fitted = {n: p["value"] for n, p in record["parameters"].items()}
    model = RegionModel(REGION, scale=0.05, seed=1)
    assert {n: model.params[n] for n in fitted} == fitted
    provisional = RegionModel(REGION, scale=0.05, seed=1, calibrated=False)
    assert {n: provisional.params[n] for n in fitted} == {
        n: MODEL_PARAMS[n].default for n in fitted}
    override = RegionModel(REGION, scale=0.05, seed=1, params={"demand_base": 0.11})
    assert override.params["demand_base"] == 0.11
    assert override.params["growth_scale"] == fitted["growth_scale"]


def test_a_parameter_no_moment_depends_on_is_not_identified(calibration_dir):
    problem = Problem(REGION, dataclasses.replace(MODES["smoke"], replicates=1))
    # A region simulated alone never searches abroad: the penalty cannot matter.
    problem.params["cross_region_penalty"] = dataclasses.replace(
        MODEL_PARAMS["cross_region_penalty"], fit=(0.0, 1.0))
    point = problem.evaluate({**problem.provisional(), "cross_region_penalty": 0.15})
    joint, marginal = identification(problem, point)
    identified, note = verdict(problem, "cross_region_penalty", joint["cross_region_penalty"],
                               marginal["cross_region_penalty"])
    assert not identified and "flat" in note
    assert marginal["cross_region_penalty"] > 1.0
    assert verdict(problem, "birth_rate_factor", joint["birth_rate_factor"],
                   marginal["birth_rate_factor"])[0]


def test_calibrate_reports_progress_within_its_budget(calibration_dir):
    seen = []
    result = calibrate(REGION, dataclasses.replace(MODES["smoke"], evaluations=5),
                       lambda done, budget, best: seen.append((done, budget, best)))
    assert seen and all(done <= budget == 5 for done, budget, _ in seen)
    assert [b for *_, b in seen] == sorted([b for *_, b in seen], reverse=True)
    assert result.fitted.objective <= result.provisional.objective


# --- files and command line --------------------------------------------------------------
def test_broken_fitted_files_name_the_file_and_key(smoke_fit):
    path, _ = smoke_fit
    text = path.read_text()
    cases = [
        (text.replace("\nz = ", "\nzz = ", 1), "moments.digital_smes_2018.z"),
        (text.replace("[parameters.demand_base]\nvalue = ", "[parameters.demand_base]\nvalue = 9"),
         "parameters.demand_base.value"),
        (text + "\n[parameters.nonsense]\nvalue = 1.0\n", "parameters.nonsense"),
        ("not toml ][", ""),
    ]
    for content, key in cases:
        path.write_text(content)
        with pytest.raises(InputError) as err:
            fitted_files.read_fitted(path)
        assert str(path) in str(err.value)
        if key:
            assert key in str(err.value)


def test_run_with_a_broken_fitted_file_exits_2_and_writes_nothing(installed_fit, tmp_path,
                                                                 capsys):
    path, _ = installed_fit
    path.write_text(path.read_text().replace("identified = true", "identified = 3", 1))
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'[scenario]\nname = "s"\nregions = ["{REGION}"]\nreplicates = 1\n'
                        'scale = 0.05\n')
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--workers", "1"]) == 2
    assert f"{REGION}.toml" in capsys.readouterr().err
    assert not out.exists()


def test_cli_calibrate_and_regions_show_fit_quality(calibration_dir, capsys):
    assert main(["calibrate", "--region", REGION, "--mode", "smoke"]) == 0
    assert (calibration_dir / "smoke" / f"{REGION}.toml").exists()
    assert "smoke" in capsys.readouterr().out
    assert main(["calibrate", "--region", REGION, "--mode", "smoke"]) == 0  # current: skipped
    assert "skipped" in capsys.readouterr().err
    assert main(["regions"]) == 0
    shown = capsys.readouterr().out
    assert "Fit quality" in shown and "not fitted" in shown


def test_a_smoke_calibration_never_overwrites_the_full_fit(calibration_dir):
    """Defect 10: `devise calibrate --mode smoke` replaced the committed full fit (objective
    0.145 -> 13.2) and region models then ran on it."""
    full = fitted_files.fitted_path(REGION)
    full.parent.mkdir(parents=True)
    shutil.copy(fitted_files.fitted_path(REGION, REPO_CALIBRATION), full)
    before = full.read_bytes()
    assert main(["calibrate", "--region", REGION, "--mode", "smoke"]) == 0
    assert full.read_bytes() == before
    assert fitted_files.fitted_path(REGION, mode="smoke").exists()
    assert RegionModel(REGION, scale=0.05, seed=1).params["demand_base"] == pytest.approx(
        fitted_files.read_fitted(full)["parameters"]["demand_base"]["value"])


def test_a_run_manifest_records_the_calibration_it_used(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'[scenario]\nname = "s"\nregions = ["{REGION}"]\nreplicates = 1\n'
                        'scale = 0.05\nend_year = 2021\n')
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--workers", "1"]) == 0
    used = json.loads((out / "manifest.json").read_text())["calibration"][REGION]
    committed = fitted_files.fitted_path(REGION)
    assert used["file"] == str(committed) and used["mode"] == "full"
    assert used["sha256"] == hashlib.sha256(committed.read_bytes()).hexdigest()


def test_cli_calibrate_rejects_an_unknown_region(calibration_dir, capsys):
    assert main(["calibrate", "--region", "ES31", "--mode", "smoke"]) == 2
    assert "ES13" in capsys.readouterr().err
    assert not (calibration_dir / "regions").exists()


def test_committed_calibration_files_are_valid_and_fitted_in_full_mode():
    files = sorted((default_calibration_dir() / "regions").glob("*.toml"))
    assert {f.stem for f in files} == set(load_registry())
    for path in files:
        record = fitted_files.read_fitted(path)
        with path.open("rb") as f:
            assert tomllib.load(f)["calibration"]["mode"] == "full"
        assert record["calibration"]["objective"] < record["calibration"]["objective_provisional"]


def test_the_model_never_imports_the_calibration_machinery():
    """Issue 14, point 6: region models read fitted files through simulation.fitted; the
    calibration package depends on the model, never the reverse."""
    import subprocess
    import sys

    code = ("import sys, simulation.ecosystem, simulation.runner, simulation.scenario;"
            "print([m for m in sys.modules if m.startswith('simulation.calibration')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_the_fit_fingerprint_covers_every_module_a_fit_runs():
    """Fitted files are 'current' while the model and calibration sources are unchanged; the
    fingerprint lists those sources, so a module a fit imports must be on the list."""
    import subprocess
    import sys

    from simulation.calibration.workflow import FIT_SOURCES

    code = ("import sys, simulation.calibration.workflow as w, simulation.calibration.fit,"
            "simulation.calibration.validation;"
            "from simulation.region import RegionModel;"
            "RegionModel('NWCB', scale=0.05, seed=1, start_year=2013, end_year=2013,"
            " burn_in_years=0).run();"
            "print('\\n'.join(m.__file__ for n, m in list(sys.modules.items())"
            " if n.startswith('simulation') and getattr(m, '__file__', None)))")
    files = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.split()
    package = Path(__file__).resolve().parents[1] / "simulation"
    listed = {p.resolve() for pattern in FIT_SOURCES for p in package.glob(pattern)}
    missing = [f for f in files if Path(f).resolve() not in listed]
    assert files and not missing, missing
