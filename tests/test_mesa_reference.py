"""The idiomatic Mesa reference (bench/mesa_reference.py) equals the numba core exactly."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from simulation.region import SERIES, RegionModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from mesa_reference import (  # noqa: E402
    ReferenceFirm,
    ReferenceProject,
    ReferenceRegion,
    ReferenceSME,
)

HORIZON = {"start_year": 2018, "end_year": 2019}
CONFIGURATIONS = [
    # (region, scale, seed, replicate, burn-in years)
    ("ES13", 0.05, 1, 0, 1),
    ("ES13", 0.05, 20180601, 1, 2),
    ("NWCB", 0.15, 7, 0, 2),  # NWCB is small: at 5% it has about 15 SMEs, 1.5 enabling
    ("NWCB", 0.15, 123, 2, 1),
]


def _kwargs(scale: float, seed: int, replicate: int, burn_in: int) -> dict:
    return {"scale": scale, "seed": seed, "replicate": replicate, "burn_in_years": burn_in,
            **HORIZON}


@pytest.fixture(scope="module", params=CONFIGURATIONS, ids=lambda c: f"{c[0]}-s{c[2]}-r{c[3]}")
def pair(request):
    code, scale, seed, replicate, burn_in = request.param
    kw = _kwargs(scale, seed, replicate, burn_in)
    core = RegionModel(code, calibrated=True, **kw).run()
    ref = ReferenceRegion(code, calibrated=True, **kw).run()
    return core, ref


def test_every_series_equal(pair):
    core, ref = pair
    assert set(ref.series) == set(core.series) == set(SERIES)
    for name in SERIES:
        np.testing.assert_array_equal(ref.series[name], core.series[name], err_msg=name)
    # the comparison is not vacuous: every process happened in the run
    for name in ("demand", "projects_started", "projects_finished", "sme_deaths",
                 "firm_deaths", "firm_births", "enabling"):
        assert ref.series[name].sum() > 0, name


def test_final_sme_state_equal(pair):
    core, ref = pair
    state = ref.sme_state()
    assert len(ref.smes_by_row) == core.smes.n
    for name, values in state.items():
        np.testing.assert_array_equal(values, getattr(core.smes, name), err_msg=name)


def test_final_firm_state_equal(pair):
    core, ref = pair
    state = ref.firm_state()
    f = core.firms
    assert len(ref.firms_by_row) == f.n
    for name, values in state.items():
        if name == "demand_domain":
            # the core's demand phase resets every row, dead ones included; a dead agent is
            # no longer activated, so it keeps the domain of the quarter it died in
            values = np.where(f.alive | (f.death_q == core.quarter), values, -1)
        np.testing.assert_array_equal(values, getattr(f, name), err_msg=name)


def test_running_projects_equal(pair):
    core, ref = pair
    state = ref.project_state()
    assert len(state["client"]) == core.projects.n
    for name, values in state.items():
        np.testing.assert_array_equal(values, getattr(core.projects, name), err_msg=name)


def test_agents_are_mesa_agents(pair):
    core, ref = pair
    by_type = ref.agents_by_type
    assert len(by_type[ReferenceSME]) == core.smes.alive.sum()
    assert len(by_type[ReferenceFirm]) == core.firms.alive.sum()
    assert len(ref.agent_set(ReferenceProject)) == core.projects.n
    assert all(a.alive for a in by_type[ReferenceSME])
    assert [a.row for a in by_type[ReferenceFirm]] == np.flatnonzero(core.firms.alive).tolist()


def test_interpreted_draws_give_the_same_run():
    kw = _kwargs(0.05, 5, 0, 1)
    compiled = ReferenceRegion("NWCB", **kw).run()
    interpreted = ReferenceRegion("NWCB", draws="python", **kw).run()
    for name in SERIES:
        np.testing.assert_array_equal(interpreted.series[name], compiled.series[name],
                                      err_msg=name)
    for name, values in interpreted.firm_state().items():
        np.testing.assert_array_equal(values, compiled.firm_state()[name], err_msg=name)


def test_step_by_step_equal():
    kw = _kwargs(0.03, 9, 0, 1)
    core = RegionModel("ES13", **kw)
    ref = ReferenceRegion("ES13", **kw)
    while core.running:
        assert ref.running
        core.step()
        ref.step()
        q = core.quarter
        assert ref.quarter == q
        for name in SERIES:
            assert ref.series[name][q] == core.series[name][q], (name, q)
        np.testing.assert_array_equal(ref.firm_state()["maturity"], core.firms.maturity)
        np.testing.assert_array_equal(ref.sme_state()["capability"], core.smes.capability)
    assert not ref.running
