"""The one base class of every policy instrument: life cycle, budget and accounts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

import mesa
import numpy as np

from ..params import Param
from ..rng import uniforms

if TYPE_CHECKING:
    from ..region import RegionModel

ACCOUNTS = ("spend", "applications", "beneficiaries", "outputs")
"""Per-quarter accounts every instrument keeps (spend in EUR, full-population units)."""

COMMON_PARAMS: Mapping[str, Param] = {
    "budget_per_year": Param(
        0.0, 0.0, 1e10, "EUR per year", "scenario file",
        "Yearly budget at full scale; commitments never exceed it (scaled with the model).",
    ),
}


class PolicyInstrument(mesa.Agent):
    """A policy instrument acting on one region model.

    Life cycle, each quarter while active (``start_q <= q <= end_q``):
    :meth:`act` in phase 1 of the step (issue, select, broker), then
    :meth:`after_matching` once projects are contracted (book redemptions).
    Money is committed through :meth:`commit`, which refuses anything beyond the
    year's budget, so the budget is never exceeded.

    Subclasses set ``kind`` (the ``type`` used in scenario files), ``PARAMS`` (declared
    parameters beyond :data:`COMMON_PARAMS`) and implement :meth:`act`.
    """

    kind: ClassVar[str] = ""
    PARAMS: ClassVar[Mapping[str, Param]] = {}

    def __init__(self, model: RegionModel, name: str, params: Mapping[str, float],
                 start_q: int, end_q: int, sectors: tuple[int, ...], index: int) -> None:
        """Create the instrument; ``params`` must already be validated and complete."""
        super().__init__(model)
        self.name = name
        self.params = dict(params)
        self.start_q = start_q
        self.end_q = end_q
        self.sectors = np.asarray(sectors, dtype=np.int32)
        self.index = index
        self.budget_per_year = float(params["budget_per_year"]) * model.scale
        self.accounts = {k: np.zeros(model.calendar.n_quarters) for k in ACCOUNTS}
        self._committed: dict[int, float] = {}

    @classmethod
    def declared_params(cls) -> dict[str, Param]:
        """Every parameter this instrument type accepts, with its declaration."""
        return {**COMMON_PARAMS, **cls.PARAMS}

    def active(self, q: int) -> bool:
        """Whether the instrument delivers in quarter ``q``."""
        return self.start_q <= q <= self.end_q

    def budget_left(self, q: int) -> float:
        """Uncommitted budget of the calendar year of quarter ``q`` (model units)."""
        year = self.model.calendar.year_of(q)
        return self.budget_per_year - self._committed.get(year, 0.0)

    def commit(self, q: int, amount: float) -> bool:
        """Commit ``amount`` against the year's budget; False (nothing done) if it does not fit."""
        if amount > self.budget_left(q) + 1e-9:
            return False
        year = self.model.calendar.year_of(q)
        self._committed[year] = self._committed.get(year, 0.0) + amount
        return True

    def book(self, q: int, account: str, amount: float) -> None:
        """Add ``amount`` to an account for quarter ``q`` (spend in full-population EUR)."""
        if account == "spend":
            amount /= self.model.scale
        self.accounts[account][q] += amount

    def quarters_left_in_year(self, q: int) -> int:
        """Active quarters from ``q`` to the end of its year (at least 1)."""
        last = min(4 * (q // 4) + 3, self.end_q)
        return max(last - q + 1, 1)

    def eligible(self, max_employees: float = 249.0) -> np.ndarray:
        """Mask of alive smart firms in the instrument's sectors up to ``max_employees``."""
        f = self.model.firms
        return f.alive & np.isin(f.sector, self.sectors) & (f.employees <= max_employees)

    def draw_applicants(self, q: int, mask: np.ndarray, chance: np.ndarray,
                        purpose: int) -> np.ndarray:
        """Rows in ``mask`` that apply (uniform draw below ``chance``), in random order."""
        rows = np.flatnonzero(mask)
        stream = self.model.stream
        tag = purpose * 64 + self.index
        apply = uniforms(stream, q, rows, tag, 0) < chance[rows]
        rows = rows[apply]
        return rows[np.argsort(uniforms(stream, q, rows, tag, 1), kind="stable")]

    def step(self) -> None:
        """Phase 1 of the quarter: act if active."""
        q = self.model.quarter
        if self.active(q):
            self.act(q)

    def act(self, q: int) -> None:
        """Deliver the instrument in quarter ``q`` (subclasses)."""
        raise NotImplementedError

    def after_matching(self, q: int, new_rows: np.ndarray) -> None:
        """Book what this quarter's new projects (rows of the project table) drew on."""

    def total(self, account: str) -> float:
        """Sum of an account over the run."""
        return float(self.accounts[account].sum())
