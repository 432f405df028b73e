"""Fitted region files as region models read them: ``calibration/regions/CODE.toml``.

``devise calibrate`` writes one file per region (:mod:`simulation.calibration.store`);
region models read the ``[parameters]`` values by default (:func:`fitted_values`), and a
run's manifest names the file it used (:func:`calibration_used`). This module only reads
and checks files, so the model depends on the files' format, never on the calibration
machinery that makes them.

Schema (every key required unless marked optional)::

    [calibration]  region, mode, date, code_version, inputs (fingerprint), seed,
                   replicates, scale, evaluations, wall_seconds, method, objective,
                   objective_provisional
    [parameters.NAME]  value, low, high, provisional, identified (bool), note,
                       standard_error (optional)
    [moments.NAME]     target, uncertainty, weight, simulated, simulated_p05, simulated_p95,
                       z, unit, source, rows (list), proxy (bool)
    [validation]       optional: written by the validation runs (docs/calibration.md)
"""

from __future__ import annotations

import functools
import hashlib
import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import InputError
from .params import MODEL_PARAMS
from .regions import default_calibration_dir

FITTED_FOLDER = "regions"
"""Folder of the fitted region files, inside the calibration folder."""

SMOKE_FOLDER = "smoke"
"""Folder of smoke fits (quick checks of the machinery), inside the calibration folder.

Region models never read it: a smoke fit can never replace the committed full fit.
"""

SECTION_KEYS: Mapping[str, Mapping[str, type | tuple[type, ...]]] = {
    "calibration": {
        "region": str, "mode": str, "date": str, "code_version": str, "seed": int,
        "replicates": int, "scale": float, "evaluations": int, "wall_seconds": float,
        "method": str, "objective": float, "objective_provisional": float, "inputs": str,
    },
    "parameters": {
        "value": float, "low": float, "high": float, "provisional": float,
        "identified": bool, "note": str,
    },
    "moments": {
        "target": float, "uncertainty": float, "weight": float, "simulated": float,
        "simulated_p05": float, "simulated_p95": float, "z": float, "unit": str,
        "source": str, "rows": list, "proxy": bool,
    },
}
"""Required keys of each section and their types (``parameters`` and ``moments`` per entry)."""


def fitted_path(code: str, calibration_dir: Path | None = None, mode: str = "full") -> Path:
    """Return the path of a region's fitted file (which may not exist yet).

    Full fits live in :data:`FITTED_FOLDER` (what region models read); smoke fits in
    :data:`SMOKE_FOLDER`.
    """
    folder = Path(calibration_dir) if calibration_dir is not None else default_calibration_dir()
    return folder / (FITTED_FOLDER if mode == "full" else SMOKE_FOLDER) / f"{code}.toml"


def read_fitted(path: Path) -> dict[str, Any]:
    """Read and check one fitted file.

    Raises:
        InputError: The file is not valid TOML or breaks the schema (names file and key).

    """
    try:
        with Path(path).open("rb") as f:
            record = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(path), "", "a TOML file written by `devise calibrate`",
                         str(exc)) from None
    check_record(record, str(path))
    return record


def fitted_values(code: str, calibration_dir: Path | None = None) -> dict[str, float]:
    """Return a region's fitted parameter values, or ``{}`` if it has no fitted file."""
    path = fitted_path(code, calibration_dir).resolve()
    if not path.exists():
        return {}
    return dict(_read_cached(path, path.stat().st_mtime_ns))


def check_fitted(codes) -> None:
    """Read the fitted file of every region in ``codes``, so that a broken one fails early.

    The failure (an InputError naming the file and key) comes before any simulation or
    output folder is made.
    """
    for code in codes:
        fitted_values(code)


def calibration_used(code: str, calibration_dir: Path | None = None) -> dict[str, Any]:
    """Return which calibration a region model loads.

    That is: its fitted file's path, SHA-256, mode, date, code version and objective
    (``{"file": None}`` where the region has none and runs on declared defaults).
    """
    path = fitted_path(code, calibration_dir)
    if not path.exists():
        return {"file": None}
    cal = read_fitted(path)["calibration"]
    return {"file": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            **{key: cal[key] for key in ("mode", "date", "code_version", "objective")}}


@functools.lru_cache(maxsize=64)
def _read_cached(path: Path, mtime_ns: int) -> tuple[tuple[str, float], ...]:
    record = read_fitted(path)
    return tuple((name, entry["value"]) for name, entry in record["parameters"].items())


def check_record(record: Mapping[str, Any], file: str) -> None:
    """Raise InputError naming the first key of ``record`` that breaks the schema."""
    for section, keys in SECTION_KEYS.items():
        if not isinstance(record.get(section), Mapping):
            raise InputError(file, section, "a table")
        entries = [("", record[section])] if section == "calibration" else [
            (f".{name}", entry) for name, entry in record[section].items()]
        for suffix, entry in entries:
            if not isinstance(entry, Mapping):
                raise InputError(file, f"{section}{suffix}", "a table")
            for key, kind in keys.items():
                value = entry.get(key)
                ok = isinstance(value, kind) and not (kind is not bool and isinstance(value, bool))
                if kind is float:
                    ok = isinstance(value, int | float) and not isinstance(value, bool)
                if not ok:
                    raise InputError(file, f"{section}{suffix}.{key}",
                                     f"a value of type {kind.__name__}", repr(value))
    for name, entry in record["parameters"].items():
        declared = MODEL_PARAMS.get(name)
        if declared is None:
            raise InputError(file, f"parameters.{name}", "a declared model parameter",
                             repr(name))
        problem = declared.check(entry["value"]) if math.isfinite(entry["value"]) else "finite"
        if problem:
            raise InputError(file, f"parameters.{name}.value", problem, repr(entry["value"]))
