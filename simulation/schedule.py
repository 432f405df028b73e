"""The order of one quarter, in one place (MODEL.md section 3), each phase timed."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .ecosystem import Exchange
    from .region import RegionModel


def run_quarter(regions: Sequence[RegionModel], q: int, exchange: Exchange | None) -> None:
    """Advance every region to quarter ``q``.

    Phases run for all regions before the next phase starts, so that what crosses
    regions (requests for providers abroad, outcomes of those projects) is exchanged
    between phases. With ``exchange=None`` (one region alone) nothing crosses. Wall time
    per phase accumulates in the first region's ``timings``.
    """
    for r in regions:
        r.begin_quarter(q)
    clock = PhaseClock(regions[0].timings)
    for r in regions:
        r.act_instruments()
    clock.lap("1 instruments")
    for r in regions:
        r.draw_demand()
    clock.lap("2 demand")
    requests = [r.match_local() for r in regions]
    if exchange is not None:
        exchange.route_requests(regions, requests)
    clock.lap("3 matching")
    outcomes = [r.execute_projects() for r in regions]
    if exchange is not None:
        exchange.route_outcomes(regions, outcomes)
    clock.lap("4 execution")
    for r in regions:
        r.firm_dynamics()
    clock.lap("5 firm dynamics")
    for r in regions:
        r.entry()
    clock.lap("6 entry")
    for r in regions:
        r.learning()
    clock.lap("7 learning")
    for r in regions:
        r.observe()
    clock.lap("8 observation")


class PhaseClock:
    """Adds the wall time since the previous lap (or since creation) to ``totals[name]``."""

    def __init__(self, totals: dict[str, float]) -> None:
        self.totals = totals
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        """Close the phase ``name``: charge it the time since the last lap."""
        now = time.perf_counter()
        self.totals[name] = self.totals.get(name, 0.0) + now - self.last
        self.last = now
