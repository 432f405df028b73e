"""End-to-end CLI runs at small scale, and bad input handled without a traceback."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from simulation.cli import main
from simulation.instruments import INSTRUMENT_TYPES
from simulation.kernels.parallel import threads

SMALL = """
[scenario]
name = "small"
regions = ["IE04", "ES13", "BG33"]
start_year = 2018
end_year = 2022
burn_in_years = 2
replicates = 3
seed = 7
scale = 0.03

[[instruments]]
type = "innovation_voucher"
regions = ["IE04"]
start = "2019Q1"
end = "2021Q4"
budget_per_year = 300000

[[instruments]]
type = "matchmaking"
regions = ["ES13"]
start = "2019Q1"
budget_per_year = 100000
"""


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return path


def test_run_writes_the_four_outputs(scenario, tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--workers", "1"]) == 0
    summary = pd.read_csv(out / "summary.csv")
    for col in ("region", "baseline_enabling", "enabling_2021", "growth_2021", "p_target_2021",
                "enabling_2022", "growth_2022", "p_target_2022"):
        assert col in summary
    assert list(summary["region"]) == ["IE04", "ES13", "BG33", "ALL"]
    assert summary["p_target_2021"].between(0, 1).all()
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert set(ts["replicate"]) == {0, 1, 2}
    assert len(ts) == 3 * 3 * 4 * 7  # regions x replicates x quarters (2016..2022)
    row = summary.set_index("region").loc["IE04"]
    base = ts[(ts.region == "IE04") & (ts.quarter == "2018Q4")]["enabling"]
    assert row["baseline_enabling"] == pytest.approx(base.mean(), abs=5e-4)  # 3 decimals
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["scale"] == 0.03
    assert len(manifest["scenario"]["sha256"]) == 64
    assert (out / "kpi.png").stat().st_size > 10_000
    # the vouchers spent money in IE04 only, within budget (full-population euros) give or
    # take the one voucher a year that reduced scale may round up (PolicyInstrument.places)
    spend = ts.groupby(["region", "replicate", "year"])["public_spend"].sum()
    declared = INSTRUMENT_TYPES["innovation_voucher"].declared_params()
    unit = declared["voucher_value"].default * (1 + declared["admin_share"].default)
    assert spend.loc["IE04"].max() <= 300000 + unit / 0.03 + 1e-6
    assert spend.loc["IE04"].sum() > 0
    assert spend.loc["BG33"].sum() == 0


def test_rerun_resumes_from_kept_replicates(scenario, tmp_path):
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--workers", "1"]) == 0
    first = pd.read_parquet(out / "timeseries.parquet")
    kept = sorted((out / ".replicates").glob("*.parquet"))
    assert len(kept) == 3
    kept[0].unlink()  # as if interrupted before the first replicate was kept
    stamps = {p: p.stat().st_mtime_ns for p in kept[1:]}
    assert main(["run", str(scenario), "--out", str(out), "--workers", "1"]) == 0
    assert all(p.stat().st_mtime_ns == t for p, t in stamps.items())  # not recomputed
    pd.testing.assert_frame_equal(first, pd.read_parquet(out / "timeseries.parquet"))


@pytest.mark.parametrize("parallel", [["--workers", "2"], ["--workers", "1", "--threads", "2"],
                                      ["--workers", "2", "--threads", "2"]],
                         ids=["processes", "threads", "both"])
def test_parallel_workers_and_threads_give_the_same_result(scenario, tmp_path, parallel):
    assert main(["run", str(scenario), "--out", str(tmp_path / "a"), "--workers", "1",
                 "--replicates", "2"]) == 0
    assert main(["run", str(scenario), "--out", str(tmp_path / "b"), "--replicates", "2",
                 *parallel]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / "timeseries.parquet"),
                                  pd.read_parquet(tmp_path / "b" / "timeseries.parquet"))
    assert threads() == 1  # the setting does not outlive the run


def test_bad_scenario_exits_2_without_traceback_or_output(scenario, tmp_path):
    scenario.write_text(SMALL.replace("budget_per_year = 300000", "budget_per_year = -1"))
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "simulation.cli", "run", str(scenario),
                           "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "instruments[0].budget_per_year" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_bad_option_exits_2(scenario):
    proc = subprocess.run([sys.executable, "-m", "simulation.cli", "run", str(scenario),
                           "--scale", "3"], capture_output=True, text=True)
    assert proc.returncode == 2 and "(0, 1]" in proc.stderr


def test_regions_lists_ten(capsys):
    assert main(["regions"]) == 0
    out = capsys.readouterr().out
    for code in ("IE04", "UKN0", "ES13", "ES21", "RO42", "FRG0", "BE2", "FI19", "BG33", "NWCB"):
        assert code in out


BAD_INPUTS = {
    "misspelled key": (("budget_per_year = 300000", "budget_per_yaer = 300000"),
                       "instruments[0].budget_per_yaer", "did you mean 'budget_per_year'?"),
    "string budget": (("budget_per_year = 300000", 'budget_per_year = "lots"'),
                      "instruments[0].budget_per_year", "found 'lots'"),
    "unknown region": (('"IE04", "ES13", "BG33"', '"IE04", "ES31"'), "scenario.regions[1]",
                       "did you mean 'ES13'?"),
    "markup in a key": (("seed = 7", '"[/x]" = 7'), "scenario.'[/x]'", "valid: name"),
    "markup and emoji in a value": (("scale = 0.03", 'scale = ":smile: [bold]x"'),
                                    "scenario.scale", "found ':smile: [bold]x'"),
    "NaN in a whole-number parameter": (("budget_per_year = 100000",
                                         "budget_per_year = 100000\nboost_quarters = nan"),
                                        "instruments[1].boost_quarters", "found nan"),
}


@pytest.mark.parametrize(("edit", "key", "words"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_scenario_gives_one_error_line(scenario, tmp_path, capsys, edit, key, words):
    assert edit[0] in SMALL
    scenario.write_text(SMALL.replace(*edit, 1))
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [err.strip()], err  # one line, not wrapped
    assert err.startswith(f"error: {scenario}: {key}: expected "), err
    assert words in err and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(("name", "found"), [("missing.toml", "found no such file"),
                                              ("folder", "found a directory")])
def test_unreadable_scenario_file(tmp_path, capsys, name, found):
    (tmp_path / "folder").mkdir()
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / name), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [err.strip()], err
    assert err.startswith(f"error: {tmp_path / name}: expected ") and found in err, err
    assert "Traceback" not in err
    assert not out.exists()


def test_markup_in_bad_input_no_traceback_in_a_subprocess(scenario, tmp_path):
    scenario.write_text(SMALL.replace("seed = 7", '"[/x]" = 7'))
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "simulation.cli", "run", str(scenario),
                           "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith(f"error: {scenario}: scenario.'[/x]': expected a known key")
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert not out.exists()


# --- output folders never mix (issue 13, defect 11) ----------------------------------------
def test_a_run_into_the_folder_of_another_run_is_refused_and_changes_nothing(scenario, tmp_path,
                                                                             capsys):
    out = tmp_path / "out"
    assert main(["run", str(scenario), "--out", str(out), "--workers", "1",
                 "--replicates", "1"]) == 0
    (out / "report.html").write_text("made from the first run")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    capsys.readouterr()
    assert main(["run", str(scenario), "--out", str(out), "--workers", "1", "--replicates", "1",
                 "--scale", "0.05"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "scale 0.03 there, 0.05 here" in err and "--overwrite" in err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    # the same run resumes and says so; its outputs replace the report made from the old ones
    assert main(["run", str(scenario), "--out", str(out), "--workers", "1",
                 "--replicates", "1"]) == 0
    err = " ".join(capsys.readouterr().err.split())  # the console wraps long lines
    assert "resuming" in err and "1 of 1 replicates already done" in err
    assert not (out / "report.html").exists()
    # asked to, it replaces the other run entirely
    assert main(["run", str(scenario), "--out", str(out), "--workers", "1", "--replicates", "1",
                 "--scale", "0.05", "--overwrite"]) == 0
    assert json.loads((out / "manifest.json").read_text())["scale"] == 0.05
    assert len(list((out / ".replicates").iterdir())) == 1


def test_out_that_is_a_file_or_a_folder_of_other_files_is_refused(scenario, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["run", str(scenario), "--out", str(afile), "--workers", "1"]) == 2
    assert "which is a file" in capsys.readouterr().err and afile.read_text() == "x"
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    assert main(["run", str(scenario), "--out", str(mine), "--workers", "1", "--overwrite"]) == 2
    assert "other files" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_a_posterior_run_records_its_parameter_sets_and_a_point_run_the_fitted_values(
        scenario, tmp_path):
    from simulation.fitted import fitted_values
    from simulation.posteriors import posterior_sets

    runs = {}
    for mode in ("posterior", "point"):
        out = tmp_path / mode
        assert main(["run", str(scenario), "--out", str(out), "--workers", "1", "--replicates",
                     "4", "--parameters", mode]) == 0
        runs[mode] = (pd.read_parquet(out / "parameters.parquet"),
                      json.loads((out / "manifest.json").read_text()),
                      pd.read_csv(out / "summary.csv"))
    params, manifest, summary = runs["posterior"]
    assert len(params) == 4 * 3 and manifest["parameters"] == "posterior"
    assert manifest["replicates_per_parameter_set"] == 2
    assert set(manifest["posterior"]) == {"IE04", "ES13", "BG33"}
    assert all(len(v["sha256"]) == 64 for v in manifest["posterior"].values())
    names, values, _ = posterior_sets("ES13")
    es13 = params[params.region == "ES13"].set_index("replicate")
    for _, row in es13.iterrows():  # the values used are the posterior set recorded
        assert [row[n] for n in names] == pytest.approx(values[row["parameter_set"]])
    assert es13.loc[0, "parameter_set"] == es13.loc[1, "parameter_set"]  # pairs share one
    assert "growth_2021_param_share" in summary
    params, manifest, summary = runs["point"]
    assert (params["parameter_set"] == -1).all() and manifest["posterior"] is None
    point = fitted_values("ES13")
    row = params[params.region == "ES13"].iloc[0]
    assert all(row[name] == pytest.approx(value) for name, value in point.items())
    assert "growth_2021_param_share" not in summary


# --- the fast error path, shipped scenarios, the first run (issue 16) ----------------------
HEAVY = ("numba", "pandas", "mesa", "matplotlib", "simulation.region", "simulation.scenario")


@pytest.mark.parametrize("argv", [
    ["run", "missing.toml"], ["run", "bad.toml"], ["compare", "bad.toml", "missing.toml"],
    ["sweep", "missing.toml"], ["report", "no-such-folder"], ["calibrate", "--region", "ES31"],
    ["scenarios", "copy", "nothing_of_that_name"], ["run", "small.toml", "--scale", "3"],
], ids=lambda argv: " ".join(argv))
def test_bad_input_fails_before_the_heavy_imports(scenario, tmp_path, argv):
    (tmp_path / "bad.toml").write_text("[scenario\n")
    code = ("import sys\nfrom simulation.cli import main\ntry:\n    rc = main(sys.argv[1:])\n"
            "except SystemExit as exc:\n    rc = exc.code\n"
            f"print(rc, [m for m in {HEAVY!r} if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                          cwd=tmp_path)
    assert proc.stdout.split("\n")[-2] == "2 []", proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.count("error") == 1, proc.stderr


def test_scenarios_lists_the_shipped_ones_with_their_files(capsys):
    from simulation.shipped import shipped_scenarios

    shipped = shipped_scenarios()
    assert list(shipped)[0] == "baseline" and len(shipped) == 15
    assert shipped["action_plan_ES13"][0].as_posix() == "action_plans/ES13.toml"
    assert all(description for _, description in shipped.values())
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert "baseline" in out and "transfers/digihub_in_E" in out


def test_scenarios_copy_brings_the_bases_and_never_replaces_an_edited_file(tmp_path, capsys):
    from simulation.resources import shipped_folder
    from simulation.scenario import load_scenario

    folder = shipped_folder("scenarios")
    dest = tmp_path / "mine"
    assert main(["scenarios", "copy", "action_plan_ES13", str(dest)]) == 0
    copied = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.toml"))
    assert copied == ["action_plans/ES13.toml", "baseline.toml"]
    assert load_scenario(dest / "action_plans" / "ES13.toml").name == "action_plan_ES13"
    assert main(["scenarios", "copy", "action_plan_ES13", str(dest)]) == 0  # same files: fine
    (dest / "baseline.toml").write_text("# edited\n")
    capsys.readouterr()
    assert main(["scenarios", "copy", "baseline", str(dest)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {dest / 'baseline.toml'}: expected a new file") and \
        len(err.splitlines()) == 1
    assert (dest / "baseline.toml").read_text() == "# edited\n"
    assert main(["scenarios", "copy", "baseline", str(dest), "--overwrite"]) == 0
    assert (dest / "baseline.toml").read_bytes() == (folder / "baseline.toml").read_bytes()
    assert main(["scenarios", "copy", "baseline", str(dest / "baseline.toml")]) == 2
    assert main(["scenarios", "copy", "basline"]) == 2
    assert "did you mean 'baseline'?" in capsys.readouterr().err


def test_run_takes_a_shipped_name_where_no_such_file_exists(tmp_path, monkeypatch):
    from simulation.cli import _scenario_file
    from simulation.resources import shipped_folder

    monkeypatch.chdir(tmp_path)
    assert _scenario_file(Path("baseline")) == shipped_folder("scenarios") / "baseline.toml"
    (tmp_path / "baseline").write_text("[scenario]\nname = 'mine'\n")
    assert _scenario_file(Path("baseline")) == Path("baseline")  # a file of that name wins


def test_a_run_below_full_scale_labels_regions_and_warns_about_p_target(scenario, tmp_path,
                                                                          capsys, monkeypatch):
    from simulation.cli import _out

    monkeypatch.setenv("COLUMNS", "160")  # room for the names, in a console made for it
    _out.cache_clear()
    try:
        assert main(["run", str(scenario), "--out", str(tmp_path / "out"), "--workers", "1",
                     "--replicates", "1"]) == 0
    finally:
        _out.cache_clear()
    out = " ".join(capsys.readouterr().out.split())
    assert "Cantabria" in out and "Severoiztochen" in out
    assert "warning: 3% scale, 1 replicates: counts move in steps of 33 firms" in out
    assert "not comparable with full scale" in out


def test_the_first_run_says_it_compiles_and_later_runs_do_not(monkeypatch, tmp_path, capsys):
    from simulation.cli import _first_compile

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba-x"))
    assert _first_compile() is not None
    assert "first run on this machine: compiling" in " ".join(capsys.readouterr().err.split())
    (tmp_path / "numba-x").mkdir()
    (tmp_path / "numba-x" / "index").write_text("")
    assert _first_compile() is None and capsys.readouterr().err == ""


@pytest.mark.slow
def test_a_first_run_compiles_once_with_its_own_cache(scenario, tmp_path):
    scenario.write_text(SMALL.replace('"IE04", "ES13", "BG33"', '"ES13"')
                        .replace('regions = ["IE04"]', 'regions = ["ES13"]'))
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["DEVISE_CACHE_DIR"] = str(tmp_path / "cache")
    runs = [subprocess.run([sys.executable, "-m", "simulation.cli", "run", str(scenario),
                            "--out", str(tmp_path / out), "--workers", "1",
                            "--replicates", "1"], capture_output=True, text=True, env=env)
            for out in ("first", "second")]
    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr
    first, second = (" ".join(run.stderr.split()) for run in runs)
    assert "first run on this machine: compiling" in first and "kernels compiled in" in first
    assert "compiling" not in second and "kernels compiled" not in second


def test_explore_is_a_command_and_refuses_an_unknown_region(capsys):
    assert main(["explore", "--region", "XX04", "--no-browser"]) == 2
    assert "--region" in capsys.readouterr().err
