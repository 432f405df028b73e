"""Types of command-line arguments (``argparse`` ``type=``): text in, a checked value out.

Shared by ``devise`` and ``devise explore``; a bad value is an ``ArgumentTypeError``, which
argparse reports as a usage error (exit code 2).
"""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """Return a whole number >= 1 (replicates, workers, threads)."""
    value = _parse(text, int, "a whole number >= 1")
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, found {text!r}")
    return value


def seed(text: str) -> int:
    """Return a run seed: a whole number in [0, 2**63)."""
    value = _parse(text, int, "a whole number >= 0")
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"expected a whole number in [0, 2**63), found {text!r}")
    return value


def scale(text: str) -> float:
    """Return a scale: a number in (0, 1], the fraction of the firm populations simulated."""
    value = _parse(text, float, "a number in (0, 1]")
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in (0, 1], found {text!r}")
    return value


def _parse(text: str, kind: type, expected: str):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, found {text!r}") from None
