"""Numba kernels: every per-agent loop that runs each quarter.

Each kernel is a pure function of arrays, scalars and counter-based random draws
(:mod:`simulation.rng`). Its plain-Python twin is the same function run by the
interpreter (``kernel.py_func``, or the whole model under ``NUMBA_DISABLE_JIT=1``);
tests compare the two. Kernels mutate the arrays they are given and return counts.
"""
