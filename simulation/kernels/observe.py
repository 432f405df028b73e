"""Observation: the DEVISE indicator and companion counts, one pass over each population."""

import numpy as np
from numba import njit

from .demand import BASIC_MATURITY


@njit(cache=True)
def observe_smes(alive, employees, last_success_q, q, window):
    """Count over digital SMEs.

    Returns:
        (alive, enabling, jobs) where enabling counts alive SMEs with a successful
        smart-sector project in the ``window`` quarters up to and including ``q``.

    """
    n_alive = 0
    enabling = 0
    jobs = 0.0
    for i in range(alive.shape[0]):
        if alive[i]:
            n_alive += 1
            jobs += employees[i]
            if last_success_q[i] > q - window:
                enabling += 1
    return n_alive, enabling, jobs


@njit(cache=True)
def observe_firms(alive, sector, employees, maturity, productivity, n_sectors):
    """Count over smart firms, overall and by sector.

    Returns:
        (alive, SMEs of 10-249 persons, of which at least basic digital intensity,
        mean log productivity, per-sector mean productivity, per-sector share of
        alive firms with at least basic digital intensity)

    """
    count = np.zeros(n_sectors)
    basic = np.zeros(n_sectors)
    prod = np.zeros(n_sectors)
    n_alive = 0
    n_sme = 0
    n_sme_basic = 0
    total_prod = 0.0
    for i in range(alive.shape[0]):
        if not alive[i]:
            continue
        g = sector[i]
        n_alive += 1
        count[g] += 1.0
        prod[g] += productivity[i]
        total_prod += float(productivity[i])
        is_basic = maturity[i] >= BASIC_MATURITY
        basic[g] += is_basic
        if 10.0 <= employees[i] < 250.0:
            n_sme += 1
            n_sme_basic += is_basic
    for g in range(n_sectors):
        if count[g] > 0:
            prod[g] /= count[g]
            basic[g] /= count[g]
    mean_prod = total_prod / n_alive if n_alive > 0 else 0.0
    return n_alive, n_sme, n_sme_basic, mean_prod, prod, basic
