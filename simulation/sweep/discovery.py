"""Scenario discovery: PRIM box search over the factors of a sensitivity sweep.

PRIM (Patient Rule Induction Method, Friedman & Fisher 1999) starts from the bounding box of
the sampled factor values and repeatedly peels a thin slice off one side of it, each time the
slice whose removal most raises the share of cases of interest left inside. The result is a
box of factor ranges, readable as "the outcome occurs in most runs where a >= ... and b <= ...".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_LEVELS = 10
"""Factors with at most this many distinct values are peeled one whole level at a time."""

NEAR_EQUAL_SE = 2.0
"""Boxes this many binomial standard errors below the densest box's density count as equal."""


@dataclass(frozen=True)
class Box:
    """A box of factor ranges and how well it captures the cases of interest."""

    limits: dict[str, tuple[float, float]]
    coverage: float
    density: float
    mass: float
    n_points: int


def _box(limits: dict, moved: set, inside: np.ndarray, y: np.ndarray) -> Box:
    return Box(
        limits={f: limits[f] for f in limits if f in moved},
        coverage=float(y[inside].sum() / y.sum()),
        density=float(y[inside].mean()),
        mass=float(inside.mean()),
        n_points=int(inside.sum()),
    )


def prim_box(
    X: pd.DataFrame,
    y: np.ndarray,
    peel_alpha: float = 0.05,
    min_mass: float = 0.05,
    min_density_gain: float = 0.0,
) -> Box | None:
    """Find the box of factor ranges where the cases of interest are densest.

    The box starts as the bounding box of ``X``. Each step considers, for every factor, peeling
    the lowest or the highest ``peel_alpha`` quantile of the points inside (one whole edge level
    for factors with at most ``MAX_LEVELS`` distinct values) and takes the peel that most raises
    the density. Peeling stops when every peel would leave less than ``min_mass`` of the points
    inside or none raises the density by more than ``min_density_gain``. Of the boxes on this
    trajectory, those whose density is within ``NEAR_EQUAL_SE`` binomial standard errors of the
    densest count as equally dense (the densest box's density is optimistic when the labels are
    noisy), and the one among them with the highest coverage is returned.

    Args:
        X: Factor values, one numeric column per factor, one row per run.
        y: Whether each run is a case of interest (booleans or 0/1), aligned with ``X``.
        peel_alpha: Share of the points inside the box that one peel removes.
        min_mass: Smallest share of all points a box may hold.
        min_density_gain: Smallest density gain for which a peel is worth making.

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
    limits = {f: (float(x.min()), float(x.max())) for f, x in values.items()}
    inside, moved = np.ones(len(y), dtype=bool), set()
    trajectory = [_box(limits, moved, inside, y)]
    while True:
        best = None
        for f, x in values.items():
            x_in = x[inside]
            if discrete[f]:
                low_cut, high_cut = x_in.min(), x_in.max()
            else:
                low_cut = np.quantile(x_in, peel_alpha, method="lower")
                high_cut = np.quantile(x_in, 1 - peel_alpha, method="higher")
            for side, keep in enumerate((inside & (x > low_cut), inside & (x < high_cut))):
                if keep.mean() < min_mass:
                    continue
                gain = y[keep].mean() - trajectory[-1].density
                if gain > min_density_gain and (best is None or gain > best[0]):
                    best = (gain, f, side, keep)
        if best is None:
            break
        _, f, side, inside = best
        low, high = limits[f]
        x_in = values[f][inside]
        limits[f] = (low, float(x_in.max())) if side else (float(x_in.min()), high)
        moved.add(f)
        trajectory.append(_box(limits, moved, inside, y))
    top = max(trajectory, key=lambda b: b.density)
    tolerance = NEAR_EQUAL_SE * np.sqrt(top.density * (1 - top.density) / top.n_points)
    return max(
        (b for b in trajectory if b.density >= top.density - tolerance), key=lambda b: b.coverage
    )


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
            "no narrower range of any factor does better."
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
