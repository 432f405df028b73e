from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulation.sweep.discovery import Box, describe, prim_box


@pytest.fixture(scope="module")
def uniform() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(size=(4000, 4)), columns=["x1", "x2", "x3", "x4"])
    y = ((X["x1"] > 0.6) & (X["x3"] < 0.3)).to_numpy()
    flip = rng.uniform(size=len(y)) < 0.05
    return X, y, flip


def assert_true_box(box: Box | None, min_density: float, min_coverage: float) -> None:
    assert box is not None
    assert set(box.limits) == {"x1", "x3"}
    assert abs(box.limits["x1"][0] - 0.6) < 0.05
    assert abs(box.limits["x3"][1] - 0.3) < 0.05
    assert box.density > min_density
    assert box.coverage > min_coverage


def test_finds_known_box(uniform):
    X, y, _ = uniform
    box = prim_box(X, y)
    assert_true_box(box, min_density=0.9, min_coverage=0.7)
    inside = np.all([X[f].between(lo, hi) for f, (lo, hi) in box.limits.items()], axis=0)
    assert box.n_points == inside.sum()
    assert box.mass == pytest.approx(inside.mean())
    assert box.density == pytest.approx(y[inside].mean())
    assert box.coverage == pytest.approx(y[inside].sum() / y.sum())


def test_finds_known_box_despite_label_noise(uniform):
    X, y, flip = uniform
    # Flipping 5% of labels leaves about 28% of the cases of interest outside the true box.
    assert_true_box(prim_box(X, y ^ flip), min_density=0.9, min_coverage=0.65)


def test_accepts_zero_one_labels(uniform):
    X, y, _ = uniform
    assert prim_box(X, y.astype(int)) == prim_box(X, y)


def test_discrete_factor_peels_whole_levels():
    rng = np.random.default_rng(0)
    budget = rng.choice([0.0, 1e6, 2e6], size=900)
    X = pd.DataFrame({"budget": budget, "demand": rng.uniform(size=900)})
    box = prim_box(X, budget == 2e6)
    assert box.limits == {"budget": (2e6, 2e6)}
    assert box.density == 1.0
    assert box.coverage == 1.0


def test_no_case_of_interest_gives_none(uniform):
    X, y, _ = uniform
    assert prim_box(X, np.zeros_like(y)) is None


def test_mass_never_below_min_mass(uniform):
    X, y, _ = uniform
    box = prim_box(X, y, min_mass=0.2)
    assert box.mass >= 0.2


def test_describe_names_restricted_factors_only(uniform):
    X, y, _ = uniform
    box = prim_box(X, y)
    text = describe(box)
    assert text.startswith("The target is met in 100% of runs where ")
    assert "x1" in text and "x3" in text
    assert "x2" not in text and "x4" not in text
    assert f"{box.coverage:.0%} of all runs where the target is met" in text
    assert f"{box.mass:.0%} of all runs" in text


def test_describe_formats_levels_and_units():
    box = Box(
        {"budget_per_year": (1.2e6, 1.2e6), "demand_base": (0.0712, 0.5)}, 0.64, 0.83, 0.21, 210
    )
    text = describe(box, "emissions fall", units={"budget_per_year": "EUR"})
    assert text == (
        "Emissions fall in 83% of runs where budget_per_year = 1,200,000 EUR and "
        "0.0712 <= demand_base <= 0.5 (the box holds 64% of all runs where emissions fall, "
        "and 21% of all runs)."
    )


def test_describe_whole_space_when_always_met(uniform):
    X, y, _ = uniform
    box = prim_box(X, np.ones_like(y))
    assert box.limits == {} and box.mass == 1.0
    assert "everywhere" in describe(box)
