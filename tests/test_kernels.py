"""Every numba kernel against its plain-Python twin (``kernel.py_func``) on the same inputs.

Inputs come from a tiny region model advanced a few quarters (with a voucher and a
matchmaking programme running, so that voucher and search-breadth fields are set), plus
synthetic arrays where the model alone would not reach a branch (foreign clients,
providers that exited while a project ran, requests from other regions).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from simulation import rng
from simulation.instruments import INSTRUMENT_TYPES
from simulation.kernels.brokering import broker_ties, introduce
from simulation.kernels.demand import demand
from simulation.kernels.dynamics import firm_dynamics, sme_dynamics
from simulation.kernels.entry import init_firms, init_smes, stationary_age_cdf
from simulation.kernels.execution import deliver_outcomes, execute
from simulation.kernels.learning import firm_learning, sme_learning
from simulation.kernels.matching import match_local, match_requests
from simulation.kernels.observe import observe_firms, observe_smes
from simulation.region import INITIAL_AGE_SPREAD, InstrumentSpec, RegionModel
from simulation.taxonomy import N_DOMAINS, N_SECTORS

REGION = "ES13"
PROJECT_COLS = ("client_region", "client", "provider", "domain", "sector", "client_absorptive",
                "value", "subsidy", "instrument", "start_q", "end_q")


def instrument(kind: str, name: str, **overrides) -> InstrumentSpec:
    params = {k: p.default for k, p in INSTRUMENT_TYPES[kind].declared_params().items()}
    params.update(overrides)
    return InstrumentSpec(kind, name, params, "2017Q1", "2019Q4", (REGION,))


@pytest.fixture(scope="module")
def model() -> RegionModel:
    """A tiny region, five quarters in, stopped after the demand phase of quarter six.

    Clients accept any provider scoring 0.1 (reservation): at the steady state most
    providers' capability has decayed below the default's reach, and the matching kernels
    must have matches to be checked."""
    m = RegionModel(REGION, scale=0.05, seed=11, start_year=2018, end_year=2019,
                    burn_in_years=1, params={"reservation": 0.1}, instruments=[
                        instrument("innovation_voucher", "v", budget_per_year=4e6,
                                   apply_rate=0.3),
                        instrument("matchmaking", "mm", budget_per_year=2e6, apply_rate=0.3),
                    ])
    for _ in range(5):
        m.step()
    m.begin_quarter(m.quarter + 1)
    m.act_instruments()
    m.draw_demand()
    return m


def cols(table, names) -> list[np.ndarray]:
    return [getattr(table, n).copy() for n in names]


def project_columns(m: RegionModel, extra: int) -> list[np.ndarray]:
    m.projects.reserve(extra)
    return [m.projects.full(c).copy() for c in PROJECT_COLS]


# --- argument builders: one per kernel, mirroring the calls in simulation/region.py ------
def args_demand(m, g):
    f = m.firms
    return (*cols(f, ("alive", "sector", "employees", "maturity", "awareness", "absorptive",
                      "in_project", "ready_until")),
            m.frontier.copy(), N_DOMAINS, m.quarter, m.stream, 0.3, 0.4,
            np.full(f.n, -7, np.int32))


def args_match_local(m, g):
    p, f, s = m.params, m.firms, m.smes
    return (*cols(f, ("demand_domain", "sector", "absorptive", "in_project", "ready_until", "ties",
                      "breadth_extra", "breadth_until", "support_until", "support_cap",
                      "support_rate", "support_scale", "support_instrument", "support_used")),
            *cols(s, ("alive", "employees", "orientation", "busy", "capability", "experience",
                      "reputation")),
            *project_columns(m, int((f.demand_domain >= 0).sum())), m.projects.n,
            m.region_index, m.quarter, m.stream, int(p["search_breadth"]), p["reservation"],
            p["w_capability"], p["w_experience"], p["w_reputation"], p["tie_bonus"],
            p["project_value_median"], p["project_value_sigma"], int(p["duration_max"]),
            0.5, np.full(f.n, -1, dtype=np.int64))


def args_match_requests(m, g):
    p, s = m.params, m.smes
    n = 40
    req = (np.full(n, 3, np.int32),
           g.choice(5000, n, replace=False).astype(np.int32),
           g.integers(0, N_DOMAINS, n).astype(np.int32),
           g.integers(0, N_SECTORS, n).astype(np.int32),
           g.random(n).astype(np.float32))
    return (*req, *cols(s, ("alive", "employees", "orientation", "busy", "capability",
                            "experience", "reputation")),
            *project_columns(m, n), m.projects.n, m.region_index, m.quarter, m.stream,
            int(p["search_breadth"]), 0.2, p["cross_region_penalty"], p["w_capability"],
            p["w_experience"], p["w_reputation"], p["project_value_median"],
            p["project_value_sigma"], int(p["duration_max"]), np.zeros(n, dtype=bool))


def args_execute(m, g):
    p, f, s, pr = m.params, m.firms, m.smes, m.projects
    assert pr.n > 5
    proj = cols(pr, ("client_region", "client", "provider", "domain", "sector",
                     "client_absorptive", "value", "end_q"))
    end_q = proj[-1]
    q = int(np.bincount(end_q).argmax())  # the quarter in which most projects end
    proj[0][::3] = m.region_index + 1  # a third of the rows serve clients of another region
    sme = cols(s, ("alive", "busy", "capability", "experience", "reputation", "cash",
                   "last_success_q", "successes"))
    sme[0][proj[2][end_q == q][:2]] = False  # two providers exited during their project
    n = pr.n
    return (*proj, *sme, *cols(f, ("sector", "maturity", "productivity", "in_project", "ties")),
            m.frontier.copy(), m.region_index, q, m.stream,
            p["success_intercept"], p["success_capability"], p["success_absorptive"],
            p["success_experience"], p["capability_gain"], p["experience_gain"],
            p["reputation_gain"], p["reputation_loss"], p["project_margin"], p["maturity_gain"],
            p["productivity_gain"], np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool))


def args_deliver_outcomes(m, g):
    p, f = m.params, m.firms
    n = 60
    clients = g.choice(f.n, n, replace=False).astype(np.int32)
    success = g.random(n) < 0.6
    providers = ((g.integers(1, 10, n) << 24) | g.integers(0, m.smes.n, n)).astype(np.int32)
    return (clients, success, providers,
            *cols(f, ("sector", "maturity", "productivity", "in_project", "ties")),
            m.frontier.copy(), m.quarter, m.stream, p["maturity_gain"], p["productivity_gain"])


def args_sme_dynamics(m, g):
    p, s = m.params, m.smes
    return (*cols(s, ("alive", "employees", "birth_q", "death_q", "cash", "neg_cash_quarters")),
            m.quarter, m.stream, p["growth_scale"], p["growth_size_exponent"],
            p["cash_margin"], p["cash_margin_sd"], 0.5, p["exit_years_2_to_5"], 0.3,
            int(p["cash_exit_quarters"]))


def args_firm_dynamics(m, g):
    p, f = m.params, m.firms
    return (*cols(f, ("alive", "sector", "employees", "productivity", "death_q")),
            m._sector_productivity.copy(), m.quarter, m.stream, p["growth_scale"],
            p["growth_size_exponent"], p["competition"], 0.3, p["exit_productivity"])


def grown(table, names, extra):
    table.reserve(extra)
    return [table.full(n).copy() for n in names]


def args_init_smes(m, g):
    s, extra = m.smes, 30
    arrays = grown(s, ("alive", "employees", "birth_q", "capability", "reputation", "cash",
                       "orientation"), extra)
    ages = stationary_age_cdf(np.full(60, 0.05))
    return (s.n, s.n + extra, *arrays, m.quarter, m.stream, 0.4, ages, 0.02,
            m.params["cash_margin"])


def args_init_firms(m, g):
    f, extra = m.firms, 40
    arrays = grown(f, ("alive", "sector", "employees", "birth_q", "maturity", "absorptive",
                       "awareness", "productivity"), extra)
    return (f.n, f.n + extra, *arrays, m.sector_ids.copy(), m.sector_cum_weights.copy(),
            m.quarter, m.stream, m.frontier.copy(), m.maturity_exponent, INITIAL_AGE_SPREAD)


def args_firm_learning(m, g):
    p, f, s = m.params, m.firms, m.smes
    ties = f.ties.copy()
    # some ties to providers of another region, and to providers that exited
    foreign = g.random(ties.shape) < 0.1
    ties[foreign] = (5 << 24) | 3
    dead = s.alive.copy()
    dead[g.random(s.n) < 0.2] = False
    return (*cols(f, ("alive", "sector", "maturity", "awareness")), ties,
            m._sector_basic_share.copy(), m.frontier.copy(), dead, s.capability.copy(),
            m.region_index, m.quarter, m.stream, p["bass_p"], p["bass_q"], 0.2, 0.3)


def args_sme_learning(m, g):
    return (m.smes.alive.copy(), m.smes.capability.copy(), m.smes.experience.copy(), 0.05)


def args_observe_smes(m, g):
    s = m.smes
    return (*cols(s, ("alive", "employees", "last_success_q")), m.quarter, 4)


def args_observe_firms(m, g):
    f = m.firms
    return (*cols(f, ("alive", "sector", "employees", "maturity", "productivity")), N_SECTORS)


def args_broker_ties(m, g):
    f, s = m.firms, m.smes
    participants = np.sort(g.choice(f.n, 50, replace=False)).astype(np.int64)
    return (participants, f.ties.copy(), s.alive.copy(), s.capability.copy(), m.region_index,
            m.quarter, m.stream, 10, rng.BROKER_TIE * 64 + 1)


def args_introduce(m, g):
    f, s = m.firms, m.smes
    firms = np.sort(g.choice(f.n, 40, replace=False)).astype(np.int64)
    smes = np.sort(g.choice(np.flatnonzero(s.alive), 15, replace=False)).astype(np.int64)
    return (firms, smes, f.ties.copy(), m.region_index, m.quarter, m.stream, 2,
            rng.CLUSTER * 64 + 1)


@dataclass(frozen=True)
class Case:
    kernel: Callable
    build: Callable

    @property
    def name(self) -> str:
        return self.kernel.py_func.__name__


CASES = [
    Case(demand, args_demand),
    Case(match_local, args_match_local),
    Case(match_requests, args_match_requests),
    Case(execute, args_execute),
    Case(deliver_outcomes, args_deliver_outcomes),
    Case(sme_dynamics, args_sme_dynamics),
    Case(firm_dynamics, args_firm_dynamics),
    Case(init_smes, args_init_smes),
    Case(init_firms, args_init_firms),
    Case(firm_learning, args_firm_learning),
    Case(sme_learning, args_sme_learning),
    Case(observe_smes, args_observe_smes),
    Case(observe_firms, args_observe_firms),
    Case(broker_ties, args_broker_ties),
    Case(introduce, args_introduce),
]


def assert_same(a, b, what: str) -> None:
    """Equal, exactly for integers and booleans, to rtol 1e-6 for floats (float32 rounding)."""
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b), what
        for k, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{what}[{k}]")
        return
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    assert a_arr.shape == b_arr.shape, what
    if np.issubdtype(a_arr.dtype, np.floating) or np.issubdtype(b_arr.dtype, np.floating):
        np.testing.assert_allclose(a_arr, b_arr, rtol=1e-6, atol=1e-12, err_msg=what)
    else:
        np.testing.assert_array_equal(a_arr, b_arr, err_msg=what)


def changed(before, after) -> bool:
    return any(isinstance(x, np.ndarray) and not np.array_equal(x, y)
               for x, y in zip(before, after, strict=True))


def test_every_kernel_has_a_case():
    import inspect

    from simulation import kernels
    from simulation.kernels import (
        brokering,
        dynamics,
        entry,
        execution,
        learning,
        matching,
        observe,
    )
    from simulation.kernels import demand as demand_mod

    # kernels = njit functions named in the kernel modules' region-level calls
    tested = {c.name for c in CASES}
    expected = {"demand", "match_local", "match_requests", "execute", "deliver_outcomes",
                "sme_dynamics", "firm_dynamics", "init_smes", "init_firms", "firm_learning",
                "sme_learning", "observe_smes", "observe_firms", "broker_ties",
                "introduce"}
    assert expected <= tested
    assert kernels.__doc__
    for mod in (brokering, demand_mod, dynamics, entry, execution, learning, matching, observe):
        for name, obj in inspect.getmembers(mod):
            if hasattr(obj, "py_func") and obj.py_func.__module__ == mod.__name__:
                assert name in tested or name in HELPERS, f"kernel {mod.__name__}.{name} untested"


HELPERS = {"quarterly", "year_start", "pareto_size", "success_probability",
           "apply_client_outcome", "add_tie", "smart_capacity", "provider_score",
           "choose_provider", "draw_project_terms", "write_project", "productivity_lead"}
"""Inner njit helpers: exercised through the kernels above (compiled in both runs)."""


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_kernel_matches_python_twin(model, case):
    args = case.build(model, np.random.default_rng(5))
    original = copy.deepcopy(args)
    jit_args, py_args = copy.deepcopy(args), copy.deepcopy(args)
    jit_out = case.kernel(*jit_args)
    py_out = case.kernel.py_func(*py_args)
    assert_same(jit_out, py_out, f"{case.name} return value")
    for k, (x, y) in enumerate(zip(jit_args, py_args, strict=True)):
        assert_same(x, y, f"{case.name} argument {k}")
    # the inputs were non-trivial: the kernel returned something or changed something
    nothing = jit_out is None or (np.isscalar(jit_out) and jit_out == 0)
    assert changed(original, jit_args) or not nothing, f"{case.name} did nothing"


def test_kernel_inputs_are_non_trivial(model):
    """The fixture state reaches the interesting branches."""
    f, pr = model.firms, model.projects
    assert (f.demand_domain >= 0).sum() > 5
    assert (f.support_until >= model.quarter).any()
    assert (f.breadth_until >= model.quarter).any()
    assert (f.ties >= 0).any()
    assert pr.n > 5
    assert (model.smes.last_success_q > 0).any()


def test_match_kernels_contract_projects(model):
    g = np.random.default_rng(5)
    for build, kernel in ((args_match_local, match_local), (args_match_requests, match_requests)):
        args = build(model, g)
        out = kernel(*args)
        made = out[0] if isinstance(out, tuple) else out
        assert made > 0, kernel.py_func.__name__
        if kernel is match_local:
            proj = dict(zip(PROJECT_COLS, args[21:32], strict=True))
            new = slice(model.projects.n, model.projects.n + made)
            assert (proj["subsidy"][new] > 0).any(), "no voucher was redeemed"
            assert (proj["instrument"][new] == 0).any()
            assert np.all(proj["start_q"][new] == model.quarter)
            assert np.all(proj["end_q"][new] >= model.quarter)


def test_execute_resolves_projects(model):
    args = args_execute(model, np.random.default_rng(5))
    finished, won = execute(*args)
    done, success, foreign = args[-3:]
    assert finished == done.sum() > 0
    assert won == success.sum()
    assert foreign.any() and (~foreign & done).any()
    assert not (success & ~done).any()
