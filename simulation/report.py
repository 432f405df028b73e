"""One self-contained HTML page from a run, comparison or sweep output folder.

The page needs no Python, network or JavaScript to read: CSS is inline, tables are HTML and
figures are embedded as base64 PNG data URIs. Every text taken from a file is escaped.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import secrets
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import pandas as pd

from . import __version__
from .errors import InputError
from .formatting import (
    band,
    count,
    eur,
    number,
    probability,
    region_label,
    scale_note,
    share,
    yes_no,
)
from .sweep.report import write_output

_KINDS = {  # checked in this order: a comparison also has timeseries.parquet and manifest.json
    "comparison": ("comparison.csv", "contributions.csv", "comparison.png", "contributions.png"),
    "sweep": ("summary.txt", "points.csv", "design.csv", "indices.csv", "convergence.csv",
              "second_order.csv"),
    "run": ("summary.csv", "kpi.png", "manifest.json", "timeseries.parquet"),
}
_CAPTIONS = {
    "kpi": "Enabling digital SMEs per region, 2018Q4 = 100: line = median of replicates, band = "
           "5-95% of replicates, dashed line = DEVISE target (+15%).",
    "comparison": "Additional enabling SMEs (policy minus base, firms) at the end of each year: "
                  "point = mean of replicates, bar = 5-95% of replicates.",
    "contributions": "Enabling SMEs attributed to each instrument (policy minus policy without "
                     "the instrument, firms), all regions.",
}
_INTRO = (
    "This page summarises simulated outputs of the DEVISE model: agent-based models of ten "
    "regional digital ecosystems. The DEVISE indicator counts the digital technology SMEs that "
    "enable firms of the regional smart-specialisation sectors; the DEVISE target is +15% on its "
    "2018Q4 level by the end of 2021. Counts are full-population units (firms), whatever "
    "fraction of the population was simulated; bands in [brackets] are the 5-95% range over "
    "replicates (runs with different random numbers); P(target) is the share of replicates "
    "reaching the target.")
_NUMBER = re.compile(r"-?[+-]?(EUR )?[\d.,]+(e[+-]\d+)?(bn|m|k|%)?( |$)|n/a$")
_POINTS_SHOWN = 200
"""The sweep points a page lists (all are in points.csv)."""
_CSS = """body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}caption{text-align:left;color:#555}
th,td{border:1px solid #ccc;padding:.25em .5em}th{background:#eee}td.n{text-align:right}
tr.all td{font-weight:bold}figure{margin:1.5em 0}img{max-width:100%}
figcaption,footer{color:#555;font-size:.9em}pre{background:#f6f6f6;padding:.5em}
p.warn{border-left:4px solid #D55E00;padding:.5em 1em;background:#fdf0e6}
footer td{word-break:break-all}"""


def write_report(run_dir: Path, out: Path | None = None) -> Path:
    """Write one self-contained HTML page describing an output folder.

    Args:
        run_dir: A folder written by ``devise run``, ``compare``, ``sweep`` or ``sensitivity``.
        out: The HTML file to write (default ``run_dir/report.html``); written atomically.

    Returns:
        The path written.

    Raises:
        InputError: ``run_dir`` is missing, not a folder, holds none of the known files or
            holds a file that cannot be read; nothing is written then.

    """
    run_dir = Path(run_dir)
    expected = "an output folder of devise run, compare, sweep or sensitivity"
    if not run_dir.is_dir():
        raise InputError(str(run_dir), "", expected,
                         "a file" if run_dir.exists() else "no such folder")
    kind = next((k for k, names in _KINDS.items()
                 if any((run_dir / n).exists() for n in names)), None)
    if kind is None:
        known = sorted({n for names in _KINDS.values() for n in names})
        raise InputError(str(run_dir), "", f"{expected} (one of {', '.join(known)})",
                         "none of these files")
    manifest = _manifest(run_dir)
    if "compare" in manifest:
        kind = "comparison"
    try:
        page = _render(run_dir, kind, manifest)
    except KeyError as exc:
        raise InputError(str(run_dir), str(exc.args[0]), "the files devise writes",
                         "a file without this column or key") from None
    out = Path(out) if out is not None else run_dir / "report.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".report-{secrets.token_hex(6)}.tmp"
    try:  # "x": a new file with the usual permissions (0644 under umask 022), not mkstemp's 0600
        with tmp.open("x", encoding="utf-8") as handle:
            handle.write(page)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def _render(run_dir: Path, kind: str, manifest: dict) -> str:
    runs = _runs(manifest)
    if kind == "comparison":
        c = manifest.get("compare", {})
        title = "DEVISE comparison: " + (
            f"{', '.join(c.get('policies', []))} against {c.get('base')}" if c else run_dir.name)
        body = _comparison(run_dir)
    elif kind == "sweep":
        path = run_dir / "summary.txt"
        summary = path.read_text(encoding="utf-8") if path.exists() else ""
        title = "DEVISE " + (summary.split(":", 1)[0] if summary else f"sweep {run_dir.name}")
        body = _sweep(run_dir, manifest, summary)
    else:
        title = f"DEVISE run: {manifest.get('scenario', {}).get('name', run_dir.name)}"
        body = _run(run_dir) if (run_dir / "summary.csv").exists() else ""
    figures = "".join(_figure(p) for p in sorted(run_dir.glob("*.png")))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}"
            f"</title><style>{_CSS}</style></head><body><h1>{escape(title)}</h1>"
            f"<h2>What this is</h2><p>{escape(_INTRO)}</p>{_scale_warning(runs)}{body}"
            f"{'<h2>Figures</h2>' + figures if figures else ''}"
            f"<footer><h2>Provenance</h2>{_provenance(run_dir, manifest, runs)}</footer>"
            "</body></html>\n")


def _runs(manifest: dict) -> dict:
    """Return the settings of an output's runs: its own, a comparison's first, a sweep's."""
    if manifest.get("scenarios"):
        return manifest["scenarios"][0]
    base = manifest.get("base")
    if isinstance(base, dict):  # a sweep of the simulator: the scale is its base's
        return {**manifest, "scale": base.get("scale"), "parameters": base.get("parameters")}
    return manifest


def _scale_warning(runs: dict) -> str:
    scale = runs.get("scale")
    if scale is None or scale >= 1.0:
        return ""
    return (f"<p class='warn'><strong>Below full scale.</strong> "
            f"{escape(scale_note(scale, runs.get('replicates')))}.</p>")


def _run(run_dir: Path) -> str:
    df = _csv(run_dir / "summary.csv", ["region", "baseline_enabling"])
    cols = {"Region": df["region"].map(region_label),
            "Enabling SMEs 2018Q4 (firms)": df["baseline_enabling"].map(count)}
    for y in _years(df, r"enabling_(\d{4})"):
        cols[f"Enabling SMEs {y}Q4 (firms)"] = df[f"enabling_{y}"].map(count)
        cols[f"Growth on 2018Q4, {y} [5-95%]"] = _bands(
            df, [f"growth_{y}", f"growth_{y}_p05", f"growth_{y}_p95"], write=share, sign=True)
        cols[f"P(target) {y}"] = df[f"p_target_{y}"].map(probability)
    if "replicates" in df:
        cols["Replicates"] = df["replicates"].map(count)
    return "<h2>Results per region</h2>" + _table(
        pd.DataFrame(cols), "Enabling digital SMEs at the end of each year; ALL = all regions; "
        "P(target): share of replicates reaching +15% on 2018Q4")


def _comparison(run_dir: Path) -> str:
    html = ""
    if (run_dir / "comparison.csv").exists():
        df = _csv(run_dir / "comparison.csv", ["policy", "region", "base_enabling_2018"])
        for policy, rows in df.groupby("policy", sort=False):
            cols = {"Region": rows["region"].map(region_label),
                    "Enabling SMEs 2018Q4 (firms)": rows["base_enabling_2018"].map(count)}
            for y in _years(rows, r"additional_(\d{4})"):
                cols[f"Additional SMEs {y} (firms) [5-95%]"] = _bands(
                    rows, [f"additional_{y}", f"additional_{y}_p05", f"additional_{y}_p95"],
                    sign=True)
                cols[f"P(target) {y}: base -> policy"] = [
                    f"{probability(a)} -> {probability(b)}" for a, b in
                    zip(rows[f"base_p_target_{y}"], rows[f"policy_p_target_{y}"], strict=True)]
                cols[f"Additional spend to {y}"] = rows[f"additional_spend_{y}"].map(eur)
                cols[f"Cost per additional SME {y}"] = rows[f"cost_per_sme_{y}"].map(eur)
            html += f"<h2>{escape(str(policy))}: additional enabling SMEs</h2>" + _table(
                pd.DataFrame(cols), "Policy minus base at the end of each year (same random "
                "numbers); spend: additional public spend to the end of the year")
    path = run_dir / "contributions.csv"
    df = _csv(path, ["policy", "instrument", "region", "year"]) if path.exists() else None
    if df is not None and (df["region"] == "ALL").any():
        df = df[df["region"] == "ALL"]
        html += "<h2>Contributions of the instruments, all regions</h2>" + _table(pd.DataFrame({
            "Policy": df["policy"], "Instrument": df["instrument"], "Year": df["year"].map(str),
            "Enabling SMEs attributed (firms) [5-95%]": _bands(df, ["mean", "p05", "p95"],
                                                               sign=True),
            "Spend attributed": df["spend"].map(eur),
            "Cost per SME": df["cost_per_sme"].map(eur)}),
            "Policy minus policy without the instrument; interaction: total effect minus the "
            "sum of the contributions")
    return html


def _sweep(run_dir: Path, manifest: dict, summary: str) -> str:
    html = f"<h2>Summary</h2><pre>{escape(summary)}</pre>" if summary else ""
    if manifest.get("factors"):
        html += "<h2>Factors</h2>" + _table(pd.DataFrame(
            [{"Factor": f["path"], "Low": number(f["low"]), "High": number(f["high"]),
              "Levels": ", ".join(map(number, f.get("levels") or [])) or "-"}
             for f in manifest["factors"]]),
            "The factors varied and the range sampled of each (levels: a factorial design's)")
    if (run_dir / "points.csv").exists():
        html += "<h2>Design points</h2>" + _points(_csv(run_dir / "points.csv", ["point"]),
                                                    [f["path"] for f in
                                                     manifest.get("factors", [])])
    for name, caption in (("indices", "Sensitivity indices (conf: confidence half-width)"),
                          ("second_order", "Second-order Sobol indices (pairs of factors)"),
                          ("convergence", "Convergence of the indices")):
        table = _csv(run_dir / f"{name}.csv") if (run_dir / f"{name}.csv").exists() else None
        if table is not None and len(table):
            html += _table(table, caption)
    return html


def _points(points: pd.DataFrame, factors: list[str]) -> str:
    shown = points.head(_POINTS_SHOWN)
    cols = {"Point": shown["point"].map(str)}
    for name in points.columns.drop("point"):
        cols[name] = shown[name].map(number if name in factors else
                                     lambda v, name=name: write_output(name, v))
    more = (f"the first {len(shown)} of {len(points)} points; all in points.csv"
            if len(points) > len(shown) else f"all {len(points)} points")
    return _table(pd.DataFrame(cols), f"The sampled factor values and the outputs (means over "
                  f"the point's replicates; target_met: share of them meeting the target), {more}")


def _provenance(run_dir: Path, manifest: dict, runs: dict) -> str:
    scenarios = manifest.get("scenarios") or ([manifest] if manifest else [])
    if "compare" in manifest:  # the base and the policies, not the runs without an instrument
        wanted = {manifest["compare"].get("base"), *manifest["compare"].get("policies", [])}
        scenarios = [s for s in scenarios if s.get("scenario", {}).get("name") in wanted]
    base = manifest.get("base")
    items = [("Output folder", run_dir.name),
             ("Model version", _version(runs)),
             *((f"Scenario {s['scenario'].get('name')}",
                f"{s['scenario'].get('file')} (sha256 {s['scenario'].get('sha256')})")
               for s in scenarios if "scenario" in s),
             *([("Base scenario", f"{base.get('name')}: {base.get('file')} "
                                  f"(sha256 {base.get('sha256')})")]
               if isinstance(base, dict) else []),
             *((label, write(runs[key])) for key, label, write in (
                 ("seed", "Seed", str),
                 ("scale", "Scale (fraction of the population simulated)",
                  lambda v: scale_note(v) or "full scale"),
                 ("replicates", "Replicates", str),
                 ("parameters", "Parameters", _PARAMETERS.get),
                 ("created", "Outputs created", str), ("libraries", "Libraries", _plain))
               if runs.get(key) is not None),
             ("Report written", datetime.now(UTC).isoformat(timespec="seconds"))]
    return ("<ul>" + "".join(f"<li>{escape(k)}: {escape(_plain(v))}</li>" for k, v in items)
            + "</ul>" + _calibration(runs))


_PARAMETERS = {
    "posterior": "posterior (each replicate's parameters drawn from its region's posterior)",
    "point": "point (each region's fitted values)",
}


def _version(runs: dict) -> str:
    text = f"devise {runs.get('version', __version__)}"
    if "git" not in runs:
        return text
    git = runs["git"]
    if not git:
        return f"{text} (not run from a git checkout)"
    changes = " with uncommitted changes (dirty)" if git.get("dirty") else ""
    return f"{text}, git commit {git.get('commit')}{changes}"


def _calibration(runs: dict) -> str:
    """Tabulate the calibration files each region's runs read, hashes, whether current."""
    points, posteriors = runs.get("calibration") or {}, runs.get("posterior") or {}
    if not points and not posteriors:
        return ""
    rows = [{"Region": region_label(code), **_file("Point fit", points.get(code)),
             **_file("Posterior", posteriors.get(code))}
            for code in dict.fromkeys([*points, *posteriors])]
    stale = any(entry.get("current") is False
                for entry in [*points.values(), *posteriors.values()] if entry)
    note = ("<p class='warn'>Some calibration files were not made from the model and inputs "
            "of this run (current: no): rerun <code>devise calibrate</code> "
            "(with <code>--posterior</code> for posteriors) before relying on the numbers."
            "</p>" if stale else "")
    return "<h3>Calibration files</h3>" + note + _table(
        pd.DataFrame(rows).dropna(axis=1, how="all"),
        "Point fit: calibration/regions/CODE.toml; posterior: calibration/posteriors/"
        "CODE.parquet (sets) and CODE.toml (summary); current: made from the model and "
        "inputs this run used")


def _file(label: str, entry: dict | None) -> dict:
    if entry is None:
        return {}
    if not entry.get("file"):
        return {label: "none (declared defaults)" if label == "Point fit" else "none"}
    name = "/".join(Path(entry["file"]).parts[-2:])
    current = yes_no(entry["current"]) if "current" in entry else "not recorded"
    hashes = entry.get("sha256", "")
    if entry.get("summary_sha256"):
        hashes = f"sets {hashes}; summary {entry['summary_sha256']}"
    return {label: f"{name} (mode {entry.get('mode', 'n/a')}; current: {current})",
            f"{label} SHA-256": hashes}


def _figure(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    caption = _CAPTIONS.get(path.stem) or (
        f"Sensitivity of {path.stem.removeprefix('sensitivity_')} to the factors."
        if path.stem.startswith("sensitivity_") else path.name)
    return (f"<figure><img alt='{escape(path.name)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{escape(caption)} ({escape(path.name)})</figcaption></figure>")


def _table(df: pd.DataFrame, caption: str) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in df.columns)
    rows = []
    for row in df.itertuples(index=False):
        cls = " class='all'" if row[0] == "ALL" else ""
        cells = "".join(f"<td{' class=n' if _NUMBER.match(_plain(v)) else ''}>"
                        f"{escape(_plain(v))}</td>" for v in row)
        rows.append(f"<tr{cls}>{cells}</tr>")
    return (f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _bands(df: pd.DataFrame, columns: list[str], write=count, **kwargs) -> list[str]:
    """Each row's value with its band, ``+35 [+12, +57]`` (:func:`formatting.band`)."""
    return [band(v, write, **kwargs) for v in df[columns].itertuples(index=False)]


def _plain(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, float) and not math.isnan(value):
        return number(value)
    return str(value)


def _years(df: pd.DataFrame, pattern: str) -> list[str]:
    return [m.group(1) for c in df.columns if (m := re.fullmatch(pattern, c))]


def _csv(path: Path, needed: list[str] | None = None) -> pd.DataFrame:
    try:
        df = pd.read_csv(path)
    except pd.errors.EmptyDataError:  # an empty table (Morris has no second-order indices)
        df = pd.DataFrame()
    except (OSError, ValueError) as exc:
        raise InputError(str(path), "", "a CSV file written by devise", str(exc)) from None
    missing = [c for c in needed or [] if c not in df]
    if missing:
        raise InputError(str(path), missing[0], "a column of this name", "no such column")
    return df


def _manifest(run_dir: Path) -> dict:
    path = run_dir / "manifest.json"
    if not path.exists():
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(str(path), "", "a JSON manifest written by devise", str(exc)) from None
    if not isinstance(doc, dict):
        raise InputError(str(path), "", "a JSON object", type(doc).__name__)
    return doc
