"""Generate the result tables of docs/calibration.md from the fitted files.

Every number comes from calibration/regions/CODE.toml (written by ``devise calibrate``) or
bench/results/calibration.json (written by ``python bench/calibration.py``); none is typed.

    python docs/gen_calibration_tables.py            # print the sections
    python docs/gen_calibration_tables.py --write    # rewrite them in docs/calibration.md
    python docs/gen_calibration_tables.py --check    # exit 1 if docs/calibration.md is stale
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs"))

from gen_param_tables import main  # noqa: E402

from simulation.calibration.store import fit_quality  # noqa: E402
from simulation.calibration.validation import FACTS  # noqa: E402
from simulation.fitted import fitted_path, read_fitted  # noqa: E402
from simulation.regions import region_codes  # noqa: E402

CALIBRATION_MD = ROOT / "docs" / "calibration.md"
BENCH_JSON = ROOT / "bench" / "results" / "calibration.json"


def _records() -> dict[str, dict]:
    return {c: read_fitted(fitted_path(c)) for c in region_codes() if fitted_path(c).exists()}


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _g(x: float, digits: int = 3) -> str:
    return "n/a" if isinstance(x, float) and math.isnan(x) else f"{x:.{digits}g}"


def _band(entry: dict, digits: int = 3) -> str:
    return f"{_g(entry['mean'], digits)} [{_g(entry['p05'], digits)}, {_g(entry['p95'], digits)}]"


def fit_section() -> str:
    """One row per region: objective, moments within 2 sd, worst moment, unidentified."""
    rows = []
    for code, record in _records().items():
        q, cal = fit_quality(code), record["calibration"]
        rows.append([code, cal["mode"], f"{q['objective_provisional']:.1f}",
                     f"{q['objective']:.2f}", f"{q['within_2']}/{q['moments']}",
                     f"{q['worst']} ({q['worst_z']:+.2f})",
                     ", ".join(q["unidentified"]) or "none", str(cal["evaluations"]),
                     f"{cal['scale']:.3g}", cal["date"], cal["code_version"]])
    return _table(["region", "mode", "objective, provisional", "objective, fitted",
                   "moments within 2 sd", "worst moment (z)", "not identified",
                   "evaluations", "scale", "date", "code"], rows)


def params_section() -> str:
    """Fitted value (standard error) of every parameter in every region; * = not identified."""
    records = _records()
    names = list(next(iter(records.values()))["parameters"]) if records else []
    rows = []
    for name in names:
        first = next(iter(records.values()))["parameters"][name]
        cells = [f"`{name}`", f"{first['provisional']:g}", f"[{first['low']:g}, {first['high']:g}]"]
        for record in records.values():
            p = record["parameters"][name]
            mark = "" if p["identified"] else " *"
            cells.append(f"{p['value']:.3g} ({p['standard_error']:.2g}){mark}")
        rows.append(cells)
    return _table(["parameter", "provisional", "search bounds", *records], rows)


def moments_section() -> str:
    """Target and simulated mean [5-95%] of every moment in every region."""
    records = _records()
    rows = []
    for code, record in records.items():
        for name, m in record["moments"].items():
            proxy = " (proxy)" if m["proxy"] else ""
            rows.append([code, name, f"{_g(m['target'], 4)}{proxy}", _g(m["uncertainty"], 2),
                         f"{_g(m['simulated'], 4)} [{_g(m['simulated_p05'], 4)}, "
                         f"{_g(m['simulated_p95'], 4)}]", f"{m['z']:+.2f}"])
    return _table(["region", "moment", "target", "uncertainty", "simulated mean [5-95%]", "z"],
                  rows)


def facts_section() -> str:
    """Stylised facts in the validation runs: reference and simulated mean [5-95%]."""
    records = _records()
    rows = []
    for name, (description, reference, row) in FACTS.items():
        cells = [f"{description} (`{row}`)", f"{reference:g}"]
        cells += [_band(r["validation"]["facts"][name], 2) for r in records.values()]
        rows.append(cells)
    return _table(["fact (row)", "reference", *records], rows)


def forecast_section() -> str:
    """Share of smart-sector SMEs with at least basic digital intensity, 2021-2025."""
    records = _records()
    years = sorted(next(iter(records.values()))["validation"]["dii_basic_share"]) if records else []
    rows = []
    for code, record in records.items():
        forecast = record["validation"]["dii_basic_share"]
        target = record["moments"]["dii_basic_2021"]["target"]
        rows.append([code, f"{target:.3f}", *(_band(forecast[y]) for y in years)])
    return _table(["region", "2021 target", *years], rows)


def timing_section() -> str:
    """Wall time of ``python bench/calibration.py`` and each region's fit."""
    if not BENCH_JSON.exists():
        return "No benchmark yet: run `python bench/calibration.py`."
    bench = json.loads(BENCH_JSON.read_text())
    rows = [[code, f"{r['wall_seconds']:.0f}", str(r["evaluations"]), f"{r['scale']:.3g}"]
            for code, r in bench["regions"].items()]
    head = (f"`{bench['command']}` on {bench['date']} ({bench['cores']} cores, "
            f"{bench['machine']}): **all ten regions in {bench['wall_seconds_all_regions']:.0f} s "
            f"({bench['wall_seconds_all_regions'] / 60:.1f} min)**, {bench['workers']} regions "
            "at a time. Per region (fit and validation, one core each):")
    return head + "\n\n" + _table(["region", "wall s", "evaluations", "scale"], rows)


SECTIONS = {
    "fit": fit_section,
    "parameters": params_section,
    "moments": moments_section,
    "facts": facts_section,
    "forecast": forecast_section,
    "timing": timing_section,
}

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], SECTIONS, CALIBRATION_MD))
