"""devise report: one self-contained HTML page from run, comparison and sweep folders."""

import json
import re
import shutil

import pandas as pd
import pytest
from test_compare import POLICY_TOML, toml

from simulation.cli import main
from simulation.errors import InputError
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
                 "--workers", "1"]) == 0
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
    assert "ES13" in html and "RO42" in html
    row = pd.read_csv(run / "summary.csv").set_index("region").loc["ALL"]
    cells = [f"{row['baseline_enabling']:,.0f}", f"{row['enabling_2021']:,.0f}",
             f"{row['growth_2021']:+.1%} [{row['growth_2021_p05']:+.1%}, "
             f"{row['growth_2021_p95']:+.1%}]", f"{row['p_target_2022']:.1%}"]
    all_row = re.search(r"<tr class='all'>(.*?)</tr>", html).group(1)
    for cell in cells:
        assert f">{cell}</td>" in all_row
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["scenario"]["sha256"] in html and "Seed: 3" in html
    assert_self_contained(html, run)


def test_comparison_folder_with_and_without_contributions(folders, tmp_path):
    out = tmp_path / "elsewhere" / "page.html"
    assert write_report(folders["compare"], out) == out
    html = out.read_text()
    assert not (folders["compare"] / "report.html").exists()
    assert "DEVISE comparison: mix against base" in html
    assert "ES13" in html and "RO42" in html and "vouchers" in html and "interaction" in html
    row = pd.read_csv(folders["compare"] / "comparison.csv").set_index("region").loc["ALL"]
    assert f">{row['additional_spend_2021']:,.0f}</td>" in html
    assert f">{row['additional_2022']:+,.0f} [" in html
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
    assert "x1" in html and "x3" in html
    assert_self_contained(html, sweep)


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
