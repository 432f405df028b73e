"""Validation of a fitted region model: stylised facts and the digital-intensity forecast.

Runs the fitted model with replicates the fit never saw (replicate numbers from
:data:`FIRST_REPLICATE`) from 2013Q1 to 2025Q4 and measures, at 2021Q4, the stylised facts
of shared/data/SOURCES.md (size tail, Laplace growth rates, volatility falling with size,
survival, entry and exit), and each year's share of smart-sector SMEs with at least basic
digital intensity from 2021 to :data:`FORECAST_END`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..region import RegionModel
from .moments import MEASURE_YEAR, MOMENTS

FIRST_REPLICATE = 1000
"""Validation replicates are numbered from here (the fit uses 0, 1, ...)."""

FORECAST_END = 2025
"""Last year of the digital-intensity forecast."""

GROWTH_MIN_SIZE = 10.0
"""Growth-rate facts use smart firms with at least this many persons at the start of the year
(smaller firms sit near the one-person floor, which truncates their growth)."""

VOLATILITY_BINS = (1.0, 1.5, 2.0, 2.5, 3.0, np.inf)
"""log10-size bins for the volatility-size slope (bins with fewer than 20 firms are dropped)."""

FACTS = {
    "size_tail_exponent": ("Zipf exponent of smart-firm sizes (10-100 persons)", 1.0,
                           "firm_size.zipf_tail_exponent"),
    "growth_excess_kurtosis": ("excess kurtosis of yearly log growth, standardised by size "
                               "bin (Laplace 3, normal 0)", 3.0,
                               "growth_rate.distribution"),
    "laplace_vs_normal": ("log-likelihood gain per firm, Laplace over normal fit (> 0: "
                          "Laplace fits better)", 0.0, "growth_rate.distribution"),
    "volatility_size_exponent": ("slope of log sd(growth) on log size", -0.2,
                                 "growth_volatility.size_exponent"),
    "survival_1y": ("one-year survival of digital start-ups", 0.81,
                    "firm_demography.one_year_survival"),
    "survival_5y": ("five-year survival of digital start-ups", 0.44,
                    "firm_demography.five_year_survival"),
    "entry_rate": ("digital SME entry rate, 2018-2021", 0.09, "firm_demography.birth_rate"),
    "exit_rate": ("digital SME exit rate, 2018-2021", 0.09, "firm_demography.death_rate"),
}
"""Stylised facts checked: description, reference value and the calibration/data row."""


def growth_facts(before: np.ndarray, after: np.ndarray) -> dict[str, float]:
    """Laplace and volatility facts of yearly log growth between two size snapshots.

    Growth rates are standardised within each size bin (volatility falls with size, and
    pooling unequal variances would fatten the tails by itself), then pooled: excess
    kurtosis (Laplace 3, normal 0) and the log-likelihood gain per firm of a Laplace over
    a normal fit. The volatility exponent is the slope of log sd on log mean size by bin.
    """
    keep = before >= GROWTH_MIN_SIZE
    g = np.log(after[keep] / before[keep])
    logs = np.log10(before[keep])
    sizes, sds, standardised = [], [], []
    for low, high in zip(VOLATILITY_BINS[:-1], VOLATILITY_BINS[1:], strict=True):
        in_bin = (logs >= low) & (logs < high)
        if in_bin.sum() >= 20 and g[in_bin].std() > 0:
            sizes.append(logs[in_bin].mean())
            sds.append(np.log10(g[in_bin].std()))
            standardised.append((g[in_bin] - g[in_bin].mean()) / g[in_bin].std())
    z = np.concatenate(standardised) if standardised else np.zeros(0)
    if z.size < 30:
        return dict.fromkeys(("growth_excess_kurtosis", "laplace_vs_normal",
                              "volatility_size_exponent"), float("nan"))
    normal_ll = -0.5 * np.log(2 * np.pi) - 0.5  # z has mean 0 and variance 1
    laplace_ll = -np.log(2 * np.abs(z - np.median(z)).mean()) - 1.0
    slope = float(np.polyfit(sizes, sds, 1)[0]) if len(sizes) >= 2 else float("nan")
    return {"growth_excess_kurtosis": float((z**4).mean() - 3.0),
            "laplace_vs_normal": float(laplace_ll - normal_ll),
            "volatility_size_exponent": slope}


def _one_replicate(code: str, params: Mapping[str, float], scale: float, seed: int,
                   replicate: int) -> tuple[dict[str, float], dict[int, float]]:
    model = RegionModel(code, scale=scale, seed=seed, replicate=replicate, end_year=FORECAST_END,
                        params=params, calibrated=False)
    cal, f = model.calendar, model.firms

    def step_to(q: int) -> None:
        while model.quarter < q:
            model.step()

    step_to(cal.index(MEASURE_YEAR - 1, 4))
    rows = np.flatnonzero(f.alive[: f.n])
    before = f.employees[rows].copy()
    step_to(cal.index(MEASURE_YEAR, 4))
    still = f.alive[rows]
    facts = growth_facts(before[still], f.employees[rows][still])
    facts |= {
        "size_tail_exponent": MOMENTS["firm_size_tail_exponent"](model, None),
        "survival_1y": MOMENTS["sme_survival_1y"](model, None),
        "survival_5y": MOMENTS["sme_survival_5y"](model, None),
        "entry_rate": MOMENTS["sme_entry_rate"](model, None),
        "exit_rate": MOMENTS["sme_exit_rate"](model, None),
    }
    model.run()
    dii = model.series["dii_basic_share"]
    forecast = {year: float(dii[cal.index(year, 1) : cal.index(year, 4) + 1].mean())
                for year in range(MEASURE_YEAR, FORECAST_END + 1)}
    return facts, forecast


def validate(code: str, params: Mapping[str, float], scale: float, seed: int,
             replicates: int) -> dict[str, object]:
    """Stylised facts and DII forecast of a fitted region model (TOML-ready ``[validation]``)."""
    runs = [_one_replicate(code, params, scale, seed, FIRST_REPLICATE + r)
            for r in range(replicates)]
    facts = {}
    for name, (description, reference, row) in FACTS.items():
        values = np.array([run[0][name] for run in runs])
        facts[name] = {"description": description, "reference": reference, "row": row,
                       **summary(values)}
    forecast = {str(year): summary(np.array([run[1][year] for run in runs]))
                for year in range(MEASURE_YEAR, FORECAST_END + 1)}
    return {"replicates": replicates, "first_replicate": FIRST_REPLICATE, "scale": scale,
            "facts": facts, "dii_basic_share": forecast}


def summary(values: np.ndarray) -> dict[str, float]:
    """Mean and 5-95% band over replicates, ignoring replicates where a fact was undefined."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"mean": float("nan"), "p05": float("nan"), "p95": float("nan")}
    return {"mean": float(finite.mean()), "p05": float(np.quantile(finite, 0.05)),
            "p95": float(np.quantile(finite, 0.95))}
