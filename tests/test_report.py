"""devise report: one self-contained HTML page from run, comparison and sweep folders."""

import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from test_compare import POLICY_TOML, toml
from test_sweep import small_devise_file

from simulation import __version__, outputs
from simulation.cli import main
from simulation.errors import InputError
from simulation.formatting import band, count, eur, probability, share
from simulation.report import write_report

ISHIGAMI = "\n".join(
    ["[sweep]", 'name = "ish"', 'function = "ishigami"', 'design = "sobol"', "samples = 64",
     "seed = 3"] + [f'[[factors]]\npath = "{x}"\nbounds = [-3.14159, 3.14159]'
                    for x in ("x1", "x2", "x3")]) + "\n"


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A run, a comparison (with contributions) and a sensitivity folder, made once."""
    tmp = tmp_path_factory.mktemp("report")
    (tmp / "base.toml").write_text(toml("base", '["ES13", "RO42"]'))
    (tmp / "mix.toml").write_text(POLICY_TOML)
    (tmp / "ish.toml").write_text(ISHIGAMI)
    made = {"run": tmp / "run", "compare": tmp / "compare", "sweep": tmp / "sweep"}
    assert main(["run", str(tmp / "base.toml"), "--out", str(made["run"]), "--workers", "1"]) == 0
    assert main(["compare", str(tmp / "base.toml"), str(tmp / "mix.toml"), "--out",
                 str(made["compare"]), "--workers", "1"]) == 0
    assert main(["sensitivity", str(tmp / "ish.toml"), "--out", str(made["sweep"]),
                 "--workers", "1", "--figure"]) == 0
    return made


def copy(folder, tmp_path):
    return shutil.copytree(folder, tmp_path / folder.name)


def assert_self_contained(html: str, folder) -> None:
    pngs = sorted(folder.glob("*.png"))
    assert pngs and html.count("data:image/png;base64,") == len(pngs)
    assert 'src="http' not in html and "src='http" not in html
    assert not re.search(r"<link\b", html) and "<script" not in html
    assert not list(folder.glob(".report-*"))  # the temporary file was moved into place


def test_run_folder(folders, tmp_path):
    run = copy(folders["run"], tmp_path)
    assert main(["report", str(run)]) == 0
    assert [p.name for p in run.glob("*.html")] == ["report.html"]
    html = (run / "report.html").read_text()
    assert "<title>DEVISE run: base</title>" in html
    assert ">ES13 Cantabria</td>" in html and ">RO42 Vest</td>" in html
    row = pd.read_csv(run / "summary.csv").set_index("region").loc["ALL"]
    cells = [count(row["baseline_enabling"]), count(row["enabling_2021"]),
             band(row[["growth_2021", "growth_2021_p05", "growth_2021_p95"]], share, sign=True),
             probability(row["p_target_2022"])]
    all_row = re.search(r"<tr class='all'>(.*?)</tr>", html).group(1)
    for cell in cells:
        assert f">{cell}</td>" in all_row
    assert "e+0" not in all_row
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["scenario"]["sha256"] in html and "Seed: 3" in html
    assert "Below full scale" in html and "3% scale, 2 replicates" in html
    assert_self_contained(html, run)


def test_manifests_record_calibration_files_version_and_commit(folders):
    run = json.loads((folders["run"] / "manifest.json").read_text())
    compared = json.loads((folders["compare"] / "manifest.json").read_text())["scenarios"][0]
    sweep = json.loads((folders["sweep"] / "manifest.json").read_text())
    for doc in (run, compared, sweep):
        assert doc["version"] == __version__ and doc["git"] == outputs.git_commit()
    if (Path(outputs.__file__).parents[1] / ".git").exists():
        assert re.fullmatch(r"[0-9a-f]{4,40}", run["git"]["commit"])
        assert isinstance(run["git"]["dirty"], bool)
    for doc in (run, compared):
        assert doc["parameters"] == "posterior" and set(doc["calibration"]) == {"ES13", "RO42"}
        for code in ("ES13", "RO42"):
            point, posterior = doc["calibration"][code], doc["posterior"][code]
            assert point["file"].endswith(f"regions/{code}.toml") and point["mode"] == "full"
            assert posterior["file"].endswith(f"posteriors/{code}.parquet")
            assert posterior["summary_file"].endswith(f"posteriors/{code}.toml")
            for entry in (point, posterior):
                assert isinstance(entry["current"], bool)
                assert all(len(entry[k]) == 64 for k in entry if k.endswith("sha256"))
    assert "calibration" not in sweep  # a test function reads no calibration


def test_report_shows_the_provenance(folders, tmp_path):
    html = write_report(copy(folders["run"], tmp_path)).read_text()
    footer = html.split("<footer>")[1]
    manifest = json.loads((folders["run"] / "manifest.json").read_text())
    assert f"devise {__version__}" in footer
    if manifest["git"]:
        assert f"git commit {manifest['git']['commit']}" in footer
        assert ("dirty" in footer) == manifest["git"]["dirty"]
    else:
        assert "not run from a git checkout" in footer
    assert "Parameters: posterior" in footer and "Calibration files" in footer
    for code, name in (("ES13", "Cantabria"), ("RO42", "Vest")):
        point, posterior = manifest["calibration"][code], manifest["posterior"][code]
        assert f">{code} {name}</td>" in footer
        for digest in (point["sha256"], posterior["sha256"], posterior["summary_sha256"]):
            assert digest in footer
        assert f"regions/{code}.toml (mode full; current: {'yes' if point['current'] else 'no'})" \
            in footer


@pytest.mark.parametrize("fails", ["no git", "another repository"])
def test_no_commit_and_no_error_outside_a_checkout(fails, monkeypatch):
    def fake(args, **kwargs):
        if fails == "no git":
            raise FileNotFoundError("git")
        return subprocess.CompletedProcess(args, 0, stdout="/somewhere/else\n")

    monkeypatch.setattr(subprocess, "run", fake)
    assert outputs.git_commit() is None


def test_files_get_the_usual_permissions(folders, tmp_path):
    umask = os.umask(0o022)
    try:
        run = copy(folders["run"], tmp_path)
        page = write_report(run)
    finally:
        os.umask(umask)
    assert stat.S_IMODE(page.stat().st_mode) == 0o644
    written = [p for folder in folders.values() for p in folder.iterdir() if p.is_file()
               and not p.name.startswith(".")]
    assert written and all(stat.S_IMODE(p.stat().st_mode) == 0o666 & ~umask for p in written)


def test_comparison_folder_with_and_without_contributions(folders, tmp_path):
    out = tmp_path / "elsewhere" / "page.html"
    assert write_report(folders["compare"], out) == out
    html = out.read_text()
    assert not (folders["compare"] / "report.html").exists()
    assert "DEVISE comparison: mix against base" in html
    assert "ES13" in html and "RO42" in html and "vouchers" in html and "interaction" in html
    rows = pd.read_csv(folders["compare"] / "comparison.csv").set_index("region")
    row = rows.loc["ALL"]
    assert f">{eur(row['additional_spend_2021'])}</td>" in html
    assert f">{count(row['additional_2022'], sign=True)} [" in html
    assert f">{eur(rows.loc['ES13', 'cost_per_sme_2021'])}</td>" in html and "EUR " in html
    assert ">ES13 Cantabria</td>" in html and "e+0" not in html.split("<footer")[0]
    assert "Below full scale" in html
    assert "base.toml" in html and "mix.toml" in html and "without" not in html.split("<footer")[1]
    assert_self_contained(html, folders["compare"])

    bare = copy(folders["compare"], tmp_path)  # as if run with --no-contributions
    (bare / "contributions.png").unlink()
    (bare / "contributions.csv").write_text(
        "policy,instrument,kind,region,year,mean,p05,p95,spend,cost_per_sme\n")
    html = write_report(bare).read_text()
    assert "Contributions of the instruments" not in html
    assert_self_contained(html, bare)


def test_sweep_folder(folders, tmp_path):
    sweep = copy(folders["sweep"], tmp_path)
    html = write_report(sweep).read_text()
    assert "<h1>DEVISE sweep ish</h1>" in html and "Sensitivity indices" in html
    for x in ("x1", "x2", "x3"):  # the factors with their bounds
        assert f"<tr><td>{x}</td><td class=n>-3.142</td><td class=n>3.142</td>" in html
    points = pd.read_csv(sweep / "points.csv")
    table = html.split("<h2>Design points</h2>")[1].split("</table>")[0]
    assert len(points) == 512 and table.count("<tr>") == 200 + 1  # the header, 200 points
    assert "the first 200 of 512 points; all in points.csv" in table
    assert f"<td class=n>{points['y'].iloc[0]:.4g}</td>" in table
    assert (sweep / "points.png").exists() and "Below full scale" not in html
    assert_self_contained(html, sweep)


def test_a_simulator_sweep_reports_its_scale_points_and_calibration(tmp_path):
    out = tmp_path / "sweep"
    spec = small_devise_file(tmp_path, samples=3, counterfactual="true")
    assert main(["sweep", str(spec), "--out", str(out), "--workers", "1", "--figure"]) == 0
    summary = (out / "summary.txt").read_text()
    assert "5% scale" in summary and "spend: mean over points EUR " in summary
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["base"]["parameters"] in ("point", "posterior")
    assert len(manifest["calibration"]["NWCB"]["sha256"]) == 64
    html = write_report(out).read_text()
    assert "Below full scale" in html and "5% scale, 2 replicates" in html
    assert "<tr><td>model.search_breadth</td><td class=n>2</td><td class=n>9</td>" in html
    points = pd.read_csv(out / "points.csv")
    table = html.split("<h2>Design points</h2>")[1].split("</table>")[0]
    assert table.count("<tr>") == len(points) + 1 and f"all {len(points)} points" in table
    assert f"<td class=n>{eur(points['spend'].iloc[0])}</td>" in table
    assert manifest["calibration"]["NWCB"]["sha256"] in html.split("<footer>")[1]
    assert (out / "points.png").exists()
    assert_self_contained(html, out)


def test_text_from_files_is_escaped(folders, tmp_path):
    run = copy(folders["run"], tmp_path)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest["scenario"]["name"] = "<b>bold</b> & co"
    (run / "manifest.json").write_text(json.dumps(manifest))
    summary = pd.read_csv(run / "summary.csv")
    summary.loc[0, "region"] = "<script>x</script>"
    summary.to_csv(run / "summary.csv", index=False)
    html = write_report(run).read_text()
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html and "<b>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script" not in html


@pytest.mark.parametrize("make", ["missing", "empty", "file"])
def test_bad_folder_exits_2_and_writes_nothing(make, tmp_path, capsys):
    target = tmp_path / "target"
    if make == "empty":
        target.mkdir()
    elif make == "file":
        target.write_text("not a folder")
    before = sorted(tmp_path.rglob("*"))
    assert main(["report", str(target)]) == 2
    err = capsys.readouterr().err
    assert "target" in err and "expected an output folder" in err and "Traceback" not in err
    assert sorted(tmp_path.rglob("*")) == before


def test_unreadable_manifest_is_an_input_error(folders, tmp_path):
    run = copy(folders["run"], tmp_path)
    (run / "manifest.json").write_text("{not json")
    with pytest.raises(InputError, match="manifest.json"):
        write_report(run)
    assert not (run / "report.html").exists()
