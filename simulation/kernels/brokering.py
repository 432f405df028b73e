"""Brokering: a matchmaking programme introduces firms to capable providers."""

import numpy as np
from numba import njit

from .. import rng
from ..state import REGION_SHIFT
from .execution import add_tie


@njit(cache=True)
def broker_ties(participants, ties, sme_alive, sme_capability, region_index, q, stream,
                candidates, purpose):
    """Give each participant a tie to the most capable of ``candidates`` random SMEs.

    Capability is judged in a domain drawn for each participant. Returns ties made.
    """
    alive_idx = np.flatnonzero(sme_alive)
    m = alive_idx.shape[0]
    n_domains = sme_capability.shape[1]
    made = 0
    if m == 0:
        return made
    for i in participants:
        d = min(int(rng.uniform(stream, q, i, purpose, 0) * n_domains), n_domains - 1)
        best = -1
        for j in range(candidates):
            p = alive_idx[min(int(rng.uniform(stream, q, i, purpose, 1 + j) * m), m - 1)]
            if best < 0 or sme_capability[p, d] > sme_capability[best, d]:
                best = p
        key = (region_index << REGION_SHIFT) | best
        add_tie(ties[i], key, rng.uniform(stream, q, i, purpose, 99))
        made += 1
    return made


@njit(cache=True)
def introduce(firms, smes, ties, region_index, q, stream, per_firm, purpose):
    """Give each firm in ``firms`` ties to ``per_firm`` SMEs drawn from ``smes``.

    Draws use sub-keys 16 and up of ``purpose`` (lower ones are left to the caller).
    Returns the number of introductions made (a tie already held counts once more).
    """
    m = smes.shape[0]
    made = 0
    if m == 0:
        return made
    for i in firms:
        for j in range(per_firm):
            p = smes[min(int(rng.uniform(stream, q, i, purpose, 16 + j) * m), m - 1)]
            add_tie(ties[i], (region_index << REGION_SHIFT) | p,
                    rng.uniform(stream, q, i, purpose, 32 + j))
            made += 1
    return made
