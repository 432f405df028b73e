"""Entry: initial populations and start-up births draw their attributes here."""

import numpy as np
from numba import njit

from .. import rng
from . import detmath
from .dynamics import SME_SIZE_CAP

FIRM_SIZE_CAP = 5000.0
"""Largest initial smart-firm size drawn (persons)."""


@njit(cache=True)
def pareto_size(u, cap):
    """Draw a truncated Pareto(alpha=1) size on [1, cap]: P(size > s) ~ 1/s (Axtell 2001)."""
    return 1.0 / (1.0 - u * (1.0 - 1.0 / cap))


@njit(cache=True)
def init_smes(start, stop, alive, employees, birth_q, capability, reputation, cash, orientation,
              q, stream, capability_upper, age_cdf, capability_decay, cash_margin):
    """Draw rows ``start:stop`` as digital SMEs alive in quarter ``q``.

    Ages (quarters) are drawn from ``age_cdf``, the cumulative distribution of ages 0, 1,
    2, ... (``[1.0]`` for start-ups: age 0). Capabilities are uniform on
    [0, capability_upper] with +0.3 in one specialisation domain, as a start-up draws them,
    then decayed over the firm's age (``(1 - capability_decay)^age``). Cash starts at one
    year of mean margin.
    """
    n_domains = capability.shape[1]
    for i in range(start, stop):
        alive[i] = True
        employees[i] = pareto_size(rng.uniform(stream, q, i, rng.INIT_SME, 0), SME_SIZE_CAP)
        age = np.searchsorted(age_cdf, rng.uniform(stream, q, i, rng.INIT_SME, 1))
        age = min(age, age_cdf.shape[0] - 1)
        birth_q[i] = q - age
        kept = detmath.pow(1.0 - capability_decay, float(age))
        orientation[i] = rng.uniform(stream, q, i, rng.INIT_SME, 2)
        special = min(int(rng.uniform(stream, q, i, rng.INIT_SME, 3) * n_domains), n_domains - 1)
        for k in range(n_domains):
            c = capability_upper * rng.uniform(stream, q, i, rng.INIT_SME, 10 + k)
            capability[i, k] = min(c + (0.3 if k == special else 0.0), 1.0) * kept
        reputation[i] = 0.5
        cash[i] = 4.0 * cash_margin * employees[i]


def stationary_age_cdf(hazards):
    """Return the cumulative distribution of ages 0, 1, ... (quarters) in a steady population.

    The population is of constant size, every exit replaced by a start-up: the share of age
    ``a`` is proportional to the survival to ``a``, ``prod_{k < a} (1 - hazards[k])``
    (``hazards``: the quarterly exit hazard at each age), truncated at ``len(hazards)`` and
    renormalised.
    """
    survival = np.concatenate(([1.0], np.cumprod(1.0 - np.asarray(hazards, dtype=float))[:-1]))
    cdf = np.cumsum(survival)
    return cdf / cdf[-1]


@njit(cache=True)
def init_firms(start, stop, alive, sector, employees, birth_q, maturity, absorptive, awareness,
               productivity, sector_ids, sector_cum_weights, q, stream, frontier, maturity_exponent,
               age_spread):
    """Draw rows ``start:stop`` as smart firms alive in quarter ``q``.

    The sector is drawn from the region's weights; maturity is ``frontier x u^exponent``
    (the exponent sets the share above basic digital intensity); awareness starts near
    the firm's relative maturity; absorptive capacity is uniform on [0.2, 1].
    """
    for i in range(start, stop):
        alive[i] = True
        u = rng.uniform(stream, q, i, rng.INIT_FIRM, 0)
        s = 0
        while s < sector_cum_weights.shape[0] - 1 and u > sector_cum_weights[s]:
            s += 1
        sector[i] = sector_ids[s]
        employees[i] = pareto_size(rng.uniform(stream, q, i, rng.INIT_FIRM, 1), FIRM_SIZE_CAP)
        birth_q[i] = q - int(rng.uniform(stream, q, i, rng.INIT_FIRM, 2) * age_spread)
        f = frontier[sector[i]]
        maturity[i] = f * rng.uniform(stream, q, i, rng.INIT_FIRM, 3) ** maturity_exponent
        awareness[i] = min(1.0, maturity[i] / f + 0.2 * rng.uniform(stream, q, i, rng.INIT_FIRM, 4))
        absorptive[i] = 0.2 + 0.8 * rng.uniform(stream, q, i, rng.INIT_FIRM, 5)
        productivity[i] = 0.3 * rng.normal(stream, q, i, rng.INIT_FIRM, 3)
