"""Deterministic math (simulation/kernels/detmath.py): accuracy, twins bit for bit, no FMA."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from numba import njit

from simulation.kernels import detmath

mpmath.mp.dps = 50
UNIFORM_STEP = 2.0**-32


@njit
def _map1(f, xs):
    out = np.empty_like(xs)
    for i in range(xs.shape[0]):
        out[i] = f(xs[i])
    return out


@njit
def _map2(f, xs, ys):
    out = np.empty_like(xs)
    for i in range(xs.shape[0]):
        out[i] = f(xs[i], ys[i])
    return out


def ulps(value: float, exact) -> float:
    """|value - exact| in units of the last place of the double nearest ``exact``."""
    return float(abs(mpmath.mpf(value) - exact) / math.ulp(float(exact)))


def uniforms(n: int, seed: int) -> np.ndarray:
    """Draws on the counter-based uniforms' grid ((bits + 0.5) / 2**32), edges included."""
    bits = np.random.default_rng(seed).integers(0, 2**32, n).astype(np.float64)
    bits = np.concatenate([bits, [0.0, 1.0, 2.0**31 - 1, 2.0**31, 2.0**32 - 2, 2.0**32 - 1]])
    return (bits + 0.5) * UNIFORM_STEP


def exp_inputs() -> np.ndarray:
    """A dense grid over the whole unclamped range, random model-sized arguments, edges."""
    g = np.random.default_rng(1)
    return np.concatenate([np.linspace(-708.0, 709.0, 4001), g.uniform(-40.0, 40.0, 4000),
                           g.normal(0.0, 1e-3, 500), [0.0, -0.0, 1.0, -1.0, 0.5 * math.log(2)]])


def log_inputs() -> np.ndarray:
    """Uniforms (and 1 - 2|u - 1/2|, the Laplace argument), sizes, and a log-uniform spread."""
    g = np.random.default_rng(2)
    u = uniforms(3000, 3)
    return np.concatenate([u, 1.0 - 2.0 * np.abs(u - 0.5), g.uniform(1.0, 1e5, 2000),
                           np.exp(g.uniform(-700.0, 700.0, 2000)),
                           np.linspace(0.5, 2.0, 2001), [1.0, 2.0, math.sqrt(2.0), 1e-300]])


def pow_inputs() -> tuple[np.ndarray, np.ndarray]:
    """Firm sizes with size exponents, and hazards' (1 - rate)**0.25."""
    g = np.random.default_rng(4)
    x = np.concatenate([g.uniform(1.0, 1e5, 3000), g.uniform(0.01, 1.0, 1000)])
    y = np.concatenate([g.uniform(-1.0, 1.0, 3000), np.full(1000, 0.25)])
    return x, y


def test_exp_within_one_ulp():
    xs = exp_inputs()
    worst = max(ulps(detmath.exp(x), mpmath.exp(x)) for x in xs)
    against_libm = max(abs(detmath.exp(x) - math.exp(x)) / math.ulp(math.exp(x)) for x in xs)
    assert worst < 1.0, worst
    assert against_libm <= 1.0, against_libm


def test_log_within_one_ulp():
    xs = log_inputs()
    worst = max(ulps(detmath.log(x), mpmath.log(x)) for x in xs if x != 1.0)
    against_libm = max(abs(detmath.log(x) - math.log(x)) / math.ulp(math.log(x))
                       for x in xs if x != 1.0)
    assert worst < 1.0, worst
    assert against_libm <= 1.0, against_libm
    assert detmath.log(1.0) == 0.0


def test_cos_2pi_within_two_ulp():
    us = np.concatenate([uniforms(6000, 5), np.linspace(0.0, 1.0, 4097)])
    worst = 0.0
    for u in us:
        exact = mpmath.cos(2 * mpmath.pi * mpmath.mpf(u))
        # near the zeros of cos an ulp of the result is tiny: measure against ulp(1) there
        unit = max(math.ulp(float(exact)), math.ulp(1.0) / 4)
        worst = max(worst, float(abs(mpmath.mpf(detmath.cos_2pi(u)) - exact) / unit))
    assert worst <= 2.0, worst
    assert [detmath.cos_2pi(u) for u in (0.0, 0.25, 0.5, 0.75)] == [1.0, 0.0, -1.0, 0.0]


def test_pow_within_its_argument_error():
    x, y = pow_inputs()
    for a, b in zip(x, y, strict=True):
        exact = mpmath.power(mpmath.mpf(a), mpmath.mpf(b))
        assert ulps(detmath.pow(a, b), exact) <= 1.0 + 3.0 * abs(b * math.log(a)), (a, b)


def test_exp_clamps():
    assert detmath.exp(-708.0) == pytest.approx(math.exp(-708.0), rel=1e-15)
    assert detmath.exp(709.0) == pytest.approx(math.exp(709.0), rel=1e-15)
    assert detmath.exp(-708.5) == 0.0 and detmath.exp(-1e300) == 0.0
    assert detmath.exp(709.5) == math.inf and detmath.exp(1e300) == math.inf
    assert detmath.exp(-math.inf) == 0.0 and detmath.exp(math.inf) == math.inf


@pytest.mark.parametrize("name", ["exp", "log", "cos_2pi"])
def test_compiled_equals_interpreted_bit_for_bit(name):
    f = getattr(detmath, name)
    xs = {"exp": exp_inputs, "log": log_inputs,
          "cos_2pi": lambda: uniforms(20000, 6)}[name]()
    compiled = _map1(f, xs)
    interpreted = np.array([f.py_func(float(x)) for x in xs])
    single = np.array([f(x) for x in xs])
    assert compiled.tobytes() == interpreted.tobytes() == single.tobytes()


def test_pow_compiled_equals_interpreted_bit_for_bit():
    x, y = pow_inputs()
    interpreted = np.array([detmath.exp.py_func(b * detmath.log.py_func(a))
                            for a, b in zip(x, y, strict=True)])
    assert _map2(detmath.pow, x, y).tobytes() == interpreted.tobytes()


def test_bit_casts_round_trip():
    for x in (0.0, -0.0, 1.0, -2.5, 1e-300, math.inf):
        b = detmath.float_bits(x)
        assert detmath.bits_float(b) == x and math.copysign(1, detmath.bits_float(b)) == \
            math.copysign(1, x)
    assert detmath.float_bits(1.0) == 1023 << 52


def test_no_fused_multiply_add():
    """Contracting a * b + c would change the bits: the compiled loops must not do it."""
    _map1(detmath.exp, np.ones(4))
    _map2(detmath.pow, np.ones(4), np.ones(4))
    for dispatcher in (_map1, _map2):
        for asm in dispatcher.inspect_asm().values():
            assert "vfmadd" not in asm and "vfmsub" not in asm and "vfnmadd" not in asm


@njit
def _sqrt_all(xs):
    out = np.empty_like(xs)
    for i in range(xs.shape[0]):
        out[i] = detmath.sqrt(xs[i])
    return out


def test_sqrt_is_the_ieee_square_root():
    xs = np.concatenate([log_inputs(), [0.0, 4.0]])
    assert _sqrt_all(xs).tobytes() == np.array([math.sqrt(x) for x in xs]).tobytes()
