"""Learning and diffusion: awareness spreads, capability spills over and decays, ties fade."""

from numba import njit, prange

from .. import rng
from ..state import REGION_SHIFT
from .parallel import row_kernel

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
    at once when the provider has exited.
    """
    n_domains = sme_capability.shape[1]
    qkey = rng.quarter_key(stream, q)
    for i in prange(alive.shape[0]):
        if not alive[i]:
            continue
        key_i = rng.agent_key(qkey, i)
        g = sector[i]
        awareness[i] += (bass_p + bass_q * sector_basic_share[g]) * (1.0 - awareness[i])
        row = ties[i]
        for t in range(row.shape[0]):
            key = row[t]
            if key < 0:
                continue
            if rng.uniform_at(key_i, rng.TIE_DECAY, t) < tie_decay:
                row[t] = -1
                continue
            if (key >> _SHIFT) != region_index:
                continue
            p = key & _LOW
            if not sme_alive[p]:
                row[t] = -1
                continue
            mean_c = 0.0
            for k in range(n_domains):
                mean_c += sme_capability[p, k]
            target = frontier[g] * mean_c / n_domains
            if target > maturity[i]:
                maturity[i] += spillover_rate * (target - maturity[i])


@njit(cache=True)
def sme_learning(alive, capability, experience, capability_decay):
    """Erode the capability and sector experience of every alive digital SME.

    Both erode at ``capability_decay``, as technology and markets move on.
    """
    keep = 1.0 - capability_decay
    for i in range(alive.shape[0]):
        if alive[i]:
            for k in range(capability.shape[1]):
                capability[i, k] *= keep
            for g in range(experience.shape[1]):
                experience[i, g] *= keep
