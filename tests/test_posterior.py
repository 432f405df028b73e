"""The posterior calibration: its inference recovers known parameters, its files load, and
runs draw parameter sets from it deterministically."""

import numpy as np
import pandas as pd
import pytest

from simulation.calibration.posterior import (
    POSTERIOR_MODES,
    abc_posterior,
    coverage,
    load_priors,
    prior_design,
    weighted_quantiles,
    with_errors,
)
from simulation.errors import InputError
from simulation.params import fitted_params
from simulation.posteriors import draw_set, posterior_sets
from simulation.regions import region_codes
from simulation.runner import parameter_share

SCALE = np.array([0.05, 0.05, 0.05, 0.05])
"""The toy's error scale (the targets' sigma / sqrt(weight) in the region problem)."""


def toy(u: np.ndarray) -> np.ndarray:
    """A stochastic simulator with known structure: four noisy, non-linear functions of
    three parameters, one of which (the third) the moments hardly inform."""
    noise = np.random.default_rng(12345).standard_normal((len(u), 4))
    signal = np.column_stack([u[:, 0] + u[:, 1], np.tanh(2 * (u[:, 0] - u[:, 1])),
                              u[:, 0] * u[:, 1], 0.05 * u[:, 2]])
    return signal + 0.02 * noise


@pytest.fixture(scope="module")
def table():
    u = prior_design(3, 2048, seed=1)
    return u, with_errors(toy(u), SCALE, seed=2)


def test_the_posterior_of_a_known_simulator_concentrates_on_its_truth(table):
    u, moments = table
    truth = np.array([[0.3, 0.6, 0.5]])
    observed = with_errors(toy(truth), SCALE, seed=3)[0]
    _, adjusted, w = abc_posterior(u, moments, observed, SCALE, accept=0.1)
    widths = []
    for k in range(3):
        low, high = weighted_quantiles(adjusted[:, k], w, (0.05, 0.95))
        wide_low, wide_high = weighted_quantiles(adjusted[:, k], w, (0.005, 0.995))
        assert wide_low < truth[0, k] < wide_high  # 99%: one dataset may miss a 90% interval
        widths.append(high - low)
    assert widths[0] < 0.3 and widths[1] < 0.3  # informed: far narrower than the prior
    assert widths[2] > 0.7  # not informed: about the prior's 0.9


def test_credible_intervals_hold_synthetic_truths_about_as_often_as_their_level(table):
    inside = coverage(*table, SCALE, accept=0.1, datasets=300, seed=7)
    rates = inside.mean(axis=0)
    assert ((rates > 0.82) & (rates < 0.97)).all(), rates


def test_a_wrong_error_model_fails_the_coverage_check(table):
    """The check can fail: a posterior that assumes errors three times smaller than those
    in the data (rejection and adjustment by a wrong scale, no error added to the table)
    misses the truth far more often than 10%."""
    u = table[0]
    clean = toy(u)
    rng = np.random.default_rng(3)
    misses = []
    for truth in rng.choice(len(u), 200, replace=False):
        observed = clean[truth] + SCALE * rng.standard_normal(4)
        rest = np.arange(len(u)) != truth
        _, adjusted, w = abc_posterior(u[rest], clean[rest], observed, SCALE / 3, 0.02)
        low, high = weighted_quantiles(adjusted[:, 0], w, (0.05, 0.95))
        misses.append(not low <= u[truth, 0] <= high)
    assert np.mean(misses) > 0.2


def test_every_fitted_parameter_has_a_prior_and_assumptions_the_answer_rests_on_too():
    priors = load_priors()
    assert set(fitted_params()) <= set(priors)
    assert {"capability_decay", "newborn_capability", "reservation", "search_breadth",
            "success_intercept", "bass_p", "bass_q"} <= set(priors)
    assert all(p.reason for p in priors.values())


def test_priors_outside_declared_bounds_are_refused(tmp_path):
    (tmp_path / "priors.toml").write_text(
        '[priors.reservation]\nlow = -1\nhigh = 0.5\nreason = "x"\n')
    with pytest.raises(InputError, match=r"priors.reservation.*low < high within \[0, 1\]"):
        load_priors(tmp_path)


def test_integer_priors_give_every_whole_number_an_equal_chance():
    prior = load_priors()["search_breadth"]
    values = prior.value(np.linspace(0, 1, 15001)[:-1])
    counts = pd.Series(values).value_counts()
    assert set(counts.index) == set(range(int(prior.low), int(prior.high) + 1))
    assert counts.max() - counts.min() <= 1


@pytest.mark.parametrize("code", region_codes())
def test_committed_posteriors_load_with_enough_sets(code):
    names, values, weights = posterior_sets(code)
    assert set(names) == set(load_priors())
    assert len(weights) >= 200 and weights.sum() == pytest.approx(1.0)


def test_draws_depend_on_seed_pair_of_replicates_and_region_only():
    a = draw_set("ES13", 2, 7, 0)
    assert draw_set("ES13", 2, 7, 1) == a  # replicates 0 and 1 share a set
    others = {draw_set("ES13", 2, 7, r)[0] for r in range(2, 40, 2)}
    assert len(others) > 5  # other pairs draw other sets


def test_parameter_share_splits_variance_between_and_within_sets():
    rng = np.random.default_rng(1)
    sets = np.repeat(rng.normal(0, 3, 500), 2)  # between-set sd 3, within 1
    values = sets + rng.normal(0, 1, 1000)
    share = parameter_share(values, np.arange(1000), 2)
    assert share == pytest.approx(0.9, abs=0.03)
    assert parameter_share(rng.normal(0, 1, 1000), np.arange(1000), 2) < 0.1
    assert np.isnan(parameter_share(values[:3], np.arange(3), 2))


def test_smoke_settings_are_small():
    assert POSTERIOR_MODES["smoke"].simulations < POSTERIOR_MODES["full"].simulations


def test_a_posterior_calibration_resumes_without_recomputing_finished_simulations(tmp_path):
    from simulation.calibration.posterior import calibrate_posterior

    first = calibrate_posterior("NWCB", "smoke", folder=tmp_path)
    parts = sorted((tmp_path / "runs").glob("part-*.parquet"))
    assert len(parts) > 1
    lost, kept = parts[0], parts[1:]
    stamps = {p: p.stat().st_mtime_ns for p in kept}
    lost_runs = len(pd.read_parquet(lost))
    lost.unlink()  # as if killed before this chunk was stored
    seen = []
    again = calibrate_posterior("NWCB", "smoke", folder=tmp_path,
                                on_progress=lambda done, total: seen.append((done, total)))
    assert seen[0][0] == first.u.shape[0] - lost_runs  # only the lost chunk is run again
    assert seen[0][0] < seen[-1][0] == seen[-1][1] == first.u.shape[0]
    assert all(p.stat().st_mtime_ns == stamps[p] for p in kept)  # finished ones untouched
    assert np.array_equal(first.moments, again.moments, equal_nan=True)
    assert np.array_equal(first.adjusted, again.adjusted)


def test_a_work_folder_of_another_posterior_is_refused(tmp_path):
    from simulation.calibration.posterior import calibrate_posterior

    calibrate_posterior("NWCB", "smoke", folder=tmp_path)
    with pytest.raises(InputError, match="holds"):
        calibrate_posterior("UKN0", "smoke", folder=tmp_path)


def test_devise_calibrate_posterior_writes_the_smoke_files_and_refuses_dask_without_it(capsys):
    from simulation.calibration.posterior import posterior_files
    from simulation.cli import main

    assert main(["calibrate", "--posterior", "--region", "NWCB", "--mode", "smoke",
                 "--workers", "1", "--force"]) == 0
    sets, summary = posterior_files("NWCB", "smoke")
    assert "smoke" in str(sets) and sets.exists() and summary.exists()
    assert (sets.parent / "diagnostics" / "NWCB.png").exists()
    assert len(pd.read_parquet(sets)) == int(POSTERIOR_MODES["smoke"].accept
                                             * POSTERIOR_MODES["smoke"].simulations)
    assert main(["calibrate", "--region", "NWCB", "--dask-local"]) == 2
    assert "--posterior" in capsys.readouterr().err
