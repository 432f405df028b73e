"""One candidate mix on one replicate: what a design's runs compute.

A candidate is the business-as-usual scenario (the base, as the design runs it) with the
design's instruments added, at the candidate's values. Replicate ``r`` of every candidate
draws the same random numbers and the same posterior parameter set (keyed on seed,
replicate and region), so candidates differ only by their instruments (common random
numbers). The spin-up of replicate ``r`` has no instruments, so it is simulated once per
worker process and replicate and copied for each candidate
(:meth:`~simulation.ecosystem.Ecosystem.with_instruments`); the copy makes the same run as
:func:`simulation.runner.simulate_series` of the candidate scenario (tests/test_design.py).

Functions: :class:`DesignRun` (the simulator) and :class:`Synthetic` (a toy problem whose
cheapest mix is known, for tests). Both have the interface the sweep executor calls
(``outputs()``, ``content()``, ``__call__(values, replicate)``); empty ``values`` is the
business-as-usual run.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..ecosystem import Ecosystem
from ..instruments import INSTRUMENT_TYPES
from ..region import BASELINE_YEAR
from ..runner import TARGET_GROWTH, Series, build_ecosystem, content_key, spin_up_key
from ..scenario import Scenario, parse_scenario, scenario_document
from ..sweep.functions import outputs_at

OUTPUTS = ("baseline", "enabling", "growth", "target_met", "spend")
"""Outputs of one run (the design's regions summed): enabling SMEs at 2018Q4 and at the target
year's fourth quarter, growth between them, 1 if it is at least +15%, and public spend over the
reported quarters to the end of the target year (EUR, full-population units)."""

SPIN_UPS_KEPT = 4
"""Spun-up replicates a worker process keeps (the runs of a batch come replicate by replicate)."""

_spun_up: OrderedDict[tuple[str, int], Ecosystem] = OrderedDict()


def base_document(scenario: Scenario) -> dict[str, Any]:
    """Return ``scenario`` as the document of a self-contained scenario file.

    A shared budget split over more regions than the scenario simulates
    (``budget_regions``) is written as the part of it those regions have, so the file reads
    back with the same budgets; whole-number parameters are written as integers.
    """
    doc = scenario_document(scenario)
    for item, spec in zip(doc["instruments"], scenario.instruments, strict=True):
        if spec.budget_regions and spec.budget_regions != spec.regions:
            item["budget_per_year"] = spec.params["budget_per_year"] * sum(
                spec.budget_share(code) for code in spec.regions)
        _whole_numbers(item)
    return doc


def _whole_numbers(item: dict[str, Any]) -> None:
    """Write an instrument table's whole-number parameters as integers (in place)."""
    declared = INSTRUMENT_TYPES[item["type"]].declared_params()
    for name, value in item.items():
        if name in declared and declared[name].integer and isinstance(value, float):
            item[name] = int(round(value))


def candidate_tables(items: tuple[Mapping[str, Any], ...],
                     values: Mapping[str, float]) -> list[dict[str, Any]]:
    """Return the design's instrument tables with a candidate's values (``LABEL.NAME``)."""
    tables = [dict(item) for item in items]
    by_label = {table["name"]: table for table in tables}
    for path, value in values.items():
        label, _, name = path.rpartition(".")
        by_label[label][name] = value
    for table in tables:
        _whole_numbers(table)
    return tables


@dataclass(frozen=True)
class DesignRun:
    """The simulator: the base scenario plus the design's instruments at a candidate's values.

    Attributes:
        base: Business as usual, as the design runs it (regions, seed, scale, horizon).
        items: The design's instrument tables, as a scenario file holds them (the varied
            parameters are filled in per candidate).
        target_year: The year whose fourth quarter the outputs describe.

    """

    base: Scenario
    items: tuple[Mapping[str, Any], ...]
    target_year: int

    def outputs(self) -> tuple[str, ...]:
        """Names of the outputs of one run (:data:`OUTPUTS`)."""
        return OUTPUTS

    def content(self) -> dict[str, Any]:
        """Return what defines the runs: the base's content key, the instruments, the year."""
        return {"function": "devise", "base_scenario": content_key(self.base),
                "instruments": [dict(item) for item in self.items],
                "target_year": self.target_year}

    def with_seed(self, seed: int) -> DesignRun:
        """Return the same function on the replicates of another seed."""
        return replace(self, base=replace(self.base, seed=seed))

    def document(self, values: Mapping[str, float]) -> dict[str, Any]:
        """Return a candidate's scenario document (business as usual if ``values`` is empty)."""
        doc = base_document(self.base)
        if values:
            doc["instruments"] += candidate_tables(self.items, values)
        return doc

    def scenario(self, values: Mapping[str, float]) -> Scenario:
        """Return the candidate's scenario, parsed from :meth:`document` as a file would be."""
        if not values:
            return self.base
        return parse_scenario(self.document(values), "<design candidate>")

    def __call__(self, values: Mapping[str, float], replicate: int) -> dict[str, float]:
        """Return the outputs of one replicate of a candidate."""
        scenario = self.scenario(values)
        eco = spun_up(self.base, replicate).with_instruments(scenario.instruments).run()
        series = Series(eco.calendar, {code: r.series for code, r in eco.regions.items()})
        out = outputs_at(series, self.target_year)
        return {"baseline": out["enabling"] - out["change"], "enabling": out["enabling"],
                "growth": out["growth"], "target_met": out["target_met"],
                "spend": out["spend"]}


def spun_up(scenario: Scenario, replicate: int) -> Ecosystem:
    """Return the scenario's regions for ``replicate`` after the spin-up, with no instruments.

    Kept for the next candidates of the same replicate in this process (at most
    :data:`SPIN_UPS_KEPT`); never stepped, only copied.
    """
    key = (spin_up_key(scenario), replicate)
    if key in _spun_up:
        _spun_up.move_to_end(key)
        return _spun_up[key]
    eco = build_ecosystem(scenario, replicate, instruments=())
    _spun_up[key] = eco
    while len(_spun_up) > SPIN_UPS_KEPT:
        _spun_up.popitem(last=False)
    return eco


@dataclass(frozen=True)
class Synthetic:
    """A toy design problem with a known answer, through the same pipeline.

    Business as usual has 100 enabling SMEs at 2018Q4 and grows by 5% + 10% u by the target
    year, u uniform and drawn from (seed, replicate). Instrument k adds ``effects[k]``
    enabling SMEs per EUR 100,000 of yearly budget and spends its budget in every year from
    2019 to the target year. A replicate meets the target when growth >= 15%, so a mix
    reaches P(target) >= p where its additional SMEs pass the p-quantile of 10 (1 - u).
    """

    items: tuple[Mapping[str, Any], ...]
    effects: tuple[float, ...]
    seed: int
    target_year: int

    def outputs(self) -> tuple[str, ...]:
        """Names of the outputs of one run (:data:`OUTPUTS`)."""
        return OUTPUTS

    def content(self) -> dict[str, Any]:
        """Return what defines the runs: the effects, instruments, seed and year."""
        return {"function": "synthetic", "effects": list(self.effects), "seed": self.seed,
                "instruments": [dict(item) for item in self.items],
                "target_year": self.target_year}

    def with_seed(self, seed: int) -> Synthetic:
        """Return the same function on the replicates of another seed."""
        return replace(self, seed=seed)

    def __call__(self, values: Mapping[str, float], replicate: int) -> dict[str, float]:
        """Return the outputs of one replicate of a candidate."""
        tables = candidate_tables(self.items, values) if values else []
        budgets = [float(t.get("budget_per_year", 0.0)) for t in tables]
        u = float(np.random.default_rng([self.seed, replicate]).random())
        baseline = 100.0
        enabling = baseline * (1.05 + 0.10 * u) + sum(
            e * b / 1e5 for e, b in zip(self.effects, budgets, strict=False))
        growth = enabling / baseline - 1.0
        return {"baseline": baseline, "enabling": enabling, "growth": growth,
                "target_met": float(growth >= TARGET_GROWTH),
                "spend": sum(budgets) * (self.target_year - BASELINE_YEAR)}


EvaluationFunction = DesignRun | Synthetic
