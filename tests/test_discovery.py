from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pandas as pd
import pytest

from simulation.sweep.discovery import Box, describe, prim_box

with warnings.catch_warnings():  # ema_workbench warns about optional parallel back-ends
    warnings.simplefilter("ignore")
    from ema_workbench.analysis import prim as ema_prim


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


# --- choosing the box on the peeling trajectory -------------------------------------------
def interleaved() -> tuple[pd.DataFrame, np.ndarray]:
    """Issue 13's 40 runs: every other run of the upper half meets the target."""
    y = np.zeros(40, dtype=bool)
    y[20::2] = True
    return pd.DataFrame({"x": np.linspace(0, 1, 40)}), y


def test_prim_prefers_denser_box_at_equal_coverage():
    # All ten cases lie in x >= 0.51, so every box down to it has coverage 1; the box chosen
    # before, 0.205 <= x <= 1 at 31%, was just wider and sparser than x >= 0.51 at 50%.
    X, y = interleaved()
    box = prim_box(X, y)
    assert box.coverage == 1.0
    assert box.density >= 0.5
    assert box.limits["x"][0] >= 0.5


def test_describe_does_not_claim_no_narrower_range_is_denser():
    X, y = interleaved()
    text = describe(prim_box(X, y))
    assert "no narrower range" not in text
    assert text.startswith("The target is met in 53% of runs where 0.513 <= x <= 0.974 ")


def test_peeling_continues_through_a_dip():
    # The first peels from either side remove only cases of interest (density falls from 25% to
    # 21%); peeling on past them reaches x >= 0.8, where every run is a case of interest.
    x = np.linspace(0, 1, 200)
    box = prim_box(pd.DataFrame({"x": x}), (x >= 0.8) | (x < 0.05))
    assert box.density == 1.0 and box.coverage == 0.8
    assert box.limits["x"][0] == pytest.approx(0.8, abs=0.005)


def test_label_noise_does_not_draw_limits_on_idle_factors():
    # Deep in the trajectory each peel is the best of 12 and trims a few flipped labels, so
    # the density inside creeps up with every idle factor restricted; held-out runs do not
    # confirm it. (The rule before, judged on the peeled runs, gave six factors at 41% coverage.)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.uniform(size=(3000, 6)), columns=[f"f{i}" for i in range(6)])
    y = ((X["f0"] > 0.4) & (X["f3"] < 0.7)).to_numpy() ^ (rng.uniform(size=3000) < 0.1)
    box = prim_box(X, y)
    assert set(box.limits) == {"f0", "f3"}
    assert abs(box.limits["f0"][0] - 0.4) <= 0.05 and abs(box.limits["f3"][1] - 0.7) <= 0.05
    assert box.density > 0.88 and box.coverage > 0.8


# --- against EMA Workbench's PRIM ---------------------------------------------------------
def two_factor(seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Target met where x1 > 0.6 and x2 < 0.3, with 5% of the labels flipped."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.uniform(size=(1000, 2)), columns=["x1", "x2"])
    y = ((X["x1"] > 0.6) & (X["x2"] < 0.3)).to_numpy()
    return X, y ^ (rng.uniform(size=len(y)) < 0.05)


def with_levels(seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Target met where budget (levels 0 to 3) >= 2 and demand > 0.5, 5% of labels flipped."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"budget": rng.integers(0, 4, size=1000), "demand": rng.uniform(size=1000)})
    y = ((X["budget"] >= 2) & (X["demand"] > 0.5)).to_numpy()
    return X, y ^ (rng.uniform(size=len(y)) < 0.05)


def ema_trajectory(X: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    """EMA Workbench's peeling and pasting trajectory; levels are given to it as categories."""
    if "budget" in X:
        # EMA's pasting of integer factors fails under recent pandas; as categories it peels levels.
        X = X.assign(budget=X["budget"].map("level {}".format))
    with warnings.catch_warnings():  # pandas deprecations inside ema_workbench
        warnings.simplefilter("ignore")
        prim = ema_prim.Prim(X, y.astype(int), threshold=0.5, peel_alpha=0.05, mass_min=0.05)
        return prim.find_box().peeling_trajectory


SHARED_CASES = {
    "interleaved": interleaved,
    **{f"two-factor-{seed}": partial(two_factor, seed) for seed in (1, 2, 3)},
    **{f"levels-{seed}": partial(with_levels, seed) for seed in (2, 3, 4)},
}


@pytest.mark.parametrize("case", list(SHARED_CASES))
def test_box_at_least_as_dense_as_emas_at_comparable_coverage(case):
    X, y = SHARED_CASES[case]()
    box = prim_box(X, y)
    ema = ema_trajectory(X, y)
    comparable = ema[ema["coverage"] >= box.coverage - 0.01]
    assert box.density >= comparable["density"].max() - 0.01
    # EMA's own choice, its last box, is at most a few points denser and never covers more.
    assert box.density >= ema["density"].iloc[-1] - 0.05
    assert box.coverage >= ema["coverage"].iloc[-1] - 0.01


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_recovers_two_factor_box_within_a_peel_step(seed):
    box = prim_box(*two_factor(seed))
    assert set(box.limits) == {"x1", "x2"}
    assert abs(box.limits["x1"][0] - 0.6) <= 0.05
    assert abs(box.limits["x2"][1] - 0.3) <= 0.05
    assert box.density > 0.9 and box.coverage > 0.65


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_recovers_levels_and_range_within_a_peel_step(seed):
    box = prim_box(*with_levels(seed))
    assert box.limits["budget"] == (2.0, 3.0)
    assert abs(box.limits["demand"][0] - 0.5) <= 0.05
    assert box.density > 0.9 and box.coverage > 0.8
