"""Generate the result tables of docs/uncertainty.md from the posteriors and measured runs.

Every number comes from calibration/posteriors/CODE.toml (written by ``devise calibrate
--posterior``), bench/results/answer/ (``python bench/answer.py``) or
bench/results/screening/ (the indices.csv of ``devise sensitivity`` on
sweeps/screening_morris.toml and sweeps/screening_sobol.toml); none is typed.

    python docs/gen_uncertainty_tables.py            # print the sections
    python docs/gen_uncertainty_tables.py --write    # rewrite them in docs/uncertainty.md
    python docs/gen_uncertainty_tables.py --check    # exit 1 if docs/uncertainty.md is stale

The same commands print, rewrite or check the README's table of what +15% means in firms
(``target_section``), from the same bench/results/answer/ files.
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs"))

from gen_calibration_tables import _g, _table  # noqa: E402
from gen_param_tables import main  # noqa: E402

from simulation.calibration.posterior import posterior_files  # noqa: E402
from simulation.regions import get_region, region_codes  # noqa: E402

UNCERTAINTY_MD = ROOT / "docs" / "uncertainty.md"
README_MD = ROOT / "README.md"
ANSWER = ROOT / "bench" / "results" / "answer"
SCREENING = ROOT / "bench" / "results" / "screening"
BENCH_JSON = ROOT / "bench" / "results" / "posterior.json"


def _records() -> dict[str, dict]:
    out = {}
    for code in region_codes():
        path = posterior_files(code)[1]
        if path.exists():
            with path.open("rb") as f:
                out[code] = tomllib.load(f)
    return out


def posterior_section() -> str:
    """One row per region: simulations, kept, scale, time, coverage on synthetic data."""
    rows = []
    for code, record in _records().items():
        head, params = record["posterior"], record["parameters"]
        worst = min(params, key=lambda name: params[name]["coverage_90"])
        rows.append([code, str(head["simulations"]), str(head["kept"]), f"{head['ess']:.0f}",
                     f"{head['scale']:.3g}", f"{head['simulation_seconds']:.0f}",
                     f"{head['coverage_90_mean']:.2f}",
                     f"{worst} ({params[worst]['coverage_90']:.2f})", head["code_version"]])
    table = _table(["region", "simulations", "kept", "effective sample", "scale",
                    "simulation s (summed over runs)",
                    "coverage of 90% intervals (mean over parameters)", "lowest (parameter)",
                    "code"], rows)
    if not BENCH_JSON.exists():
        return table
    bench = json.loads(BENCH_JSON.read_text())
    return table + (f"\n\n`{bench['command']}` on {bench['date']} ({bench['cores']} cores): "
                    f"**all ten regions in {bench['wall_seconds_all_regions'] / 60:.0f} min** "
                    "of wall time.")


def parameters_section() -> str:
    """Posterior median [5-95%] per parameter and region, with the prior range."""
    records = _records()
    if not records:
        return "No posterior yet: run `devise calibrate --posterior --all`."
    names = list(next(iter(records.values()))["parameters"])
    rows = []
    for name in names:
        first = next(iter(records.values()))["parameters"][name]
        cells = [f"`{name}`", f"[{_g(first['prior_low'])}, {_g(first['prior_high'])}]"]
        for record in records.values():
            p = record["parameters"][name]
            cells.append(f"{_g(p['p50'])} [{_g(p['p05'])}, {_g(p['p95'])}]")
        rows.append(cells)
    return _table(["parameter", "prior", *records], rows)


def narrowing_section() -> str:
    """Posterior sd over prior sd: 1 means the targets say nothing about the parameter."""
    records = _records()
    if not records:
        return ""
    names = list(next(iter(records.values()))["parameters"])
    rows = [[f"`{name}`", *(f"{r['parameters'][name]['sd_over_prior_sd']:.2f}"
                            for r in records.values())] for name in names]
    return _table(["parameter", *records], rows)


def answer_section() -> str:
    """Return business as usual and the ten action plans over the posterior, per region."""
    summary, comparison = ANSWER / "summary.csv", ANSWER / "comparison.csv"
    if not (summary.exists() and comparison.exists()):
        return "No measured answer yet: run `python bench/answer.py`."
    s = pd.read_csv(summary).set_index("region")
    c = pd.read_csv(comparison).set_index("region")
    meta = json.loads((ANSWER / "answer.json").read_text())
    rows = []
    for region in s.index:
        b, p = s.loc[region], c.loc[region]
        rows.append([
            region, f"{b['baseline_enabling']:,.0f}",
            f"{b['growth_2021']:+.1%} [{b['growth_2021_p05']:+.1%}, {b['growth_2021_p95']:+.1%}]",
            f"{b['growth_2021_param_share']:.2f}", f"{b['p_target_2021']:.2f}",
            f"{p['policy_p_target_2021']:.2f}",
            f"{p['additional_2021']:+.1f} [{p['additional_2021_p05']:+.0f}, "
            f"{p['additional_2021_p95']:+.0f}]",
            f"{p['additional_2021_param_share']:.2f}",
        ])
    jobs = "; ".join(f"`{j['command']}` ({j['wall_seconds']:.0f} s)"
                     for j in meta["jobs"].values())
    head = (f"Measured on {meta['date']} ({meta['cores']} cores), {meta['replicates']} "
            f"replicates ({meta['replicates'] // 2} parameter sets per region): {jobs}.")
    return head + "\n\n" + _table(
        ["region", "enabling SMEs 2018Q4", "business as usual: growth 2021 [5-95%]",
         "share of its variance between parameter sets", "P(+15% by 2021), business as usual",
         "P(+15% by 2021), all action plans", "additional enabling SMEs 2021 [5-95%]",
         "share of their variance between parameter sets"], rows)


def start_section() -> str:
    """Return business as usual's enabling SMEs at each fourth quarter, index 2018 = 100."""
    path = ANSWER / "yearly.csv"
    if not path.exists():
        return "No measured run yet: run `python bench/answer.py`."
    yearly = pd.read_csv(path)
    wide = yearly.pivot_table(index="region", columns="year", values="enabling", sort=False)
    share = yearly.pivot_table(index="region", columns="year", values="enabling_share",
                               sort=False)
    def yearly_growth(region: str, first: int, last: int) -> str:
        ratio = wide.loc[region, last] / wide.loc[region, first]
        return f"{ratio ** (1 / (last - first)) - 1:+.1%}"

    rows = [[region, *(f"{100 * v / wide.loc[region, 2018]:.0f}" for v in wide.loc[region]),
             yearly_growth(region, 2013, 2018), yearly_growth(region, 2018, 2021),
             f"{share.loc[region, 2018]:.3f}"] for region in wide.index]
    return _table(["region", *(str(y) for y in wide.columns), "a year 2013-2018",
                   "a year 2018-2021", "enabling share of SMEs 2018"], rows)


def target_section() -> str:
    """Return, per region, the model's enabling SMEs at 2018Q4 and what +15% asks of them.

    The baseline is business as usual's mean at 2018Q4 over the posterior runs of
    bench/results/answer/summary.csv; beside it the registry's digital SMEs
    (calibration/regions.toml, the population the model is set up with and calibrated to)
    and the enabling share of the model's digital SMEs alive at 2018Q4 (yearly.csv).
    """
    summary, yearly = ANSWER / "summary.csv", ANSWER / "yearly.csv"
    if not summary.exists():
        return "No measured baseline yet: run `python bench/answer.py`."
    s = pd.read_csv(summary).set_index("region")
    shares = {}
    if yearly.exists():
        y = pd.read_csv(yearly)
        shares = y[y["year"] == 2018].set_index("region")["enabling_share"].to_dict()
    meta = json.loads((ANSWER / "answer.json").read_text())
    registry = {code: get_region(code) for code in region_codes()}
    rows = []
    for region in s.index:
        base = float(s.loc[region, "baseline_enabling"])
        if region in registry:
            name = registry[region].name
            smes = registry[region].n_digital_smes.value
        else:
            name = "the ten models together (NWCB, inside UKN0, counted twice)"
            smes = sum(spec.n_digital_smes.value for spec in registry.values())
        share = f"{shares[region]:.0%}" if region in shares else "n/a"
        rows.append([region, name, f"{smes:,.0f}", f"{base:,.0f}", share,
                     f"{1.15 * base:,.0f}", f"+{0.15 * base:,.0f}"])
    job = meta["jobs"]["summary.csv"]
    head = (f"From bench/results/answer/summary.csv and yearly.csv (`{job['command']}`, "
            f"{meta['date']}; means over {int(s['replicates'].iloc[0])} replicates); digital "
            "SMEs from the registry (`devise regions`):")
    return head + "\n\n" + _table(
        ["region", "name", "digital SMEs (registry)", "enabling SMEs 2018Q4 (model)",
         "enabling share of the model's digital SMEs, 2018Q4",
         "+15%: enabling SMEs needed at 2021Q4", "that is, more enabling SMEs"], rows)


def _indices(name: str) -> pd.DataFrame | None:
    path = SCREENING / f"{name}.csv"
    return pd.read_csv(path) if path.exists() else None


def screening_section() -> str:
    """Morris mu* (and sigma) of every parameter on both outputs, largest first."""
    frame = _indices("morris_indices")
    if frame is None:
        return "No screening yet: see the commands above."
    wide = frame.pivot_table(index="factor", columns=["output", "index"], values="value")
    conf = frame[frame["index"] == "mu_star"].pivot_table(index="factor", columns="output",
                                                          values="conf")
    order = (wide[("base_change", "mu_star")] / wide[("base_change", "mu_star")].max()
             + wide[("additional", "mu_star")] / wide[("additional", "mu_star")].max())
    rows = []
    for factor in order.sort_values(ascending=False).index:
        rows.append([f"`{factor.removeprefix('model.')}`",
                     f"{wide.loc[factor, ('base_change', 'mu_star')]:.0f} "
                     f"(+-{conf.loc[factor, 'base_change']:.0f})",
                     f"{wide.loc[factor, ('base_change', 'sigma')]:.0f}",
                     f"{wide.loc[factor, ('additional', 'mu_star')]:.1f} "
                     f"(+-{conf.loc[factor, 'additional']:.1f})",
                     f"{wide.loc[factor, ('additional', 'sigma')]:.1f}"])
    return _table(["parameter", "mu* on enabling SMEs gained 2018-2021, business as usual",
                   "sigma",
                   "mu* on additional enabling SMEs 2021", "sigma"], rows)


def sobol_section() -> str:
    """Sobol first-order and total indices of the few parameters that matter most."""
    frame = _indices("sobol_indices")
    if frame is None:
        return "No Sobol analysis yet: see the commands above."
    rows = []
    for (output, factor), group in frame.groupby(["output", "factor"], sort=False):
        values = group.set_index("index")
        rows.append([output, f"`{factor.removeprefix('model.')}`",
                     f"{values.loc['S1', 'value']:.2f} (+-{values.loc['S1', 'conf']:.2f})",
                     f"{values.loc['ST', 'value']:.2f} (+-{values.loc['ST', 'conf']:.2f})"])
    return _table(["output", "parameter", "S1", "ST"], rows)


SECTIONS = {
    "posterior": posterior_section,
    "parameters": parameters_section,
    "narrowing": narrowing_section,
    "answer": answer_section,
    "start": start_section,
    "screening": screening_section,
    "sobol": sobol_section,
}

README_SECTIONS = {
    "target-in-firms": target_section,
}
"""Sections of README.md this script writes (the rest of the README is typed)."""

if __name__ == "__main__":
    status = main(sys.argv[1:], SECTIONS, UNCERTAINTY_MD)
    sys.exit(main(sys.argv[1:], README_SECTIONS, README_MD) or status)
