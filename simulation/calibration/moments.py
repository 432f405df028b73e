"""Simulated moments: the quantities of calibration/targets.toml, measured in region runs.

A calibration run simulates one region alone (no cross-region exchange) from the start of
the burn-in (2013Q1) to :data:`MEASURE_YEAR`'s fourth quarter, once under business as usual
and once under the voucher scenario of targets.toml, with the same seed and replicate
(common random numbers). Each moment is a function of that pair of finished models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from ..kernels.demand import BASIC_MATURITY, HIGH_MATURITY, VERY_HIGH_MATURITY
from ..region import BASELINE_YEAR, InstrumentSpec, RegionModel
from ..state import NO_QUARTER
from .targets import VoucherScenario

MEASURE_YEAR = 2021
"""Moments are measured up to this year's fourth quarter (the DEVISE target year)."""

WINDOW_YEARS = (2018, 2021)
"""Years over which entry and exit rates are averaged."""

TAIL_SIZES = (10.0, 100.0)
"""Sizes (persons) between which the Zipf exponent is measured: one decade."""

MEDIUM, SME_SIZES = (50.0, 250.0), (10.0, 250.0)
"""Size classes of the digital intensity survey (persons employed)."""


def region_scale(n_smart_firms: float, firms: int) -> float:
    """Scale that simulates about ``firms`` smart firms (1 where the region is smaller)."""
    return min(1.0, firms / n_smart_firms)


def voucher_spec(code: str, n_smart_firms: float, scenario: VoucherScenario) -> InstrumentSpec:
    """Return the voucher scenario's voucher programme, in one region, with declared defaults."""
    from ..instruments import INSTRUMENT_TYPES

    declared = INSTRUMENT_TYPES[scenario.kind].declared_params()
    params = {name: p.default for name, p in declared.items()}
    params["budget_per_year"] = scenario.budget_per_firm_year * n_smart_firms
    return InstrumentSpec(scenario.kind, "calibration voucher", params, scenario.start,
                          scenario.end, (code,))


def run_pair(code: str, params: Mapping[str, float], scale: float, seed: int, replicate: int,
             voucher: InstrumentSpec | None) -> tuple[RegionModel, RegionModel | None]:
    """Run business as usual and (if given) the voucher scenario to MEASURE_YEAR's end.

    Both start from the same spin-up.
    """
    base = RegionModel(code, scale=scale, seed=seed, replicate=replicate, end_year=MEASURE_YEAR,
                       params=params, calibrated=False)
    policy = base.with_instruments((voucher,)) if voucher is not None else None
    base.run()
    return base, (policy.run() if policy is not None else None)


def _at_q4(model: RegionModel, series: str, year: int) -> float:
    return float(model.series[series][model.calendar.index(year, 4)])


def _yearly_rate(model: RegionModel, events: str) -> float:
    """Events per year over SMEs alive, averaged over WINDOW_YEARS."""
    first = model.calendar.index(WINDOW_YEARS[0], 1)
    last = model.calendar.index(WINDOW_YEARS[1], 4)
    window = slice(first, last + 1)
    alive = model.series["smes_alive"][first - 1 : last].mean()  # stock at each quarter's start
    return float(model.series[events][window].sum() / alive / ((last - first + 1) / 4))


def _survival(model: RegionModel, quarters: int) -> float:
    """Share of start-ups born during the run that lived ``quarters`` quarters after birth."""
    s = model.smes
    born, died = s.birth_q[: s.n], s.death_q[: s.n]
    cohort = (born >= 0) & (born + quarters <= model.quarter)  # incumbents: born < 0
    if not cohort.any():
        return float("nan")
    lived = (died[cohort] == NO_QUARTER) | (died[cohort] > born[cohort] + quarters)
    return float(lived.mean())


def size_tail_exponent(employees: np.ndarray) -> float:
    """Zipf exponent over one decade of sizes: log10(N(size > 10) / N(size > 100))."""
    small, large = ((employees > s).sum() for s in TAIL_SIZES)
    if large == 0:
        return float("nan")
    return float(np.log10(small / large) / np.log10(TAIL_SIZES[1] / TAIL_SIZES[0]))


def _tail(model: RegionModel) -> float:
    f = model.firms
    return size_tail_exponent(f.employees[: f.n][f.alive[: f.n]])


def _voucher_additionality(base: RegionModel, policy: RegionModel | None) -> float:
    """Projects started with vouchers minus without, per voucher redeemed (model units)."""
    if policy is None:
        return float("nan")
    redeemed = policy.instruments[0].total("outputs")
    extra = policy.series["projects_started"].sum() - base.series["projects_started"].sum()
    return float(extra * base.scale / redeemed) if redeemed > 0 else float("nan")


def _intensity_share(model: RegionModel, sizes: tuple[float, float], level: float) -> float:
    """Return the share of alive smart firms in a size band whose maturity is at least ``level``.

    The band is ``sizes[0] <= employees < sizes[1]``; the share is taken at the end of the
    run (MEASURE_YEAR's fourth quarter).
    """
    f = model.firms
    employees = f.employees[f.alive]
    size_class = (employees >= sizes[0]) & (employees < sizes[1])
    if not size_class.any():
        return float("nan")
    return float((f.maturity[f.alive][size_class] >= level).mean())


def _yearly_growth(model: RegionModel, series: str) -> float:
    """Return the yearly growth rate of ``series``, ``(end / start)^(1 / years) - 1``.

    It runs from the baseline year's to MEASURE_YEAR's fourth quarter.
    """
    start, end = (_at_q4(model, series, y) for y in (BASELINE_YEAR, MEASURE_YEAR))
    if start <= 0:
        return float("nan")
    return float((end / start) ** (1.0 / (MEASURE_YEAR - BASELINE_YEAR)) - 1.0)


Moment = Callable[[RegionModel, "RegionModel | None"], float]

MOMENTS: Mapping[str, Moment] = {
    "smes_alive_2018": lambda b, v: _at_q4(b, "smes_alive", 2018),
    "firms_alive_2018": lambda b, v: _at_q4(b, "firms_alive", 2018),
    "sme_entry_rate": lambda b, v: _yearly_rate(b, "sme_births"),
    "sme_exit_rate": lambda b, v: _yearly_rate(b, "sme_deaths"),
    "sme_survival_1y": lambda b, v: _survival(b, 4),
    "sme_survival_5y": lambda b, v: _survival(b, 20),
    "dii_basic_share_2021": lambda b, v: float(
        b.series["dii_basic_share"][b.calendar.index(2021, 1) : b.calendar.index(2021, 4) + 1]
        .mean()),
    "dii_basic_share_medium": lambda b, v: _intensity_share(b, MEDIUM, BASIC_MATURITY),
    "dii_high_share": lambda b, v: _intensity_share(b, SME_SIZES, HIGH_MATURITY),
    "dii_very_high_share": lambda b, v: _intensity_share(b, SME_SIZES, VERY_HIGH_MATURITY),
    "firm_growth": lambda b, v: _yearly_growth(b, "firms_alive"),
    "sme_jobs_growth": lambda b, v: _yearly_growth(b, "sme_jobs"),
    "firm_size_tail_exponent": lambda b, v: _tail(b),
    "voucher_additionality": _voucher_additionality,
}
"""Every simulated moment by name: a function of the business-as-usual model and the
voucher-scenario model (None where the voucher scenario was not run)."""
