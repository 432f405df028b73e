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

    A region alone (every spin-up quarter, most calibration and sweep runs) runs the same
    phases, in this order, as two or three compiled calls (:meth:`RegionModel.lone_quarter`,
    simulation/kernels/quarter.py), with the same results.
    """
    if len(regions) == 1 and regions[0].runs_alone_compiled():
        clock = PhaseClock(regions[0].timings)
        regions[0].lone_quarter(q)
        clock.lap("2-8 region alone, compiled")
        return
    for r in regions:
        r.begin_quarter(q)
    clock = PhaseClock(regions[0].timings)
    clock.each("1 instruments", regions, "act_instruments")
    clock.each("2 demand", regions, "draw_demand")
    requests = [r.match_local() for r in regions]
    if exchange is not None:
        exchange.route_requests(regions, requests)
    clock.lap("3 matching")
    outcomes = [r.execute_projects() for r in regions]
    if exchange is not None:
        exchange.route_outcomes(regions, outcomes)
    clock.lap("4 execution")
    clock.each("5 firm dynamics", regions, "firm_dynamics")
    clock.each("6 entry", regions, "entry")
    clock.each("7 learning", regions, "learning")
    clock.each("8 observation", regions, "observe")


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

    def each(self, name: str, regions: Sequence[RegionModel], method: str) -> None:
        """Run the phase ``name``: call ``method`` of every region in order, then lap."""
        for r in regions:
            getattr(r, method)()
        self.lap(name)
