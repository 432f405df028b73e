"""Registry of the ten DEVISE partner region models and their derived starting figures.

``calibration/regions.toml`` says who and where each region model is, which RIS3 sectors it
serves, and which sourced rows of ``calibration/data/*.csv`` (named by ``row_id``) feed each of
its figures. This module turns those rows into figures by the fixed rules below and records,
on every figure, the rule and the row ids it used (:class:`Derived`). All derived figures are
PROVISIONAL until the calibration step.

Rules (P = population on 1 January 2018; a region's own geography is that of its population row):

* Counts: a count for another geography G stands in as ``count_G / P_G x P_region``
  (per-inhabitant scaling); a count for the region itself is used as it is.
* Shares and rates are used as they are (percentages divided by 100).
* ``n_digital_smes``: a regional NACE J unit count where the region has one; otherwise
  ``enterprises x (NACE J units / enterprises of the default country) x ICT factor``, where the
  ICT factor is the country's ICT-specialist share of employment over the EU's in the same year
  (1 where the data has no figure for the country). NACE J stands in for J62-J63, and all units
  are counted as SMEs.
* ``n_smart_firms``: one client sector's firm count times the number of the region's client
  sectors; one sector's count is the regional manufacturing unit count where the region has
  one, else ``enterprises x`` the mean of the industry-share rows.
* Birth and death rates: a rate row; or an event count (scaled to the region) divided by
  ``enterprises``; or from turbulence T and net growth N, ``births = (T + N) / 2``,
  ``closures = (T - N) / 2``.
* Digital intensity 2021 (``dii_*``): rows of ``digital_intensity_2021.csv`` for the geography
  of the region's ``dii`` row (the country, or EU27_2020 where the data has none: UKN0, NWCB),
  picked by indicator and size class (row_id ``GEO.indicator.2021.emp_10_49`` / ``emp_50_249``
  / ``emp_10_249``). ``dii_high_share_2021`` is the sum of the ``high`` and ``very_high`` rows
  (7-12 of 12 technologies).
* Trend figures (``firm_growth_rate``, ``ict_employment_growth``; None where the region names
  no rows): a growth-rate row used as it is (``{rate = row}``), or two rows of the same
  geography, indicator and unit annualised over the years in their ``year`` column,
  ``(v_to / v_from) ** (1 / (year_to - year_from)) - 1`` (``{from = row, to = row}``).
  ``ict_employment_growth`` is the growth of the ICT-specialist share of total employment; it
  stands in for the growth of digital SME employment, assuming total employment roughly flat.
* ``proxy`` is True when any row a figure uses describes another geography than the region.

The calibration folder is ``<repo>/calibration``, or the folder named by the environment
variable ``DEVISE_CALIBRATION_DIR``.
"""

from __future__ import annotations

import csv
import difflib
import functools
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from statistics import fmean
from types import MappingProxyType
from typing import Any

from simulation.resources import CALIBRATION_DIR_ENV, default_calibration_dir
from simulation.taxonomy import SECTORS

BASE_YEAR = 2018
"""Year of the population rows used for per-inhabitant scaling."""


@dataclass(frozen=True)
class Derived:
    """A figure derived from sourced rows, with its derivation.

    Attributes:
        value: The figure.
        unit: Its unit.
        rule: Human-readable derivation, naming the rows it used.
        inputs: Row ids (calibration/data/*.csv) of the sourced rows used.
        proxy: True where a national or other-geography figure stands in.

    """

    value: float
    unit: str
    rule: str
    inputs: tuple[str, ...]
    proxy: bool = False


@dataclass(frozen=True)
class RegionSpec:
    """One partner region model: identity, client sectors and derived starting figures.

    Attributes:
        code: Code used in scenario files (the NUTS code where there is one).
        name: Region name.
        partner: DEVISE partner(s) working in the region.
        country: Eurostat country code.
        nuts_level: NUTS level of the territory, or None where it is not a NUTS region.
        territory: What the territory is and how it relates to the partner's own area.
        policy_instrument: Policy instrument the partner addressed.
        sectors: Client sector keys (taxonomy.SECTORS).
        sector_weights: Weight of each client sector, summing to 1.
        population: Persons, 2018.
        enterprises: All enterprises, around 2018.
        n_digital_smes: Full-scale count of digital tech SMEs, 2018.
        n_smart_firms: Full-scale count of firms in the region's smart sectors, 2018.
        dii_basic_share_2021: Share of SMEs with at least basic digital intensity, 2021.
        dii_basic_share_small_2021: The same share for small SMEs (10-49 persons employed).
        dii_basic_share_medium_2021: The same share for medium SMEs (50-249 persons employed).
        dii_high_share_2021: Share of SMEs (10-249) with high or very high intensity, 2021.
        dii_very_high_share_2021: Share of SMEs (10-249) with very high intensity, 2021.
        birth_rate: Yearly enterprise birth rate (fraction).
        death_rate: Yearly enterprise death rate (fraction).
        gdp_pps_2018: GDP per inhabitant in PPS, % of EU27 average.
        firm_growth_rate: Yearly growth of the enterprise population (fraction per year), or
            None where the data has no comparable pair of counts or growth-rate row.
        ict_employment_growth: Yearly growth of the ICT-specialist share of employment
            (fraction per year), a proxy for the growth of digital SME employment; or None.
        provisional: True until the calibration step has fitted the figures.

    """

    code: str
    name: str
    partner: str
    country: str
    nuts_level: int | None
    territory: str
    policy_instrument: str
    sectors: tuple[str, ...]
    sector_weights: tuple[float, ...]
    population: Derived
    enterprises: Derived
    n_digital_smes: Derived
    n_smart_firms: Derived
    dii_basic_share_2021: Derived
    dii_basic_share_small_2021: Derived
    dii_basic_share_medium_2021: Derived
    dii_high_share_2021: Derived
    dii_very_high_share_2021: Derived
    birth_rate: Derived
    death_rate: Derived
    gdp_pps_2018: Derived
    firm_growth_rate: Derived | None = None
    ict_employment_growth: Derived | None = None
    provisional: bool = True


@dataclass(frozen=True)
class Row:
    """One sourced row of calibration/data (geo is None for rows without a geography)."""

    row_id: str
    geo: str | None
    value: str
    unit: str
    source: str = ""
    indicator: str = ""
    year: str = ""

    def count(self) -> float:
        """Return the row as a count; 'million ...' units are multiplied out."""
        if self.unit.startswith("%"):
            raise ValueError(f"row {self.row_id} is a percentage, not a count")
        return float(self.value) * (1e6 if self.unit.startswith("million") else 1.0)

    def fraction(self) -> float:
        """Return the row as a fraction; percentages are divided by 100."""
        if self.unit.startswith("%"):
            return float(self.value) / 100
        if self.unit in ("fraction", "per year"):
            return float(self.value)
        raise ValueError(f"row {self.row_id} (unit {self.unit!r}) is not a share or rate")


def read_rows(data_dir: Path) -> dict[str, Row]:
    """Read every calibration/data/*.csv row, keyed by its unique row_id."""
    rows: dict[str, Row] = {}
    for path in sorted(data_dir.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            for rec in csv.DictReader(f):
                row_id = rec["row_id"]
                if row_id in rows:
                    raise ValueError(f"duplicate row_id {row_id!r} in {path}")
                rows[row_id] = Row(row_id, rec.get("geo") or None, rec["value"], rec["unit"],
                                   rec.get("source") or "", rec.get("indicator") or "",
                                   rec.get("year") or "")
    return rows


class _Deriver:
    """Applies the module's rules to one region's rows (its own choices over the defaults)."""

    def __init__(self, code: str, refs: dict[str, Any], rows: dict[str, Row]) -> None:
        self._code = code
        self._refs = refs
        self._rows = rows
        pop_row = self._row(refs["population"])
        self.geo = pop_row.geo
        self.population = self._derived(
            pop_row.count(), "persons", f"population row {pop_row.row_id}", (pop_row.row_id,)
        )

    def _row(self, row_id: str) -> Row:
        """Return a row by id; a missing id is an error naming the region."""
        try:
            return self._rows[row_id]
        except KeyError:
            near = difflib.get_close_matches(row_id, self._rows, n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            msg = f"region {self._code}: no row {row_id!r} in calibration/data{hint}"
            raise KeyError(msg) from None

    def _derived(self, value: float, unit: str, rule: str, inputs: tuple[str, ...]) -> Derived:
        """Build a Derived, flagged proxy when any input row is for another geography."""
        inputs = tuple(dict.fromkeys(inputs))
        proxy = any(self._rows[i].geo != self.geo for i in inputs)
        return Derived(value, unit, rule, inputs, proxy)

    def count(self, row_id: str, unit: str) -> Derived:
        """Return a count row for the region, scaled by population share if it is not regional."""
        row = self._row(row_id)
        if row.geo == self.geo:
            return self._derived(row.count(), unit, f"regional row {row_id}", (row_id,))
        pop = self._row(f"{row.geo}.population_1_january.{BASE_YEAR}")
        value = row.count() / pop.count() * self.population.value
        rule = f"{row.geo} per inhabitant x regional population: {row_id} / {pop.row_id} x "
        rule += self.population.inputs[0]
        return self._derived(value, unit, rule, (row_id, pop.row_id, *self.population.inputs))

    def share_of(self, row_id: str, unit: str) -> Derived:
        """Return the share or rate row `row_id` as a fraction."""
        row = self._row(row_id)
        return self._derived(row.fraction(), unit, f"row {row_id}", (row_id,))

    def enterprises(self) -> Derived:
        """Return the enterprise count (the enterprises row, scaled if not regional)."""
        return self.count(self._refs["enterprises"], "enterprises")

    def dii(self) -> Derived:
        """Return the 2021 share of SMEs with at least basic digital intensity (national or EU)."""
        return self.share_of(self._refs["dii"], "fraction of SMEs (10-249 persons employed)")

    def dii_level(self, levels: tuple[str, ...], size: str) -> Derived:
        """Return the 2021 share of SMEs of one size class at the given intensity levels.

        ``size`` is the class as in the unit text ("10-49", "50-249", "10-249"); the rows of
        the ``levels`` (summed) are those of the ``dii`` row's geography.
        """
        dii_row = self._row(self._refs["dii"])
        ids = [f"{dii_row.geo}.sme_digital_intensity_{level}.2021.emp_{size.replace('-', '_')}"
               for level in levels]
        rows = [self._row(i) for i in ids]
        value = sum(r.fraction() for r in rows)
        what = f"row {ids[0]}" if len(ids) == 1 else f"sum of rows {' + '.join(ids)}"
        rule = f"{what} (geography of the dii row {dii_row.row_id})"
        return self._derived(value, f"fraction of SMEs ({size} persons employed)", rule,
                             tuple(ids))

    def growth(self, key: str, what: str) -> Derived | None:
        """Return the yearly growth named by ``key`` (module docstring, trend figures).

        None where the region names no rows for it; ``what`` (what grows) opens the rule.
        """
        spec = self._refs.get(key)
        if spec is None:
            return None
        unit = "fraction per year"
        if not isinstance(spec, dict) or set(spec) not in ({"rate"}, {"from", "to"}):
            raise ValueError(f"region {self._code}: {key} must be {{rate = row}} or "
                             f"{{from = row, to = row}}, not {spec!r}")
        if "rate" in spec:
            rate = self.share_of(spec["rate"], unit)
            rule = f"{what}: growth-rate row {spec['rate']}, as it is"
            return self._derived(rate.value, unit, rule, rate.inputs)
        a, b = self._row(spec["from"]), self._row(spec["to"])
        if (a.geo, a.indicator, a.unit) != (b.geo, b.indicator, b.unit):
            raise ValueError(f"region {self._code}: {key} rows {a.row_id} and {b.row_id} must "
                             "have the same geography, indicator and unit")
        try:
            years = int(b.year) - int(a.year)
        except ValueError:
            raise ValueError(f"region {self._code}: {key} rows {a.row_id} and {b.row_id} "
                             "need a year each") from None
        if years <= 0:
            raise ValueError(f"region {self._code}: {key} row {b.row_id} must be later "
                             f"than {a.row_id}")
        value = (float(b.value) / float(a.value)) ** (1 / years) - 1
        rule = (f"{what}: annualised growth ({b.row_id} / {a.row_id}) ** "
                f"(1 / ({b.year} - {a.year})) - 1")
        return self._derived(value, unit, rule, (a.row_id, b.row_id))

    def gdp_pps(self) -> Derived:
        """Return GDP per inhabitant in PPS, % of EU27 (the EU default where a region has none)."""
        row = self._row(self._refs["gdp_pps"])
        return self._derived(float(row.value), row.unit, f"row {row.row_id}", (row.row_id,))

    def n_digital_smes(self, enterprises: Derived) -> Derived:
        """Return the digital tech SME count (module docstring, n_digital_smes)."""
        unit = "digital tech SMEs (NACE J units)"
        if "nace_j_count" in self._refs:
            base = self.count(self._refs["nace_j_count"], unit)
            rule = f"NACE J units, all counted as SMEs: {base.rule}"
            return self._derived(base.value, unit, rule, base.inputs)
        j, e = (self._row(i) for i in self._refs["nace_j_share"])
        value = enterprises.value * j.count() / e.count()
        rule = f"enterprises x NACE J units per enterprise ({j.row_id} / {e.row_id})"
        inputs = (*enterprises.inputs, j.row_id, e.row_id)
        if "ict_specialists" in self._refs:
            country, eu = (self._row(i) for i in self._refs["ict_specialists"])
            value *= country.fraction() / eu.fraction()
            rule += f" x ICT-specialist share vs EU ({country.row_id} / {eu.row_id})"
            inputs += (country.row_id, eu.row_id)
        else:
            rule += " x 1 (no ICT-specialist share for the country: EU average assumed)"
        rule += f"; enterprises = {enterprises.rule}"
        return self._derived(value, unit, rule, inputs)

    def n_smart_firms(self, enterprises: Derived, n_sectors: int) -> Derived:
        """Return the smart-sector firm count (module docstring, n_smart_firms)."""
        unit = "firms in smart sectors"
        if "manufacturing_units" in self._refs:
            one = self.count(self._refs["manufacturing_units"], unit)
            rule = f"manufacturing units per client sector ({one.rule}) x {n_sectors} sectors"
            return self._derived(one.value * n_sectors, unit, rule, one.inputs)
        shares = [self._row(i) for i in self._refs["industry_share"]]
        share = fmean(r.fraction() for r in shares)
        ids = [r.row_id for r in shares]
        what = ids[0] if len(ids) == 1 else f"mean of {', '.join(ids)}"
        rule = f"enterprises x industry share ({what}) x {n_sectors} client sectors"
        rule += f"; enterprises = {enterprises.rule}"
        return self._derived(
            enterprises.value * share * n_sectors, unit, rule, (*enterprises.inputs, *ids)
        )

    def rate(self, key: str, enterprises: Derived) -> Derived:
        """Return the yearly birth (key 'birth') or death (key 'death') rate as a fraction."""
        spec = self._refs[key]
        unit = "fraction per year"
        if "rate" in spec:
            return self.share_of(spec["rate"], unit)
        if "count" in spec:
            events = self.count(spec["count"], "enterprises per year")
            rule = f"events / enterprises; events = {events.rule}; enterprises = {enterprises.rule}"
            value = events.value / enterprises.value
            return self._derived(value, unit, rule, (*events.inputs, *enterprises.inputs))
        turb, net = self._row(spec["turbulence"]), self._row(spec["net_growth"])
        sign = 1.0 if key == "birth" else -1.0
        value = (turb.fraction() + sign * net.fraction()) / 2
        op = "+" if sign > 0 else "-"
        rule = f"(turbulence {op} net growth) / 2: ({turb.row_id} {op} {net.row_id}) / 2"
        return self._derived(value, unit, rule, (turb.row_id, net.row_id))


def _region(entry: dict[str, Any], defaults: dict[str, Any], rows: dict[str, Row]) -> RegionSpec:
    """Build one RegionSpec from its regions.toml entry."""
    code = entry["code"]
    keys = [s["key"] for s in entry["sectors"]]
    unknown = [k for k in keys if k not in SECTORS]
    if unknown or len(set(keys)) != len(keys):
        raise ValueError(f"region {code}: sector keys {keys} must be unique keys of {SECTORS}")
    weights = [float(s["weight"]) for s in entry["sectors"]]
    if min(weights) <= 0:
        raise ValueError(f"region {code}: sector weights must be positive")
    d = _Deriver(code, {**defaults, **entry["rows"]}, rows)
    enterprises = d.enterprises()
    return RegionSpec(
        code=code,
        name=entry["name"],
        partner=entry["partner"],
        country=entry["country"],
        nuts_level=entry.get("nuts_level"),
        territory=entry["territory"],
        policy_instrument=entry["policy_instrument"],
        sectors=tuple(keys),
        sector_weights=tuple(w / sum(weights) for w in weights),
        population=d.population,
        enterprises=enterprises,
        n_digital_smes=d.n_digital_smes(enterprises),
        n_smart_firms=d.n_smart_firms(enterprises, len(keys)),
        dii_basic_share_2021=d.dii(),
        dii_basic_share_small_2021=d.dii_level(("at_least_basic",), "10-49"),
        dii_basic_share_medium_2021=d.dii_level(("at_least_basic",), "50-249"),
        dii_high_share_2021=d.dii_level(("high", "very_high"), "10-249"),
        dii_very_high_share_2021=d.dii_level(("very_high",), "10-249"),
        birth_rate=d.rate("birth", enterprises),
        death_rate=d.rate("death", enterprises),
        gdp_pps_2018=d.gdp_pps(),
        firm_growth_rate=d.growth("firm_growth", "enterprise population"),
        ict_employment_growth=d.growth(
            "ict_growth", "ICT-specialist share of total employment (stands in for digital SME "
            "employment, total employment assumed roughly flat)"),
    )


@functools.lru_cache(maxsize=8)
def _load(calibration_dir: Path) -> tuple[RegionSpec, ...]:
    """Load and derive every region of one calibration folder (cached per folder)."""
    with (calibration_dir / "regions.toml").open("rb") as f:
        registry = tomllib.load(f)
    rows = read_rows(calibration_dir / "data")
    specs = tuple(_region(e, registry["defaults"], rows) for e in registry["regions"])
    codes = [s.code for s in specs]
    if len(set(codes)) != len(codes):
        raise ValueError(f"duplicate region codes in {calibration_dir / 'regions.toml'}: {codes}")
    return specs


def load_registry(calibration_dir: Path | None = None) -> dict[str, RegionSpec]:
    """Return the region models by code, in partner order.

    Args:
        calibration_dir: Folder holding regions.toml and data/; defaults to
            $DEVISE_CALIBRATION_DIR, else the repository's calibration/ folder.

    Returns:
        A new dict {code: RegionSpec} (the parsed registry is cached per folder).

    """
    if calibration_dir is not None:
        return {spec.code: spec for spec in _load(Path(calibration_dir).resolve())}
    return dict(_default_registry(os.environ.get(CALIBRATION_DIR_ENV)))


@functools.lru_cache(maxsize=8)
def _default_registry(env: str | None) -> Mapping[str, RegionSpec]:
    """Return the registry of the default calibration folder.

    Cached per value of its environment variable (looked up for every region and instrument
    a run builds: resolving paths each time cost a tenth of a small run).
    """
    registry = {spec.code: spec for spec in _load(default_calibration_dir().resolve())}
    return MappingProxyType(registry)


def region_codes() -> tuple[str, ...]:
    """Return the region codes in partner order."""
    return tuple(_default_registry(os.environ.get(CALIBRATION_DIR_ENV)))


def get_region(code: str) -> RegionSpec:
    """Return one region model by code.

    Raises:
        KeyError: If there is no such code; the message suggests the closest codes.

    """
    registry = _default_registry(os.environ.get(CALIBRATION_DIR_ENV))
    if code in registry:
        return registry[code]
    near = difflib.get_close_matches(code.upper(), registry, n=3, cutoff=0.5)
    hint = f" did you mean {' or '.join(repr(c) for c in near)}?" if near else ""
    raise KeyError(f"unknown region {code!r};{hint} known: {', '.join(registry)}")


def registry_table() -> list[dict[str, Any]]:
    """Return one flat dict per region for printing (`devise regions`).

    Counts are rounded to whole firms or persons and shares to 4 decimals; the ``proxies``
    entry lists the figures in which another geography stands in.
    """
    table = []
    for r in load_registry().values():
        figures = {
            "n_digital_smes": r.n_digital_smes,
            "n_smart_firms": r.n_smart_firms,
            "dii_basic_share_2021": r.dii_basic_share_2021,
            "birth_rate": r.birth_rate,
            "death_rate": r.death_rate,
            "population": r.population,
        }
        table.append(
            {
                "code": r.code,
                "name": r.name,
                "country": r.country,
                "sectors": ", ".join(r.sectors),
                "n_digital_smes": round(r.n_digital_smes.value),
                "n_smart_firms": round(r.n_smart_firms.value),
                "dii_basic_share_2021": round(r.dii_basic_share_2021.value, 4),
                "birth_rate": round(r.birth_rate.value, 4),
                "death_rate": round(r.death_rate.value, 4),
                "population": round(r.population.value),
                "proxies": ", ".join(k for k, v in figures.items() if v.proxy),
            }
        )
    return table
