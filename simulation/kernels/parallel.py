"""Row-parallel kernels: one source, compiled serially and, when asked for, with threads.

A row kernel updates each agent from that agent's own row and its own counter-based
draws, so its rows can run in any order, on any number of threads, with the same
result bit for bit (integer counts are the only reductions). Its loop is written with
``prange``: the serial compilation treats ``prange`` as ``range``; the parallel one,
compiled the first time a process runs with more than one kernel thread, splits the rows
between threads.

Kernel threads are a per-process setting, 1 by default: replicate pools, sweeps and
calibration already keep every core busy with one process each, and a serial process
never pays for compiling the parallel twins. ``devise run --threads`` (or
:func:`set_threads`) gives one large replicate the machine's cores.

Both compilations use numba's NumPy error model: a float division by zero gives inf or nan
instead of raising, so a division in a row loop adds no zero check, a branch that would
stop the loop vectorising (the kernels never divide by zero; the interpreted twin would
raise ZeroDivisionError where the compiled kernel returns inf).
"""

from __future__ import annotations

import functools
import types
from collections.abc import Iterator
from contextlib import contextmanager

import numba
import numpy as np
from numba import njit

_threads = 1


def set_threads(n: int) -> int:
    """Run row kernels on ``n`` threads in this process (capped at the cores numba sees).

    Returns the number of threads set.
    """
    if int(n) != n or n < 1:
        raise ValueError(f"threads must be a positive whole number, found {n!r}")
    global _threads
    _threads = min(int(n), numba.config.NUMBA_NUM_THREADS)
    if _threads > 1:
        numba.set_num_threads(_threads)
    return _threads


def threads() -> int:
    """Kernel threads of this process."""
    return _threads


@contextmanager
def kernel_threads(n: int) -> Iterator[int]:
    """Run row kernels on ``n`` threads inside the block, then go back to the setting before."""
    before = _threads
    try:
        yield set_threads(n)
    finally:
        set_threads(before)


class RowKernel:
    """A row kernel compiled twice from one function (see the module docstring).

    Calling it runs the serial compilation with one kernel thread and the parallel one
    otherwise. ``py_func`` is the plain-Python function (the interpreted twin).
    """

    def __init__(self, py_func: types.FunctionType) -> None:
        functools.update_wrapper(self, py_func)
        self.py_func = py_func
        self.serial = njit(cache=True, error_model="numpy")(py_func)
        self._parallel = None

    @property
    def parallel(self):
        """The ``parallel=True`` compilation (its own cache entry), made on first use."""
        if self._parallel is None:
            f = self.py_func
            twin = types.FunctionType(f.__code__, f.__globals__, f.__name__, f.__defaults__,
                                      f.__closure__)
            twin.__qualname__ = f"{f.__qualname__}_parallel"
            self._parallel = njit(cache=True, parallel=True, error_model="numpy")(twin)
        return self._parallel

    def __call__(self, *args):
        """Run the kernel (serially, or on the process's kernel threads)."""
        return (self.parallel if _threads > 1 else self.serial)(*args)


def row_kernel(py_func: types.FunctionType) -> RowKernel:
    """Make ``py_func``, a loop over rows written with ``prange``, a row kernel (decorator)."""
    return RowKernel(py_func)


@njit(cache=True)
def sector_values(sector, values):
    """``values[sector]`` as a new array: a row kernel's per-sector gather, as a pre-pass.

    Inside a row loop the indirect load would stop it vectorising (LLVM cannot check it
    against the loop's stores).
    """
    out = np.empty(sector.shape[0])
    for i in range(sector.shape[0]):
        out[i] = values[sector[i]]
    return out

