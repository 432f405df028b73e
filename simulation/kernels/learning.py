"""Learning and diffusion: awareness spreads, capability spills over and decays, ties fade."""

import numpy as np
from numba import njit, prange

from .. import rng
from ..state import N_TIES, REGION_SHIFT
from .parallel import row_kernel, sector_values

_SHIFT = REGION_SHIFT
_LOW = (1 << _SHIFT) - 1


@row_kernel
def firm_learning(alive, sector, maturity, awareness, ties, sector_basic_share, frontier,
                  sme_alive, sme_capability, region_index, q, stream,
                  bass_p, bass_q, spillover_rate, tie_decay):
    """One quarter of learning for every alive smart firm.

    Awareness follows a Bass process driven by the share of digitally intense firms in
    the sector; maturity is pulled towards the mean capability of local known providers
    (scaled by the sector frontier); each tie is forgotten with chance ``tie_decay``, or
    at once when the provider has exited. Awareness runs in a loop of its own over every
    row (masked, no branch), which also marks the alive firms with any tie; the tie loop
    then visits only those (a tenth of the firms): a branch on ``alive`` in every row is
    often mispredicted (a third of the rows are dead firms, in no order).
    """
    n_domains = sme_capability.shape[1]
    qkey = rng.quarter_key(stream, q)
    share = sector_values(sector, sector_basic_share)
    learns = np.empty(alive.shape[0], dtype=np.bool_)
    for i in prange(alive.shape[0]):
        a = awareness[i]
        bass = a + (bass_p + bass_q * share[i]) * (1.0 - a)
        awareness[i] = bass if alive[i] else a
        learns[i] = alive[i] & any_tie(ties, i)
    rows = np.flatnonzero(learns)
    for j in prange(rows.shape[0]):
        i = rows[j]
        key_i = rng.agent_key(qkey, i)
        g = sector[i]
        for t in range(ties.shape[1]):
            key = ties[i, t]
            if key < 0:
                continue
            if rng.uniform_at(key_i, rng.TIE_DECAY, t) < tie_decay:
                ties[i, t] = -1
                continue
            if (key >> _SHIFT) != region_index:
                continue
            p = key & _LOW
            if not sme_alive[p]:
                ties[i, t] = -1
                continue
            mean_c = 0.0
            for k in range(n_domains):
                mean_c += sme_capability[p, k]
            target = frontier[g] * mean_c / n_domains
            if target > maturity[i]:
                maturity[i] += spillover_rate * (target - maturity[i])


@njit(cache=True)
def any_tie(ties, i):
    """Whether firm ``i``'s ``N_TIES`` tie slots hold any provider.

    Indexed in place (a row view, ``ties[i]``, would cost a reference-count update) over a
    constant count, which the compiler unrolls.
    """
    found = False
    for t in range(N_TIES):
        found |= ties[i, t] >= 0
    return found


@njit(cache=True)
def sme_learning(alive, capability, capability_decay):
    """Capability of every alive digital SME erodes as technology moves on."""
    keep = 1.0 - capability_decay
    for i in range(alive.shape[0]):
        if alive[i]:
            for k in range(capability.shape[1]):
                capability[i, k] *= keep
