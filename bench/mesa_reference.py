"""An idiomatic Mesa reference implementation of one region model, for benchmarks and tests.

This is the model as a Mesa user would write it without the numba core: one Python
object per digital SME, smart firm and running project (``mesa.Agent`` subclasses), a
method per phase of the quarter on each agent, and the phases activated through Mesa's
``AgentSet`` (``model.agents_by_type[Cls].do("method")``, in creation order, never
shuffled). Plain Python throughout: no numba kernels, no NumPy vectorised over agents.

It draws the SAME counter-based random numbers as the core (:mod:`simulation.rng`), keyed
on the same ``(stream, quarter, row, purpose, k)``; an agent's ``row`` is its row in the
core's arrays (order of creation: incumbents first, then births in order). Every
floating-point operation is done in the kernels' order and precision, and attributes the
core stores as float32 are rounded to float32 where the kernels store them. So, for the
same seed and replicate, :class:`ReferenceRegion` reproduces exactly what
``simulation.region.RegionModel(...).run()`` computes for a region simulated alone.

Scope: ONE region alone (no ecosystem: requests for providers abroad go unmatched, as
with ``exchange=None``) under business as usual (no policy instruments, so no vouchers,
grants, brokered contacts or loans). It is meant for benchmarking the numba core against
(``bench``) and for equality tests (``tests/test_mesa_reference.py``), not for analysis:
use :class:`simulation.region.RegionModel` for that.

By default the draws call the compiled functions of :mod:`simulation.rng` from Python
(the cheapest way to get the same numbers, which makes this baseline as fast as plain
Python allows); ``draws="python"`` uses interpreted twins of the same functions instead.
exp and pow are the kernels' own (:mod:`simulation.kernels.detmath`), compiled or
interpreted with the draws.
"""

from __future__ import annotations

import bisect
import math
import types
from collections.abc import Mapping

import mesa
import numpy as np

from simulation import rng
from simulation.agents import ID_COUNTERS
from simulation.calendar import Calendar
from simulation.fitted import fitted_values
from simulation.kernels import detmath
from simulation.kernels.demand import BASIC_MATURITY
from simulation.kernels.dynamics import SME_SIZE_CAP
from simulation.kernels.entry import FIRM_SIZE_CAP
from simulation.params import resolve_params
from simulation.region import (
    COMPACT_EVERY,
    ENABLING_WINDOW,
    INITIAL_AGE_SPREAD,
    MAX_INITIAL_AGE,
    SERIES,
    SPINUP_YEARS,
)
from simulation.regions import get_region, region_codes
from simulation.state import (
    FIRM_COLUMNS,
    N_TIES,
    NO_QUARTER,
    PROJECT_COLUMNS,
    REGION_SHIFT,
    SME_COLUMNS,
)
from simulation.taxonomy import N_DOMAINS, N_SECTORS, SECTOR_ID

_LOW = (1 << REGION_SHIFT) - 1
_F32 = np.float32


def f32(x: float) -> float:
    """Round a float to float32 precision (what storing into a float32 column does)."""
    return float(_F32(x))


def pareto_size(u: float, cap: float) -> float:
    """Truncated Pareto(alpha=1) size on [1, cap] by inversion of the uniform ``u``."""
    return 1.0 / (1.0 - u * (1.0 - 1.0 / cap))


def quarterly(yearly_rate: float) -> float:
    """Quarterly hazard equivalent to a yearly one."""
    return 1.0 - (1.0 - yearly_rate) ** 0.25


def year_start(q: int) -> int:
    """First quarter of the year holding quarter ``q``."""
    return q - q % 4


_DRAW_FUNCTIONS = ("hash32", "make_stream", "bits", "uniform", "normal", "laplace", "poisson")
_DRAW_HELPERS = ("quarter_key", "agent_key", "bits_at", "uniform_at", "normal_at", "laplace_at")
_MATH_FUNCTIONS = ("exp", "log", "pow", "cos_2pi")
_MATH_HELPERS = ("_sin_kernel", "_cos_kernel")


def _twins(module: types.ModuleType, names: tuple[str, ...],
           namespace: dict) -> types.SimpleNamespace:
    """Rebuild each compiled function ``names`` of ``module`` over ``namespace`` (updated)."""
    for name in names:
        py = getattr(module, name).py_func
        namespace[name] = types.FunctionType(py.__code__, namespace, name, py.__defaults__,
                                             py.__closure__)
    return types.SimpleNamespace(**{name: namespace[name] for name in names})


def interpreted_math() -> types.SimpleNamespace:
    """Interpreted twins of :mod:`simulation.kernels.detmath`'s functions (same bits).

    ``sqrt`` is plain Python already (its compiled form is an overload).
    """
    twins = _twins(detmath, _MATH_FUNCTIONS + _MATH_HELPERS, dict(vars(detmath)))
    twins.sqrt = detmath.sqrt
    return twins


def interpreted_draws() -> types.SimpleNamespace:
    """Interpreted twins of :mod:`simulation.rng`'s draw functions (same code, same bits).

    A function's ``py_func`` still calls the compiled versions of the functions it uses;
    here every function is rebuilt over a namespace holding the twins (those of the
    deterministic math included), so no call enters compiled code. ``math`` holds the
    math twins.
    """
    math_twins = interpreted_math()
    draws = _twins(rng, _DRAW_FUNCTIONS + _DRAW_HELPERS, {**vars(rng), "detmath": math_twins})
    draws.math = math_twins
    return draws


def compiled_draws() -> types.SimpleNamespace:
    """The compiled draw functions of :mod:`simulation.rng`, called from Python (``math``:
    the compiled :mod:`simulation.kernels.detmath`)."""
    draws = types.SimpleNamespace(**{name: getattr(rng, name) for name in _DRAW_FUNCTIONS})
    draws.math = detmath
    return draws


class _ReferenceAgent(mesa.Agent):
    """Base of the reference agents: ids counted per model without Mesa's class-level leak."""

    _ids = ID_COUNTERS


class ReferenceSME(_ReferenceAgent):
    """A digital tech SME (provider), with one method per phase it takes part in.

    Attributes mirror the core's SME columns (``simulation.state.SME_COLUMNS``) that
    business as usual uses; ``capability`` (per domain) and ``experience`` (per sector)
    are lists of float32-representable floats.
    """

    def __init__(self, model: ReferenceRegion, row: int, age_cdf: list[float]) -> None:
        """Found the SME of ``row`` now, its age drawn from ``age_cdf`` (what
        ``kernels.entry.init_smes`` draws)."""
        super().__init__(model)
        m = model
        p = m.params
        q = m.quarter
        self.row = row
        self.alive = True
        self.employees = pareto_size(m.uniform(row, rng.INIT_SME, 0), SME_SIZE_CAP)
        age = min(bisect.bisect_left(age_cdf, m.uniform(row, rng.INIT_SME, 1)), len(age_cdf) - 1)
        self.birth_q = q - age
        kept = m.math.pow(1.0 - p["capability_decay"], float(age))
        self.death_q = NO_QUARTER
        self.orientation = f32(m.uniform(row, rng.INIT_SME, 2))
        special = min(int(m.uniform(row, rng.INIT_SME, 3) * N_DOMAINS), N_DOMAINS - 1)
        self.capability = []
        for k in range(N_DOMAINS):
            c = p["newborn_capability"] * m.uniform(row, rng.INIT_SME, 10 + k)
            self.capability.append(f32(min(c + (0.3 if k == special else 0.0), 1.0) * kept))
        self.experience = [0.0] * N_SECTORS
        self.reputation = 0.5
        self.cash = 4.0 * m.params["cash_margin"] * self.employees
        self.neg_cash_quarters = 0
        self.busy = 0
        self.last_success_q = NO_QUARTER
        self.successes = 0

    # --- phase 3: matching (asked by clients) -----------------------------------
    def capacity(self) -> int:
        """Concurrent smart-sector projects it can run (grows with size)."""
        return 1 + int(self.employees * self.orientation / 10.0)

    def score(self, domain: int, sector: int) -> float:
        """Score as a provider for a project in ``domain`` for a client in ``sector``."""
        p = self.model.params
        return (p["w_capability"] * self.capability[domain]
                + p["w_experience"] * self.experience[sector]
                + p["w_reputation"] * self.reputation)

    # --- phase 4: execution (provider side, called by the project) --------------
    def deliver(self, project: ReferenceProject) -> bool:
        """Finish ``project`` as its provider; return whether it succeeded."""
        m = self.model
        p = m.params
        ok = False
        if self.alive:
            d, g = project.domain, project.sector
            z = (p["success_intercept"] + p["success_capability"] * self.capability[d]
                 + p["success_absorptive"] * project.client_absorptive
                 + p["success_experience"] * self.experience[g])
            chance = 1.0 / (1.0 + m.math.exp(-z))
            client_key = (project.client_region << REGION_SHIFT) | project.client.row
            ok = m.uniform(client_key, rng.SUCCESS, 0) < chance
            self.cash += p["project_margin"] * project.value
            if ok:
                e = self.experience[g]
                self.experience[g] = f32(e + p["experience_gain"] * (1.0 - e))
                c = self.capability[d]
                self.capability[d] = f32(c + p["capability_gain"] * (1.0 - c))
                self.reputation = f32(self.reputation
                                      + p["reputation_gain"] * (1.0 - self.reputation))
                self.last_success_q = m.quarter
                self.successes += 1
            else:
                self.reputation = f32(self.reputation * (1.0 - p["reputation_loss"]))
        self.busy -= 1
        return ok

    # --- phase 5: firm dynamics --------------------------------------------------
    def operate(self) -> None:
        """Size shock, cash margin and exit for one quarter."""
        m = self.model
        p = m.params
        i = self.row
        step = 0.25 * p["growth_scale"] * m.math.pow(self.employees, p["growth_size_exponent"])
        size = self.employees * m.math.exp(step * m.yearly_laplace(i, rng.SME_GROWTH))
        self.employees = min(max(size, 1.0), SME_SIZE_CAP)
        self.cash += self.employees * (p["cash_margin"]
                                       + p["cash_margin_sd"] * m.normal(i, rng.SME_MARGIN, 0))
        self.neg_cash_quarters = self.neg_cash_quarters + 1 if self.cash < 0.0 else 0
        age = m.quarter - self.birth_q
        hazard = m.sme_hazards[0] if age < 4 else (m.sme_hazards[1] if age < 20
                                                   else m.sme_hazards[2])
        if (self.neg_cash_quarters >= m.cash_exit_quarters
                or m.uniform(i, rng.SME_EXIT, 0) < hazard):
            self.exit()

    def exit(self) -> None:
        """Leave the market: keep the row (and running projects' reference), leave Mesa."""
        self.alive = False
        self.death_q = self.model.quarter
        self.model.tally["sme_deaths"] += 1
        self.remove()

    # --- phase 7: learning -------------------------------------------------------
    def learn(self) -> None:
        """Capability and sector experience erode as technology and markets move on."""
        keep = 1.0 - self.model.params["capability_decay"]
        self.capability = [f32(c * keep) for c in self.capability]
        self.experience = [f32(e * keep) for e in self.experience]


class ReferenceFirm(_ReferenceAgent):
    """A smart-sector firm (client), with one method per phase it takes part in.

    Attributes mirror the core's firm columns (``simulation.state.FIRM_COLUMNS``) that
    business as usual uses; ``ties`` holds provider keys (-1 for an empty slot).
    """

    def __init__(self, model: ReferenceRegion, row: int, age_spread: int) -> None:
        """Found the firm of ``row`` now (what ``kernels.entry.init_firms`` draws)."""
        super().__init__(model)
        m = model
        q = m.quarter
        self.row = row
        self.alive = True
        u = m.uniform(row, rng.INIT_FIRM, 0)
        s = 0
        cum = m.sector_cum_weights
        while s < len(cum) - 1 and u > cum[s]:
            s += 1
        self.sector = m.sector_ids[s]
        self.employees = pareto_size(m.uniform(row, rng.INIT_FIRM, 1), FIRM_SIZE_CAP)
        self.birth_q = q - int(m.uniform(row, rng.INIT_FIRM, 2) * age_spread)
        self.death_q = NO_QUARTER
        f = m.frontier[self.sector]
        self.maturity = f32(f * m.uniform(row, rng.INIT_FIRM, 3) ** m.maturity_exponent)
        self.awareness = f32(min(1.0, self.maturity / f
                                 + 0.2 * m.uniform(row, rng.INIT_FIRM, 4)))
        self.absorptive = f32(0.2 + 0.8 * m.uniform(row, rng.INIT_FIRM, 5))
        self.productivity = f32(0.3 * m.normal(row, rng.INIT_FIRM, 3))
        self.in_project = False
        self.demand_domain = -1
        self.ties = [-1] * N_TIES
        self.search_order = 0.0

    # --- phase 2: demand ---------------------------------------------------------
    def decide_demand(self) -> None:
        """Decide whether to look for a digital project this quarter, and in which domain."""
        m = self.model
        self.demand_domain = -1
        if self.in_project:
            return
        f = m.frontier[self.sector]
        gap = max(f - self.maturity, 0.0) / f
        p = m.params
        size_factor = m.math.pow(self.employees / 10.0, p["demand_size_elasticity"])
        hazard = p["demand_base"] * size_factor * self.awareness * self.absorptive * gap
        if m.uniform(self.row, rng.DEMAND, 0) < hazard:
            k = int(m.uniform(self.row, rng.DOMAIN, 0) * N_DOMAINS)
            self.demand_domain = min(k, N_DOMAINS - 1)
            m.tally["demand"] += 1

    # --- phase 3: matching -------------------------------------------------------
    def draw_search_order(self) -> None:
        """Draw this client's place in the quarter's random search order."""
        self.search_order = self.model.uniform(self.row, rng.ORDER, 0)

    def search(self) -> None:
        """Choose the best provider (known ones, then random ones) and contract a project."""
        m = self.model
        p = m.params
        i = self.row
        provider = self.choose_provider()
        if provider is None:
            # with no partner region, a request abroad goes unmatched (exchange=None)
            if m.uniform(i, rng.CROSS, 0) < p["cross_region_share"]:
                m.requests_abroad += 1
            return
        value = p["project_value_median"] * m.math.exp(
            p["project_value_sigma"] * m.normal(i, rng.PROJECT, 0))
        duration_max = m.duration_max
        duration = 1 + min(int(m.uniform(i, rng.PROJECT, 9) * duration_max), duration_max - 1)
        ReferenceProject(m, self, provider, value, m.quarter + duration - 1)
        provider.busy += 1
        self.in_project = True
        m.tally["projects_started"] += 1

    def choose_provider(self) -> ReferenceSME | None:
        """Best provider with free capacity whose score clears the reservation score.

        Known providers (with the tie bonus) come first, then ``search_breadth`` SMEs
        drawn among the alive ones; ties on score go to the lower row.
        """
        m = self.model
        p = m.params
        domain, sector = self.demand_domain, self.sector
        best = None
        best_score = p["reservation"]
        for key in self.ties:
            if key < 0 or (key >> REGION_SHIFT) != m.region_index:
                continue
            sme = m.smes_by_row[key & _LOW]
            if not sme.alive or sme.busy >= sme.capacity():
                continue
            s = sme.score(domain, sector) + p["tie_bonus"]
            if s > best_score or (s == best_score and best is not None and sme.row < best.row):
                best, best_score = sme, s
        candidates = m.providers
        n = len(candidates)
        if n == 0:
            return best
        for j in range(m.search_breadth):
            sme = candidates[min(int(m.uniform(self.row, rng.SEARCH, j) * n), n - 1)]
            if sme.busy >= sme.capacity():
                continue
            s = sme.score(domain, sector)
            if s > best_score or (s == best_score and best is not None and sme.row < best.row):
                best, best_score = sme, s
        return best

    # --- phase 4: execution (client side, called by the project) ----------------
    def receive_outcome(self, success: bool, provider_key: int) -> None:
        """Be free again; on success learn from the project and keep the provider as a tie."""
        m = self.model
        self.in_project = False
        if not success:
            return
        gap = m.frontier[self.sector] - self.maturity
        if gap > 0.0:
            self.maturity = f32(self.maturity + m.params["maturity_gain"] * gap)
        self.productivity = f32(self.productivity + m.params["productivity_gain"])
        u = m.uniform(self.row, rng.TIE_DECAY, 99)
        if provider_key in self.ties:
            return
        for t in range(N_TIES):
            if self.ties[t] < 0:
                self.ties[t] = provider_key
                return
        self.ties[min(int(u * N_TIES), N_TIES - 1)] = provider_key

    # --- phase 5: firm dynamics --------------------------------------------------
    def operate(self) -> None:
        """Size shock driven by productivity against the sector mean, and exit."""
        m = self.model
        p = m.params
        i = self.row
        lead = self.productivity - m.sector_productivity[self.sector]
        step = 0.25 * p["growth_scale"] * m.math.pow(self.employees, p["growth_size_exponent"])
        shock = step * m.yearly_laplace(i, rng.FIRM_GROWTH) + p["competition"] * lead
        self.employees = max(self.employees * m.math.exp(shock), 1.0)
        if (m.uniform(i, rng.FIRM_EXIT, 0)
                < m.firm_hazard * m.math.exp(-p["exit_productivity"] * lead)):
            self.exit()

    def exit(self) -> None:
        """Leave the market: keep the row (a running project still reports back), leave Mesa."""
        self.alive = False
        self.death_q = self.model.quarter
        self.model.tally["firm_deaths"] += 1
        self.remove()

    # --- phase 7: learning -------------------------------------------------------
    def learn(self) -> None:
        """Awareness diffusion (Bass), spillovers from known providers, tie decay."""
        m = self.model
        p = m.params
        g = self.sector
        self.awareness = f32(self.awareness + (p["bass_p"] + p["bass_q"]
                                               * m.sector_basic_share[g])
                             * (1.0 - self.awareness))
        for t in range(N_TIES):
            key = self.ties[t]
            if key < 0:
                continue
            if m.uniform(self.row, rng.TIE_DECAY, t) < p["tie_decay"]:
                self.ties[t] = -1
                continue
            if (key >> REGION_SHIFT) != m.region_index:
                continue
            sme = m.smes_by_row[key & _LOW]
            if not sme.alive:
                self.ties[t] = -1
                continue
            mean_c = 0.0
            for c in sme.capability:
                mean_c += c
            target = m.frontier[g] * mean_c / N_DOMAINS
            if target > self.maturity:
                self.maturity = f32(self.maturity + p["spillover_rate"]
                                    * (target - self.maturity))


class ReferenceProject(_ReferenceAgent):
    """A running digital project between a local client and a local provider."""

    def __init__(self, model: ReferenceRegion, client: ReferenceFirm, provider: ReferenceSME,
                 value: float, end_q: int) -> None:
        """Contract a project now; it ends (and is resolved) in quarter ``end_q``."""
        super().__init__(model)
        self.client_region = model.region_index
        self.client = client
        self.provider = provider
        self.domain = client.demand_domain
        self.sector = client.sector
        self.client_absorptive = client.absorptive
        self.value = value
        self.start_q = model.quarter
        self.end_q = end_q

    def finish(self) -> None:
        """Resolve the project (phase 4): both sides learn the outcome; then it is gone."""
        m = self.model
        ok = self.provider.deliver(self)
        m.tally["projects_finished"] += 1
        m.tally["projects_succeeded"] += ok
        self.client.receive_outcome(ok, (m.region_index << REGION_SHIFT) | self.provider.row)
        self.remove()


class ReferenceRegion(mesa.Model):
    """One region alone under business as usual, as plain Mesa agents.

    Arguments mirror :class:`simulation.region.RegionModel`'s: same region code, scale,
    seed, replicate, horizon, parameter overrides and calibrated defaults give the same
    random streams and, step for step, the same results. ``series`` holds the same
    indicators (``simulation.region.SERIES``) in full-population units.

    Args:
        region: Region code from the registry.
        scale: Fraction of the full populations simulated.
        seed: Run seed (an int gives the core's streams; None draws one, as the core does).
        replicate: Replicate number, mixed into every random draw.
        start_year: First reported year after the burn-in.
        end_year: Last simulated year.
        burn_in_years: Years simulated before ``start_year``.
        spinup_years: Years simulated before the burn-in, not recorded, with the frontier
            rising to ``frontier_start`` and every exit replaced by an entrant.
        params: Overrides of :data:`simulation.params.MODEL_PARAMS`.
        calibrated: Start from the region's fitted parameter values.
        draws: ``"compiled"`` (call simulation.rng's compiled functions) or ``"python"``
            (their interpreted twins); both give the same numbers.
    """

    def __init__(
        self,
        region: str = "ES13",
        scale: float = 1.0,
        seed: int | None = None,
        replicate: int = 0,
        start_year: int = 2018,
        end_year: int = 2025,
        burn_in_years: int = 5,
        params: Mapping[str, float] | None = None,
        calibrated: bool = True,
        draws: str = "compiled",
        spinup_years: int = SPINUP_YEARS,
    ) -> None:
        super().__init__(seed=seed)
        if not 0.0 < scale <= 1.0:
            raise ValueError(f"scale must be in (0, 1], found {scale!r}")
        if draws not in ("compiled", "python"):
            raise ValueError(f"draws must be 'compiled' or 'python', found {draws!r}")
        self.draws = compiled_draws() if draws == "compiled" else interpreted_draws()
        self.math = self.draws.math
        self.spec = get_region(region)
        self.code = self.spec.code
        self.scale = float(scale)
        self.replicate = int(replicate)
        self.region_index = region_codes().index(self.code)  # identity, as in the core
        self.calendar = Calendar.for_horizon(start_year, end_year, burn_in_years)
        fitted = fitted_values(self.code) if calibrated else {}
        self.params = resolve_params({**fitted, **(params or {})})
        run_seed = seed if isinstance(seed, int) else int(self.rng.integers(2**63))
        self.run_seed = int(run_seed)
        self.stream = int(self.draws.make_stream(self.run_seed, self.replicate,
                                                 self.region_index))
        self.quarter = -4 * spinup_years - 1  # the last quarter simulated: set-up
        self.running = True
        p = self.params
        self.frontier = [self.frontier_level(self.quarter)] * N_SECTORS
        self.search_breadth = int(p["search_breadth"])
        self.duration_max = int(p["duration_max"])
        self.cash_exit_quarters = int(p["cash_exit_quarters"])
        self.sme_hazards = (quarterly(p["exit_first_year"]), quarterly(p["exit_years_2_to_5"]),
                            quarterly(p["exit_mature_factor"] * self.spec.death_rate.value))
        self.firm_hazard = quarterly(p["firm_exit_factor"] * self.spec.death_rate.value)
        self.series = {name: np.zeros(self.calendar.n_quarters) for name in SERIES}
        self.tally: dict[str, int] = {}
        self.requests_abroad = 0
        self.sector_basic_share = [0.0] * N_SECTORS
        self.sector_productivity = [0.0] * N_SECTORS
        self.smes_by_row: list[ReferenceSME] = []
        self.firms_by_row: list[ReferenceFirm] = []
        self.providers: list[ReferenceSME] = []
        self._populate()
        self.observe_firms()
        while self.quarter < -1:  # the spin-up, compacted every COMPACT_EVERY quarters
            self.step()
            if (self.quarter + 1) % COMPACT_EVERY == 0:
                self.compact()

    # --- draws keyed on the current quarter ----------------------------------------
    def uniform(self, agent: int, purpose: int, k: int) -> float:
        """Uniform draw in (0, 1) for ``agent`` now (simulation.rng.uniform)."""
        return self.draws.uniform(self.stream, self.quarter, agent, purpose, k)

    def normal(self, agent: int, purpose: int, k: int) -> float:
        """Standard normal draw for ``agent`` now (simulation.rng.normal)."""
        return self.draws.normal(self.stream, self.quarter, agent, purpose, k)

    def laplace(self, agent: int, purpose: int, k: int) -> float:
        """Laplace(0, 1) draw for ``agent`` now (simulation.rng.laplace)."""
        return self.draws.laplace(self.stream, self.quarter, agent, purpose, k)

    def yearly_laplace(self, agent: int, purpose: int) -> float:
        """Laplace(0, 1) draw for ``agent`` keyed on this year's first quarter."""
        return self.draws.laplace(self.stream, year_start(self.quarter), agent, purpose, 0)

    # --- set-up ----------------------------------------------------------------------
    def _populate(self) -> None:
        p = self.params
        n_smes = max(1, round(self.spec.n_digital_smes.value * self.scale))
        n_firms = max(1, round(self.spec.n_smart_firms.value * self.scale))
        self.sector_ids = [SECTOR_ID[s] for s in self.spec.sectors]
        self.sector_cum_weights = [float(w) for w in np.cumsum(self.spec.sector_weights)]
        target_share = min(max(self.spec.dii_basic_share_2021.value * p["initial_basic_ratio"],
                               1e-3), 0.999)
        threshold = BASIC_MATURITY / p["frontier_start"]
        self.maturity_exponent = math.log(threshold) / math.log(1.0 - target_share)
        self.add_smes(n_smes, self.stationary_age_cdf())
        self.add_firms(n_firms, INITIAL_AGE_SPREAD)

    def stationary_age_cdf(self) -> list[float]:
        """Cumulative shares of SME ages 0, 1, ... in a steady population: the share of age
        ``a`` is proportional to the survival to ``a`` under the exit hazards."""
        cdf, total, alive = [], 0.0, 1.0
        for age in range(MAX_INITIAL_AGE):
            total += alive
            cdf.append(total)
            hazard = self.sme_hazards[0] if age < 4 else (self.sme_hazards[1] if age < 20
                                                          else self.sme_hazards[2])
            alive *= 1.0 - hazard
        return [c / total for c in cdf]

    def add_smes(self, count: int, age_cdf: list[float] = (1.0,)) -> None:
        """Create ``count`` digital SMEs now, on the next rows (start-ups: age 0)."""
        for _ in range(count):
            row = len(self.smes_by_row)
            self.smes_by_row.append(ReferenceSME(self, row, age_cdf))

    def add_firms(self, count: int, age_spread: int) -> None:
        """Create ``count`` smart firms now, on the next rows."""
        for _ in range(count):
            row = len(self.firms_by_row)
            self.firms_by_row.append(ReferenceFirm(self, row, age_spread))

    def agent_set(self, cls: type[mesa.Agent]) -> mesa.agent.AgentSet:
        """The AgentSet of ``cls`` (empty when no agent of that class exists yet)."""
        found = self.agents_by_type.get(cls)
        return found if found is not None else mesa.agent.AgentSet([], random=self.random)

    # --- one quarter ---------------------------------------------------------------
    def step(self) -> None:
        """Advance one quarter, phases in the order of ``simulation.schedule.run_quarter``."""
        self.begin_quarter(self.quarter + 1)
        self.draw_demand()
        self.match_local()
        self.execute_projects()
        self.firm_dynamics()
        self.entry()
        self.learning()
        self.observe()
        self.running = self.quarter < self.calendar.n_quarters - 1

    def run(self) -> ReferenceRegion:
        """Simulate to the end of the horizon; return self."""
        while self.running:
            self.step()
        return self

    def begin_quarter(self, q: int) -> None:
        """Move the clock and the sector frontier (:meth:`frontier_level`)."""
        self.quarter = q
        self.frontier = [self.frontier_level(q)] * N_SECTORS
        self.tally = dict.fromkeys(("demand", "projects_started", "projects_finished",
                                    "projects_succeeded", "sme_deaths", "firm_deaths"), 0)

    def frontier_level(self, q: int) -> float:
        """The frontier in quarter ``q``: ``frontier_start`` at ``q = -1``, ``frontier_growth``
        a quarter more or less on either side, between the basic level and 1."""
        p = self.params
        return min(1.0, max(BASIC_MATURITY, p["frontier_start"] + p["frontier_growth"] * (q + 1)))

    def draw_demand(self) -> None:
        """Phase 2: every alive smart firm decides whether it looks for a project."""
        self.agent_set(ReferenceFirm).do("decide_demand")
        self._record("demand", self.tally["demand"])

    def match_local(self) -> None:
        """Phase 3: demanding clients search local providers, in a random order."""
        self.providers = list(self.agent_set(ReferenceSME))
        clients = self.agent_set(ReferenceFirm).select(lambda a: a.demand_domain >= 0)
        clients.do("draw_search_order")
        clients.sort("search_order", ascending=True).do("search")
        self._record("projects_started", self.tally["projects_started"])

    def execute_projects(self) -> None:
        """Phase 4: projects ending now are resolved, in the order they were contracted."""
        q = self.quarter
        self.agent_set(ReferenceProject).select(lambda a: a.end_q == q).do("finish")
        self._record("projects_finished", self.tally["projects_finished"])
        self._record("projects_succeeded", self.tally["projects_succeeded"])

    def firm_dynamics(self) -> None:
        """Phase 5: size shocks, cash and exits, digital SMEs first, then smart firms."""
        self.agent_set(ReferenceSME).do("operate")
        self._record("sme_deaths", self.tally["sme_deaths"])
        self.agent_set(ReferenceFirm).do("operate")
        self._record("firm_deaths", self.tally["firm_deaths"])

    def entry(self) -> None:
        """Phase 6: start-up births at the region's rates (Poisson counts; one per exit in
        the spin-up)."""
        p, q = self.params, self.quarter
        if q < 0:
            self.add_smes(self.tally["sme_deaths"])
            self.add_firms(self.tally["firm_deaths"], 0)
            return
        rate_q = 1.0 - (1.0 - self.spec.birth_rate.value) ** 0.25
        n_smes = len(self.agent_set(ReferenceSME))
        births = self.draws.poisson(rate_q * p["birth_rate_factor"] * n_smes, self.stream, q,
                                    0, rng.BIRTHS)
        self.add_smes(births)
        self._record("sme_births", births)
        n_firms = len(self.agent_set(ReferenceFirm))
        births = self.draws.poisson(rate_q * n_firms, self.stream, q, 0, rng.FIRM_BIRTHS)
        self.add_firms(births, 0)
        self._record("firm_births", births)

    def learning(self) -> None:
        """Phase 7: firms learn (from providers' capability as it stands), then SMEs decay."""
        self.agent_set(ReferenceFirm).do("learn")
        self.agent_set(ReferenceSME).do("learn")

    def observe(self) -> None:
        """Phase 8: the DEVISE indicator and companion series, in row order (in the
        spin-up only the sector means)."""
        q = self.quarter
        if q < 0:
            self.observe_firms()
            return
        n_smes = enabling = 0
        jobs = 0.0
        for sme in self.agent_set(ReferenceSME):
            n_smes += 1
            jobs += sme.employees
            if sme.last_success_q > q - ENABLING_WINDOW:
                enabling += 1
        n_firms, n_sme, n_basic, total_prod = self.observe_firms()
        self._record("enabling", enabling)
        self._record("smes_alive", n_smes)
        self._record("sme_jobs", jobs)
        self._record("firms_alive", n_firms)
        self.series["dii_basic_share"][q] = n_basic / n_sme if n_sme else 0.0
        self.series["mean_productivity"][q] = total_prod / n_firms if n_firms > 0 else 0.0
        self.series["public_spend"][q] = 0.0

    def observe_firms(self) -> tuple[int, int, int, float]:
        """Sector means read by the next quarter; firm counts and total productivity."""
        count = [0.0] * N_SECTORS
        basic = [0.0] * N_SECTORS
        prod = [0.0] * N_SECTORS
        n_firms = n_sme = n_basic = 0
        total_prod = 0.0
        for firm in self.agent_set(ReferenceFirm):
            g = firm.sector
            n_firms += 1
            count[g] += 1.0
            prod[g] += firm.productivity
            total_prod += firm.productivity
            is_basic = firm.maturity >= BASIC_MATURITY
            basic[g] += is_basic
            if 10.0 <= firm.employees < 250.0:
                n_sme += 1
                n_basic += is_basic
        for g in range(N_SECTORS):
            if count[g] > 0:
                prod[g] /= count[g]
                basic[g] /= count[g]
        self.sector_productivity = prod
        self.sector_basic_share = basic
        return n_firms, n_sme, n_basic, total_prod

    def _record(self, name: str, count: float) -> None:
        """Add a count for the current quarter, converted to full-population units (none
        in the spin-up)."""
        if self.quarter >= 0:
            self.series[name][self.quarter] += count / self.scale

    def compact(self) -> None:
        """After the spin-up: forget the agents that died in it (unless a running project
        still names them) and number the rest from 0, in order; ties follow."""
        running = list(self.agent_set(ReferenceProject))
        named_smes = {id(pr.provider) for pr in running}
        named_firms = {id(pr.client) for pr in running}
        new_row = {}
        kept = [a for a in self.smes_by_row if a.alive or id(a) in named_smes]
        for row, sme in enumerate(kept):
            new_row[sme.row] = row
            sme.row = row
        self.smes_by_row = kept
        self.firms_by_row = [a for a in self.firms_by_row if a.alive or id(a) in named_firms]
        for row, firm in enumerate(self.firms_by_row):
            firm.row = row
            for t, key in enumerate(firm.ties):
                if key >= 0 and (key >> REGION_SHIFT) == self.region_index:
                    old = key & _LOW
                    firm.ties[t] = ((self.region_index << REGION_SHIFT) | new_row[old]
                                    if old in new_row else -1)

    # --- state as arrays (for equality tests) ----------------------------------------
    def sme_state(self) -> dict[str, np.ndarray]:
        """Every SME's attributes, one array per core column, in row order."""
        return _columns(self.smes_by_row, SME_COLUMNS, {
            "loan_balance": 0.0, "loan_payment": 0.0, "loan_instrument": -1})

    def firm_state(self) -> dict[str, np.ndarray]:
        """Every firm's attributes, one array per core column, in row order.

        Columns only policy instruments change keep their fill values.
        """
        fills = {name: col.fill for name, col in FIRM_COLUMNS.items()}
        uses = ("alive", "sector", "employees", "birth_q", "death_q", "maturity", "absorptive",
                "awareness", "productivity", "in_project", "demand_domain", "ties")
        return _columns(self.firms_by_row, FIRM_COLUMNS,
                        {k: v for k, v in fills.items() if k not in uses})

    def project_state(self) -> dict[str, np.ndarray]:
        """Running projects' attributes, one array per core column, in contract order."""
        rows = [{
            "client_region": pr.client_region, "client": pr.client.row,
            "provider": pr.provider.row, "domain": pr.domain, "sector": pr.sector,
            "client_absorptive": pr.client_absorptive, "value": pr.value, "subsidy": 0.0,
            "instrument": -1, "start_q": pr.start_q, "end_q": pr.end_q,
        } for pr in self.agent_set(ReferenceProject)]
        return {name: np.array([r[name] for r in rows], dtype=col.dtype).reshape(-1, *col.shape)
                for name, col in PROJECT_COLUMNS.items()}


def _columns(agents: list, columns: Mapping, fixed: Mapping[str, float]) -> dict[str, np.ndarray]:
    out = {}
    for name, col in columns.items():
        if name in fixed:
            values = [fixed[name]] * len(agents)
        else:
            values = [getattr(a, name) for a in agents]
        out[name] = np.array(values, dtype=col.dtype).reshape(len(agents), *col.shape)
    return out
