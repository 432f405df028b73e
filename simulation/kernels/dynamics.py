"""Firm dynamics: size shocks, cash, and exit, for digital SMEs and smart firms."""

import numpy as np
from numba import njit, prange

from .. import rng
from . import detmath
from .parallel import row_kernel

SME_SIZE_CAP = 249.0
"""Digital SMEs stay SMEs: sizes are capped below 250 persons."""


@njit(cache=True)
def quarterly(yearly_rate):
    """Quarterly hazard equivalent to a yearly one."""
    return 1.0 - (1.0 - yearly_rate) ** 0.25


@njit(cache=True)
def year_start(q):
    """First quarter of the year holding quarter ``q`` (floor, also before quarter 0)."""
    return q - q % 4


@row_kernel
def sme_dynamics(alive, employees, birth_q, death_q, cash, neg_cash_quarters,
                 q, stream, growth_scale, size_exponent, cash_margin, cash_margin_sd,
                 exit_first_year, exit_years_2_to_5, exit_mature, cash_exit_quarters):
    """One quarter of size, cash and exit for every alive digital SME.

    Log size moves by a quarter of the firm's yearly growth draw, a Laplace shock keyed on
    the year (persistent within the year) whose scale falls with size (``size^exponent``).
    Cash earns a noisy margin per employee. A firm exits by an age-dependent hazard
    (first year, years two to five, older) or after ``cash_exit_quarters`` quarters of
    negative cash. Returns the number of exits.
    """
    h_young = quarterly(exit_first_year)
    h_mid = quarterly(exit_years_2_to_5)
    h_old = quarterly(exit_mature)
    qkey = rng.quarter_key(stream, q)
    ykey = rng.quarter_key(stream, year_start(q))
    deaths = 0
    for i in prange(alive.shape[0]):
        live = alive[i]
        key = rng.agent_key(qkey, i)
        n = employees[i]
        step = 0.25 * growth_scale * detmath.pow(n, size_exponent)
        shock = step * rng.laplace_at(rng.agent_key(ykey, i), rng.SME_GROWTH, 0)
        size = min(max(n * detmath.exp(shock), 1.0), SME_SIZE_CAP)
        employees[i] = size if live else n
        c = cash[i]
        c_new = c + size * (cash_margin + cash_margin_sd * rng.normal_at(key, rng.SME_MARGIN, 0))
        cash[i] = c_new if live else c
        neg = neg_cash_quarters[i]
        neg_new = neg + 1 if c_new < 0.0 else 0
        neg_cash_quarters[i] = neg_new if live else neg
        age = q - birth_q[i]
        hazard = h_young if age < 4 else (h_mid if age < 20 else h_old)
        dies = live & ((neg_new >= cash_exit_quarters)
                       | (rng.uniform_at(key, rng.SME_EXIT, 0) < hazard))
        alive[i] = live & (not dies)
        death_q[i] = q if dies else death_q[i]
        deaths += dies
    return deaths


@row_kernel
def firm_dynamics(alive, sector, employees, productivity, death_q, sector_mean_productivity,
                  q, stream, growth_scale, size_exponent, competition, death_rate,
                  exit_productivity):
    """One quarter of size and exit for every alive smart firm.

    Log size moves by a quarter of the firm's yearly Laplace growth draw (as
    :func:`sme_dynamics`). Firms compete within their sector: size drifts up, and the exit
    hazard falls, with productivity above the sector mean. Returns the number of exits.
    """
    base = quarterly(death_rate)
    qkey = rng.quarter_key(stream, q)
    ykey = rng.quarter_key(stream, year_start(q))
    deaths = 0
    lead = productivity_lead(sector, productivity, sector_mean_productivity)
    for i in prange(alive.shape[0]):
        live = alive[i]
        key = rng.agent_key(qkey, i)
        n = employees[i]
        step = 0.25 * growth_scale * detmath.pow(n, size_exponent)
        shock = (step * rng.laplace_at(rng.agent_key(ykey, i), rng.FIRM_GROWTH, 0)
                 + competition * lead[i])
        size = max(n * detmath.exp(shock), 1.0)
        employees[i] = size if live else n
        dies = live & (rng.uniform_at(key, rng.FIRM_EXIT, 0)
                       < base * detmath.exp(-exit_productivity * lead[i]))
        alive[i] = live & (not dies)
        death_q[i] = q if dies else death_q[i]
        deaths += dies
    return deaths


@njit(cache=True)
def productivity_lead(sector, productivity, sector_mean_productivity):
    """Each firm's productivity above its sector's mean, as a new array.

    A pre-pass: the gather ``sector_mean_productivity[sector[i]]`` inside the row loop
    would stop it vectorising (LLVM cannot check an indirect load against the stores).
    """
    out = np.empty(sector.shape[0])
    for i in range(sector.shape[0]):
        out[i] = productivity[i] - sector_mean_productivity[sector[i]]
    return out
