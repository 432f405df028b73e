"""Counter-based RNG: an independent re-implementation, distributions, key separation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulation import rng
from simulation.kernels import detmath

M32 = 0xFFFFFFFF
MUL = 0x45D9F3B


# --- independent pure-Python reference, written from the module docstring ---------------
def ref_hash32(x: int) -> int:
    """Two multiply-xorshift rounds with 0x45d9f3b, then a final xorshift (Python ints)."""
    x = int(x) & M32
    for _ in range(2):
        x = ((x ^ (x >> 16)) * MUL) & M32
    return x ^ (x >> 16)


def ref_chain(h: int, *parts: int) -> int:
    for part in parts:
        h = ref_hash32(h ^ (int(part) & M32))
    return h


def ref_make_stream(seed: int, replicate: int, region: int) -> int:
    seed = int(seed)
    h = ref_hash32(seed & M32)
    return ref_chain(h, (seed >> 32) & M32, replicate, region)


def ref_bits(stream: int, quarter: int, agent: int, purpose: int, k: int) -> int:
    h = ref_hash32(int(stream) ^ (int(quarter) & M32))
    return ref_chain(h, agent, purpose, k)


def ref_uniform(stream: int, quarter: int, agent: int, purpose: int, k: int) -> float:
    return (ref_bits(stream, quarter, agent, purpose, k) + 0.5) / 2.0**32


def random_keys(n: int, seed: int = 7) -> list[tuple[int, int, int, int, int]]:
    g = np.random.default_rng(seed)
    streams = g.integers(0, 2**32, n)
    quarters = g.integers(0, 400, n)
    # agents: plain rows and cross-region keys (region << 24 | row)
    agents = np.where(g.random(n) < 0.5, g.integers(0, 10**6, n),
                      (g.integers(0, 10, n) << 24) | g.integers(0, 2**24, n))
    purposes = g.integers(1, 64 * 23, n)
    ks = g.integers(0, 200, n)
    keys = [tuple(int(v) for v in row) for row in zip(streams, quarters, agents, purposes, ks,
                                                        strict=True)]
    # edge keys
    keys += [(0, 0, 0, 0, 0), (M32, M32, M32, M32, M32), (1, 2, 3, 4, 5), (M32, 0, 2**31 - 1, 1, 0)]
    return keys


# --- bit-exact agreement -----------------------------------------------------------------
@pytest.mark.parametrize("x", [0, 1, 2, 0xFFFF, 0x10000, 0x45D9F3B, 2**31 - 1, 2**31, M32])
def test_hash32_edge_values(x):
    assert rng.hash32(x) == ref_hash32(x)
    assert 0 <= rng.hash32(x) <= M32


def test_hash32_many_values():
    g = np.random.default_rng(1)
    for x in g.integers(0, 2**32, 2000):
        assert rng.hash32(int(x)) == ref_hash32(int(x))


def test_hash32_masks_high_bits():
    # the mixer only sees the low 32 bits of its argument
    for x in (5, 123456789, M32):
        assert rng.hash32(x + (1 << 32)) == rng.hash32(x) == ref_hash32(x)


def test_bits_and_uniform_match_reference():
    for key in random_keys(3000):
        b = rng.bits(*key)
        assert b == ref_bits(*key), key
        assert 0 <= b <= M32
        assert rng.uniform(*key) == ref_uniform(*key), key


def test_bits_with_numpy_integer_arguments():
    # kernels pass int32/int64 array elements as keys: same bits as with Python ints
    for stream, q, agent, purpose, k in random_keys(300, seed=3):
        agent32, q, k = agent & (2**31 - 1), q & (2**31 - 1), k & (2**31 - 1)
        expected = ref_bits(stream, q, agent32, purpose, k)
        assert rng.bits(np.int64(stream), np.int32(q), np.int32(agent32), np.int64(purpose),
                        np.int32(k)) == expected
        assert rng.bits(stream, q, np.int64(agent32), purpose, k) == expected


def test_bits_plain_python_with_numpy_int32_keys():
    """``rng.bits.py_func`` (what NUMBA_DISABLE_JIT=1 runs) on int32 keys.

    Kernels build keys such as ``(proj_client_region[r] << 24) | proj_client[r]``,
    which are NumPy int32 scalars in plain Python; under NumPy 2 (NEP 50)
    ``np.int32(x) & 0xFFFFFFFF`` would raise OverflowError without the ``int()`` casts.
    """
    stream = rng.make_stream(1, 0, 0)
    key = (np.int32(2) << 24) | np.int32(17)
    got = rng.bits.py_func(stream, 3, key, rng.SUCCESS, 0)
    assert got == ref_bits(stream, 3, int(key), rng.SUCCESS, 0)


def test_make_stream_matches_reference():
    for seed in (0, 1, 42, 2**32 - 1, 2**32, 2**40 + 12345, 2**63 - 1):
        for rep in (0, 1, 7):
            for region in range(10):
                assert rng.make_stream(seed, rep, region) == ref_make_stream(seed, rep, region)


def test_make_stream_uses_high_seed_bits():
    assert rng.make_stream(5, 0, 0) != rng.make_stream(5 + (1 << 32), 0, 0)


def test_make_stream_distinct_for_seeds_replicates_regions():
    streams = {rng.make_stream(seed, rep, reg)
               for seed in range(10) for rep in range(5) for reg in range(10)}
    assert len(streams) == 500


def test_uniforms_vector_matches_scalar():
    agents = np.arange(0, 5000, 7, dtype=np.int64)
    out = rng.uniforms(99, 4, agents, rng.DEMAND, 2)
    assert out.shape == agents.shape
    for a, u in zip(agents[:200], out[:200], strict=True):
        assert u == rng.uniform(99, 4, int(a), rng.DEMAND, 2) == ref_uniform(99, 4, int(a),
                                                                           rng.DEMAND, 2)


# --- distributions -----------------------------------------------------------------------
N = 100_000
STREAM = rng.make_stream(2024, 0, 3)


@pytest.fixture(scope="module")
def uniforms_100k():
    return rng.uniforms(STREAM, 11, np.arange(N, dtype=np.int64), rng.DEMAND, 0)


def test_uniform_open_interval(uniforms_100k):
    u = uniforms_100k
    assert u.min() > 0.0 and u.max() < 1.0
    # extreme bit patterns stay strictly inside (0, 1)
    assert 0.0 < (0 + 0.5) / 2.0**32
    assert (M32 + 0.5) / 2.0**32 < 1.0


def test_uniform_moments_and_histogram(uniforms_100k):
    u = uniforms_100k
    assert abs(u.mean() - 0.5) < 0.01
    assert abs(u.var() - 1.0 / 12.0) < 0.002
    counts = np.bincount((u * 10).astype(int), minlength=10)
    expected = N / 10
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert chi2 < 40.0  # 9 dof: p ~ 1e-5


def test_uniform_no_serial_correlation_across_agents(uniforms_100k):
    u = uniforms_100k
    r = np.corrcoef(u[:-1], u[1:])[0, 1]
    assert abs(r) < 0.02


def test_normal_moments():
    x = np.array([rng.normal(STREAM, 5, a, rng.PROJECT, 0) for a in range(N)])
    assert abs(x.mean()) < 0.015
    assert abs(x.std() - 1.0) < 0.015
    assert abs(np.mean(np.abs(x) < 1.0) - 0.6827) < 0.01
    # normal(k) uses sub-draws 2k and 2k+1
    u1 = rng.uniform(STREAM, 5, 3, rng.PROJECT, 2)
    u2 = rng.uniform(STREAM, 5, 3, rng.PROJECT, 3)
    assert rng.normal(STREAM, 5, 3, rng.PROJECT, 1) == math.sqrt(
        -2 * detmath.log(u1)) * detmath.cos_2pi(u2)
    assert rng.normal(STREAM, 5, 3, rng.PROJECT, 1) == pytest.approx(
        math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2), rel=1e-12)


def test_laplace_is_the_two_branch_inversion():
    """The branch-free form equals log(1+2u) for u < 0 and -log(1-2u) otherwise, exactly
    (with the kernels' log; within an ulp of libm's)."""
    for key in random_keys(3000, seed=5):
        u = rng.uniform(*key) - 0.5
        expected = detmath.log(1.0 + 2.0 * u) if u < 0.0 else -detmath.log(1.0 - 2.0 * u)
        assert rng.laplace(*key) == expected, key
        libm = math.log(1.0 + 2.0 * u) if u < 0.0 else -math.log(1.0 - 2.0 * u)
        assert abs(expected - libm) <= math.ulp(libm), key


def test_hoisted_keys_give_the_same_draws():
    """Kernels hash (stream, quarter) once and (quarter key, agent) once per agent."""
    for stream, q, agent, purpose, k in random_keys(500, seed=6):
        key = rng.agent_key(rng.quarter_key(stream, q), agent)
        assert rng.bits_at(key, purpose, k) == ref_bits(stream, q, agent, purpose, k)
        assert rng.uniform_at(key, purpose, k) == rng.uniform(stream, q, agent, purpose, k)
        assert rng.normal_at(key, purpose, k) == rng.normal(stream, q, agent, purpose, k)


@pytest.mark.parametrize("n", [0, 1, 2, 7, 1000, 4097])
def test_draw_order_is_the_stable_argsort_of_the_draws(n):
    g = np.random.default_rng(n)
    agents = g.integers(0, 10**6, n)
    agents[: n // 3] = 5  # repeated agents draw equal numbers: ties keep their order
    for stream, q in ((1, 3), (2**32 - 1, 50)):
        draws = np.array([rng.uniform(stream, q, a, rng.ORDER, 0) for a in agents])
        expected = np.argsort(draws, kind="stable")
        assert np.array_equal(rng.draw_order(stream, q, agents, rng.ORDER, 0), expected)
        assert np.array_equal(rng.draw_order.py_func(stream, q, agents, rng.ORDER, 0), expected)
    values = g.integers(-(2**62), 2**62, n)
    assert np.array_equal(rng.sorted_ints(values), np.sort(values))


def test_laplace_moments():
    x = np.array([rng.laplace(STREAM, 6, a, rng.SME_GROWTH, 0) for a in range(N)])
    assert abs(x.mean()) < 0.03
    assert abs(x.var() - 2.0) < 0.1
    assert abs(np.median(np.abs(x)) - math.log(2.0)) < 0.02


@pytest.mark.parametrize("mean", [0.3, 2.0, 15.0, 120.0, 499.0, 501.0, 2500.0])
def test_poisson_mean_and_variance(mean):
    n = 20_000
    x = np.array([rng.poisson(mean, STREAM, 9, a, rng.BIRTHS) for a in range(n)])
    assert x.min() >= 0
    assert abs(x.mean() - mean) < 5.0 * math.sqrt(mean / n)
    assert abs(x.var() / mean - 1.0) < 0.1
    if mean < 5:
        assert abs(np.mean(x == 0) - math.exp(-mean)) < 0.02


def test_poisson_non_positive_mean_is_zero():
    assert rng.poisson(0.0, STREAM, 1, 1, rng.BIRTHS) == 0
    assert rng.poisson(-3.0, STREAM, 1, 1, rng.BIRTHS) == 0


# --- key separation ------------------------------------------------------------------------
def test_each_key_component_changes_the_draw():
    base = (STREAM, 10, 1234, rng.SEARCH, 3)
    b0 = rng.bits(*base)
    for pos in range(5):
        for delta in (1, 2, 64):
            key = list(base)
            key[pos] += delta
            assert rng.bits(*key) != b0, (pos, delta)


def test_all_purpose_codes_distinct_and_give_different_draws():
    names = [n for n in dir(rng) if n.isupper() and not n.startswith("_")]
    codes = [getattr(rng, n) for n in names if isinstance(getattr(rng, n), int)]
    assert len(codes) == len(set(codes))
    draws = {rng.bits(STREAM, 3, 77, c, 0) for c in codes}
    assert len(draws) == len(codes)


def test_few_collisions_over_many_agents():
    b = np.array([rng.bits(STREAM, 2, a, rng.ORDER, 0) for a in range(N)], dtype=np.int64)
    # birthday bound: ~1.2 expected collisions among 1e5 draws of 32 bits
    assert np.unique(b).size >= N - 10


def test_purposes_are_uncorrelated():
    agents = np.arange(N, dtype=np.int64)
    a = rng.uniforms(STREAM, 4, agents, rng.DEMAND, 0)
    b = rng.uniforms(STREAM, 4, agents, rng.DOMAIN, 0)
    c = rng.uniforms(STREAM, 5, agents, rng.DEMAND, 0)
    d = rng.uniforms(STREAM, 4, agents, rng.DEMAND, 1)
    for other in (b, c, d):
        assert not np.array_equal(a, other)
        assert abs(np.corrcoef(a, other)[0, 1]) < 0.02


def test_streams_give_different_draws():
    agents = np.arange(1000, dtype=np.int64)
    s1 = rng.make_stream(1, 0, 0)
    variants = [rng.make_stream(2, 0, 0), rng.make_stream(1, 1, 0), rng.make_stream(1, 0, 1)]
    base = rng.uniforms(s1, 0, agents, rng.INIT_SME, 0)
    for s in variants:
        other = rng.uniforms(s, 0, agents, rng.INIT_SME, 0)
        assert np.mean(base == other) < 0.01
