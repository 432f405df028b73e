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

from .kernels import detmath

_M32 = 0xFFFFFFFF
_MUL = 0x45D9F3B
_INV_2_32 = 1.0 / 4294967296.0
_LOW31 = 0x7FFFFFFF

# One compiled version per draw function, declared: kernels pass int32 and int64 keys, and
# without a declared signature numba compiles every function of the chain again for each
# mix of argument types (nine versions of ``uniform``, ~3 s on a cold cache). Arguments
# convert to int64, which holds every key (keys use at most 32 bits, seeds go through
# ``make_stream``).
_HASH = "int64(int64)"
_PREFIX = "int64(int64, int64)"
_BITS_AT = "int64(int64, int64, int64)"
_DRAW_AT = "float64(int64, int64, int64)"
_BITS = "int64(int64, int64, int64, int64, int64)"
_DRAW = "float64(int64, int64, int64, int64, int64)"

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
POSTERIOR = 30


@njit(_HASH, cache=True)
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


@njit(_PREFIX, cache=True)
def quarter_key(stream, quarter):
    """Key prefix for every draw of one quarter: compute it once per kernel call."""
    return hash32(stream ^ (int(quarter) & _M32))


@njit(_PREFIX, cache=True)
def agent_key(quarter_key, agent):
    """Key prefix for every draw of one agent in one quarter (see :func:`quarter_key`).

    ``uniform_at(agent_key(quarter_key(s, q), a), p, k) == uniform(s, q, a, p, k)``:
    kernels that draw several numbers per agent hash the shared prefix once.
    """
    return hash32(quarter_key ^ (int(agent) & _M32))


@njit(_BITS_AT, cache=True)
def bits_at(agent_key, purpose, k):
    """32 random bits for draw ``(purpose, k)`` under an :func:`agent_key`."""
    return hash32(hash32(agent_key ^ (int(purpose) & _M32)) ^ (int(k) & _M32))


@njit(_DRAW_AT, cache=True)
def uniform_at(agent_key, purpose, k):
    """Uniform draw in the open interval (0, 1) under an :func:`agent_key`."""
    return (bits_at(agent_key, purpose, k) + 0.5) * _INV_2_32


@njit(_DRAW_AT, cache=True, inline="always")
def normal_at(agent_key, purpose, k):
    """Draw a standard normal under an :func:`agent_key` (Box-Muller on sub-draws 2k, 2k+1).

    sqrt, log and cos are :mod:`simulation.kernels.detmath`'s: the same bits compiled and
    interpreted, and inlined (vectorisable) in the kernels that draw.
    """
    u1 = uniform_at(agent_key, purpose, 2 * k)
    u2 = uniform_at(agent_key, purpose, 2 * k + 1)
    return detmath.sqrt(-2.0 * detmath.log(u1)) * detmath.cos_2pi(u2)


@njit(_DRAW_AT, cache=True)
def laplace_at(agent_key, purpose, k):
    """Laplace(0, 1) draw by inversion under an :func:`agent_key`.

    ``log(1 - 2|u|)`` given the sign of ``u`` equals ``log(1 + 2u)`` for ``u < 0`` and
    ``-log(1 - 2u)`` otherwise, bit for bit, without a hard-to-predict branch
    (``u`` is never 0: the uniform's grid is offset by half a step).
    """
    u = uniform_at(agent_key, purpose, k) - 0.5
    return math.copysign(detmath.log(1.0 - 2.0 * abs(u)), u)


@njit(_BITS, cache=True)
def bits(stream, quarter, agent, purpose, k):
    """32 random bits for the key (stream, quarter, agent, purpose, k)."""
    return bits_at(agent_key(quarter_key(stream, quarter), agent), purpose, k)


@njit(_DRAW, cache=True)
def uniform(stream, quarter, agent, purpose, k):
    """Uniform draw in the open interval (0, 1)."""
    return uniform_at(agent_key(quarter_key(stream, quarter), agent), purpose, k)


@njit(_DRAW, cache=True)
def normal(stream, quarter, agent, purpose, k):
    """Draw a standard normal (Box-Muller on sub-draws 2k and 2k+1)."""
    return normal_at(agent_key(quarter_key(stream, quarter), agent), purpose, k)


@njit(_DRAW, cache=True)
def laplace(stream, quarter, agent, purpose, k):
    """Laplace(0, 1) draw by inversion."""
    return laplace_at(agent_key(quarter_key(stream, quarter), agent), purpose, k)


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
def draw_order(stream, quarter, agents, purpose, k):
    """Positions of ``agents`` sorted by each one's uniform draw (ties keep their order).

    The same order as a stable argsort of the draws: a uniform is an increasing function
    of its 32 bits, so the positions (fewer than 2**31) are sorted on
    ``bits << 31 | position``, which stays below 2**63.
    """
    n = agents.shape[0]
    qkey = quarter_key(stream, quarter)
    keyed = np.empty(n, dtype=np.int64)
    for i in range(n):
        keyed[i] = (bits_at(agent_key(qkey, agents[i]), purpose, k) << 31) | i
    return sorted_ints(keyed) & _LOW31


@njit(cache=True)
def sorted_ints(values):
    """Ascending copy of an integer array (bottom-up merge sort).

    Written out rather than ``np.sort``/``np.argsort``: numba's library sorts take seconds
    to compile on a cold cache, this one a fraction of a second.
    """
    n = values.shape[0]
    a = values.copy()
    b = np.empty_like(a)
    width = 1
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            i, j = lo, mid
            for out in range(lo, hi):
                if i < mid and (j >= hi or a[i] <= a[j]):
                    b[out] = a[i]
                    i += 1
                else:
                    b[out] = a[j]
                    j += 1
        a, b = b, a
        width *= 2
    return a


@njit(cache=True)
def uniforms(stream, quarter, agents, purpose, k):
    """Uniform draws for many agents at once (one per entry of ``agents``)."""
    out = np.empty(agents.shape[0])
    for i in range(agents.shape[0]):
        out[i] = uniform(stream, quarter, agents[i], purpose, k)
    return out
