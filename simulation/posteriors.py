"""Posterior parameter sets as region models read them: ``calibration/posteriors/CODE.parquet``.

``devise calibrate --posterior`` writes, per region, the weighted parameter sets of its
posterior (:mod:`simulation.calibration.posterior`): one row per set, columns ``set``,
``weight`` (summing to 1), one column per parameter of calibration/priors.toml, and
``simulation`` (the simulation it came from); ``CODE.toml`` beside it holds the summary and
diagnostics. A run with ``parameters = "posterior"`` (the default of scenarios) draws one
set per pair of replicates from it (:func:`draw_set`); the two replicates of a pair differ
only in their random draws, so the spread of results splits into a part between parameter
sets and a part within them (:func:`simulation.runner.parameter_share`). This module only
reads files, so the model depends on their format, never on the calibration machinery.
"""

from __future__ import annotations

import functools
import hashlib
import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from . import rng
from .errors import InputError
from .params import MODEL_PARAMS
from .regions import default_calibration_dir

POSTERIOR_FOLDER = "posteriors"
"""Folder of the posterior files, inside the calibration folder."""

REPLICATES_PER_SET = 2
"""Replicates that share one posterior parameter set (their random draws differ)."""


def posterior_path(code: str, calibration_dir: Path | None = None) -> Path:
    """Path of a region's posterior sets (which may not exist)."""
    folder = Path(calibration_dir) if calibration_dir is not None else default_calibration_dir()
    return folder / POSTERIOR_FOLDER / f"{code}.parquet"


@functools.lru_cache(maxsize=32)
def _read(path: Path, mtime_ns: int) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    import pandas as pd

    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise InputError(str(path), "", "a Parquet file written by `devise calibrate "
                         "--posterior`", str(exc)) from None
    for column in ("set", "weight", "simulation"):
        if column not in frame:
            raise InputError(str(path), column, "a column of the posterior sets")
    names = tuple(c for c in frame.columns if c not in ("set", "weight", "simulation"))
    for name in names:
        declared = MODEL_PARAMS.get(name)
        if declared is None:
            raise InputError(str(path), name, "a column named after a model parameter",
                             repr(name))
        values = frame[name].to_numpy(dtype=float)
        if not (np.isfinite(values).all() and (values >= declared.low).all()
                and (values <= declared.high).all()):
            raise InputError(str(path), name, f"values in [{declared.low:g}, "
                             f"{declared.high:g}]", "values outside them")
    weights = frame["weight"].to_numpy(dtype=float)
    if len(weights) == 0 or (weights <= 0).any() or not math.isclose(weights.sum(), 1.0,
                                                                      rel_tol=1e-6):
        raise InputError(str(path), "weight", "positive weights summing to 1")
    return names, frame[list(names)].to_numpy(dtype=float), weights


def posterior_sets(code: str, calibration_dir: Path | None = None
                   ) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Return a region's posterior: parameter names, values (sets x names) and weights.

    Raises:
        InputError: The region has no posterior file (with what to do), or it is broken.

    """
    path = posterior_path(code, calibration_dir).resolve()
    if not path.exists():
        raise InputError(str(path), "", f"the posterior parameter sets of region {code}",
                         "no such file", "run `devise calibrate --posterior --region "
                         f"{code}`, or choose --parameters point")
    return _read(path, path.stat().st_mtime_ns)


def check_posteriors(codes) -> None:
    """Read the posterior of every region in ``codes``, so that a missing or broken one fails.

    The failure (an InputError naming the file) comes before any simulation or output
    folder.
    """
    for code in codes:
        posterior_sets(code)


def draw_set(code: str, region_index: int, seed: int, replicate: int,
             calibration_dir: Path | None = None) -> tuple[int, dict[str, float]]:
    """Return the posterior set of ``replicate``: its row and its values.

    One set serves REPLICATES_PER_SET replicates. The draw is keyed on the seed, the pair
    of replicates and the region's registry position, so it is the same in any run, process
    or scenario (common random numbers between a base and a policy).
    """
    names, values, weights = posterior_sets(code, calibration_dir)
    group = replicate // REPLICATES_PER_SET
    u = rng.uniform(rng.make_stream(seed, group, region_index), 0, 0, rng.POSTERIOR, 0)
    row = int(min(np.searchsorted(np.cumsum(weights), u * weights.sum()), len(weights) - 1))
    return row, {name: float(v) for name, v in zip(names, values[row], strict=True)}


def run_overrides(code: str, mode: str, seed: int, replicate: int,
                  overrides: Mapping[str, float] | None = None
                  ) -> tuple[int, dict[str, float]]:
    """Return the parameter overrides region ``code`` runs replicate ``replicate`` with.

    With mode ``posterior``: its drawn set (:func:`draw_set`) under ``overrides``; with
    ``point``: the overrides alone (the region model adds its fitted point values under
    them). Returns the set's row (-1 for point values) and the overrides.
    """
    from .regions import region_codes

    if mode == "posterior":
        row, drawn = draw_set(code, region_codes().index(code), seed, replicate)
        return row, {**drawn, **(overrides or {})}
    return -1, dict(overrides or {})


def posterior_used(code: str, calibration_dir: Path | None = None) -> dict[str, Any]:
    """Return which posterior a region's runs draw from.

    That is: the file's path and SHA-256, and its summary's date, code version,
    simulations and effective sample size.
    """
    path = posterior_path(code, calibration_dir)
    if not path.exists():
        return {"file": None}
    out: dict[str, Any] = {"file": str(path),
                           "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    summary = path.with_suffix(".toml")
    if summary.exists():
        with summary.open("rb") as f:
            head = tomllib.load(f).get("posterior", {})
        out |= {k: head[k] for k in ("date", "code_version", "simulations", "ess") if k in head}
    return out
