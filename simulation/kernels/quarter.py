"""A region's quarter in two or three compiled calls, for a region that runs alone.

Most quarters a run simulates are of one region alone: every spin-up quarter (20 years
before any run), and every quarter of a calibration or sweep run of one region. Nothing
crosses regions then, so the phases of :func:`simulation.schedule.run_quarter` run as three
compiled calls (two without instruments: :func:`lone_phases_2_to_5` makes the first two
one), each a composition of the same small kernels in the same order on the same
arrays (the results are the same bits: tests/test_lone_quarter.py), with Python between them
only where it has work:

- the instruments deliver (phase 1, Python);
- :func:`lone_demand_and_match` (phases 2-3a); then the instruments see the new projects;
- :func:`lone_execute_and_dynamics` (phases 4-5: the finished projects dropped as
  ``Table.keep`` drops them); then the entrants are drawn and the tables grow for them;
- :func:`lone_enter_learn_observe` (phases 6-8).

In a small region the calls' overhead and the Python layer, not their work, was most of a
quarter (sixteen compiled calls and about forty Python ones, phase by phase). Columns and
parameters travel as plain tuples in the order of the named tuples :class:`FirmArrays`,
:class:`SmeArrays`, :class:`ProjectArrays` and :class:`LoneParams`, which the compiled code
rebuilds to read them by field (numba types a plain tuple argument about twice as fast as a
named one). Row kernels run serially here: with more than one kernel thread, a region takes
the phase-by-phase path, whose row kernels run on the threads.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np
from numba import njit

from ..taxonomy import N_DOMAINS, N_SECTORS
from .demand import demand
from .dynamics import firm_dynamics, sme_dynamics
from .entry import init_firms, init_smes
from .execution import execute
from .learning import firm_learning, sme_learning
from .matching import match_local
from .observe import observe_firms, observe_smes

FirmArrays = namedtuple("FirmArrays", (
    "alive", "sector", "employees", "birth_q", "death_q", "maturity", "absorptive",
    "awareness", "productivity", "in_project", "ready_until", "demand_domain", "ties",
    "support_until", "support_cap", "support_rate", "support_scale", "support_instrument",
    "support_used", "breadth_extra", "breadth_until"))
"""The smart firms' columns a lone quarter reads and writes (rows in use)."""

SmeArrays = namedtuple("SmeArrays", (
    "alive", "employees", "birth_q", "death_q", "capability", "experience", "reputation",
    "cash", "neg_cash_quarters", "busy", "orientation", "last_success_q", "successes"))
"""The digital SMEs' columns a lone quarter reads and writes (rows in use)."""

ProjectArrays = namedtuple("ProjectArrays", (
    "client_region", "client", "provider", "domain", "sector", "client_absorptive", "value",
    "subsidy", "instrument", "start_q", "end_q"))
"""The project columns, whole (matching appends past the rows in use)."""

LoneParams = namedtuple("LoneParams", (
    "demand_base", "demand_size_elasticity", "search_breadth", "reservation", "w_capability",
    "w_experience", "w_reputation", "tie_bonus", "project_value_median",
    "project_value_sigma", "duration_max", "cross_region_share", "success_intercept",
    "success_capability", "success_absorptive", "success_experience", "capability_gain",
    "experience_gain", "reputation_gain", "reputation_loss", "project_margin",
    "maturity_gain", "productivity_gain", "growth_scale", "growth_size_exponent",
    "cash_margin", "cash_margin_sd", "exit_first_year", "exit_years_2_to_5", "exit_mature",
    "cash_exit_quarters", "competition", "firm_death_rate", "exit_productivity",
    "newborn_capability", "capability_decay", "bass_p", "bass_q", "spillover_rate",
    "tie_decay"))
"""Model parameters as the lone quarter reads them; ``exit_mature`` and ``firm_death_rate``
are already multiplied by the region's death rate, the counts are whole numbers."""

# The serial compilations of the row kernels (a lone quarter runs on one kernel thread).
_demand = demand.serial
_sme_dynamics = sme_dynamics.serial
_firm_dynamics = firm_dynamics.serial
_firm_learning = firm_learning.serial

NEED_ROOM = -1
"""First value :func:`lone_demand_and_match` returns when the project table lacks room."""


@njit(cache=True)
def lone_demand_and_match(firms, n_firms, smes, n_smes, projects, n_projects, frontier,
                          region_index, q, stream, params):
    """Phases 2 and 3a of quarter ``q``: demand, then matching with local providers.

    ``firms``, ``smes`` and ``projects`` are the tables' whole columns (``Table.whole``),
    the ``n_*`` their rows in use; ``params`` the values of :class:`LoneParams`. New
    projects are written from row ``n_projects`` on. If the demanding firms might not fit
    in the project table, it stops after demand and returns ``(NEED_ROOM, demand count)``:
    demand only writes each firm's ``demand_domain``, from state it does not change, so the
    caller makes room and calls again. (Clients left unmatched do not search abroad: the
    region is alone.)

    Returns:
        (projects started, demand count)

    """
    f = firm_rows(firms, n_firms)
    s = sme_rows(smes, n_smes)
    pr = ProjectArrays(*projects)
    p = LoneParams(*params)
    n_demand = _demand(f.alive, f.sector, f.employees, f.maturity, f.awareness, f.absorptive,
                       f.in_project, f.ready_until, frontier, N_DOMAINS, q, stream,
                       p.demand_base, p.demand_size_elasticity, f.demand_domain)
    if n_projects + n_demand > pr.client.shape[0]:
        return NEED_ROOM, n_demand
    out_cross = np.empty(n_firms, dtype=np.int64)
    made, _ = match_local(
        f.demand_domain, f.sector, f.absorptive, f.in_project, f.ready_until, f.ties,
        f.breadth_extra, f.breadth_until, f.support_until, f.support_cap, f.support_rate,
        f.support_scale, f.support_instrument, f.support_used, s.alive, s.employees,
        s.orientation, s.busy, s.capability, s.experience, s.reputation, pr.client_region,
        pr.client, pr.provider, pr.domain, pr.sector, pr.client_absorptive, pr.value,
        pr.subsidy, pr.instrument, pr.start_q, pr.end_q, n_projects, region_index, q, stream,
        p.search_breadth, p.reservation, p.w_capability, p.w_experience, p.w_reputation,
        p.tie_bonus, p.project_value_median, p.project_value_sigma, p.duration_max,
        p.cross_region_share, out_cross)
    return made, n_demand


@njit(cache=True)
def lone_phases_2_to_5(firms, n_firms, smes, n_smes, projects, n_projects, frontier,
                       sector_productivity, region_index, q, stream, params):
    """Phases 2-5 of quarter ``q`` in one call, for a region without instruments.

    :func:`lone_demand_and_match`, then :func:`lone_execute_and_dynamics` (arguments as
    theirs). Returns ``(NEED_ROOM, demand count, 0, 0, 0, 0, 0)`` as the first does, else
    (projects started, demand count, project rows kept, finished, succeeded, SME exits,
    firm exits).
    """
    made, n_demand = lone_demand_and_match(firms, n_firms, smes, n_smes, projects,
                                           n_projects, frontier, region_index, q, stream,
                                           params)
    if made == NEED_ROOM:
        return NEED_ROOM, n_demand, 0, 0, 0, 0, 0
    return (made, n_demand) + lone_execute_and_dynamics(
        firms, n_firms, smes, n_smes, projects, n_projects + made, frontier,
        sector_productivity, region_index, q, stream, params)


@njit(cache=True)
def lone_execute_and_dynamics(firms, n_firms, smes, n_smes, projects, n_projects, frontier,
                              sector_productivity, region_index, q, stream, params):
    """Phases 4 and 5 of quarter ``q``: execution, then firm and SME dynamics.

    Arguments as for :func:`lone_demand_and_match`. The finished projects are dropped.

    Returns:
        (project rows kept, finished, succeeded, SME exits, firm exits)

    """
    f = firm_rows(firms, n_firms)
    s = sme_rows(smes, n_smes)
    pr = project_rows(projects, n_projects)
    p = LoneParams(*params)
    done = np.empty(n_projects, dtype=np.bool_)
    success = np.empty(n_projects, dtype=np.bool_)
    foreign = np.empty(n_projects, dtype=np.bool_)
    finished, won = execute(
        pr.client_region, pr.client, pr.provider, pr.domain, pr.sector, pr.client_absorptive,
        pr.value, pr.end_q, s.alive, s.busy, s.capability, s.experience, s.reputation,
        s.cash, s.last_success_q, s.successes, f.sector, f.maturity, f.productivity,
        f.in_project, f.ties, frontier, region_index, q, stream, p.success_intercept,
        p.success_capability, p.success_absorptive, p.success_experience, p.capability_gain,
        p.experience_gain, p.reputation_gain, p.reputation_loss, p.project_margin,
        p.maturity_gain, p.productivity_gain, done, success, foreign)
    kept = drop_finished(pr, done)
    sme_deaths = _sme_dynamics(
        s.alive, s.employees, s.birth_q, s.death_q, s.cash, s.neg_cash_quarters, q, stream,
        p.growth_scale, p.growth_size_exponent, p.cash_margin, p.cash_margin_sd,
        p.exit_first_year, p.exit_years_2_to_5, p.exit_mature, p.cash_exit_quarters)
    firm_deaths = _firm_dynamics(
        f.alive, f.sector, f.employees, f.productivity, f.death_q, sector_productivity, q,
        stream, p.growth_scale, p.growth_size_exponent, p.competition, p.firm_death_rate,
        p.exit_productivity)
    return kept, finished, won, sme_deaths, firm_deaths


@njit(cache=True)
def drop_finished(pr, done):
    """Drop the project rows flagged in ``done`` (the first ``done.size`` rows), keeping order.

    What ``Table.keep(~done)`` does: the rows kept move up, the rows freed get the columns'
    fill values (``instrument`` -1, the others 0). Returns the rows kept.
    """
    n = done.shape[0]
    kept = 0
    for r in range(n):
        if not done[r]:
            kept += 1
    if kept == n:
        return n
    for column in (pr.client_region, pr.client, pr.provider, pr.domain, pr.sector,
                   pr.start_q, pr.end_q):
        _keep_rows(column, done, kept, np.int32(0))
    _keep_rows(pr.instrument, done, kept, np.int32(-1))
    _keep_rows(pr.client_absorptive, done, kept, np.float32(0.0))
    _keep_rows(pr.value, done, kept, 0.0)
    _keep_rows(pr.subsidy, done, kept, 0.0)
    return kept


@njit(cache=True)
def _keep_rows(column, done, kept, fill):
    k = 0
    for r in range(done.shape[0]):
        if not done[r]:
            column[k] = column[r]
            k += 1
    column[kept:done.shape[0]] = fill


@njit(cache=True)
def lone_enter_learn_observe(firms, n_firms, smes, n_smes, new_firms, new_smes, sector_basic_share,
                       frontier, sector_ids, sector_cum_weights, maturity_exponent,
                       newborn_age_cdf, region_index, q, stream, params, enabling_window):
    """Phases 6-8 of quarter ``q``: entry, learning, observation.

    Columns and rows in use as for :func:`lone_demand_and_match`; the entrants are the last
    ``new_firms`` and ``new_smes`` of those rows (the caller has added them). The SME
    counts are observed only from quarter 0 on (zeros in the spin-up).

    Returns:
        (SMEs alive, enabling SMEs, SME jobs, firms alive, SME-sized firms, of which at
        basic digital intensity, mean productivity, per-sector mean productivity,
        per-sector basic share)

    """
    f = firm_rows(firms, n_firms)
    s = sme_rows(smes, n_smes)
    p = LoneParams(*params)
    init_smes(n_smes - new_smes, n_smes, s.alive, s.employees, s.birth_q, s.capability,
              s.reputation, s.cash, s.orientation, q, stream, p.newborn_capability,
              newborn_age_cdf, p.capability_decay, p.cash_margin)
    init_firms(n_firms - new_firms, n_firms, f.alive, f.sector, f.employees, f.birth_q, f.maturity,
               f.absorptive, f.awareness, f.productivity, sector_ids, sector_cum_weights, q,
               stream, frontier, maturity_exponent, 0)
    _firm_learning(f.alive, f.sector, f.maturity, f.awareness, f.ties,
                   sector_basic_share, frontier, s.alive, s.capability, region_index, q,
                   stream, p.bass_p, p.bass_q, p.spillover_rate, p.tie_decay)
    sme_learning(s.alive, s.capability, s.experience, p.capability_decay)
    smes_alive, enabling, jobs = 0, 0, 0.0
    if q >= 0:
        smes_alive, enabling, jobs = observe_smes(s.alive, s.employees, s.last_success_q, q,
                                              enabling_window)
    firms_alive, n_sme, n_basic, mean_prod, sector_prod, sector_basic = observe_firms(
        f.alive, f.sector, f.employees, f.maturity, f.productivity, N_SECTORS)
    return (smes_alive, enabling, jobs, firms_alive, n_sme, n_basic, mean_prod, sector_prod,
            sector_basic)


@njit(cache=True)
def firm_rows(columns, n):
    """Return the first ``n`` rows of the columns of :class:`FirmArrays`, as one."""
    f = FirmArrays(*columns)
    return FirmArrays(
        f.alive[:n], f.sector[:n], f.employees[:n], f.birth_q[:n], f.death_q[:n],
        f.maturity[:n], f.absorptive[:n], f.awareness[:n], f.productivity[:n],
        f.in_project[:n], f.ready_until[:n], f.demand_domain[:n], f.ties[:n],
        f.support_until[:n], f.support_cap[:n], f.support_rate[:n], f.support_scale[:n],
        f.support_instrument[:n], f.support_used[:n], f.breadth_extra[:n],
        f.breadth_until[:n])


@njit(cache=True)
def sme_rows(columns, n):
    """Return the first ``n`` rows of the columns of :class:`SmeArrays`, as one."""
    s = SmeArrays(*columns)
    return SmeArrays(
        s.alive[:n], s.employees[:n], s.birth_q[:n], s.death_q[:n], s.capability[:n],
        s.experience[:n], s.reputation[:n], s.cash[:n], s.neg_cash_quarters[:n], s.busy[:n],
        s.orientation[:n], s.last_success_q[:n], s.successes[:n])


@njit(cache=True)
def project_rows(columns, n):
    """Return the first ``n`` rows of the columns of :class:`ProjectArrays`, as one."""
    pr = ProjectArrays(*columns)
    return ProjectArrays(
        pr.client_region[:n], pr.client[:n], pr.provider[:n], pr.domain[:n], pr.sector[:n],
        pr.client_absorptive[:n], pr.value[:n], pr.subsidy[:n], pr.instrument[:n],
        pr.start_q[:n], pr.end_q[:n])
