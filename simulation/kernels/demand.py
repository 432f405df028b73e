"""Demand: which smart firms start looking for a digital project this quarter."""

from numba import prange

from .. import rng
from . import detmath
from .parallel import row_kernel, sector_values

BASIC_MATURITY = 4.0 / 12.0
"""Maturity at which a firm has at least basic digital intensity (4 of 12 indicators)."""

HIGH_MATURITY = 7.0 / 12.0
"""Maturity at which a firm has high digital intensity (7 of 12; Eurostat DII v3 levels)."""

VERY_HIGH_MATURITY = 10.0 / 12.0
"""Maturity at which a firm has very high digital intensity (10 of 12)."""


@row_kernel
def demand(alive, sector, employees, maturity, awareness, absorptive, in_project,
           ready_until, frontier, n_domains,
           q, stream, demand_base, size_elasticity, out_domain):
    """Draw this quarter's project demand of every smart firm.

    The hazard is ``demand_base x (employees / 10)^size_elasticity x awareness x
    absorptive x gap / frontier`` where gap is the firm's distance to its sector frontier.
    A firm an instrument made ready (support it will use, a brokered contact) demands for
    sure until ``ready_until``. The
    technology domain is drawn uniformly (no sector need profiles are sourced yet).
    Writes ``out_domain`` (-1: no demand) and returns the demand count. Every row is
    computed and masked (no branch on ``alive``): the loop vectorises.
    """
    qkey = rng.quarter_key(stream, q)
    count = 0
    f = sector_values(sector, frontier)
    for i in prange(alive.shape[0]):
        gap = max(f[i] - maturity[i], 0.0) / f[i]
        size_factor = detmath.pow(employees[i] / 10.0, size_elasticity)
        hazard = (1.0 if ready_until[i] >= q
                  else demand_base * size_factor * awareness[i] * absorptive[i] * gap)
        key = rng.agent_key(qkey, i)
        wants = (alive[i] & (not in_project[i])) & (rng.uniform_at(key, rng.DEMAND, 0) < hazard)
        k = min(int(rng.uniform_at(key, rng.DOMAIN, 0) * n_domains), n_domains - 1)
        out_domain[i] = k if wants else -1
        count += wants
    return count

