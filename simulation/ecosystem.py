"""The ten partner regions together, and what crosses between them."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import numpy as np

from . import rng
from .errors import InputError
from .params import PARAMETER_MODES
from .posteriors import run_overrides
from .region import InstrumentSpec, Outcomes, QuarterlyModel, RegionModel, Requests
from .regions import region_codes
from .schedule import run_quarter


class Exchange:
    """Routes clients' searches abroad and the outcomes of cross-region projects.

    A client with no local match that searches abroad picks one other partner region
    at random (a draw keyed on the client); that region's providers are offered to it
    at a score penalty (``cross_region_penalty``), after the region's own clients.
    """

    def route_requests(self, regions: Sequence[RegionModel], requests: list[Requests]) -> None:
        """Send each region's requests to their target regions and record the matches.

        A target region receives the requests addressed to it in source-region order
        (each source's in its own order), serves them, and each source then marks its
        matched clients.
        """
        n = len(regions)
        if n < 2:
            return
        targets = []
        for position, (source, req) in enumerate(zip(regions, requests, strict=True)):
            u = rng.uniforms(source.stream, source.quarter, req.client.astype(np.int64),
                             rng.CROSS, 1)
            pick = np.minimum((u * (n - 1)).astype(np.int64), n - 2)
            targets.append(np.where(pick >= position, pick + 1, pick))
        everything = Requests.concat(requests)
        everything.matched = np.zeros(everything.client.size, dtype=bool)
        for target, rows in zip(regions, _group_rows(np.concatenate(targets), n), strict=True):
            incoming = everything.take(rows)
            target.serve_requests(incoming)
            everything.matched[rows] = incoming.matched
        start = 0
        for source, req in zip(regions, requests, strict=True):
            req.matched = everything.matched[start : start + req.client.size]
            source.accept_matches(req)
            start += req.client.size

    def route_outcomes(self, regions: Sequence[RegionModel], outcomes: list[Outcomes]) -> None:
        """Hand each finished cross-region project back to its client's region.

        A client region receives its outcomes in provider-region order (outcomes name their
        client's region by its identity, :attr:`RegionModel.region_index`).
        """
        position = np.zeros(max(r.region_index for r in regions) + 1, dtype=np.int64)
        for k, region in enumerate(regions):
            position[region.region_index] = k
        client_region = np.concatenate([out.client_region for out in outcomes])
        client = np.concatenate([out.client for out in outcomes])
        success = np.concatenate([out.success for out in outcomes])
        provider_key = np.concatenate([out.provider_key for out in outcomes])
        owner = position[client_region]
        for region, rows in zip(regions, _group_rows(owner, len(regions)), strict=True):
            region.receive_outcomes(client[rows], success[rows], provider_key[rows])


def _group_rows(group: np.ndarray, n_groups: int) -> list[np.ndarray]:
    """For each group 0..n_groups-1, the positions of its members in their original order."""
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(n_groups + 1))
    return [order[bounds[g] : bounds[g + 1]] for g in range(n_groups)]


class Ecosystem(QuarterlyModel):
    """The partner region models run together, quarter by quarter, with cross-region projects.

    Args:
        regions: Region codes (default: all ten, in partner order).
        scale, seed, replicate, start_year, end_year, burn_in_years, params, instruments:
            as for :class:`RegionModel`, applied to every region.
        parameters: ``"point"`` (each region's fitted point values) or ``"posterior"``
            (each region draws a parameter set from its posterior for this replicate,
            :func:`simulation.posteriors.draw_set`); ``params`` override either.
        rng: Mesa-style generator seed (alternative to ``seed``).

    """

    def __init__(
        self,
        regions: Sequence[str] | None = None,
        scale: float = 1.0,
        seed: int | None = None,
        rng: object | None = None,
        replicate: int = 0,
        start_year: int = 2018,
        end_year: int = 2025,
        burn_in_years: int = 5,
        params: Mapping[str, float] | None = None,
        instruments: Sequence[InstrumentSpec] = (),
        parameters: str = "point",
    ) -> None:
        super().__init__(seed=seed, rng=rng)
        if parameters not in PARAMETER_MODES:
            raise InputError("Ecosystem", "parameters", f"one of {', '.join(PARAMETER_MODES)}",
                             repr(parameters))
        run_seed = seed if isinstance(seed, int) else int(self.rng.integers(2**63))
        codes = list(regions) if regions else list(region_codes())
        self.regions: dict[str, RegionModel] = {
            code: RegionModel(
                code, scale=scale, seed=run_seed, replicate=replicate, start_year=start_year,
                end_year=end_year, burn_in_years=burn_in_years,
                params=run_overrides(code, parameters, run_seed, replicate, params)[1],
                instruments=instruments)
            for code in codes
        }
        self.calendar = next(iter(self.regions.values())).calendar
        self._share_timings()
        self.exchange = Exchange()
        self.quarter = -1  # the last quarter simulated: none yet (see QuarterlyModel)

    def _share_timings(self) -> None:
        """Make every region add its phase times to one table, the ecosystem's, from now on.

        (What the regions' spin-ups took stays in their own tables.)
        """
        self.timings: dict[str, float] = {}
        for r in self.regions.values():
            r.timings = self.timings

    def with_instruments(self, instruments: Sequence[InstrumentSpec]) -> Ecosystem:
        """Return a copy of this ecosystem before its first quarter, with ``instruments`` added.

        The same run as an ecosystem built with them, without simulating the spin-up again
        (:meth:`simulation.region.RegionModel.with_instruments`, region by region).
        """
        if self.quarter != -1:
            raise ValueError("with_instruments copies an ecosystem that has not been stepped yet")
        twin = copy.deepcopy(self, {id(region): region for region in self.regions.values()})
        twin.regions = {code: region.with_instruments(instruments)
                        for code, region in self.regions.items()}
        twin._share_timings()
        twin.exchange = Exchange()
        return twin

    def step(self) -> None:
        """Simulate the next quarter in every region."""
        self.quarter += 1
        run_quarter(list(self.regions.values()), self.quarter, self.exchange)
