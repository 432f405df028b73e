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
import tempfile
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import pandas as pd

from . import __version__
from .errors import InputError

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
_NUMBER = re.compile(r"[+-]?[\d.,]+%?( |$)|n/a")
_CSS = """body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:.9em}caption{text-align:left;color:#555}
th,td{border:1px solid #ccc;padding:.25em .5em}th{background:#eee}td.n{text-align:right}
tr.all td{font-weight:bold}figure{margin:1.5em 0}img{max-width:100%}
figcaption,footer{color:#555;font-size:.9em}pre{background:#f6f6f6;padding:.5em}"""


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
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(page)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def _render(run_dir: Path, kind: str, manifest: dict) -> str:
    if kind == "comparison":
        c = manifest.get("compare", {})
        title = "DEVISE comparison: " + (
            f"{', '.join(c.get('policies', []))} against {c.get('base')}" if c else run_dir.name)
        body = _comparison(run_dir)
    elif kind == "sweep":
        path = run_dir / "summary.txt"
        summary = path.read_text(encoding="utf-8") if path.exists() else ""
        title = "DEVISE " + (summary.split(":", 1)[0] if summary else f"sweep {run_dir.name}")
        body = f"<h2>Summary</h2><pre>{escape(summary)}</pre>" if summary else ""
        for name, caption in (("indices", "Sensitivity indices (conf: confidence half-width)"),
                              ("second_order", "Second-order Sobol indices (pairs of factors)"),
                              ("convergence", "Convergence of the indices")):
            if (run_dir / f"{name}.csv").exists():
                body += _table(_csv(run_dir / f"{name}.csv"), caption)
    else:
        title = f"DEVISE run: {manifest.get('scenario', {}).get('name', run_dir.name)}"
        body = _run(run_dir) if (run_dir / "summary.csv").exists() else ""
    figures = "".join(_figure(p) for p in sorted(run_dir.glob("*.png")))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}"
            f"</title><style>{_CSS}</style></head><body><h1>{escape(title)}</h1>"
            f"<h2>What this is</h2><p>{escape(_INTRO)}</p>{body}"
            f"{'<h2>Figures</h2>' + figures if figures else ''}"
            f"<footer><h2>Provenance</h2>{_provenance(run_dir, manifest)}</footer>"
            "</body></html>\n")


def _run(run_dir: Path) -> str:
    df = _csv(run_dir / "summary.csv", ["region", "baseline_enabling"])
    cols = {"Region": df["region"], "Enabling SMEs 2018Q4 (firms)": df["baseline_enabling"].map(_n)}
    for y in _years(df, r"enabling_(\d{4})"):
        cols[f"Enabling SMEs {y}Q4 (firms)"] = df[f"enabling_{y}"].map(_n)
        cols[f"Growth on 2018Q4, {y} (%) [5-95%]"] = [
            _pct(*v, sign=True) for v in df[[f"growth_{y}", f"growth_{y}_p05", f"growth_{y}_p95"]]
            .itertuples(index=False)]
        cols[f"P(target) {y} (%)"] = df[f"p_target_{y}"].map(_pct)
    if "replicates" in df:
        cols["Replicates"] = df["replicates"].map(_n)
    return "<h2>Results per region</h2>" + _table(
        pd.DataFrame(cols), "Enabling digital SMEs at the end of each year; ALL = all regions")


def _comparison(run_dir: Path) -> str:
    html = ""
    if (run_dir / "comparison.csv").exists():
        df = _csv(run_dir / "comparison.csv", ["policy", "region", "base_enabling_2018"])
        for policy, rows in df.groupby("policy", sort=False):
            cols = {"Region": rows["region"],
                    "Enabling SMEs 2018Q4 (firms)": rows["base_enabling_2018"].map(_n)}
            for y in _years(rows, r"additional_(\d{4})"):
                cols[f"Additional SMEs {y} (firms) [5-95%]"] = [_n(*v, sign=True) for v in rows[
                    [f"additional_{y}", f"additional_{y}_p05", f"additional_{y}_p95"]]
                    .itertuples(index=False)]
                cols[f"P(target) {y}: base -> policy (%)"] = [
                    f"{_pct(a)} -> {_pct(b)}" for a, b in
                    zip(rows[f"base_p_target_{y}"], rows[f"policy_p_target_{y}"], strict=True)]
                cols[f"Additional spend to {y} (EUR)"] = rows[f"additional_spend_{y}"].map(_n)
                cols[f"EUR per additional SME {y}"] = rows[f"cost_per_sme_{y}"].map(_n)
            html += f"<h2>{escape(str(policy))}: additional enabling SMEs</h2>" + _table(
                pd.DataFrame(cols), "Policy minus base at the end of each year (same random "
                "numbers); spend: additional public spend to the end of the year")
    path = run_dir / "contributions.csv"
    df = _csv(path, ["policy", "instrument", "region", "year"]) if path.exists() else None
    if df is not None and (df["region"] == "ALL").any():
        df = df[df["region"] == "ALL"]
        html += "<h2>Contributions of the instruments, all regions</h2>" + _table(pd.DataFrame({
            "Policy": df["policy"], "Instrument": df["instrument"], "Year": df["year"].map(str),
            "Enabling SMEs attributed (firms) [5-95%]": [
                _n(*v, sign=True) for v in df[["mean", "p05", "p95"]].itertuples(index=False)],
            "Spend attributed (EUR)": df["spend"].map(_n),
            "EUR per SME": df["cost_per_sme"].map(_n)}),
            "Policy minus policy without the instrument; interaction: total effect minus the "
            "sum of the contributions")
    return html


def _provenance(run_dir: Path, manifest: dict) -> str:
    scenarios = manifest.get("scenarios") or ([manifest] if manifest else [])
    first = scenarios[0] if scenarios else {}
    if "compare" in manifest:  # the base and the policies, not the runs without an instrument
        wanted = {manifest["compare"].get("base"), *manifest["compare"].get("policies", [])}
        scenarios = [s for s in scenarios if s.get("scenario", {}).get("name") in wanted]
    items = [("Output folder", run_dir.name),
             ("Model version", f"devise {first.get('version', __version__)}"),
             *((f"Scenario {s['scenario'].get('name')}",
                f"{s['scenario'].get('file')} (sha256 {s['scenario'].get('sha256')})")
               for s in scenarios if "scenario" in s),
             *((label, first[key]) for key, label in (
                 ("seed", "Seed"), ("scale", "Scale (fraction of the population simulated)"),
                 ("replicates", "Replicates"), ("created", "Outputs created"),
                 ("libraries", "Libraries")) if key in first),
             ("Report written", datetime.now(UTC).isoformat(timespec="seconds"))]
    return "<ul>" + "".join(f"<li>{escape(k)}: {escape(_plain(v))}</li>" for k, v in items) + \
        "</ul>"


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


def _n(*values: float, sign: bool = False) -> str:  # firms or EUR; value [low, high] if 3
    return _band("{:+,.0f}" if sign else "{:,.0f}", values)


def _pct(*values: float, sign: bool = False) -> str:  # a share as a %; value [low, high] if 3
    return _band("{:+.1%}" if sign else "{:.1%}", values)


def _band(fmt: str, values: tuple[float, ...]) -> str:
    text = ["n/a" if pd.isna(v) else fmt.format(v + 0.0) for v in values]  # + 0.0: no "-0"
    return text[0] if len(text) == 1 else f"{text[0]} [{text[1]}, {text[2]}]"


def _plain(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    if isinstance(value, float) and not math.isnan(value):
        return f"{value:.4g}"
    return str(value)


def _years(df: pd.DataFrame, pattern: str) -> list[str]:
    return [m.group(1) for c in df.columns if (m := re.fullmatch(pattern, c))]


def _csv(path: Path, needed: list[str] | None = None) -> pd.DataFrame:
    try:
        df = pd.read_csv(path)
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
