"""Method of simulated moments: fit one region's parameters to its targets.

The objective is ``J(theta) = sum_k w_k ((m_k(theta) - t_k) / sigma_k)^2``, where ``m_k`` is
the mean of moment k over R replicates simulated with fixed seeds (common random numbers:
every evaluation sees the same random draws, so J is a deterministic function of theta)
and ``t_k``, ``sigma_k``, ``w_k`` are the target, its uncertainty and weight. The fitted
parameters and their search bounds are those declared with ``fit`` in
:mod:`simulation.params`; the search runs in the unit cube of those bounds.

Search: ``screen`` Latin-hypercube points are evaluated; then scipy's trust-region
least squares (``least_squares``, method "trf", finite differences of ``diff_step`` of each
range) runs from the provisional point and from the best screened point, within a budget of
evaluations shared by all of them. The best point evaluated wins.

Identification: at the fitted point the Jacobian J of the weighted residuals gives
Gauss-Newton standard errors ``sqrt(diag((J'J)^-1))``. A parameter is reported as NOT
identified when its standard error exceeds a quarter of its search range: either the
objective is flat in its own direction (marginal error ``1 / |J_j|`` too large), or other
parameters can make up for it (collinear moments).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ..params import Param, fitted_params
from ..regions import get_region
from .moments import MOMENTS, region_scale, run_pair, voucher_spec
from .targets import Target, load_targets, voucher_scenario

NAN_Z = 10.0
"""Standardised residual given to a moment the simulation could not measure (NaN)."""

SE_LIMIT = 0.25
"""A parameter whose standard error exceeds this share of its search range is not identified."""


@dataclass(frozen=True)
class Settings:
    """How hard the calibration works.

    Attributes:
        replicates: Replicates per evaluation (common random numbers across evaluations).
        firms: Smart firms simulated per region (sets the scale; 1 where a region is smaller).
        evaluations: Budget of objective evaluations for the search (screen included).
        screen: Latin-hypercube points evaluated before the local searches.
        diff_step: Finite-difference step, as a share of each search range.
        seed: Seed of the simulations and of the screening design.

    """

    replicates: int
    firms: int
    evaluations: int
    screen: int
    diff_step: float = 0.05
    seed: int = 20180601


MODES: Mapping[str, Settings] = {
    "full": Settings(replicates=4, firms=8000, evaluations=150, screen=12),
    "smoke": Settings(replicates=2, firms=1500, evaluations=12, screen=0),
}
"""Named settings: ``full`` for the committed calibration, ``smoke`` for tests."""


@dataclass
class Evaluation:
    """Simulated moments at one parameter point: one row per replicate."""

    values: dict[str, float]
    samples: np.ndarray  # replicates x targets
    objective: float
    residuals: np.ndarray


class Problem:
    """One region's calibration problem: targets, parameters, simulation settings."""

    def __init__(self, code: str, settings: Settings) -> None:
        self.code = code
        self.settings = settings
        self.targets: list[Target] = load_targets(code)
        self.params: dict[str, Param] = fitted_params()
        spec = get_region(code)
        self.scale = region_scale(spec.n_smart_firms.value, settings.firms)
        self.voucher = voucher_spec(code, spec.n_smart_firms.value, voucher_scenario())
        self.evaluations = 0
        self._cache: dict[tuple[float, ...], Evaluation] = {}

    def to_values(self, x: np.ndarray) -> dict[str, float]:
        """Map a point of the unit cube to parameter values (whole numbers where declared)."""
        out = {}
        for xi, (name, p) in zip(np.clip(x, 0.0, 1.0), self.params.items(), strict=True):
            low, high = p.fit
            value = low + float(xi) * (high - low)
            out[name] = float(round(value)) if p.integer else value
        return out

    def to_unit(self, values: Mapping[str, float]) -> np.ndarray:
        """Map parameter values to the unit cube of the search bounds."""
        return np.array([(values[n] - p.fit[0]) / (p.fit[1] - p.fit[0])
                         for n, p in self.params.items()])

    def provisional(self) -> dict[str, float]:
        """Return the declared defaults of the fitted parameters."""
        return {name: p.default for name, p in self.params.items()}

    def evaluate(self, values: Mapping[str, float]) -> Evaluation:
        """Simulate every replicate at ``values``; return moments and the objective."""
        key = tuple(round(values[n], 12) for n in self.params)
        if key in self._cache:
            return self._cache[key]
        self.evaluations += 1
        s = self.settings
        samples = np.empty((s.replicates, len(self.targets)))
        for r in range(s.replicates):
            base, policy = run_pair(self.code, values, self.scale, s.seed, r, self.voucher)
            samples[r] = [MOMENTS[t.moment](base, policy) for t in self.targets]
        result = self.score(dict(values), samples)
        self._cache[key] = result
        return result

    def score(self, values: dict[str, float], samples: np.ndarray) -> Evaluation:
        """Weighted standardised residuals and objective of replicate moment samples."""
        with np.errstate(invalid="ignore"):
            means = np.array([np.nanmean(c) if np.isfinite(c).any() else np.nan
                              for c in samples.T])
        target = np.array([t.value for t in self.targets])
        sigma = np.array([t.uncertainty for t in self.targets])
        weight = np.array([t.weight for t in self.targets])
        z = np.where(np.isfinite(means), (means - target) / sigma, NAN_Z)
        residuals = np.sqrt(weight) * z
        return Evaluation(values, samples, float(residuals @ residuals), residuals)


class _BudgetSpent(Exception):
    """Raised inside the objective when the search's evaluation budget is used up."""


@dataclass
class FitResult:
    """What a calibration found for one region."""

    problem: Problem
    fitted: Evaluation
    provisional: Evaluation
    standard_errors: dict[str, float]
    marginal_errors: dict[str, float]
    wall_seconds: float


def calibrate(code: str, settings: Settings,
              progress: Callable[[int, int, float], None] | None = None) -> FitResult:
    """Fit one region; ``progress(evaluations, budget, best_objective)`` is called as it goes."""
    start = time.perf_counter()
    problem = Problem(code, settings)
    provisional = problem.evaluate(problem.provisional())
    best = [provisional]

    def residuals(x: np.ndarray) -> np.ndarray:
        if problem.evaluations >= settings.evaluations:
            raise _BudgetSpent
        result = problem.evaluate(problem.to_values(x))
        if result.objective < best[0].objective:
            best[0] = result
        if progress:
            progress(problem.evaluations, settings.evaluations, best[0].objective)
        return result.residuals

    # imported here, not at the top: every run imports this module (its manifest says
    # whether the regions' fits are current) and needs neither
    from scipy.optimize import least_squares
    from scipy.stats import qmc

    starts = [problem.to_unit(provisional.values)]
    try:
        if settings.screen:
            design = qmc.LatinHypercube(d=len(problem.params), seed=settings.seed)
            for x in design.random(settings.screen):
                residuals(x)
            starts.append(problem.to_unit(best[0].values))
        for x0 in starts:
            least_squares(residuals, x0, bounds=(0.0, 1.0), method="trf",
                          diff_step=settings.diff_step, x_scale=1.0)
    except _BudgetSpent:
        pass
    fitted = best[0]
    joint, marginal = identification(problem, fitted)
    return FitResult(problem, fitted, provisional, joint, marginal,
                     time.perf_counter() - start)


def identification(problem: Problem, fitted: Evaluation) -> tuple[dict[str, float],
                                                                    dict[str, float]]:
    """Joint and marginal standard errors (parameter units) of every fitted parameter.

    Joint: Gauss-Newton ``sqrt(diag((J'J)^-1))``, the others free. Marginal: ``1 / |J_j|``,
    the others held at their fitted values (large only where the objective is flat in the
    parameter's own direction). The Jacobian uses forward differences of ``diff_step`` of
    each range (backward at the upper bound): one evaluation per parameter, outside the
    search budget.
    """
    x = problem.to_unit(fitted.values)
    h = problem.settings.diff_step
    columns = []
    for j in range(x.size):
        step = h if x[j] + h <= 1.0 else -h
        moved = x.copy()
        moved[j] += step
        columns.append((problem.evaluate(problem.to_values(moved)).residuals
                        - fitted.residuals) / step)
    jac = np.column_stack(columns)
    # A tiny ridge keeps J'J invertible: directions the moments do not see get huge errors.
    cov = np.linalg.inv(jac.T @ jac + 1e-9 * np.eye(x.size))
    joint = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(divide="ignore"):
        marginal = 1.0 / np.linalg.norm(jac, axis=0)
    spans = np.array([p.fit[1] - p.fit[0] for p in problem.params.values()])
    names = list(problem.params)
    return (dict(zip(names, (joint * spans).tolist(), strict=True)),
            dict(zip(names, np.minimum(marginal, 1e9) * spans, strict=True)))


def verdict(problem: Problem, name: str, joint: float, marginal: float) -> tuple[bool, str]:
    """Return whether a parameter is identified, and a note saying why not.

    Identified: joint standard error within SE_LIMIT of its range. The note names the
    cause otherwise: a flat objective, or other parameters making up for it.
    """
    low, high = problem.params[name].fit
    if joint <= SE_LIMIT * (high - low):
        return True, "identified"
    if marginal > SE_LIMIT * (high - low):
        return False, ("NOT identified: the objective is flat in this direction (marginal "
                       "standard error above a quarter of the search range)")
    return False, ("NOT separately identified: the moments move with it, but other fitted "
                   "parameters can make up for it (standard error above a quarter of the "
                   "search range once they are free)")
