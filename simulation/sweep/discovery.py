"""Scenario discovery: PRIM box search over the factors of a sensitivity sweep.

PRIM (Patient Rule Induction Method, Friedman & Fisher 1999) starts from the bounding box of
the sampled factor values and repeatedly peels a thin slice off one side of it, each time the
slice whose removal most raises the share of cases of interest left inside per point removed,
until the box would hold too few points. The widest box of this peeling trajectory as dense
as held-out runs confirm is chosen and then pasted (widened where that raises the share). The
result is a box of factor ranges, readable as "the outcome occurs in most runs where
a >= ... and b <= ...".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_LEVELS = 10
"""Factors with at most this many distinct values are peeled one whole level at a time."""

LOWER_BOUND_Z = 1.645
"""Normal quantile of the one-sided 95% lower Wilson bound on a held-out density."""

FOLDS = 5
"""Cross-validation folds that measure the density of a trajectory's boxes on unseen runs."""

Limits = dict[str, tuple[float, float]]


@dataclass(frozen=True)
class Box:
    """A box of factor ranges and how well it captures the cases of interest."""

    limits: dict[str, tuple[float, float]]
    coverage: float
    density: float
    mass: float
    n_points: int


def _inside(values: dict[str, np.ndarray], limits: Limits, n: int) -> np.ndarray:
    inside = np.ones(n, dtype=bool)
    for f, (low, high) in limits.items():
        inside &= (values[f] >= low) & (values[f] <= high)
    return inside


def _box(limits: Limits, bounds: Limits, inside: np.ndarray, y: np.ndarray) -> Box:
    return Box(
        limits={f: limits[f] for f in limits if limits[f] != bounds[f]},
        coverage=float(y[inside].sum() / y.sum()),
        density=float(y[inside].mean()),
        mass=float(inside.mean()),
        n_points=int(inside.sum()),
    )


def _peels(
    values: dict[str, np.ndarray], discrete: dict[str, bool], inside: np.ndarray, alpha: float
) -> Iterator[tuple[str, bool, np.ndarray]]:
    """Yield (factor, whether the high side, points left inside) for every one-side peel."""
    for f, x in values.items():
        x_in = x[inside]
        if discrete[f]:
            low_cut, high_cut = x_in.min(), x_in.max()
        else:
            low_cut = np.quantile(x_in, alpha, method="lower")
            high_cut = np.quantile(x_in, 1 - alpha, method="higher")
        yield f, False, inside & (x > low_cut)
        yield f, True, inside & (x < high_cut)


def _peel(
    values: dict[str, np.ndarray],
    discrete: dict[str, bool],
    y: np.ndarray,
    alpha: float,
    min_mass: float,
    bounds: Limits,
) -> list[tuple[Limits, np.ndarray]]:
    """Peel from ``bounds`` while a peel leaves ``min_mass`` of the runs; return the trajectory."""
    min_points, limits = max(1.0, min_mass * len(y)), bounds
    inside = np.ones(len(y), dtype=bool)
    trajectory = [(limits, inside)]
    while True:
        peels = [p for p in _peels(values, discrete, inside, alpha) if p[2].sum() >= min_points]
        if not peels:
            return trajectory
        density, n_in = y[inside].mean(), inside.sum()
        f, high_side, inside = max(
            peels, key=lambda p: ((y[p[2]].mean() - density) / (n_in - p[2].sum()), p[2].sum())
        )
        x_in = values[f][inside]
        low, high = limits[f]
        edges = (low, float(x_in.max())) if high_side else (float(x_in.min()), high)
        limits = {**limits, f: edges}
        trajectory.append((limits, inside))


def _lower_bound(hits: int, n: int) -> float:
    """One-sided lower Wilson score bound on a density of ``hits`` in ``n``."""
    p, z2 = hits / n, LOWER_BOUND_Z**2
    margin = LOWER_BOUND_Z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return (p + z2 / (2 * n) - margin) / (1 + z2 / n)


def _dominated(box: Box, boxes: list[Box]) -> bool:
    """Whether another box has at least the coverage and density of ``box``, and more of one."""
    return any(
        b.coverage >= box.coverage
        and b.density >= box.density
        and (b.coverage > box.coverage or b.density > box.density)
        for b in boxes
    )


def _folds(y: np.ndarray) -> np.ndarray:
    """Fold number of every run: a fixed shuffle, cases and other runs spread evenly."""
    fold, rng = np.empty(len(y), dtype=int), np.random.default_rng(0)
    for case in (True, False):
        runs = rng.permutation(np.flatnonzero(y == case))
        fold[runs] = np.arange(len(runs)) % FOLDS
    return fold


def _supported_density(
    values: dict[str, np.ndarray], discrete: dict[str, bool], y: np.ndarray, alpha: float,
    min_mass: float, bounds: Limits,
) -> float:
    """Highest lower bound on the density at a peeling step, measured on held-out runs.

    Each fold of the runs is held out in turn, the others are peeled, and the held-out runs
    inside the box at each step are counted; the counts at a step are pooled over the folds.
    """
    fold, hits, runs = _folds(y), Counter(), Counter()
    for k in range(FOLDS):
        held = fold == k
        if held.all() or not held.any():
            continue
        learn = {f: x[~held] for f, x in values.items()}
        test = {f: x[held] for f, x in values.items()}
        trajectory = _peel(learn, discrete, y[~held], alpha, min_mass, bounds)
        for step, (limits, _) in enumerate(trajectory):
            inside = _inside(test, limits, int(held.sum()))
            hits[step] += int(y[held][inside].sum())
            runs[step] += int(inside.sum())
    return max((_lower_bound(hits[s], runs[s]) for s in runs if runs[s]), default=0.0)


def _choose(boxes: list[Box], supported: float) -> int:
    """Index of the widest undominated box of ``boxes`` at least ``supported`` dense."""
    frontier = [i for i, b in enumerate(boxes) if not _dominated(b, boxes)]
    floor = min(supported, max(boxes[i].density for i in frontier))
    return max(
        (i for i in frontier if boxes[i].density >= floor),
        key=lambda i: (boxes[i].coverage, boxes[i].density),
    )


def _pastes(
    values: dict[str, np.ndarray], discrete: dict[str, bool], limits: Limits, n_add: int
) -> Iterator[Limits]:
    """Yield the limits widened on one side of one factor by ``n_add`` points or one level."""
    n = len(next(iter(values.values())))
    for f, x in values.items():
        others = _inside(values, {g: lim for g, lim in limits.items() if g != f}, n)
        low, high = limits[f]
        step = 1 if discrete[f] else n_add
        below, above = np.sort(x[others & (x < low)]), np.sort(x[others & (x > high)])
        if below.size:
            yield {**limits, f: (float(below[-min(step, below.size)]), high)}
        if above.size:
            yield {**limits, f: (low, float(above[min(step, above.size) - 1]))}


def _paste(
    values: dict[str, np.ndarray], discrete: dict[str, bool], limits: Limits, y: np.ndarray,
    alpha: float,
) -> Limits:
    """Widen ``limits`` one paste at a time while the best paste raises the density."""
    inside = _inside(values, limits, len(y))
    density, n_add = y[inside].mean(), max(1, int(alpha * inside.sum()))
    while True:
        trials = [(y[_inside(values, t, len(y))].mean(), t)
                  for t in _pastes(values, discrete, limits, n_add)]
        best = max(trials, key=lambda t: t[0], default=None)
        if best is None or best[0] <= density:
            return limits
        density, limits = best


def prim_box(
    X: pd.DataFrame,
    y: np.ndarray,
    peel_alpha: float = 0.05,
    min_mass: float = 0.05,
    paste_alpha: float = 0.05,
) -> Box | None:
    """Find the box of factor ranges where the cases of interest are densest.

    Peeling starts from the bounding box of ``X``. Each step considers, for every factor,
    peeling the lowest or the highest ``peel_alpha`` quantile of the points inside (one whole
    edge level for factors with at most ``MAX_LEVELS`` distinct values) and takes the peel with
    the largest density gain per point removed (EMA Workbench's default objective, which does
    not favour peeling whole levels; once no peel gains, the smallest loss per point), until
    every peel would leave less than ``min_mass`` of the points inside. The box is chosen from
    this whole trajectory, so a plateau or a dip in density does not end the search:

    1. Boxes that another box matches or beats on both coverage and density (and beats on one)
       are dropped. Of two boxes with equal coverage the denser, narrower one stays.
    2. The density the data support is measured on runs not used to peel: in ``FOLDS``-fold
       cross-validation (a fixed shuffle, so the result is reproducible) each fold is held
       out, the rest peeled, and the held-out runs inside each step's box counted. The
       supported density is the highest one-sided 95% lower Wilson bound on the pooled
       held-out density of a step.
    3. Of the remaining boxes, the one with the most coverage whose density reaches the
       supported density is chosen (the densest if none does). The narrower boxes are denser
       by more than held-out runs confirm: every peel is the best of many, so deep in the
       trajectory the density inside keeps rising by chance alone.

    The chosen box is then pasted: widened, one side of one factor at a time by ``paste_alpha``
    of its points (at least one point, or one level), while the best such widening raises the
    density. A paste adds coverage and density, so the result still beats the boxes it beat.

    Args:
        X: Factor values, one numeric column per factor, one row per run.
        y: Whether each run is a case of interest (booleans or 0/1), aligned with ``X``.
        peel_alpha: Share of the points inside the box that one peel removes.
        min_mass: Smallest share of all points a box may hold.
        paste_alpha: Share of the points inside the box that one paste adds.

    Returns:
        The chosen box, or ``None`` if no run is a case of interest.

    """
    y = np.asarray(y, dtype=bool)
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} rows but y has {len(y)} values")
    if not y.any():
        return None
    values = {f: X[f].to_numpy(dtype=float) for f in X.columns}
    discrete = {f: len(np.unique(x)) <= MAX_LEVELS for f, x in values.items()}
    bounds = {f: (float(x.min()), float(x.max())) for f, x in values.items()}
    trajectory = _peel(values, discrete, y, peel_alpha, min_mass, bounds)
    boxes = [_box(limits, bounds, inside, y) for limits, inside in trajectory]
    supported = _supported_density(values, discrete, y, peel_alpha, min_mass, bounds)
    chosen = _choose(boxes, supported)
    limits = _paste(values, discrete, trajectory[chosen][0], y, paste_alpha)
    return _box(limits, bounds, _inside(values, limits, len(y)), y)


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def describe(
    box: Box, outcome: str = "the target is met", units: dict[str, str] | None = None
) -> str:
    """Say in plain terms where the outcome occurs, for a policy researcher.

    Args:
        box: A box found by :func:`prim_box`.
        outcome: The case of interest as a clause, e.g. "the target is met".
        units: Unit to print after the values of a factor, by factor name.

    Returns:
        One or two sentences naming only the factors the box restricts, with its density,
        coverage and mass as percentages.

    """
    units = units or {}
    lead = outcome[:1].upper() + outcome[1:]
    if not box.limits:
        return (
            f"{lead} in {box.density:.0%} of all runs, everywhere in the sampled space: "
            "no range of the factors singles out where it is met more often."
        )
    conditions = []
    for factor, (low, high) in box.limits.items():
        unit = f" {units[factor]}" if factor in units else ""
        if low == high:
            conditions.append(f"{factor} = {_number(low)}{unit}")
        else:
            conditions.append(f"{_number(low)}{unit} <= {factor} <= {_number(high)}{unit}")
    return (
        f"{lead} in {box.density:.0%} of runs where {' and '.join(conditions)} "
        f"(the box holds {box.coverage:.0%} of all runs where {outcome}, "
        f"and {box.mass:.0%} of all runs)."
    )
