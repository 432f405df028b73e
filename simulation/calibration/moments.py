"""Simulated moments: the quantities of calibration/targets.toml, measured in region runs.

A calibration run simulates one region alone (no cross-region exchange) from the start of
the burn-in (2013Q1) to :data:`MEASURE_YEAR`'s fourth quarter, once under business as usual
and once under the voucher scenario of targets.toml, with the same seed and replicate
(common random numbers). Each moment is a function of that pair of finished models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ..region import InstrumentSpec, RegionModel
from ..state import NO_QUARTER
from .targets import VoucherScenario

MEASURE_YEAR = 2021
"""Moments are measured up to this year's fourth quarter (the DEVISE target year)."""

WINDOW_YEARS = (2018, 2021)
"""Years over which entry and exit rates are averaged."""

TAIL_SIZES = (10.0, 100.0)
"""Sizes (persons) between which the Zipf exponent is measured: one decade."""


def region_scale(n_smart_firms: float, firms: int) -> float:
    """Scale that simulates about ``firms`` smart firms (1 where the region is smaller)."""
    return min(1.0, firms / n_smart_firms)


def voucher_spec(code: str, n_smart_firms: float, scenario: VoucherScenario) -> InstrumentSpec:
    """The voucher programme of the voucher scenario, in one region, with declared defaults."""
    from ..instruments import INSTRUMENT_TYPES

    declared = INSTRUMENT_TYPES[scenario.kind].declared_params()
    params = {name: p.default for name, p in declared.items()}
    params["budget_per_year"] = scenario.budget_per_firm_year * n_smart_firms
    return InstrumentSpec(scenario.kind, "calibration voucher", params, scenario.start,
                          scenario.end, (code,))


def run_pair(code: str, params: Mapping[str, float], scale: float, seed: int, replicate: int,
             voucher: InstrumentSpec | None) -> tuple[RegionModel, RegionModel | None]:
    """Run business as usual and (if given) the voucher scenario to MEASURE_YEAR's end."""
    def run(instruments: Sequence[InstrumentSpec]) -> RegionModel:
        return RegionModel(code, scale=scale, seed=seed, replicate=replicate,
                           end_year=MEASURE_YEAR, params=params, instruments=instruments,
                           calibrated=False).run()

    base = run(())
    return base, (run((voucher,)) if voucher is not None else None)


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
    "firm_size_tail_exponent": lambda b, v: _tail(b),
    "voucher_additionality": _voucher_additionality,
}
"""Every simulated moment by name: a function of the business-as-usual model and the
voucher-scenario model (None where the voucher scenario was not run)."""
