"""Numbers and labels written for people: one place for the CLI tables, reports and figures.

Money reads ``EUR 5.1m``, counts ``1,234``, shares ``+8.8%``, flags ``yes``/``no``, a band
``+35 [+12, +57]``, a region ``ES13 Cantabria``; a missing value is ``n/a``. A run below full
scale carries :func:`scale_note`, which states the resolution of its counts and that
region-level P(target) is not comparable with full scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

_EUR_STEPS = ((1e9, "bn"), (1e6, "m"), (1e3, "k"))


def missing(value: object) -> bool:
    """Whether ``value`` is None or a float NaN (written ``n/a``)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def eur(value: float | None) -> str:
    """Write an amount in euros: ``EUR 5.1m``, ``EUR 350k``, ``EUR 950``, ``-EUR 1.2m``."""
    if missing(value):
        return "n/a"
    sign, size = ("-" if value < 0 else ""), abs(float(value))
    for step, suffix in _EUR_STEPS:
        if size >= 0.9995 * step:  # what would round to 1000 of the next step down
            digits = f"{size / step:.1f}" if size < 99.95 * step else f"{size / step:.0f}"
            return f"{sign}EUR {digits}{suffix}"
    return f"{sign}EUR {size:.0f}"


def count(value: float | None, sign: bool = False) -> str:
    """Write a count of firms: ``1,234`` (``+1,234`` with ``sign``)."""
    if missing(value):
        return "n/a"
    return f"{round(float(value)) + 0.0:{'+' if sign else ''},.0f}"  # + 0.0: no "-0"


def share(value: float | None, sign: bool = False) -> str:
    """Write a share as a percentage with one decimal: ``8.8%`` (``+8.8%`` with ``sign``)."""
    if missing(value):
        return "n/a"
    return f"{round(float(value), 3) + 0.0:{'+' if sign else ''}.1%}"  # no "-0.0%"


def probability(value: float | None) -> str:
    """Write a probability with two decimals: ``0.05``."""
    return "n/a" if missing(value) else f"{float(value):.2f}"


def number(value: float | None) -> str:
    """Write a number with no known unit: ``22,500``, ``0.1367``, ``-3.5`` (four digits)."""
    if missing(value):
        return "n/a"
    value = float(value) + 0.0  # no "-0"
    return f"{value:,.0f}" if 1e4 <= abs(value) < 1e16 else f"{value:.4g}"


def yes_no(value: bool | None) -> str:
    """Write a flag as ``yes`` or ``no``."""
    return "n/a" if value is None else ("yes" if value else "no")


def band(values: Sequence[float], write=count, **kwargs) -> str:
    """Write a value with its band, ``+35 [+12, +57]``, or the value alone (one element)."""
    text = [write(v, **kwargs) for v in values]
    return text[0] if len(text) == 1 else f"{text[0]} [{text[1]}, {text[2]}]"


def region_label(code: str) -> str:
    """Write a region as its code and name, ``ES13 Cantabria`` (the code alone if unknown)."""
    from .regions import get_region, region_codes

    return f"{code} {get_region(code).name}" if code in region_codes() else code


def scale_note(scale: float, replicates: int | None = None) -> str:
    """Say what a reduced scale means for the numbers; empty at full scale.

    At scale ``s`` one simulated firm stands for ``1/s`` firms, so counts move in steps of
    ``1/s`` and a region's P(target) rests on a population ``s`` times its size: not
    comparable with full scale (docs/scenarios.md).
    """
    runs = f", {replicates} replicates" if replicates else ""
    if scale >= 1.0:
        return f"full scale{runs}" if replicates else ""
    step = 1.0 / scale
    return (f"{scale:.0%} scale{runs}: counts move in steps of {step:,.0f} firms; "
            "region-level P(target) below full scale is not comparable with full scale")
