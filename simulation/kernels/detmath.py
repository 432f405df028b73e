"""Deterministic exp, log, pow and cos(2 pi u): the same bits compiled and interpreted.

The kernels' transcendental functions, written out as range reduction plus polynomial in a
fixed order of IEEE double operations, so that a compiled kernel and its plain-Python twin
(``.py_func``, ``NUMBA_DISABLE_JIT=1``) give identical results, and so that LLVM can inline
and vectorise them (this numba build calls glibc's scalar exp/log/pow/cos otherwise). The
polynomials are fdlibm's (Sun Microsystems, freely redistributable): exp (e_exp.c), log
(e_log.c), and the sine and cosine kernels (k_sin.c, k_cos.c as revised in FreeBSD).

Nothing here contracts ``a * b + c`` into a fused multiply-add: numba compiles without
fast-math flags, so LLVM keeps every rounding (tests/test_detmath.py checks the assembly
for FMA instructions). Every function is compiled with ``error_model="numpy"``: the one
division of each polynomial never has a zero divisor, and the Python error model would add a
zero check, a branch that stops vectorisation.

Accuracy, measured against 50-digit references (tests/test_detmath.py): exp and log within
1 ulp, cos_2pi within 2 ulp of cos(2 pi u) (more accurate than ``math.cos(2 * math.pi * u)``,
whose argument is rounded), pow within ``1 + 3 |y log x|`` ulp (the rounding of ``y * log(x)``,
magnified by exp).
Domains: exp returns 0 below -708 and +inf above 709 (clamps: exp(-708) = 3.3e-308 and the
subnormal range is not resolved); log takes positive normal numbers (the model's arguments
are uniforms, never 0, and sizes of at least 1); nothing is defined for NaN.
"""

import math
import struct

from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

_MATH = {"cache": True, "error_model": "numpy"}

_EXP_LOW = -708.0
_EXP_HIGH = 709.0
_INF = math.inf
_ROUND = 6755399441055744.0
"""1.5 * 2**52: ``(v + _ROUND) - _ROUND`` rounds ``v`` to the nearest integer (|v| < 2**51)."""
_INV_LN2 = 1.44269504088896338700e00
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_P1 = 1.66666666666666019037e-01
_P2 = -2.77777777770155933842e-03
_P3 = 6.61375632143793436117e-05
_P4 = -1.65339022054652515390e-06
_P5 = 4.13813679705723846039e-08

_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_SQRT2 = 1.4142135623730951
_MANTISSA = (1 << 52) - 1
_ONE_BITS = 1023 << 52

_TWO_PI = 6.283185307179586
_S1 = -1.66666666666666324348e-01
_S2 = 8.33333333332248946124e-03
_S3 = -1.98412698298579493134e-04
_S4 = 2.75573137070700676789e-06
_S5 = -2.50507602534068634195e-08
_S6 = 1.58969099521155010221e-10
_C1 = 4.16666666666666019037e-02
_C2 = -1.38888888888741095749e-03
_C3 = 2.48015872894767294178e-05
_C4 = -2.75573143513906633035e-07
_C5 = 2.08757232129817482790e-09
_C6 = -1.13596475577881948265e-11


def float_bits(x):
    """Return the IEEE bits of a double as a signed 64-bit integer (a bit cast, no conversion)."""
    return struct.unpack("<q", struct.pack("<d", x))[0]


def bits_float(b):
    """Return the double whose IEEE bits are the int64 ``b`` (inverse of :func:`float_bits`)."""
    return struct.unpack("<d", struct.pack("<q", b))[0]


@intrinsic
def _cast_to_int64(typingctx, x):
    """LLVM bitcast double -> i64."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _cast_to_float64(typingctx, b):
    """LLVM bitcast i64 -> double."""
    if b != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


def sqrt(x):
    """Square root, correctly rounded (IEEE) compiled and interpreted.

    Compiled, it is the ``llvm.sqrt`` intrinsic, which vectorises; ``math.sqrt`` keeps a
    libm call (for errno) in the loop.
    """
    return math.sqrt(x)


@intrinsic
def _llvm_sqrt(typingctx, x):
    """Call the llvm.sqrt.f64 intrinsic."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        f = builder.module.declare_intrinsic("llvm.sqrt", [ir.DoubleType()])
        return builder.call(f, args)

    return types.float64(types.float64), codegen


@overload(sqrt)
def _sqrt_compiled(x):
    if isinstance(x, types.Float):
        return lambda x: _llvm_sqrt(types.float64(x))
    return None


@overload(float_bits)
def _float_bits_compiled(x):
    if isinstance(x, types.Float):
        return lambda x: _cast_to_int64(types.float64(x))
    return None


@overload(bits_float)
def _bits_float_compiled(b):
    if isinstance(b, types.Integer):
        return lambda b: _cast_to_float64(types.int64(b))
    return None


@njit("float64(float64)", **_MATH)
def exp(x):
    """e**x within 1 ulp; 0 below -708, +inf above 709."""
    xc = _EXP_LOW if x < _EXP_LOW else (_EXP_HIGH if x > _EXP_HIGH else x)
    kf = (xc * _INV_LN2 + _ROUND) - _ROUND
    hi = xc - kf * _LN2_HI
    lo = kf * _LN2_LO
    r = hi - lo
    t = r * r
    c = r - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
    y = (1.0 - ((lo - (r * c) / (2.0 - c)) - hi)) * bits_float((int(kf) + 1023) << 52)
    return 0.0 if x < _EXP_LOW else (_INF if x > _EXP_HIGH else y)


@njit("float64(float64)", **_MATH)
def log(x):
    """Natural logarithm of a positive normal double, within 1 ulp."""
    b = float_bits(x)
    m = bits_float((b & _MANTISSA) | _ONE_BITS)
    big = m > _SQRT2
    f = (0.5 * m if big else m) - 1.0
    dk = float((b >> 52) - 1023 + (1 if big else 0))
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    r = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7))) + w * (_LG2 + w * (_LG4 + w * _LG6))
    return dk * _LN2_HI - ((hfsq - (s * (hfsq + r) + dk * _LN2_LO)) - f)


@njit("float64(float64, float64)", inline="always", **_MATH)
def pow(x, y):
    """x**y for positive normal x, as exp(y * log(x)): within 1 + 3 |y log x| ulp."""
    return exp(y * log(x))


@njit("float64(float64)", **_MATH)
def _sin_kernel(x):
    """sin(x) for |x| <= pi/4 (k_sin.c)."""
    z = x * x
    w = z * z
    r = _S2 + z * (_S3 + z * _S4) + z * w * (_S5 + z * _S6)
    return x + z * x * (_S1 + z * r)


@njit("float64(float64)", **_MATH)
def _cos_kernel(x):
    """cos(x) for |x| <= pi/4 (k_cos.c)."""
    z = x * x
    w = z * z
    r = z * (_C1 + z * (_C2 + z * _C3)) + w * w * (_C4 + z * (_C5 + z * _C6))
    hz = 0.5 * z
    v = 1.0 - hz
    return v + (((1.0 - v) - hz) + z * r)


@njit("float64(float64)", **_MATH)
def cos_2pi(u):
    """cos(2 pi u) within 2 ulp, reduced in turns (exact for the uniforms' grid).

    ``a = |u - round(u)|`` lies in [0, 1/2]; cos(2 pi a) is the cosine kernel at 2 pi a
    for a <= 1/8, the sine kernel at 2 pi (1/4 - a) up to 3/8, minus the cosine kernel
    at 2 pi (1/2 - a) beyond. Both kernels run and one is selected: no branch.
    """
    a = abs(u - ((u + _ROUND) - _ROUND))
    near = a <= 0.125
    far = a > 0.375
    c = _cos_kernel(_TWO_PI * (0.5 - a if far else a))
    s = _sin_kernel(_TWO_PI * (0.25 - a))
    return (-c if far else c) if near | far else s
