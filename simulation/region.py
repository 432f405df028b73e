"""One partner region as a Mesa model: it owns the state arrays and runs the kernels.

The quarter's order of phases lives in :mod:`simulation.schedule`; this module holds
what each phase does to one region. Reported counts are in full-population units
(divided by ``scale``).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import mesa
import numpy as np

from . import rng
from .agents import DigitalSME, SmartFirm, ViewRegistry
from .calendar import Calendar
from .errors import InputError, did_you_mean, show_value
from .fitted import fitted_values
from .instruments import INSTRUMENT_TYPES, PolicyInstrument
from .instruments.base import BUDGET_SPLITS
from .kernels.demand import BASIC_MATURITY, demand
from .kernels.dynamics import firm_dynamics, sme_dynamics
from .kernels.entry import init_firms, init_smes, stationary_age_cdf
from .kernels.execution import deliver_outcomes, execute
from .kernels.learning import firm_learning, sme_learning
from .kernels.matching import match_local, match_requests
from .kernels.observe import observe_firms, observe_smes
from .kernels.parallel import threads
from .kernels.quarter import (
    NEED_ROOM,
    FirmArrays,
    LoneParams,
    ProjectArrays,
    SmeArrays,
    lone_demand_and_match,
    lone_enter_learn_observe,
    lone_execute_and_dynamics,
    lone_phases_2_to_5,
)
from .params import resolve_params, validated_params
from .regions import get_region, region_codes
from .rng import make_stream
from .state import FIRM_COLUMNS, NO_QUARTER, PROJECT_COLUMNS, REGION_SHIFT, SME_COLUMNS, Table
from .taxonomy import N_DOMAINS, N_SECTORS, SECTOR_ID

SERIES = (
    "enabling",
    "smes_alive",
    "sme_births",
    "sme_deaths",
    "sme_jobs",
    "firms_alive",
    "firm_births",
    "firm_deaths",
    "dii_basic_share",
    "mean_productivity",
    "demand",
    "projects_started",
    "projects_cross_region",
    "projects_finished",
    "projects_succeeded",
    "public_spend",
)
"""Indicators recorded every quarter (counts in full-population units)."""

MODEL_REPORTERS = {
    "quarter": lambda m: m.calendar.label(m.quarter),
    "enabling": lambda m: m.series["enabling"][m.quarter],
    "growth_vs_2018Q4": lambda m: m.growth(),
    "dii_basic_share": lambda m: m.series["dii_basic_share"][m.quarter],
    "smes_alive": lambda m: m.series["smes_alive"][m.quarter],
    "firms_alive": lambda m: m.series["firms_alive"][m.quarter],
}
"""What a region model's DataCollector records each quarter (used by ``mesa.batch_run``)."""

BASELINE_YEAR = 2018
"""The DEVISE baseline is the indicator at the fourth quarter of this year."""

ENABLING_WINDOW = 4
"""Quarters in which a success makes a digital SME count as enabling."""

INITIAL_AGE_SPREAD = 40
"""Smart firms' birth quarters at set-up spread over the ten years before the spin-up."""

MAX_INITIAL_AGE = 400
"""Oldest digital SME at set-up (quarters): its ages follow the stationary distribution of
the exit hazards, truncated here (100 years; under 1% of the mass lies beyond)."""

SPINUP_YEARS = 20
"""Years simulated before the burn-in (no instruments, constant populations, the frontier on
its path of :func:`frontier_level`), so that the burn-in starts from the model's own steady
state (docs/model.md, section 5)."""

COMPACT_EVERY = 20
"""Quarters between two compactions of the tables in the spin-up (and one at its end)."""


def lone_params(params: Mapping[str, float], death_rate: float) -> tuple:
    """Model parameters as :func:`RegionModel.lone_quarter` passes them to compiled code.

    The values of :class:`~simulation.kernels.quarter.LoneParams`, in its order:
    ``exit_mature`` and ``firm_death_rate`` are the exit factors times the region's
    ``death_rate``; counts are whole numbers, the rest floats.
    """
    derived = {"exit_mature": params["exit_mature_factor"] * death_rate,
               "firm_death_rate": params["firm_exit_factor"] * death_rate}
    whole = {"search_breadth", "duration_max", "cash_exit_quarters"}
    return tuple(int(params[name]) if name in whole
                 else float(derived[name] if name in derived else params[name])
                 for name in LoneParams._fields)


def frontier_level(params: Mapping[str, float], q: int) -> float:
    """Return the sector frontier in quarter ``q`` (0 = first quarter of the burn-in).

    It rises by ``frontier_growth`` a quarter through the spin-up and after, passing
    ``frontier_start`` at the end of the spin-up (``q = -1``); going back in time it falls to
    the basic level 4/12, where it is held before, and it never passes 1. So the burn-in
    starts in the regime of a moving frontier, not at the moment it starts to move.
    """
    level = params["frontier_start"] + params["frontier_growth"] * (q + 1)
    return min(1.0, max(BASIC_MATURITY, level))


_NEWBORN = np.ones(1)
"""Age distribution of start-ups: all of age 0."""


@dataclass(frozen=True)
class InstrumentSpec:
    """A policy instrument as a scenario declares it (validated by the scenario loader).

    Attributes:
        kind: Instrument type (a key of ``INSTRUMENT_TYPES``).
        name: Label used in outputs.
        params: Complete parameter values (declared defaults filled in).
        start: First quarter of delivery, ``"YYYYQn"``.
        end: Last quarter of delivery, ``"YYYYQn"``.
        regions: Region codes the instrument runs in.
        sectors: Eligible sector keys; empty means every sector of the region.
        budget_split: ``"shared"`` (the declared budget is split over the regions) or
            ``"per_region"`` (each region has it); see
            :data:`simulation.instruments.base.BUDGET_SPLITS`.
        budget_regions: The regions a shared budget is split over (empty: ``regions``);
            kept when a run simulates fewer of them, so each keeps its own part.

    """

    kind: str
    name: str
    params: Mapping[str, float]
    start: str
    end: str
    regions: tuple[str, ...]
    sectors: tuple[str, ...] = ()
    budget_split: str = "shared"
    budget_regions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        """Check the type, the parameters, the split and the bound on firms founded.

        Declared defaults are filled in. The checks are the same for an instrument from a
        file or built in Python (InputError naming the instrument and the key; the loader
        names file and key path).
        """
        where = f"instrument {self.name!r}"
        cls = INSTRUMENT_TYPES.get(self.kind)
        if cls is None:
            raise InputError(where, "type", "an instrument type", show_value(self.kind),
                             did_you_mean(self.kind, INSTRUMENT_TYPES))
        object.__setattr__(self, "params",
                           validated_params(self.params, cls.declared_params(), where, ""))
        if self.budget_split not in BUDGET_SPLITS:
            raise InputError(where, "budget_split", f"one of {', '.join(BUDGET_SPLITS)}",
                             show_value(self.budget_split),
                             did_you_mean(self.budget_split, BUDGET_SPLITS))
        for code in self.regions:
            problem = cls.creation_problem(self.params, self.budget_share(code), code)
            if problem:
                raise InputError(where, "budget_per_year", "a budget whose start-ups fit the "
                                 "region", problem, "lower budget_per_year or raise the cost "
                                 "of a place")

    def budget_share(self, code: str) -> float:
        """Region ``code``'s part of the declared yearly budget."""
        shares = INSTRUMENT_TYPES[self.kind].budget_shares(
            self.budget_regions or self.regions, self.budget_split)
        return shares[code]


@dataclass
class Requests:
    """Clients of one region looking for a provider in another region this quarter."""

    region: np.ndarray
    client: np.ndarray
    domain: np.ndarray
    sector: np.ndarray
    absorptive: np.ndarray
    matched: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def take(self, rows: np.ndarray) -> Requests:
        """Return the requests at positions ``rows``, in that order (not yet matched)."""
        return Requests(self.region[rows], self.client[rows], self.domain[rows],
                        self.sector[rows], self.absorptive[rows])

    @classmethod
    def concat(cls, parts: Sequence[Requests]) -> Requests:
        """Stack several regions' requests (in the given order)."""
        cols = ("region", "client", "domain", "sector", "absorptive")
        if not parts:
            return cls(*(np.zeros(0, dtype=np.int32) for _ in cols[:-1]), np.zeros(0, "f4"))
        return cls(*(np.concatenate([getattr(p, c) for p in parts]) for c in cols))


@dataclass
class Outcomes:
    """Finished projects of one region's clients with providers elsewhere."""

    client_region: np.ndarray
    client: np.ndarray
    success: np.ndarray
    provider_key: np.ndarray


class QuarterlyModel(mesa.Model):
    """A Mesa model on the quarterly calendar: it runs until the horizon's last quarter.

    ``quarter`` is the last quarter simulated: -1 after set-up (the starting state is the
    end of the quarter before the burn-in starts), so the first ``step`` simulates quarter
    0 and the ``n_quarters``-th simulates the last. Subclasses set ``self.calendar`` and
    ``self.quarter`` and define ``step``.
    """

    calendar: Calendar
    quarter: int

    @property
    def running(self) -> bool:
        """Whether quarters remain to simulate (Mesa's batch_run reads this)."""
        return self.quarter < self.calendar.n_quarters - 1

    @running.setter
    def running(self, value: bool) -> None:
        """Mesa sets ``running`` at set-up; the calendar decides here."""

    def run(self):
        """Simulate to the end of the horizon; return self."""
        while self.running:
            self.step()
        return self


class RegionModel(QuarterlyModel):
    """A DEVISE partner region: digital SMEs, smart firms and policy instruments.

    Args:
        region: Region code from the registry (``devise regions``).
        scale: Fraction of the full populations simulated (1.0 = one agent per firm).
        seed: Run seed (Mesa convention; pass ``seed`` or ``rng``, not both).
        rng: NumPy-style seed or generator (Mesa convention).
        replicate: Replicate number, mixed into every random draw.
        start_year: First reported year after the burn-in (the DEVISE baseline is 2018Q4).
        end_year: Last simulated year.
        burn_in_years: Years of business as usual simulated before ``start_year``.
        spinup_years: Years simulated before the burn-in with no instruments and constant
            populations (every exit replaced by an entrant), the frontier rising to
            ``frontier_start`` (:func:`frontier_level`), not recorded: the burn-in starts
            from the state these settle into, not from the set-up draw.
        params: Overrides of :data:`simulation.params.MODEL_PARAMS`.
        instruments: Policy instruments; those not naming this region are ignored.
        calibrated: Start from the region's fitted parameter values
            (calibration/regions/CODE.toml, when the file exists) instead of the declared
            defaults; ``params`` override either.

    """

    def __init__(
        self,
        region: str = "ES13",
        scale: float = 1.0,
        seed: int | None = None,
        rng: object | None = None,
        replicate: int = 0,
        start_year: int = 2018,
        end_year: int = 2025,
        burn_in_years: int = 5,
        params: Mapping[str, float] | None = None,
        instruments: Sequence[InstrumentSpec] = (),
        calibrated: bool = True,
        spinup_years: int = SPINUP_YEARS,
    ) -> None:
        super().__init__(seed=seed, rng=rng)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 < scale <= 1:
            raise InputError("RegionModel", "scale", "a number in (0, 1]", show_value(scale))
        self.spec = get_region(region)
        self.code = self.spec.code
        self.scale = float(scale)
        self.replicate = int(replicate)
        # The region's identity in random and provider keys: its position in the registry,
        # whatever regions a run includes, so a region draws the same numbers alone or among
        # others, and scenarios with different region lists keep common random numbers.
        self.region_index = region_codes().index(self.code)
        self.calendar = Calendar.for_horizon(start_year, end_year, burn_in_years)
        fitted = fitted_values(self.code) if calibrated else {}
        self.params = resolve_params({**fitted, **(params or {})})
        self._kernel_params = lone_params(self.params, self.spec.death_rate.value)
        run_seed = seed if isinstance(seed, int) else int(self.rng.integers(2**63))
        self.run_seed = int(run_seed)
        self.stream = int(make_stream(self.run_seed, self.replicate, self.region_index))
        if isinstance(spinup_years, bool) or not isinstance(spinup_years, int) or spinup_years < 0:
            raise InputError("RegionModel", "spinup_years", "a whole number >= 0",
                             show_value(spinup_years))
        self.spinup_years = spinup_years
        self.quarter = -4 * spinup_years - 1
        self.instruments: list[PolicyInstrument] = []
        self._quarter_deaths = (0, 0)
        self.frontier = np.full(N_SECTORS, frontier_level(self.params, self.quarter))
        self.series = {name: np.zeros(self.calendar.n_quarters) for name in SERIES}
        self.timings: dict[str, float] = {}
        self._sector_basic_share = np.zeros(N_SECTORS)
        self._sector_productivity = np.zeros(N_SECTORS)
        self._populate()
        self._observe_firms()
        self._spin_up()
        self._add_instruments(instruments)
        self._sme_views = ViewRegistry(self, DigitalSME)
        self._firm_views = ViewRegistry(self, SmartFirm)
        self.datacollector = mesa.DataCollector(model_reporters=MODEL_REPORTERS)

    # --- set-up ---------------------------------------------------------------
    def _populate(self) -> None:
        """Draw the initial populations at full counts times ``scale``.

        They are alive at set-up, the quarter before the spin-up.
        """
        p = self.params
        n_smes = max(1, round(self.spec.n_digital_smes.value * self.scale))
        n_firms = max(1, round(self.spec.n_smart_firms.value * self.scale))
        self.smes = Table(SME_COLUMNS, capacity=int(n_smes * 2.5) + 16)
        self.firms = Table(FIRM_COLUMNS, capacity=int(n_firms * 2.5) + 16)
        self.projects = Table(PROJECT_COLUMNS, capacity=max(64, n_firms // 10))
        self.sector_ids = np.array([SECTOR_ID[s] for s in self.spec.sectors], dtype=np.int32)
        self.sector_cum_weights = np.cumsum(self.spec.sector_weights)
        target_share = min(max(self.spec.dii_basic_share_2021.value * p["initial_basic_ratio"],
                               1e-3), 0.999)
        threshold = BASIC_MATURITY / p["frontier_start"]
        self.maturity_exponent = math.log(threshold) / math.log(1.0 - target_share)
        self._add_smes(n_smes, self._stationary_age_cdf())
        self._add_firms(n_firms, INITIAL_AGE_SPREAD)

    def _spin_up(self) -> None:
        """Simulate the spin-up quarters (``q < 0``).

        The rows of agents that died (no running project refers to them) are dropped every
        COMPACT_EVERY quarters and at the end, keeping the others' order. During the spin-up
        the frontier rises to ``frontier_start`` (:func:`frontier_level`), nothing is
        recorded, and entry replaces every exit, so populations keep their set-up size while
        ages, capabilities, experience, ties, maturities and sizes settle.
        """
        from .schedule import run_quarter

        while self.quarter < -1:
            run_quarter([self], self.quarter + 1, exchange=None)
            if (self.quarter + 1) % COMPACT_EVERY == 0:
                self._compact()

    def _compact(self) -> None:
        """Drop dead agents' rows not referenced by a running project; renumber the rest.

        Rows keep their order; ties and projects are renumbered (ties to a dropped row, which
        learning has already cleared, stay empty).
        """
        s, f, pr = self.smes, self.firms, self.projects
        keep_s = s.alive.copy()
        keep_s[pr.provider] = True
        keep_f = f.alive.copy()
        keep_f[pr.client] = True
        new_s = np.cumsum(keep_s) - 1
        new_f = np.cumsum(keep_f) - 1
        ties = f.ties
        local = (ties >= 0) & ((ties >> REGION_SHIFT) == self.region_index)
        rows = np.where(local, ties & ((1 << REGION_SHIFT) - 1), 0)
        mapped = np.where(keep_s[rows], (self.region_index << REGION_SHIFT) | new_s[rows], -1)
        ties[...] = np.where(local, mapped, ties)
        pr.provider[...] = new_s[pr.provider]
        pr.client[...] = new_f[pr.client]
        s.keep(keep_s)
        f.keep(keep_f)

    def _stationary_age_cdf(self) -> np.ndarray:
        """Return the distribution of digital SME ages in a steady population.

        It follows the exit hazards (first year, years two to five, older; cash exits left
        out).
        """
        p = self.params
        ages = np.arange(MAX_INITIAL_AGE)
        mature = p["exit_mature_factor"] * self.spec.death_rate.value
        yearly = np.where(ages < 4, p["exit_first_year"],
                          np.where(ages < 20, p["exit_years_2_to_5"], mature))
        return stationary_age_cdf(1.0 - (1.0 - yearly) ** 0.25)

    def _add_smes(self, count: int, age_cdf: np.ndarray = _NEWBORN) -> None:
        """Draw ``count`` digital SMEs on the next rows, ages from ``age_cdf``.

        Start-ups (the default) are of age 0.
        """
        start = self.smes.n
        self.smes.append(count)
        s, p = self.smes, self.params
        init_smes(start, s.n, s.alive, s.employees, s.birth_q, s.capability, s.reputation,
                  s.cash, s.orientation, self.quarter, self.stream, p["newborn_capability"],
                  age_cdf, p["capability_decay"], p["cash_margin"])

    def _add_firms(self, count: int, age_spread: int) -> None:
        start = self.firms.n
        self.firms.append(count)
        f = self.firms
        init_firms(start, f.n, f.alive, f.sector, f.employees, f.birth_q, f.maturity,
                   f.absorptive, f.awareness, f.productivity, self.sector_ids,
                   self.sector_cum_weights, self.quarter, self.stream, self.frontier,
                   self.maturity_exponent, age_spread)

    def with_instruments(self, instruments: Sequence[InstrumentSpec]) -> RegionModel:
        """Return a copy of this model before its first quarter, with ``instruments`` added.

        Only the instruments naming its region are added. The copy makes the same run as a
        model built with them, without simulating the spin-up again (common random numbers
        between a base and a policy run).
        """
        if self.quarter != -1 or self.instruments:
            raise ValueError("with_instruments copies a model with no instruments that has "
                             "not been stepped yet")
        twin = copy.deepcopy(self)
        twin._add_instruments(instruments)
        return twin

    def _add_instruments(self, instruments: Sequence[InstrumentSpec]) -> None:
        self.instruments = [
            self._build_instrument(spec, k)
            for k, spec in enumerate(s for s in instruments if self.code in s.regions)
        ]

    def _build_instrument(self, spec: InstrumentSpec, index: int) -> PolicyInstrument:
        sectors = spec.sectors or self.spec.sectors
        return INSTRUMENT_TYPES[spec.kind](
            self, spec.name, spec.params, self.calendar.parse(spec.start),
            self.calendar.parse(spec.end), tuple(SECTOR_ID[s] for s in sectors), index,
            spec.budget_share(self.code),
        )

    # --- Mesa ------------------------------------------------------------------
    @property
    def agents(self) -> mesa.agent.AgentSet:
        """All agents (views are brought up to date first)."""
        self._sync_views()
        return super().agents

    @property
    def agents_by_type(self) -> dict[type[mesa.Agent], mesa.agent.AgentSet]:
        """Agents by class (views are brought up to date first)."""
        self._sync_views()
        return super().agents_by_type

    def _sync_views(self) -> None:
        if hasattr(self, "_sme_views"):
            self._sme_views.sync()
            self._firm_views.sync()

    def step(self) -> None:
        """Simulate the next quarter (this region alone; see :class:`Ecosystem` for all ten).

        The DataCollector records each simulated quarter, so its row ``k`` (and Mesa's
        ``Step`` ``k + 1``) is quarter ``k``.
        """
        from .schedule import run_quarter

        run_quarter([self], self.quarter + 1, exchange=None)
        self.datacollector.collect(self)

    # --- phases of a quarter (order in schedule.run_quarter) -------------------
    def begin_quarter(self, q: int) -> None:
        """Move the clock and the sector frontier to quarter ``q`` (:func:`frontier_level`)."""
        self.quarter = q
        self.frontier[:] = frontier_level(self.params, q)

    def act_instruments(self) -> None:
        """Phase 1: policy instruments deliver."""
        for instrument in self.instruments:
            instrument.step()

    def draw_demand(self) -> None:
        """Phase 2: smart firms decide whether to start a digital project."""
        f = self.firms
        p = self.params
        n = demand(f.alive, f.sector, f.employees, f.maturity, f.awareness, f.absorptive,
                   f.in_project, f.ready_until, self.frontier, N_DOMAINS, self.quarter,
                   self.stream, p["demand_base"], p["demand_size_elasticity"], f.demand_domain)
        self._record("demand", n)

    def match_local(self) -> Requests:
        """Phase 3a: match demand with local providers; return requests to search abroad."""
        p, f, s, pr = self.params, self.firms, self.smes, self.projects
        pr.reserve(int((f.demand_domain >= 0).sum()))
        start = pr.n
        out_cross = np.empty(f.n, dtype=np.int64)
        made, n_cross = match_local(
            f.demand_domain, f.sector, f.absorptive, f.in_project, f.ready_until, f.ties,
            f.breadth_extra,
            f.breadth_until, f.support_until, f.support_cap, f.support_rate, f.support_scale,
            f.support_instrument, f.support_used, s.alive, s.employees, s.orientation, s.busy,
            s.capability, s.experience, s.reputation, *self._project_columns(), pr.n,
            self.region_index,
            self.quarter, self.stream, int(p["search_breadth"]), p["reservation"],
            p["w_capability"], p["w_experience"], p["w_reputation"], p["tie_bonus"],
            p["project_value_median"], p["project_value_sigma"], int(p["duration_max"]),
            p["cross_region_share"], out_cross,
        )
        pr.n += made
        new_rows = np.arange(start, pr.n)
        for instrument in self.instruments:
            instrument.after_matching(self.quarter, new_rows)
        self._record("projects_started", made)
        rows = out_cross[:n_cross]
        return Requests(np.full(n_cross, self.region_index, dtype=np.int32),
                        rows.astype(np.int32), f.demand_domain[rows].astype(np.int32),
                        f.sector[rows].astype(np.int32), f.absorptive[rows].astype(np.float32))

    def serve_requests(self, req: Requests) -> None:
        """Phase 3b: offer this region's providers to clients from other regions."""
        p, s, pr = self.params, self.smes, self.projects
        pr.reserve(req.client.size)
        req.matched = np.zeros(req.client.size, dtype=bool)
        made = match_requests(
            req.region, req.client, req.domain, req.sector, req.absorptive, s.alive, s.employees,
            s.orientation, s.busy, s.capability, s.experience, s.reputation,
            *self._project_columns(), pr.n, self.region_index, self.quarter, self.stream,
            int(p["search_breadth"]), p["reservation"], p["cross_region_penalty"],
            p["w_capability"], p["w_experience"], p["w_reputation"], p["project_value_median"],
            p["project_value_sigma"], int(p["duration_max"]), req.matched,
        )
        pr.n += made
        self._record("projects_started", made)
        self._record("projects_cross_region", made)

    def accept_matches(self, req: Requests) -> None:
        """Phase 3c: clients whose request abroad was matched are now in a project."""
        matched = req.client[req.matched]
        self.firms.in_project[matched] = True
        self.firms.ready_until[matched] = NO_QUARTER

    def execute_projects(self) -> Outcomes:
        """Phase 4: resolve projects ending now; return outcomes for foreign clients."""
        p, f, s, pr = self.params, self.firms, self.smes, self.projects
        done = np.empty(pr.n, dtype=bool)
        success = np.empty(pr.n, dtype=bool)
        foreign = np.empty(pr.n, dtype=bool)
        finished, won = execute(
            pr.client_region, pr.client, pr.provider, pr.domain, pr.sector, pr.client_absorptive,
            pr.value, pr.end_q, s.alive, s.busy, s.capability, s.experience, s.reputation, s.cash,
            s.last_success_q, s.successes, f.sector, f.maturity, f.productivity, f.in_project,
            f.ties, self.frontier, self.region_index, self.quarter, self.stream,
            p["success_intercept"], p["success_capability"], p["success_absorptive"],
            p["success_experience"], p["capability_gain"], p["experience_gain"],
            p["reputation_gain"], p["reputation_loss"], p["project_margin"], p["maturity_gain"],
            p["productivity_gain"], done, success, foreign,
        )
        out = Outcomes(pr.client_region[foreign].copy(), pr.client[foreign].copy(),
                       success[foreign].copy(),
                       (self.region_index << REGION_SHIFT) | pr.provider[foreign])
        pr.keep(~done)
        self._record("projects_finished", finished)
        self._record("projects_succeeded", won)
        return out

    def receive_outcomes(self, clients: np.ndarray, success: np.ndarray,
                         provider_keys: np.ndarray) -> None:
        """Phase 4b: apply outcomes of this region's clients' projects abroad."""
        f, p = self.firms, self.params
        deliver_outcomes(clients, success, provider_keys, f.sector, f.maturity, f.productivity,
                         f.in_project, f.ties, self.frontier, self.quarter, self.stream,
                         p["maturity_gain"], p["productivity_gain"])

    def firm_dynamics(self) -> None:
        """Phase 5: size shocks, cash and exits of both populations."""
        p, f, s = self.params, self.firms, self.smes
        deaths = sme_dynamics(
            s.alive, s.employees, s.birth_q, s.death_q, s.cash, s.neg_cash_quarters,
            self.quarter, self.stream, p["growth_scale"], p["growth_size_exponent"],
            p["cash_margin"], p["cash_margin_sd"], p["exit_first_year"], p["exit_years_2_to_5"],
            p["exit_mature_factor"] * self.spec.death_rate.value, int(p["cash_exit_quarters"]),
        )
        self._record("sme_deaths", deaths)
        sme_deaths = deaths
        deaths = firm_dynamics(
            f.alive, f.sector, f.employees, f.productivity, f.death_q, self._sector_productivity,
            self.quarter, self.stream, p["growth_scale"], p["growth_size_exponent"],
            p["competition"], p["firm_exit_factor"] * self.spec.death_rate.value,
            p["exit_productivity"],
        )
        self._record("firm_deaths", deaths)
        self._quarter_deaths = (sme_deaths, deaths)

    def entry(self) -> None:
        """Phase 6: start-up births at the region's rates (in the spin-up: one per exit)."""
        new_smes, new_firms = self._entrants(*self._quarter_deaths)
        self.add_startups(new_smes)
        self._add_firms(new_firms, 0)
        self._record("firm_births", new_firms)

    def _entrants(self, sme_deaths: int, firm_deaths: int) -> tuple[int, int]:
        """Digital start-ups and smart firms founded this quarter (spin-up: one per exit).

        From quarter 0 on, Poisson draws at the region's birth rate times the alive
        populations (after this quarter's exits).
        """
        q = self.quarter
        if q < 0:
            return sme_deaths, firm_deaths
        rate_q = 1.0 - (1.0 - self.spec.birth_rate.value) ** 0.25
        n_smes = int(self.smes.alive.sum())
        new_smes = rng.poisson(rate_q * self.params["birth_rate_factor"] * n_smes, self.stream,
                               q, 0, rng.BIRTHS)
        n_firms = int(self.firms.alive.sum())
        new_firms = rng.poisson(rate_q * n_firms, self.stream, q, 0, rng.FIRM_BIRTHS)
        return new_smes, new_firms

    def add_startups(self, count: int) -> np.ndarray:
        """Found ``count`` digital start-ups now (counted as births); return their rows."""
        start = self.smes.n
        self._add_smes(count)
        self._record("sme_births", count)
        return np.arange(start, self.smes.n)

    def learning(self) -> None:
        """Phase 7: awareness diffusion, spillovers along ties, capability decay."""
        p, f, s = self.params, self.firms, self.smes
        firm_learning(f.alive, f.sector, f.maturity, f.awareness, f.ties,
                      self._sector_basic_share, self.frontier, s.alive, s.capability,
                      self.region_index, self.quarter, self.stream, p["bass_p"], p["bass_q"],
                      p["spillover_rate"], p["tie_decay"])
        sme_learning(s.alive, s.capability, s.experience, p["capability_decay"])

    def observe(self) -> None:
        """Phase 8: record the DEVISE indicator and companion series for this quarter.

        In the spin-up, only the sector means the next quarter reads are updated.
        """
        s, q = self.smes, self.quarter
        if q < 0:
            self._observe_firms()
            return
        smes = observe_smes(s.alive, s.employees, s.last_success_q, q, ENABLING_WINDOW)
        self._record_observation(*smes, *self._observe_firms())

    def _record_observation(self, n_smes: int, enabling: int, jobs: float, n_firms: int,
                            n_sme: int, n_basic: int, mean_prod: float) -> None:
        """Record phase 8's counts for the current quarter (see :meth:`observe`)."""
        q = self.quarter
        self._record("enabling", enabling)
        self._record("smes_alive", n_smes)
        self._record("sme_jobs", jobs)
        self._record("firms_alive", n_firms)
        self.series["dii_basic_share"][q] = n_basic / n_sme if n_sme else 0.0
        self.series["mean_productivity"][q] = mean_prod
        self.series["public_spend"][q] = sum(i.accounts["spend"][q] for i in self.instruments)

    # --- a quarter alone, compiled (kernels/quarter.py) -------------------------
    def runs_alone_compiled(self) -> bool:
        """Whether a quarter of this region alone can run as compiled calls.

        That is when kernels run on one thread (:meth:`lone_quarter`; the row kernels'
        threaded twins are used phase by phase).
        """
        return threads() == 1

    def lone_quarter(self, q: int) -> None:
        """Simulate quarter ``q`` of this region alone.

        The phases of :func:`simulation.schedule.run_quarter` as three compiled calls (two
        without instruments), with the same results (simulation/kernels/quarter.py);
        between them, the instruments act and the entrants' rows are added, where the
        tables can grow.
        """
        self.begin_quarter(q)
        self.act_instruments()
        f, s, pr = self.firms, self.smes, self.projects
        params = self._kernel_params

        def columns() -> tuple:
            return (f.whole(FirmArrays), f.n, s.whole(SmeArrays), s.n, pr.whole(ProjectArrays),
                    pr.n, self.frontier)

        if self.instruments:
            made, n_demand = self._with_project_room(lambda: lone_demand_and_match(
                *columns(), self.region_index, q, self.stream, params))
            new_rows = np.arange(pr.n, pr.n + made)
            pr.n += made
            for instrument in self.instruments:
                instrument.after_matching(q, new_rows)
            kept, finished, won, sme_deaths, firm_deaths = lone_execute_and_dynamics(
                *columns(), self._sector_productivity, self.region_index, q, self.stream,
                params)
        else:
            made, n_demand, kept, finished, won, sme_deaths, firm_deaths = (
                self._with_project_room(lambda: lone_phases_2_to_5(
                    *columns(), self._sector_productivity, self.region_index, q, self.stream,
                    params)))
        pr.n = kept
        new_smes, new_firms = self._entrants(sme_deaths, firm_deaths)
        s.append(new_smes)
        f.append(new_firms)
        if q >= 0:
            for name, count in (("demand", n_demand), ("projects_started", made),
                                ("projects_finished", finished), ("projects_succeeded", won),
                                ("sme_deaths", sme_deaths), ("firm_deaths", firm_deaths),
                                ("sme_births", new_smes), ("firm_births", new_firms)):
                self._record(name, count)
        *counts, self._sector_productivity, self._sector_basic_share = lone_enter_learn_observe(
            f.whole(FirmArrays), f.n, s.whole(SmeArrays), s.n, new_firms, new_smes,
            self._sector_basic_share, self.frontier, self.sector_ids, self.sector_cum_weights,
            self.maturity_exponent, _NEWBORN, self.region_index, q, self.stream, params,
            ENABLING_WINDOW)
        if q >= 0:
            self._record_observation(*counts)

    def _with_project_room(self, call):
        """Return ``call()``, first making room in the project table as long as it asks.

        ``call`` runs a compiled call that returns ``(NEED_ROOM, rows needed, ...)`` when
        the table lacks room (before changing anything but what it rewrites next time).
        """
        while True:
            out = call()
            if out[0] != NEED_ROOM:
                return out
            self.projects.reserve(out[1])

    # --- helpers ----------------------------------------------------------------
    def _observe_firms(self) -> tuple[int, int, int, float]:
        """Update the sector means the next quarter reads (productivity, basic share).

        Return the smart-firm counts (alive, SMEs, SMEs at basic intensity) and the mean
        productivity.
        """
        f = self.firms
        n_firms, n_sme, n_basic, mean_prod, sector_prod, sector_basic = observe_firms(
            f.alive, f.sector, f.employees, f.maturity, f.productivity, N_SECTORS)
        self._sector_productivity = sector_prod
        self._sector_basic_share = sector_basic
        return n_firms, n_sme, n_basic, mean_prod

    def _project_columns(self) -> tuple[np.ndarray, ...]:
        pr = self.projects
        return tuple(pr.full(c) for c in (
            "client_region", "client", "provider", "domain", "sector", "client_absorptive",
            "value", "subsidy", "instrument", "start_q", "end_q"))

    def _record(self, name: str, count: float) -> None:
        """Add a count for the current quarter, converted to full-population units.

        Nothing is recorded in the spin-up.
        """
        if self.quarter >= 0:
            self.series[name][self.quarter] += count / self.scale

    def indicator(self, year: int) -> float:
        """Return the enabling SMEs at the fourth quarter of ``year`` (full-population units)."""
        return float(self.series["enabling"][self.calendar.index(year, 4)])

    def growth(self) -> float:
        """Growth of enabling SMEs now against 2018Q4 (NaN before 2018Q4 or if it was 0)."""
        base_q = self.calendar.index(BASELINE_YEAR, 4)
        base = self.series["enabling"][base_q] if 0 <= base_q <= self.quarter else 0.0
        return self.series["enabling"][self.quarter] / base - 1.0 if base > 0 else float("nan")

    def memory_bytes(self) -> int:
        """Bytes held by the state arrays."""
        return self.smes.nbytes() + self.firms.nbytes() + self.projects.nbytes()

