"""Firm dynamics: size shocks, cash, and exit, for digital SMEs and smart firms."""

import math

from numba import njit, prange

from .. import rng
from .parallel import row_kernel

SME_SIZE_CAP = 249.0
"""Digital SMEs stay SMEs: sizes are capped below 250 persons."""


@njit(cache=True)
def quarterly(yearly_rate):
    """Quarterly hazard equivalent to a yearly one."""
    return 1.0 - (1.0 - yearly_rate) ** 0.25


@row_kernel
def sme_dynamics(alive, employees, birth_q, death_q, cash, neg_cash_quarters,
                 q, stream, growth_scale, size_exponent, cash_margin, cash_margin_sd,
                 exit_first_year, exit_years_2_to_5, exit_mature, cash_exit_quarters):
    """One quarter of size, cash and exit for every alive digital SME.

    Log size moves by a Laplace shock whose scale falls with size (``size^exponent``).
    Cash earns a noisy margin per employee. A firm exits by an age-dependent hazard
    (first year, years two to five, older) or after ``cash_exit_quarters`` quarters of
    negative cash. Returns the number of exits.
    """
    h_young = quarterly(exit_first_year)
    h_mid = quarterly(exit_years_2_to_5)
    h_old = quarterly(exit_mature)
    qkey = rng.quarter_key(stream, q)
    deaths = 0
    for i in prange(alive.shape[0]):
        if not alive[i]:
            continue
        key = rng.agent_key(qkey, i)
        scale = growth_scale * employees[i] ** size_exponent
        size = employees[i] * math.exp(scale * rng.laplace_at(key, rng.SME_GROWTH, 0))
        employees[i] = min(max(size, 1.0), SME_SIZE_CAP)
        cash[i] += employees[i] * (cash_margin
                                   + cash_margin_sd * rng.normal_at(key, rng.SME_MARGIN, 0))
        neg_cash_quarters[i] = neg_cash_quarters[i] + 1 if cash[i] < 0.0 else 0
        age = q - birth_q[i]
        hazard = h_young if age < 4 else (h_mid if age < 20 else h_old)
        if (neg_cash_quarters[i] >= cash_exit_quarters
                or rng.uniform_at(key, rng.SME_EXIT, 0) < hazard):
            alive[i] = False
            death_q[i] = q
            deaths += 1
    return deaths


@row_kernel
def firm_dynamics(alive, sector, employees, productivity, death_q, sector_mean_productivity,
                  q, stream, growth_scale, size_exponent, competition, death_rate,
                  exit_productivity):
    """One quarter of size and exit for every alive smart firm.

    Firms compete within their sector: size drifts up, and the exit hazard falls, with
    productivity above the sector mean. Returns the number of exits.
    """
    base = quarterly(death_rate)
    qkey = rng.quarter_key(stream, q)
    deaths = 0
    for i in prange(alive.shape[0]):
        if not alive[i]:
            continue
        key = rng.agent_key(qkey, i)
        lead = productivity[i] - sector_mean_productivity[sector[i]]
        scale = growth_scale * employees[i] ** size_exponent
        shock = scale * rng.laplace_at(key, rng.FIRM_GROWTH, 0) + competition * lead
        employees[i] = max(employees[i] * math.exp(shock), 1.0)
        if rng.uniform_at(key, rng.FIRM_EXIT, 0) < base * math.exp(-exit_productivity * lead):
            alive[i] = False
            death_q[i] = q
            deaths += 1
    return deaths
