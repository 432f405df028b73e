"""The order of one quarter, in one place (MODEL.md section 3), each phase timed."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .ecosystem import Exchange
    from .region import RegionModel


def run_quarter(regions: Sequence[RegionModel], q: int, exchange: Exchange | None) -> None:
    """Advance every region to quarter ``q``.

    Phases run for all regions before the next phase starts, so that what crosses
    regions (requests for providers abroad, outcomes of those projects) is exchanged
    between phases. With ``exchange=None`` (one region alone) nothing crosses.
    """
    timed = _timer(regions[0].timings)
    for r in regions:
        r.begin_quarter(q)
    with timed("1 instruments"):
        _each(regions, lambda r: r.act_instruments())
    with timed("2 demand"):
        _each(regions, lambda r: r.draw_demand())
    with timed("3 matching"):
        requests = [r.match_local() for r in regions]
        if exchange is not None:
            exchange.route_requests(regions, requests)
    with timed("4 execution"):
        outcomes = [r.execute_projects() for r in regions]
        if exchange is not None:
            exchange.route_outcomes(regions, outcomes)
    with timed("5 firm dynamics"):
        _each(regions, lambda r: r.firm_dynamics())
    with timed("6 entry"):
        _each(regions, lambda r: r.entry())
    with timed("7 learning"):
        _each(regions, lambda r: r.learning())
    with timed("8 observation"):
        _each(regions, lambda r: r.observe())


def _each(regions: Sequence[RegionModel], phase: Callable[[RegionModel], None]) -> None:
    for r in regions:
        phase(r)


def _timer(totals: dict[str, float]):
    @contextmanager
    def timed(name: str):
        t0 = time.perf_counter()
        yield
        totals[name] = totals.get(name, 0.0) + time.perf_counter() - t0

    return timed
