"""Search and matching: clients choose a digital SME and projects are contracted."""

import numpy as np
from numba import njit

from .. import rng
from ..state import NO_QUARTER, REGION_SHIFT
from . import detmath

_SHIFT = REGION_SHIFT
_LOW = (1 << _SHIFT) - 1
_FOREIGN = 1 << 30
"""Set in the draw key of a request from abroad, so it never equals a local client's row."""


@njit(cache=True)
def smart_capacity(employees, orientation):
    """Concurrent smart-sector projects a provider can run (grows with size)."""
    return 1 + int(employees * orientation / 10.0)


@njit(cache=True)
def provider_score(p, domain, sector, capability, experience, reputation,
                   w_capability, w_experience, w_reputation):
    """Score of provider ``p`` for a project in ``domain`` for a client in ``sector``."""
    return (w_capability * capability[p, domain] + w_experience * experience[p, sector]
            + w_reputation * reputation[p])


@njit(cache=True)
def choose_provider(domain, sector, ties, region_index, breadth, penalty, bar,
                    agent_key, q, stream, alive_idx,
                    alive, employees, orientation, busy, capability, experience, reputation,
                    w_capability, w_experience, w_reputation, tie_bonus):
    """Best provider with free capacity whose score clears ``bar``; -1 if none.

    Candidates are the client's known providers in this region (with ``tie_bonus``)
    and ``breadth`` SMEs drawn at random from ``alive_idx``. ``penalty`` is taken off
    every score (cross-region search). Ties on score go to the lower row index.
    """
    best = -1
    best_score = bar
    for t in range(ties.shape[0]):
        key = ties[t]
        if key < 0 or (key >> _SHIFT) != region_index:
            continue
        p = key & _LOW
        if not alive[p] or busy[p] >= smart_capacity(employees[p], orientation[p]):
            continue
        s = provider_score(p, domain, sector, capability, experience, reputation,
                           w_capability, w_experience, w_reputation) + tie_bonus - penalty
        if s > best_score or (s == best_score and best >= 0 and p < best):
            best, best_score = p, s
    m = alive_idx.shape[0]
    if m == 0:
        return best
    key = rng.agent_key(rng.quarter_key(stream, q), agent_key)
    for j in range(breadth):
        p = alive_idx[min(int(rng.uniform_at(key, rng.SEARCH, j) * m), m - 1)]
        if busy[p] >= smart_capacity(employees[p], orientation[p]):
            continue
        s = provider_score(p, domain, sector, capability, experience, reputation,
                           w_capability, w_experience, w_reputation) - penalty
        if s > best_score or (s == best_score and best >= 0 and p < best):
            best, best_score = p, s
    return best


@njit(cache=True)
def draw_project_terms(agent_key, q, stream, value_median, value_sigma, duration_max):
    """Value (EUR) and last quarter of a project contracted in quarter ``q``."""
    z = rng.normal(stream, q, agent_key, rng.PROJECT, 0)
    value = value_median * detmath.exp(value_sigma * z)
    duration = 1 + min(int(rng.uniform(stream, q, agent_key, rng.PROJECT, 9) * duration_max),
                       duration_max - 1)
    return value, q + duration - 1


@njit(cache=True)
def write_project(n, client_region, client, provider, domain, sector, absorptive, value, subsidy,
                  instrument, start, end,
                  proj_client_region, proj_client, proj_provider, proj_domain, proj_sector,
                  proj_absorptive, proj_value, proj_subsidy, proj_instrument, proj_start, proj_end):
    """Write one contracted project into row ``n`` of the project columns."""
    proj_client_region[n] = client_region
    proj_client[n] = client
    proj_provider[n] = provider
    proj_domain[n] = domain
    proj_sector[n] = sector
    proj_absorptive[n] = absorptive
    proj_value[n] = value
    proj_subsidy[n] = subsidy
    proj_instrument[n] = instrument
    proj_start[n] = start
    proj_end[n] = end


@njit(cache=True)
def match_local(demand_domain, sector, absorptive, in_project, ready_until, ties, breadth_extra,
                breadth_until,
                support_until, support_cap, support_rate, support_scale, support_instrument,
                support_used,
                alive, employees, orientation, busy, capability, experience, reputation,
                proj_client_region, proj_client, proj_provider, proj_domain, proj_sector,
                proj_absorptive, proj_value, proj_subsidy, proj_instrument, proj_start, proj_end,
                n_projects, region_index, q, stream,
                search_breadth, reservation, w_capability, w_experience, w_reputation, tie_bonus,
                value_median, value_sigma, duration_max, cross_share, out_cross):
    """Match this quarter's demanding clients with local providers, in random order.

    Contracts are appended to the project columns from row ``n_projects`` (room must be
    reserved); a matched client is no longer ready (``ready_until``). Public support
    attached to the client (a voucher it uses, a grant, a challenge contract) multiplies
    the project's value by ``support_scale``, pays ``support_rate`` of it up to
    ``support_cap``, and is used up. Clients left unmatched look abroad with chance
    ``cross_share``: their rows are written to ``out_cross``.

    Returns:
        (new project count, number of rows written to out_cross)

    """
    clients = np.flatnonzero(demand_domain >= 0)
    order = clients[rng.draw_order(stream, q, clients, rng.ORDER, 0)]
    alive_idx = np.flatnonzero(alive)
    n = n_projects
    n_cross = 0
    for i in order:
        breadth = search_breadth + (breadth_extra[i] if breadth_until[i] >= q else 0)
        p = choose_provider(demand_domain[i], sector[i], ties[i], region_index, breadth, 0.0,
                            reservation, i, q, stream, alive_idx,
                            alive, employees, orientation, busy, capability, experience,
                            reputation, w_capability, w_experience, w_reputation, tie_bonus)
        if p < 0:
            if rng.uniform(stream, q, i, rng.CROSS, 0) < cross_share:
                out_cross[n_cross] = i
                n_cross += 1
            continue
        value, end = draw_project_terms(i, q, stream, value_median, value_sigma, duration_max)
        subsidy = 0.0
        instrument = -1
        if support_until[i] >= q and support_used[i]:
            value *= support_scale[i]
            subsidy = min(support_cap[i], support_rate[i] * value)
            instrument = support_instrument[i]
            support_until[i] = NO_QUARTER
        write_project(n, region_index, i, p, demand_domain[i], sector[i], absorptive[i], value,
                      subsidy, instrument, q, end,
                      proj_client_region, proj_client, proj_provider, proj_domain, proj_sector,
                      proj_absorptive, proj_value, proj_subsidy, proj_instrument, proj_start,
                      proj_end)
        busy[p] += 1
        in_project[i] = True
        ready_until[i] = NO_QUARTER
        n += 1
    return n - n_projects, n_cross


@njit(cache=True)
def match_requests(req_region, req_client, req_domain, req_sector, req_absorptive,
                   alive, employees, orientation, busy, capability, experience, reputation,
                   proj_client_region, proj_client, proj_provider, proj_domain, proj_sector,
                   proj_absorptive, proj_value, proj_subsidy, proj_instrument, proj_start, proj_end,
                   n_projects, region_index, q, stream,
                   search_breadth, reservation, penalty, w_capability, w_experience, w_reputation,
                   value_median, value_sigma, duration_max, out_matched):
    """Match clients from other regions with this region's providers, at a score penalty.

    Requests are served in random order; ``out_matched[r]`` is set to whether request
    ``r`` found a provider. Returns the number of projects contracted.
    """
    m = req_client.shape[0]
    keys = np.empty(m, dtype=np.int64)
    for r in range(m):
        keys[r] = _FOREIGN | (req_region[r] << _SHIFT) | req_client[r]
    alive_idx = np.flatnonzero(alive)
    no_ties = np.empty(0, dtype=np.int32)
    n = n_projects
    for r in rng.draw_order(stream, q, keys, rng.ORDER, 1):
        key = keys[r]
        p = choose_provider(req_domain[r], req_sector[r], no_ties, region_index, search_breadth,
                            penalty, reservation, key, q, stream, alive_idx,
                            alive, employees, orientation, busy, capability, experience,
                            reputation, w_capability, w_experience, w_reputation, 0.0)
        out_matched[r] = p >= 0
        if p < 0:
            continue
        value, end = draw_project_terms(key, q, stream, value_median, value_sigma, duration_max)
        write_project(n, req_region[r], req_client[r], p, req_domain[r], req_sector[r],
                      req_absorptive[r], value, 0.0, -1, q, end,
                      proj_client_region, proj_client, proj_provider, proj_domain, proj_sector,
                      proj_absorptive, proj_value, proj_subsidy, proj_instrument, proj_start,
                      proj_end)
        busy[p] += 1
        n += 1
    return n - n_projects
