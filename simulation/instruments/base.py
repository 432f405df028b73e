"""The one base class of every policy instrument: life cycle, eligibility, budget and accounts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar, Protocol

import mesa
import numpy as np

from ..agents import ID_COUNTERS
from ..instrument_types import BUDGET_SPLITS as BUDGET_SPLITS
from ..instrument_types import CREATION_LIMIT as CREATION_LIMIT
from ..instrument_types import InstrumentType
from ..rng import uniform, uniforms

if TYPE_CHECKING:
    from ..calendar import Calendar
    from ..params import Param
    from ..state import Table


class Host(Protocol):
    """What an instrument may read and change of the region model it acts on, and nothing else.

    tests/test_instruments.py checks that instruments use no other attribute.

    Tables: ``firms``, ``smes`` (columns an instrument's mechanism changes, documented per
    type in docs/model.md 7.8) and ``projects`` (read). Clock and keys: ``quarter``,
    ``calendar``, ``stream`` and ``region_index`` (random draws and provider keys),
    ``scale``. Model state read: ``params``, ``frontier``. The one action: founding
    start-ups with :meth:`add_startups`.
    """

    code: str
    firms: Table
    smes: Table
    projects: Table
    quarter: int
    calendar: Calendar
    stream: int
    region_index: int
    scale: float
    params: Mapping[str, float]
    frontier: np.ndarray

    def add_startups(self, count: int) -> np.ndarray:
        """Found ``count`` digital start-ups now; return their rows."""

ACCOUNTS = ("budget", "spend", "admin", "applications", "beneficiaries", "outputs", "refused")
"""Per-quarter accounts every instrument keeps.

``budget`` is the region's part of the yearly budget (see :data:`BUDGET_SPLITS`), booked in
the year's first quarter of delivery; ``spend`` is public money paid out in EUR
(full-population units), administrative cost
included; ``admin`` is the administrative part of it. ``applications``, ``beneficiaries``,
``outputs`` (what the instrument produced: projects funded, ties brokered, loans...) and
``refused`` (eligible applicants turned away because the budget was used up; they may
apply again later) are counts in model units (agents simulated).
"""

ROUNDING_DRAW = 1 << 20
"""Draw index (``k``, agent 0) of the reduced-scale rounding of
:meth:`PolicyInstrument.places`: far above the indices of the instrument's draws for
agents (applications 0-3, readiness 8, introductions below 64 + introductions per firm)."""

class PolicyInstrument(mesa.Agent):
    """A policy instrument acting on one region model.

    Life cycle, each quarter: :meth:`step` (phase 1 of the quarter) calls :meth:`act`
    when the instrument delivers in that quarter (within ``start..end``; routine
    instruments every quarter, call-based ones in the first ``calls_per_year`` quarters
    of each year). :meth:`after_matching` runs once projects are contracted.

    Money: the year's budget is shared over the deliveries left in the year
    (:meth:`allowance`); :meth:`places` says how many units it pays, :meth:`affordable`
    caps a cohort to them (counting the rest as refused) and :meth:`commit` books the
    commitment, refusing anything beyond the year's budget (beyond it by a unit, at
    reduced scale, see :meth:`places`). :meth:`pay` books spend (support plus
    administrative cost).

    A subclass names its declaration (:mod:`simulation.instrument_types`: parameters,
    target group, delivery, firms founded) in its bases, ``class
    InnovationVoucher(ProjectSupport, declared=VOUCHER)``, which sets ``declared``,
    ``kind`` (the ``type`` used in scenario files), ``TARGET`` ("firms", "smes" or
    "both") and ``DELIVERY`` ("routine" or "calls"); it sets ``PURPOSE`` (its code in
    :mod:`simulation.rng`), ``RAISES`` (the recorded series its effect raises, tested)
    and ``EFFECT`` (the documented effect in words), and implements :meth:`act`.
    """

    _ids = ID_COUNTERS

    declared: ClassVar[InstrumentType]
    kind: ClassVar[str] = ""
    PURPOSE: ClassVar[int] = 0
    TARGET: ClassVar[str] = "firms"
    DELIVERY: ClassVar[str] = "routine"
    RAISES: ClassVar[str] = "enabling"
    EFFECT: ClassVar[str] = ""

    def __init_subclass__(cls, declared: InstrumentType | None = None, **kwargs) -> None:
        """Take ``kind``, ``TARGET`` and ``DELIVERY`` from the type's declaration, if named."""
        super().__init_subclass__(**kwargs)
        if declared is not None:
            cls.declared = declared
            cls.kind, cls.TARGET, cls.DELIVERY = declared.kind, declared.target, declared.delivery

    def __init__(self, model: Host, name: str, params: Mapping[str, float],
                 start_q: int, end_q: int, sectors: tuple[int, ...], index: int,
                 budget_share: float = 1.0) -> None:
        """Create the instrument; ``params`` must already be validated and complete.

        ``budget_share`` is this region's part of the declared yearly budget
        (:meth:`budget_shares`); the bound on firms founded was checked by the
        :class:`~simulation.region.InstrumentSpec` it comes from.
        """
        super().__init__(model)
        self.name = name
        self.params = dict(params)
        self.start_q = start_q
        self.end_q = end_q
        self.sectors = np.asarray(sectors, dtype=np.int32)
        self.index = index
        self.budget_share = float(budget_share)
        self.budget_per_year = float(params["budget_per_year"]) * budget_share * model.scale
        self.admin_share = float(params["admin_share"])
        self.accounts = {k: np.zeros(model.calendar.n_quarters) for k in ACCOUNTS}
        self.reached: list[tuple[int, str, np.ndarray]] = []
        self._committed: dict[int, float] = {}
        self.largest_unit = 0.0
        """Cost of the costliest unit :meth:`places` has sized (model units)."""

    @classmethod
    def declared_params(cls) -> dict[str, Param]:
        """Every parameter this instrument type accepts, with its declaration."""
        return cls.declared.declared_params()

    @classmethod
    def budget_shares(cls, regions: tuple[str, ...], split: str) -> dict[str, float]:
        """Each region's part of the declared yearly budget (see :data:`BUDGET_SPLITS`)."""
        return cls.declared.budget_shares(regions, split)

    @classmethod
    def founded_per_year(cls, params: Mapping[str, float]) -> float:
        """Return the most firms (full scale) the instrument founds in a year.

        That is with a whole budget of ``params["budget_per_year"]``; 0 for types that
        found none.
        """
        return cls.declared.founded_per_year(params)

    @classmethod
    def creation_problem(cls, params: Mapping[str, float], budget_share: float,
                         code: str) -> str | None:
        """Why these parameters would found too many firms in region ``code``, or None."""
        return cls.declared.creation_problem(params, budget_share, code)

    # --- delivery ---------------------------------------------------------------
    def active(self, q: int) -> bool:
        """Whether quarter ``q`` lies in the instrument's delivery window."""
        return self.start_q <= q <= self.end_q

    def delivers(self, q: int) -> bool:
        """Whether the instrument acts in quarter ``q`` (a routine quarter or a call)."""
        if not self.active(q):
            return False
        return self.DELIVERY == "routine" or q % 4 < int(self.params["calls_per_year"])

    def deliveries_left_in_year(self, q: int) -> int:
        """Deliveries from ``q`` to the end of its year (at least 1)."""
        last = min(4 * (q // 4) + 3, self.end_q)
        left = sum(self.delivers(k) for k in range(q, last + 1))
        return max(left, 1)

    def step(self) -> None:
        """Run phase 1 of the quarter.

        Book the year's budget in its first active quarter, and act if the instrument
        delivers now.
        """
        q = self.model.quarter
        if self.active(q) and (q % 4 == 0 or q == self.start_q):
            self.book(q, "budget", self.budget_per_year)
        if self.delivers(q):
            self.act(q)

    def act(self, q: int) -> None:
        """Deliver the instrument in quarter ``q`` (subclasses)."""
        raise NotImplementedError

    def after_matching(self, q: int, new_rows: np.ndarray) -> None:
        """Book what this quarter's new projects (rows of the project table) drew on."""

    # --- money --------------------------------------------------------------------
    def cost(self, support: float) -> float:
        """Budget used by ``support`` EUR of support (administrative cost added)."""
        return support * (1.0 + self.admin_share)

    def budget_left(self, q: int) -> float:
        """Uncommitted budget of the calendar year of quarter ``q`` (model units)."""
        year = self.model.calendar.year_of(q)
        return self.budget_per_year - self._committed.get(year, 0.0)

    def allowance(self, q: int) -> float:
        """Return the delivery's share of what is left of the year's budget (model units)."""
        return self.budget_left(q) / self.deliveries_left_in_year(q)

    def places(self, q: int, unit_support: float) -> int:
        """Return how many units of ``unit_support`` EUR this delivery pays for.

        At full scale: the whole units the allowance pays. At reduced scale the allowance
        is the scaled budget while a unit costs what it does at full scale, so truncating
        would lose up to a unit a delivery, and every unit where one costs more than the
        scaled allowance (a small budget at 5% scale delivered nothing). There the part of
        a unit left over is delivered with a chance equal to that part (a draw keyed on the
        instrument and the quarter): expected places and spend are the scaled full-scale
        ones, and a year's commitments can pass its budget by less than one unit.
        """
        unit = self.cost(unit_support)
        exact = max(self.allowance(q), 0.0) / unit
        whole = int(exact)
        if self.model.scale < 1.0:
            self.largest_unit = max(self.largest_unit, unit)
            if uniform(self.model.stream, q, 0, self.tag, ROUNDING_DRAW) < exact - whole:
                whole += 1
        return whole

    def affordable(self, q: int, applicants: np.ndarray, unit_support: float) -> np.ndarray:
        """Return the first applicants the allowance pays for; count the rest as refused."""
        unbounded = self.cost(unit_support) <= 0
        places = applicants.size if unbounded else self.places(q, unit_support)
        return self.admit(q, applicants, places)

    def fill_places(self, q: int, unit_support: float, sme_share: float,
                    firm_chance: np.ndarray | float,
                    sme_chance: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """Split the places the allowance pays between firms and SMEs; return the admitted.

        Places are paid at ``unit_support``, a share ``sme_share`` for digital SMEs and the
        rest for smart firms; the return value is the admitted (firms, smes).

        Unused places of one group are not given to the other.
        """
        places = self.places(q, unit_support)
        sme_places = int(round(places * sme_share))
        smes = self.draw_applicants(q, self.eligible_smes(), sme_chance, population="smes")
        firms = self.draw_applicants(q, self.eligible_firms(), firm_chance)
        return self.admit(q, firms, places - sme_places), self.admit(q, smes, sme_places)

    def admit(self, q: int, applicants: np.ndarray, places: int) -> np.ndarray:
        """Return the first ``places`` applicants; count the rest as refused."""
        self.book(q, "refused", max(applicants.size - places, 0))
        return applicants[:max(places, 0)]

    def commit(self, q: int, support: float) -> None:
        """Commit ``support`` (plus administrative cost) against the year's budget.

        Raises:
            RuntimeError: The commitment does not fit (a bug in the subclass: it must
                size cohorts with :meth:`places`).

        """
        amount = self.cost(support)
        if amount > self.budget_left(q) + self.largest_unit + 1e-6:
            raise RuntimeError(f"{self.name}: commitment beyond the year's budget")
        year = self.model.calendar.year_of(q)
        self._committed[year] = self._committed.get(year, 0.0) + amount

    def disburse(self, q: int, support: float) -> None:
        """Commit and pay ``support`` at once (support delivered in the quarter)."""
        self.commit(q, support)
        self.pay(q, support)

    def pay(self, q: int, support: float) -> None:
        """Book ``support`` EUR (model units) paid out, with its administrative cost."""
        self.book(q, "spend", self.cost(support))
        self.book(q, "admin", support * self.admin_share)

    def book(self, q: int, account: str, amount: float) -> None:
        """Add ``amount`` to an account for quarter ``q`` (money in full-population EUR)."""
        if account in ("budget", "spend", "admin"):
            amount /= self.model.scale
        self.accounts[account][q] += amount

    def total(self, account: str) -> float:
        """Sum of an account over the run."""
        return float(self.accounts[account].sum())

    # --- eligibility and selection ------------------------------------------------------
    def eligible_firms(self) -> np.ndarray:
        """Mask of alive smart firms in the instrument's sectors and size range."""
        f = self.model.firms
        return (f.alive & np.isin(f.sector, self.sectors)
                & (f.employees >= self.params["min_employees"])
                & (f.employees <= self.params["max_employees"]))

    def eligible_smes(self) -> np.ndarray:
        """Mask of alive digital SMEs in the instrument's size range."""
        s = self.model.smes
        return (s.alive & (s.employees >= self.params["min_employees"])
                & (s.employees <= self.params["max_employees"]))

    def draw_applicants(self, q: int, mask: np.ndarray, chance: np.ndarray | float,
                        population: str = "firms") -> np.ndarray:
        """Rows in ``mask`` that apply (a draw below ``chance``), in random order."""
        rows = np.flatnonzero(mask)
        stream = self.model.stream
        k = 0 if population == "firms" else 2
        chance = np.broadcast_to(np.asarray(chance, dtype=float), mask.shape)
        apply = uniforms(stream, q, rows, self.tag, k) < chance[rows]
        rows = rows[apply]
        self.book(q, "applications", rows.size)
        return rows[np.argsort(uniforms(stream, q, rows, self.tag, k + 1), kind="stable")]

    def make_ready(self, q: int, rows: np.ndarray, until: int, chance: float) -> np.ndarray:
        """Make firms in ``rows`` ready, with chance ``chance`` (keyed draws); return them.

        A ready firm demands a project at once and every quarter until ``until`` or until
        matched.
        """
        f = self.model.firms
        ready = rows[uniforms(self.model.stream, q, rows, self.tag, 8) < chance]
        f.ready_until[ready] = np.maximum(f.ready_until[ready], until)
        return ready

    def reach(self, q: int, population: str, rows: np.ndarray) -> None:
        """Record that ``rows`` of ``population`` ("firms"/"smes") benefit in quarter ``q``."""
        self.book(q, "beneficiaries", rows.size)
        if rows.size:
            self.reached.append((q, population, rows.copy()))

    def reached_rows(self, population: str) -> np.ndarray:
        """Every row of ``population`` the instrument reached (with repeats)."""
        parts = [rows for _, pop, rows in self.reached if pop == population]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    @property
    def tag(self) -> int:
        """Purpose code of this instrument's random draws (type and position)."""
        return self.PURPOSE * 64 + self.index
