"""Mesa integration: agent views, AgentSet queries, DataCollector and batch_run."""

from __future__ import annotations

import mesa
import numpy as np
import pytest

from simulation.agents import DigitalSME, SmartFirm
from simulation.ecosystem import Ecosystem
from simulation.instruments import INSTRUMENT_TYPES, InnovationVoucher, Matchmaking
from simulation.instruments.base import PolicyInstrument
from simulation.kernels.demand import BASIC_MATURITY
from simulation.region import ENABLING_WINDOW, InstrumentSpec, RegionModel
from simulation.taxonomy import DOMAINS, SECTORS

YEARS = {"start_year": 2018, "end_year": 2019, "burn_in_years": 1}
SCALE = 0.03


def instruments() -> list[InstrumentSpec]:
    def spec(kind, name, **kw):
        params = {k: p.default for k, p in INSTRUMENT_TYPES[kind].declared_params().items()}
        params.update(kw)
        return InstrumentSpec(kind, name, params, "2017Q1", "2019Q4", ("ES13",))

    return [spec("innovation_voucher", "v", budget_per_year=1e6, apply_rate=0.2),
            spec("matchmaking", "mm", budget_per_year=5e5, apply_rate=0.2)]


def new_model(**kw) -> RegionModel:
    return RegionModel("ES13", scale=SCALE, seed=kw.pop("seed", 5), instruments=instruments(),
                       **{**YEARS, **kw})


@pytest.fixture
def model() -> RegionModel:
    m = new_model()
    for _ in range(3):
        m.step()
    return m


def view_rows(agentset) -> np.ndarray:
    return np.sort(np.array([a.row for a in agentset], dtype=np.int64))


# --- views --------------------------------------------------------------------------------
def test_agents_hold_views_and_instruments(model):
    agents = model.agents
    assert isinstance(agents, mesa.agent.AgentSet)
    by_type = model.agents_by_type
    assert set(by_type) >= {DigitalSME, SmartFirm, InnovationVoucher, Matchmaking}
    s, f = model.smes, model.firms
    assert len(by_type[DigitalSME]) == s.alive.sum()
    assert len(by_type[SmartFirm]) == f.alive.sum()
    assert len(by_type[InnovationVoucher]) == len(by_type[Matchmaking]) == 1
    assert len(agents) == s.alive.sum() + f.alive.sum() + 2
    assert all(isinstance(a, PolicyInstrument) for a in agents
               if not isinstance(a, DigitalSME | SmartFirm))
    np.testing.assert_array_equal(view_rows(by_type[DigitalSME]), np.flatnonzero(s.alive))
    np.testing.assert_array_equal(view_rows(by_type[SmartFirm]), np.flatnonzero(f.alive))
    ids = [a.unique_id for a in agents]
    assert len(ids) == len(set(ids))


def test_views_read_the_arrays(model):
    s, f = model.smes, model.firms
    for a in list(model.agents_by_type[DigitalSME])[:20]:
        r = a.row
        assert a.alive and a.employees == s.employees[r]
        assert list(a.capability) == list(DOMAINS)
        np.testing.assert_array_equal(list(a.capability.values()), s.capability[r])
        np.testing.assert_array_equal(list(a.experience.values()), s.experience[r])
        assert a.reputation == pytest.approx(float(s.reputation[r]))
        assert a.busy == s.busy[r] and a.successes == s.successes[r] and a.cash == s.cash[r]
        assert a.age_quarters == model.quarter - s.birth_q[r]
    for a in list(model.agents_by_type[SmartFirm])[:20]:
        r = a.row
        assert a.sector == SECTORS[f.sector[r]]
        assert a.maturity == pytest.approx(float(f.maturity[r]))
        assert a.basic_digital_intensity == bool(f.maturity[r] >= BASIC_MATURITY)
        assert a.known_providers == [int(k) for k in f.ties[r] if k >= 0]


def test_views_agree_with_observed_series(model):
    q, scale = model.quarter, model.scale
    smes = model.agents_by_type[DigitalSME]
    enabling = len(smes.select(lambda a: a.enabling))
    assert enabling == round(model.series["enabling"][q] * scale)
    assert ENABLING_WINDOW == 4  # DigitalSME.enabling hard-codes four quarters
    sized = model.agents_by_type[SmartFirm].select(lambda a: 10 <= a.employees < 250)
    basic = len(sized.select(lambda a: a.basic_digital_intensity))
    assert basic / len(sized) == pytest.approx(model.series["dii_basic_share"][q])


def test_views_follow_table_reallocation(model):
    views = list(model.agents_by_type[DigitalSME])[:5]
    model.smes.reserve(model.smes.capacity * 3)  # columns are reallocated
    model.smes.employees[:] += 1.0
    for a in views:
        assert a.employees == model.smes.employees[a.row]


# --- AgentSet operations -----------------------------------------------------------------------
def test_agentset_select_agg_groupby(model):
    f, s = model.firms, model.smes
    firms = model.agents_by_type[SmartFirm]
    alive = f.alive
    big = firms.select(lambda a: a.employees >= 10)
    assert len(big) == (alive & (f.employees >= 10)).sum()
    assert len(firms.select(at_most=7)) == 7
    assert firms.agg("employees", sum) == pytest.approx(f.employees[alive].sum())
    assert firms.agg("employees", max) == pytest.approx(f.employees[alive].max())
    smes = model.agents_by_type[DigitalSME]
    assert smes.agg("busy", sum) == s.busy[s.alive].sum()
    # groupby sector: counts match a bincount on the arrays
    counts = firms.groupby("sector").count()
    expected = np.bincount(f.sector[alive], minlength=len(SECTORS))
    assert counts == {SECTORS[g]: int(n) for g, n in enumerate(expected) if n}
    sizes = firms.groupby("sector").agg("employees", sum)
    for g in np.flatnonzero(expected):
        assert sizes[SECTORS[g]] == pytest.approx(f.employees[alive & (f.sector == g)].sum())
    # get: attribute lists in agent order
    rows = firms.get("row")
    np.testing.assert_array_equal(np.sort(rows), np.flatnonzero(alive))
    np.testing.assert_allclose(firms.get("employees"), f.employees[np.array(rows)])


def test_dead_views_disappear_and_newborns_appear():
    m = new_model(seed=9)
    before = {a.row: a for a in m.agents_by_type[DigitalSME]}
    firms_before = {a.row: a for a in m.agents_by_type[SmartFirm]}
    n_smes, n_firms = m.smes.n, m.firms.n
    for _ in range(m.calendar.n_quarters - 1):
        m.step()
        s, f = m.smes, m.firms
        np.testing.assert_array_equal(view_rows(m.agents_by_type[DigitalSME]),
                                      np.flatnonzero(s.alive))
        np.testing.assert_array_equal(view_rows(m.agents_by_type[SmartFirm]),
                                      np.flatnonzero(f.alive))
    current = set(m.agents)
    dead = [a for r, a in before.items() if not m.smes.alive[r]]
    dead_firms = [a for r, a in firms_before.items() if not m.firms.alive[r]]
    assert dead and dead_firms
    for a in dead + dead_firms:
        assert a not in current
        assert not a.alive  # a view kept by the user still reads its (dead) row
    assert m.smes.n > n_smes and m.firms.n > n_firms
    newborn_rows = {a.row for a in m.agents_by_type[SmartFirm]} - set(firms_before)
    assert newborn_rows and min(newborn_rows) >= n_firms
    # views of the same row are kept, not recreated
    survivors = [r for r in before if m.smes.alive[r]]
    still = {a.row: a for a in m.agents_by_type[DigitalSME]}
    assert all(still[r] is before[r] for r in survivors)


def test_ecosystem_regions_have_views():
    eco = Ecosystem(["ES13", "BG33"], scale=0.02, seed=1, **YEARS)
    eco.step()
    eco.step()
    for r in eco.regions.values():
        assert len(r.agents_by_type[DigitalSME]) == r.smes.alive.sum()
        assert len(r.agents_by_type[SmartFirm]) == r.firms.alive.sum()


# --- DataCollector ---------------------------------------------------------------------------
def test_datacollector_model_agent_and_type_reporters():
    m = new_model(seed=3)
    dc = mesa.DataCollector(
        model_reporters={
            "enabling": lambda mod: mod.series["enabling"][mod.quarter],
            "n_smes": lambda mod: len(mod.agents_by_type[DigitalSME]),
            "quarter": "quarter",
        },
        agent_reporters={"employees": "employees"},
        agenttype_reporters={SmartFirm: {"maturity": "maturity"}},
    )
    while m.running:
        m.step()
        dc.collect(m)
    n = m.calendar.n_quarters
    mv = dc.get_model_vars_dataframe()
    assert len(mv) == n
    np.testing.assert_array_equal(mv["quarter"], np.arange(n))
    np.testing.assert_array_equal(mv["enabling"], m.series["enabling"])
    np.testing.assert_allclose(mv["n_smes"], m.series["smes_alive"] * m.scale)
    av = dc.get_agent_vars_dataframe()
    last = av.xs(m.steps, level="Step")
    # SMEs + firms + two instruments (no employees: reported as None)
    assert len(last) == m.smes.alive.sum() + m.firms.alive.sum() + 2
    assert last["employees"].isna().sum() == 2
    total = m.smes.employees[m.smes.alive].sum() + m.firms.employees[m.firms.alive].sum()
    assert last["employees"].sum() == pytest.approx(total)
    tv = dc.get_agenttype_vars_dataframe(SmartFirm)
    assert len(tv.xs(m.steps, level="Step")) == m.firms.alive.sum()


# --- batch_run ---------------------------------------------------------------------------------
BATCH = {"region": "ES13", "scale": 0.02, "seed": [1, 2], "end_year": 2019, "burn_in_years": 1}


def test_region_model_own_datacollector():
    m = RegionModel("ES13", scale=0.02, seed=1, end_year=2019, burn_in_years=1).run()
    mv = m.datacollector.get_model_vars_dataframe()
    n = m.calendar.n_quarters
    assert len(mv) == n  # one row per simulated quarter
    assert list(mv["quarter"]) == [m.calendar.label(q) for q in range(n)]
    for name in ("enabling", "smes_alive", "firms_alive", "dii_basic_share"):
        np.testing.assert_array_equal(mv[name], m.series[name])


@pytest.fixture(scope="module")
def batch_results():
    return mesa.batch_run(RegionModel, parameters=BATCH, iterations=1, max_steps=100,
                          number_processes=1, display_progress=False)


def test_batch_run(batch_results):
    results = batch_results
    assert len(results) == 2
    assert sorted(r["seed"] for r in results) == [1, 2]
    for row in results:
        solo = RegionModel("ES13", scale=0.02, seed=row["seed"], end_year=2019,
                           burn_in_years=1).run()
        q = solo.calendar.parse(row["quarter"])
        for name in ("enabling", "smes_alive", "firms_alive", "dii_basic_share"):
            assert row[name] == solo.series[name][q], name
    a, b = sorted(results, key=lambda r: r["seed"])
    assert any(a[k] != b[k] for k in ("enabling", "smes_alive", "firms_alive"))


def test_batch_run_reports_the_last_quarter(batch_results):
    """batch_run reads collection ``model.steps - 1``: the model collects once per simulated
    quarter (none at set-up), so that is the last quarter."""
    assert {row["quarter"] for row in batch_results} == {"2019Q4"}


def test_finished_models_are_freed_and_agent_ids_stay_unique():
    """Mesa 3.3 keeps every model in a class-level id counter; ours holds models weakly."""
    import gc
    import weakref

    model = RegionModel("ES13", scale=SCALE, seed=1, instruments=instruments(), **YEARS)
    ids = [a.unique_id for a in model.agents]
    assert len(ids) == len(set(ids)) and len(model.agents_by_type[InnovationVoucher]) == 1
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None
