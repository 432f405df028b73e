"""A region alone runs its quarter as three compiled calls (kernels/quarter.py).

Its results must be the bits of the phase-by-phase quarter of schedule.run_quarter: every
series and every column of every table, in the spin-up and after.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.ecosystem import Ecosystem
from simulation.instruments import INSTRUMENT_TYPES
from simulation.kernels.parallel import kernel_threads
from simulation.region import SERIES, InstrumentSpec, RegionModel
from simulation.state import Table

YEARS = {"start_year": 2017, "end_year": 2019, "burn_in_years": 1}


def phase_by_phase(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every region take schedule.run_quarter's phase-by-phase path."""
    monkeypatch.setattr(RegionModel, "runs_alone_compiled", lambda self: False)


def assert_same_state(a: RegionModel, b: RegionModel) -> None:
    for name in SERIES:
        np.testing.assert_array_equal(a.series[name], b.series[name], err_msg=name)
    for table in ("smes", "firms", "projects"):
        ta, tb = getattr(a, table), getattr(b, table)
        assert ta.n == tb.n and ta.capacity == tb.capacity, table
        for column in ta._columns:
            np.testing.assert_array_equal(ta.full(column), tb.full(column),
                                          err_msg=f"{table}.{column}")
    np.testing.assert_array_equal(a._sector_productivity, b._sector_productivity)
    np.testing.assert_array_equal(a._sector_basic_share, b._sector_basic_share)


@pytest.mark.parametrize(("code", "scale", "seed"), [("ES13", 0.05, 3), ("BG33", 0.02, 11)])
def test_a_lone_region_gives_the_bits_of_the_phase_by_phase_quarter(monkeypatch, code, scale,
                                                                     seed):
    compiled = RegionModel(code, scale=scale, seed=seed, replicate=1, **YEARS)
    assert compiled.runs_alone_compiled()
    assert "2-8 region alone, compiled" in compiled.timings
    compiled.run()
    with monkeypatch.context() as patch:
        phase_by_phase(patch)
        stepped = RegionModel(code, scale=scale, seed=seed, replicate=1, **YEARS).run()
        assert "2-8 region alone, compiled" not in stepped.timings
    assert compiled.series["enabling"][-1] > 0
    assert_same_state(compiled, stepped)


def test_the_project_table_grows_the_same_way(monkeypatch):
    """When demand may not fit, the compiled call stops, room is made and it is called again."""
    monkeypatch.setattr(Table, "__init__", _small_project_tables(Table.__init__))
    compiled = RegionModel("ES13", scale=0.05, seed=5, **YEARS).run()
    with monkeypatch.context() as patch:
        phase_by_phase(patch)
        stepped = RegionModel("ES13", scale=0.05, seed=5, **YEARS).run()
    assert compiled.projects.capacity > 4
    assert_same_state(compiled, stepped)


def _small_project_tables(init):
    def small(self, columns, capacity=16):
        init(self, columns, 4 if "client" in columns else capacity)
    return small


def every_instrument(region: str) -> list[InstrumentSpec]:
    """One instrument of each type in ``region``, at its declared defaults, EUR 2m a year."""
    return [InstrumentSpec(kind, kind, {**{k: p.default for k, p in
                                           cls.declared_params().items()},
                                        "budget_per_year": 2e6},
                           "2017Q2", "2019Q3", (region,))
            for kind, cls in INSTRUMENT_TYPES.items()]


def test_a_lone_region_with_every_instrument_gives_the_same_bits(monkeypatch):
    def build():
        return RegionModel("ES13", scale=0.05, seed=4, instruments=every_instrument("ES13"),
                           **YEARS)

    compiled = build().run()
    with monkeypatch.context() as patch:
        phase_by_phase(patch)
        stepped = build().run()
    assert all(i.total("applications") > 0 for i in compiled.instruments)
    assert_same_state(compiled, stepped)
    for a, b in zip(compiled.instruments, stepped.instruments, strict=True):
        for account, values in a.accounts.items():
            np.testing.assert_array_equal(values, b.accounts[account], err_msg=account)


def test_threads_take_the_phase_by_phase_path():
    with kernel_threads(2):
        assert not RegionModel("ES13", scale=0.03, seed=1, **YEARS).runs_alone_compiled()


def test_an_ecosystem_of_one_region_runs_as_the_region_alone(monkeypatch):
    compiled = Ecosystem(["FI19"], scale=0.03, seed=2, **YEARS).run()
    with monkeypatch.context() as patch:
        phase_by_phase(patch)
        stepped = Ecosystem(["FI19"], scale=0.03, seed=2, **YEARS).run()
    assert_same_state(compiled.regions["FI19"], stepped.regions["FI19"])
