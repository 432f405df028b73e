"""Writing fitted region files (``devise calibrate``) and summarising them.

The format, its schema and reading live in :mod:`simulation.fitted` (what region models
read); this module writes records atomically after checking them against that schema.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w

from ..fitted import check_record, fitted_path, read_fitted


def write_fitted(path: Path, record: Mapping[str, Any]) -> None:
    """Check ``record`` against the schema and write it atomically (never half-written)."""
    check_record(record, str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    header = ("# Written by `devise calibrate`; do not edit by hand. Schema and method: "
              "simulation/calibration/store.py, docs/calibration.md.\n")
    tmp.write_text(header + tomli_w.dumps(_plain(record)), encoding="utf-8")
    os.replace(tmp, path)


def fit_quality(code: str, calibration_dir: Path | None = None,
                mode: str = "full") -> dict[str, Any] | None:
    """Return a region's fit in brief (None without a fitted file).

    The brief: objective provisional and fitted, the worst-fitting moment and its z, the
    parameters that are not identified.
    """
    path = fitted_path(code, calibration_dir, mode)
    if not path.exists():
        return None
    record = read_fitted(path)
    cal, moments = record["calibration"], record["moments"]
    worst = max(moments, key=lambda name: abs(moments[name]["z"]))
    return {
        "mode": cal["mode"], "date": cal["date"], "objective": cal["objective"],
        "objective_provisional": cal["objective_provisional"], "worst": worst,
        "worst_z": moments[worst]["z"],
        "within_2": sum(abs(m["z"]) <= 2 for m in moments.values()), "moments": len(moments),
        "unidentified": [n for n, p in record["parameters"].items() if not p["identified"]],
    }


def _plain(value: Any) -> Any:
    """Convert numpy scalars and tuples into TOML-writable Python values."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return value.item()
    return value
