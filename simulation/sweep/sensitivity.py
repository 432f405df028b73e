"""Sensitivity indices of a finished sweep: SALib Sobol (S1, ST, S2) or Morris (mu*, sigma).

Stochastic replicates are handled by averaging each design point's outputs over its
replicates (:func:`~simulation.sweep.execute.point_means`) before the analysis. A
convergence check repeats the analysis on the first half of the design (Sobol: the first
N/2 Saltelli blocks, which are the design for N/2; Morris: the first half of the
trajectories) and reports the largest change of any index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze

from ..errors import InputError
from .spec import SweepSpec

CONVERGED = 0.05
"""Largest change of any index between N/2 and N for the analysis to count as converged
(Sobol: absolute; Morris: a share of the largest index of that kind)."""


@dataclass
class Sensitivity:
    """Indices of every analysed output.

    Attributes:
        indices: Rows (output, factor, index, value, conf): S1, ST (Sobol) or mu_star,
            sigma, mu (Morris), with confidence half-widths where SALib gives them.
        second_order: Rows (output, factor, other, value, conf) of S2 (Sobol, empty else).
        convergence: Rows (output, index, max_change, converged) comparing N/2 with N.

    """

    indices: pd.DataFrame
    second_order: pd.DataFrame
    convergence: pd.DataFrame


def check_analysis(spec: SweepSpec) -> None:
    """Refuse, before anything runs, a sweep that cannot be analysed.

    That is a design other than Sobol or Morris, or a single Morris trajectory (the
    convergence check needs two). Its outputs were checked when the file was read.

    Raises:
        InputError: Naming the file and the key (``sweep.design``, ``sweep.samples``).

    """
    if spec.design not in ("sobol", "morris"):
        raise InputError(spec.path, "sweep.design", "sobol or morris for a sensitivity "
                         "analysis", repr(spec.design), "devise sweep runs any design")
    if spec.design == "morris" and spec.samples < 2:
        raise InputError(spec.path, "sweep.samples", "at least 2 Morris trajectories (the "
                         "convergence check compares the first half with all)",
                         str(spec.samples))


def analyse(spec: SweepSpec, means: pd.DataFrame, outputs: list[str], design: pd.DataFrame,
            resamples: int = 1000, conf_level: float = 0.95) -> Sensitivity:
    """Sobol or Morris indices of ``outputs`` from per-point means (index = design point).

    Raises:
        InputError: The design cannot be analysed, every run of a point failed, or an
            output is NaN at some point (naming ``analysis.outputs``, or saying that the
            outputs are its default where the file has no such key).

    """
    check_analysis(spec)
    missing = design.index.difference(means.index)
    if len(missing):
        raise InputError(spec.path, "", "every design point with at least one successful run",
                         f"{len(missing)} point(s) where every run failed (see the store's "
                         f"'error' column), e.g. point {missing[0]}")
    rows, s2, checks = [], [], []
    half = _half(spec, len(design))
    for output in outputs:
        y = means.loc[design.index, output].to_numpy(dtype=float)
        if not np.isfinite(y).all():
            raise _undefined(spec, output, int((~np.isfinite(y)).sum()))
        full = _indices(spec, design, y, resamples, conf_level, len(design))
        early = _indices(spec, design, y, resamples, conf_level, half)
        for name, (values, conf) in full.items():
            if name == "S2":
                continue
            for k, factor in enumerate(design.columns):
                rows.append({"output": output, "factor": factor, "index": name,
                             "value": values[k], "conf": conf[k] if conf is not None else np.nan})
            change = float(np.nanmax(np.abs(np.asarray(values) - np.asarray(early[name][0]))))
            checks.append({"output": output, "index": name, "max_change": change,
                           "converged": change <= _tolerance(spec, values)})
        if "S2" in full:
            values, conf = full["S2"]
            for i, a in enumerate(design.columns):
                for j in range(i + 1, len(design.columns)):
                    s2.append({"output": output, "factor": a, "other": design.columns[j],
                               "value": values[i, j], "conf": conf[i, j]})
    return Sensitivity(pd.DataFrame(rows), pd.DataFrame(s2), pd.DataFrame(checks))


def _undefined(spec: SweepSpec, output: str, points: int) -> InputError:
    """Return the error for an output that is NaN at ``points`` design points."""
    where = ("analysis.outputs" if spec.outputs else
             "analysis.outputs (not in the file: its default, every output of a run)")
    return InputError(spec.path, where, "outputs defined at every design point",
                      f"{output!r}, NaN at {points} point(s)",
                      f"list the outputs to analyse in [analysis] outputs, without {output!r}")


def _tolerance(spec: SweepSpec, values) -> float:
    """CONVERGED for Sobol indices (shares of variance); for Morris, relative to max |index|."""
    if spec.design == "sobol":
        return CONVERGED
    return CONVERGED * max(float(np.nanmax(np.abs(values))), 1e-12)


def _half(spec: SweepSpec, n_points: int) -> int:
    """Points of the first half of the design (whole Saltelli blocks or trajectories)."""
    d = len(spec.factors)
    block = (2 * d + 2 if spec.second_order else d + 2) if spec.design == "sobol" else d + 1
    return (n_points // block) // 2 * block


def _indices(spec: SweepSpec, design: pd.DataFrame, y: np.ndarray, resamples: int,
             conf_level: float, n: int) -> dict[str, tuple]:
    """SALib indices on the first ``n`` points: name -> (values, confidence half-widths)."""
    problem = spec.problem()
    if spec.design == "sobol":
        si = sobol_analyze.analyze(problem, y[:n], calc_second_order=spec.second_order,
                                   num_resamples=resamples, conf_level=conf_level,
                                   seed=spec.seed)
        out = {"S1": (si["S1"], si["S1_conf"]), "ST": (si["ST"], si["ST_conf"])}
        if spec.second_order:
            out["S2"] = (si["S2"], si["S2_conf"])
        return out
    si = morris_analyze.analyze(problem, design.to_numpy()[:n], y[:n], num_resamples=resamples,
                                conf_level=conf_level, num_levels=spec.levels, seed=spec.seed)
    return {"mu_star": (np.asarray(si["mu_star"]), np.asarray(si["mu_star_conf"])),
            "sigma": (np.asarray(si["sigma"]), None), "mu": (np.asarray(si["mu"]), None)}
