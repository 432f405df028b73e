"""``devise calibrate``: fit, validate and record each region (one file and one figure each).

A region's file is written only when its fit and validation have finished (atomically), so
an interrupted ``--all`` keeps every region already done; rerunning skips regions whose file
was made by the same mode from the same inputs (:func:`inputs_fingerprint`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from .. import __version__
from ..checkout import git_commit
from ..regions import default_calibration_dir
from .fit import MODES, FitResult, calibrate, verdict
from .store import fitted_path, read_fitted, write_fitted
from .validation import summary, validate

DIAGNOSTICS_FOLDER = "diagnostics"
"""Folder of the per-region diagnostics figures, inside the calibration folder."""

VALIDATION_REPLICATES = {"full": 8, "smoke": 2}
"""Replicates of the validation runs per mode."""


def calibrate_region(code: str, mode: str = "full",
                     progress: Callable[[int, int, float], None] | None = None) -> Path:
    """Fit, validate and record one region; return the written file's path."""
    settings = MODES[mode]
    result = calibrate(code, settings, progress)
    validation = validate(code, result.fitted.values, result.problem.scale, settings.seed,
                          VALIDATION_REPLICATES[mode])
    record = build_record(result, mode, validation)
    from ..plotting import calibration_figure, save

    save(calibration_figure(record), diagnostics_path(code, mode))
    path = fitted_path(code, mode=mode)
    write_fitted(path, record)  # last: the file marks the region as done
    return path


def diagnostics_path(code: str, mode: str = "full") -> Path:
    """Path of a region's diagnostics figure (smoke fits: beside their files)."""
    if mode == "full":
        return default_calibration_dir() / DIAGNOSTICS_FOLDER / f"{code}.png"
    return fitted_path(code, mode=mode).parent / DIAGNOSTICS_FOLDER / f"{code}.png"


def build_record(result: FitResult, mode: str, validation: dict[str, Any]) -> dict[str, Any]:
    """Return the content of a region's fitted file (schema in :mod:`.store`)."""
    problem, fitted, settings = result.problem, result.fitted, result.problem.settings
    parameters = {}
    for name, p in problem.params.items():
        joint, marginal = result.standard_errors[name], result.marginal_errors[name]
        identified, note = verdict(problem, name, joint, marginal)
        parameters[name] = {
            "value": fitted.values[name], "low": p.fit[0], "high": p.fit[1],
            "provisional": p.default, "standard_error": joint,
            "marginal_standard_error": marginal, "identified": identified, "note": note,
        }
    moments = {}
    for k, t in enumerate(problem.targets):
        band = summary(fitted.samples[:, k])
        moments[t.name] = {
            "target": t.value, "uncertainty": t.uncertainty, "weight": t.weight,
            "simulated": band["mean"], "simulated_p05": band["p05"],
            "simulated_p95": band["p95"],
            "z": float(fitted.residuals[k] / t.weight**0.5) if t.weight else 0.0,
            "unit": t.unit, "description": t.description, "source": t.source,
            "rows": list(t.rows), "proxy": t.proxy,
        }
    return {
        "calibration": {
            "region": problem.code, "mode": mode, "date": dt.date.today().isoformat(),
            "code_version": code_version(), "inputs": inputs_fingerprint(),
            "seed": settings.seed, "replicates": settings.replicates, "scale": problem.scale,
            "evaluations": problem.evaluations, "wall_seconds": round(result.wall_seconds, 1),
            "method": (f"method of simulated moments; {settings.screen} Latin-hypercube points, "
                       f"then scipy least_squares (trf, diff_step {settings.diff_step}) from the "
                       "provisional and the best screened point; budget "
                       f"{settings.evaluations} evaluations"),
            "objective": fitted.objective, "objective_provisional": result.provisional.objective,
        },
        "parameters": parameters,
        "moments": moments,
        "validation": validation,
    }


@functools.cache
def code_version() -> str:
    """Return ``devise VERSION (git COMMIT)``.

    ``+changes`` is added when the package or the calibration inputs differ from the
    commit; the git part is 'unknown' outside a checkout.
    """
    inputs = ["simulation", "calibration/regions.toml", "calibration/targets.toml",
              "calibration/data"]
    state = git_commit(inputs, untracked=True)
    described = ("unknown" if state is None
                 else state["commit"] + ("+changes" if state["dirty"] else ""))
    return f"devise {__version__} (git {described})"


FIT_SOURCES = ("__init__.py", "agents.py", "calendar.py", "checkout.py", "compiled.py",
               "errors.py", "fitted.py", "instrument_types.py", "params.py", "region.py",
               "regions.py", "resources.py", "rng.py", "schedule.py", "state.py", "taxonomy.py",
               "calibration/*.py", "instruments/*.py", "kernels/*.py")
"""Package sources a fit depends on: the model and the calibration code (globs). Not the
CLI, sweeps, comparisons or outputs: changing those leaves fitted files current
(tests/test_calibration.py checks that every module a fit imports is listed)."""


INFERENCE_SOURCES = ("calibration/fit.py", "calibration/posterior.py",
                     "calibration/store.py", "calibration/validation.py",
                     "calibration/workflow.py")
"""Calibration sources that infer from simulations but do not change them: left out of
:func:`simulation_fingerprint`."""


def inputs_fingerprint() -> str:
    """Return a hash of what a fit depends on.

    That is: model and calibration sources, registry, targets and sourced rows.
    """
    return _fingerprint(default_calibration_dir().resolve(), ())


def simulation_fingerprint() -> str:
    """Return a hash of what the simulations of a posterior calibration depend on.

    That is: the model, the moments and targets code, registry, targets, priors and sourced
    rows (not the code of the inference, so improving it reuses the simulations already
    stored).
    """
    folder = default_calibration_dir().resolve()
    return _fingerprint(folder, INFERENCE_SOURCES, (folder / "priors.toml",))


@functools.cache
def _fingerprint(folder: Path, left_out: tuple[str, ...],
                 extra: tuple[Path, ...] = ()) -> str:
    package = Path(__file__).resolve().parents[1]
    skip = {package / name for name in left_out}
    sources = sorted({path for pattern in FIT_SOURCES for path in package.glob(pattern)}
                     - skip)
    files = (sources + [folder / "regions.toml", folder / "targets.toml", *extra]
             + sorted((folder / "data").glob("*.csv")))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def is_current(code: str, mode: str) -> bool:
    """Whether a region's file for ``mode`` exists and was made from the current inputs."""
    path = fitted_path(code, mode=mode)
    if not path.exists():
        return False
    calibration = read_fitted(path)["calibration"]
    return calibration["mode"] == mode and calibration.get("inputs") == inputs_fingerprint()


def calibrate_regions(codes: Sequence[str], mode: str, workers: int,
                      on_done: Callable[[str, Path], None] | None = None) -> list[Path]:
    """Calibrate several regions, ``workers`` at a time in separate processes."""
    paths = []
    if workers <= 1 or len(codes) <= 1:
        for code in codes:
            paths.append(calibrate_region(code, mode))
            if on_done:
                on_done(code, paths[-1])
        return paths
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(calibrate_region, code, mode): code for code in codes}
        for future in as_completed(futures):
            paths.append(future.result())
            if on_done:
                on_done(futures[future], paths[-1])
    return paths
