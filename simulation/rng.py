"""Counter-based random numbers: every draw is a pure function of its key.

A draw is keyed on ``(stream, quarter, agent, purpose, k)`` where ``stream`` mixes
the run's seed, the replicate and the region (see :func:`make_stream`). Because no
generator state is carried from one draw to the next, results do not depend on the
order in which agents are visited, on the thread count, or on whether a kernel runs
compiled or as plain Python. Scenarios run with the same seed share every draw that
their histories share (common random numbers).

The mixer is a 32-bit integer hash (two multiply-xorshift rounds with the constant
0x45d9f3b, T. Mueller's hash) applied along the key. All products stay below 2**63,
so the same code gives the same bits in numba (int64) and in Python (ints or NumPy
scalars). Uniforms have 32 bits of resolution, enough for the probabilities here.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_M32 = 0xFFFFFFFF
_MUL = 0x45D9F3B
_INV_2_32 = 1.0 / 4294967296.0

# Purposes: one code per kind of draw, so that no two draws share a key.
INIT_SME = 1
INIT_FIRM = 2
DEMAND = 3
DOMAIN = 4
ORDER = 5
SEARCH = 6
PROJECT = 7
SUCCESS = 8
SME_GROWTH = 9
SME_EXIT = 10
SME_MARGIN = 11
FIRM_GROWTH = 12
FIRM_EXIT = 13
BIRTHS = 14
AWARENESS = 15
TIE_DECAY = 16
CROSS = 17
VOUCHER = 18
BROKER = 19
FIRM_BIRTHS = 20
REDEEM = 21
BROKER_TIE = 22
ASSESSMENT = 23
CLUSTER = 24
GRANT = 25
TRAINING = 26
ACCELERATOR = 27
CHALLENGE = 28
LOAN = 29


@njit(cache=True)
def hash32(x):
    """Mix the low 32 bits of an integer into 32 well-spread bits.

    ``int(...)`` here and below turns NumPy fixed-width scalars (int32 row indices) into
    Python ints in the interpreted twin, so masking cannot overflow; under numba it is a
    plain cast.
    """
    x = int(x) & _M32
    x = (((x >> 16) ^ x) * _MUL) & _M32
    x = (((x >> 16) ^ x) * _MUL) & _M32
    return (x >> 16) ^ x


@njit(cache=True)
def make_stream(seed, replicate, region):
    """Key prefix for one (seed, replicate, region); seed may use up to 64 bits."""
    seed = int(seed)
    h = hash32(seed & _M32)
    h = hash32(h ^ ((seed >> 32) & _M32))
    h = hash32(h ^ (int(replicate) & _M32))
    return hash32(h ^ (int(region) & _M32))


@njit(cache=True)
def bits(stream, quarter, agent, purpose, k):
    """32 random bits for the key (stream, quarter, agent, purpose, k)."""
    h = hash32(stream ^ (int(quarter) & _M32))
    h = hash32(h ^ (int(agent) & _M32))
    h = hash32(h ^ (int(purpose) & _M32))
    return hash32(h ^ (int(k) & _M32))


@njit(cache=True)
def uniform(stream, quarter, agent, purpose, k):
    """Uniform draw in the open interval (0, 1)."""
    return (bits(stream, quarter, agent, purpose, k) + 0.5) * _INV_2_32


@njit(cache=True)
def normal(stream, quarter, agent, purpose, k):
    """Standard normal draw (Box-Muller on sub-draws 2k and 2k+1)."""
    u1 = uniform(stream, quarter, agent, purpose, 2 * k)
    u2 = uniform(stream, quarter, agent, purpose, 2 * k + 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@njit(cache=True)
def laplace(stream, quarter, agent, purpose, k):
    """Laplace(0, 1) draw by inversion."""
    u = uniform(stream, quarter, agent, purpose, k) - 0.5
    if u < 0.0:
        return math.log(1.0 + 2.0 * u)
    return -math.log(1.0 - 2.0 * u)


@njit(cache=True)
def poisson(mean, stream, quarter, agent, purpose):
    """Poisson draw by sequential inversion (normal approximation above mean 500)."""
    if mean <= 0.0:
        return 0
    if mean > 500.0:
        z = normal(stream, quarter, agent, purpose, 0)
        return max(0, int(round(mean + math.sqrt(mean) * z)))
    u = uniform(stream, quarter, agent, purpose, 1)
    p = math.exp(-mean)
    cdf = p
    n = 0
    while u > cdf and n < 10000:
        n += 1
        p *= mean / n
        cdf += p
    return n


@njit(cache=True)
def uniforms(stream, quarter, agents, purpose, k):
    """Uniform draws for many agents at once (one per entry of ``agents``)."""
    out = np.empty(agents.shape[0])
    for i in range(agents.shape[0]):
        out[i] = uniform(stream, quarter, agents[i], purpose, k)
    return out
