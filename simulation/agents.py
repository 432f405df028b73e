"""Mesa agents as thin views: each holds its model and a row index into the arrays.

Reading an attribute reads the region model's arrays, so a view is always current,
and views cost nothing while nobody looks: the region model creates them on demand
(see ``RegionModel.agents``) and removes the views of firms that exited.
"""

from __future__ import annotations

import itertools
import weakref

import mesa
import numpy as np

from .kernels.demand import BASIC_MATURITY
from .taxonomy import DOMAINS, SECTORS


class IdCounters(weakref.WeakKeyDictionary):
    """Per-model ``unique_id`` counters that do not keep finished models alive.

    Mesa 3.3 keeps its counters in a class-level ``defaultdict`` keyed by model, so every
    model that ever created an agent stays in memory for the life of the process (a leak
    that grows with every calibration evaluation or sweep run). This mapping counts the
    same way (from 1, per model) but holds models weakly.
    """

    def __getitem__(self, model: mesa.Model) -> itertools.count:
        try:
            return super().__getitem__(model)
        except KeyError:
            counter = self[model] = itertools.count(1)
            return counter


ID_COUNTERS = IdCounters()
"""The one counter mapping shared by every agent class of the package (ids stay unique)."""


class _RowView(mesa.Agent):
    """Base for views over one row of a state table."""

    _ids = ID_COUNTERS
    table_name = ""

    def __init__(self, model: mesa.Model, row: int) -> None:
        super().__init__(model)
        self.row = row

    def _get(self, column: str):
        return getattr(self.model, self.table_name).full(column)[self.row]

    @property
    def alive(self) -> bool:
        """Whether the firm is still active."""
        return bool(self._get("alive"))

    @property
    def employees(self) -> float:
        """Persons employed."""
        return float(self._get("employees"))

    @property
    def age_quarters(self) -> int:
        """Quarters since the firm's birth."""
        return int(self.model.quarter - self._get("birth_q"))


class DigitalSME(_RowView):
    """A digital tech SME: a potential provider of digital projects to smart firms."""

    table_name = "smes"

    @property
    def capability(self) -> dict[str, float]:
        """Capability per technology domain, in [0, 1]."""
        return dict(zip(DOMAINS, self._get("capability").tolist(), strict=True))

    @property
    def experience(self) -> dict[str, float]:
        """Experience per smart sector, in [0, 1]."""
        return dict(zip(SECTORS, self._get("experience").tolist(), strict=True))

    @property
    def reputation(self) -> float:
        """Reputation in [0, 1]."""
        return float(self._get("reputation"))

    @property
    def cash(self) -> float:
        """Cash (EUR)."""
        return float(self._get("cash"))

    @property
    def busy(self) -> int:
        """Smart-sector projects running."""
        return int(self._get("busy"))

    @property
    def enabling(self) -> bool:
        """Counted by the DEVISE indicator: a smart-sector success in the last four quarters."""
        return self.alive and self._get("last_success_q") > self.model.quarter - 4

    @property
    def successes(self) -> int:
        """Successful smart-sector projects so far."""
        return int(self._get("successes"))


class SmartFirm(_RowView):
    """A firm in one of the region's smart specialisation sectors: a client."""

    table_name = "firms"

    @property
    def sector(self) -> str:
        """Smart sector key."""
        return SECTORS[int(self._get("sector"))]

    @property
    def maturity(self) -> float:
        """Digital maturity in [0, 1]."""
        return float(self._get("maturity"))

    @property
    def basic_digital_intensity(self) -> bool:
        """At least basic digital intensity (4 of 12 Eurostat indicators)."""
        return self.maturity >= BASIC_MATURITY

    @property
    def awareness(self) -> float:
        """Awareness of its own digital needs, in [0, 1]."""
        return float(self._get("awareness"))

    @property
    def absorptive(self) -> float:
        """Absorptive capacity, in [0, 1]."""
        return float(self._get("absorptive"))

    @property
    def productivity(self) -> float:
        """Log productivity relative to the initial sector mean."""
        return float(self._get("productivity"))

    @property
    def known_providers(self) -> list[int]:
        """Provider keys of its network ties."""
        return [int(k) for k in np.asarray(self._get("ties")) if k >= 0]


class ViewRegistry:
    """Keeps one view per alive row of a table, created and removed on demand."""

    def __init__(self, model: mesa.Model, cls: type[_RowView]) -> None:
        self.model = model
        self.cls = cls
        self.views: dict[int, _RowView] = {}
        self.seen = 0

    def sync(self) -> None:
        """Create views for rows born since the last sync; remove views of dead rows."""
        table = getattr(self.model, self.cls.table_name)
        alive = table.alive
        for row in np.flatnonzero(alive[self.seen :]) + self.seen:
            self.views[int(row)] = self.cls(self.model, int(row))
        self.seen = table.n
        rows = np.fromiter(self.views, dtype=np.int64, count=len(self.views))
        for row in rows[~alive[rows]]:
            self.views.pop(int(row)).remove()
