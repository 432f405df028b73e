"""Scenario files (TOML): loading and validation against the declared parameters.

A scenario names the regions, the horizon, replicates, seed and scale, optional
overrides of model parameters, and a list of policy instruments::

    [scenario]
    name = "vouchers"
    regions = "all"            # or ["IE04", "ES13"]
    start_year = 2018
    end_year = 2025
    burn_in_years = 5
    replicates = 10
    seed = 20180601
    scale = 1.0

    [model]                    # optional: any of simulation.params.MODEL_PARAMS
    search_breadth = 6

    [[instruments]]
    type = "innovation_voucher"
    name = "IE vouchers"
    regions = ["IE04"]
    start = "2019Q1"
    end = "2021Q4"
    budget_per_year = 500000
    voucher_value = 5000

Every problem raises :class:`~simulation.errors.InputError` naming the file, the key
path, what was expected and what was found, with a suggestion where one exists.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .calendar import Calendar
from .errors import InputError, did_you_mean
from .instruments import INSTRUMENT_TYPES
from .params import MODEL_PARAMS, Param
from .region import InstrumentSpec
from .regions import get_region, region_codes


@dataclass(frozen=True)
class Scenario:
    """A validated scenario.

    Attributes:
        name: Short name (used for the default output folder).
        description: Free text.
        regions: Region codes, in registry order.
        start_year: First reported year (2018 for the DEVISE baseline).
        end_year: Last simulated year.
        burn_in_years: Years of business as usual before ``start_year``.
        replicates: Stochastic replicates to run.
        seed: Run seed; replicate ``r`` uses draws keyed on (seed, r).
        scale: Fraction of the full firm populations simulated.
        model: Overrides of model parameters.
        instruments: Policy instruments.
        path: File it came from ("" if built in code).
        sha256: Hash of the file's bytes ("" if built in code).
    """

    name: str
    description: str = ""
    regions: tuple[str, ...] = ()
    start_year: int = 2018
    end_year: int = 2025
    burn_in_years: int = 5
    replicates: int = 10
    seed: int = 20180601
    scale: float = 1.0
    model: Mapping[str, float] = field(default_factory=dict)
    instruments: tuple[InstrumentSpec, ...] = ()
    path: str = ""
    sha256: str = ""

    @property
    def calendar(self) -> Calendar:
        """The scenario's clock."""
        return Calendar.for_horizon(self.start_year, self.end_year, self.burn_in_years)

    def with_overrides(self, **changes: Any) -> Scenario:
        """A copy with some fields replaced (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


_SCENARIO_KEYS = {
    "name": str, "description": str, "regions": (str, list), "start_year": int,
    "end_year": int, "burn_in_years": int, "replicates": int, "seed": int,
    "scale": (int, float),
}
_INSTRUMENT_KEYS = ("type", "name", "regions", "start", "end", "sectors")


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file.

    Raises:
        InputError: The file is missing, not TOML, or any key is wrong.
    """
    path = Path(path)
    file = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(file, "", "a readable scenario file", exc.strerror or str(exc)) from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(file, "", "valid TOML", str(exc)) from None
    return parse_scenario(doc, file, hashlib.sha256(raw).hexdigest())


def parse_scenario(doc: Mapping[str, Any], file: str = "<scenario>", sha256: str = "") -> Scenario:
    """Validate a scenario given as a parsed TOML mapping."""
    _no_unknown(doc, ("scenario", "model", "instruments"), file, "")
    head = doc.get("scenario")
    if not isinstance(head, Mapping):
        raise InputError(file, "scenario", "a [scenario] table", _show(head))
    _no_unknown(head, _SCENARIO_KEYS, file, "scenario.")
    for key, kind in _SCENARIO_KEYS.items():
        if key in head and (not isinstance(head[key], kind) or isinstance(head[key], bool)):
            raise InputError(file, f"scenario.{key}", _type_name(kind), _show(head[key]))
    if "name" not in head:
        raise InputError(file, "scenario.name", "a name for the scenario", "nothing")
    defaults = Scenario(name="")
    start = head.get("start_year", defaults.start_year)
    end = head.get("end_year", defaults.end_year)
    burn = head.get("burn_in_years", defaults.burn_in_years)
    if not 2000 <= start <= 2030:
        raise InputError(file, "scenario.start_year", "a year in 2000..2030", _show(start))
    if not start <= end <= 2050:
        raise InputError(file, "scenario.end_year", f"a year in {start}..2050", _show(end))
    if not 0 <= burn <= 20:
        raise InputError(file, "scenario.burn_in_years", "a whole number in 0..20", _show(burn))
    replicates = head.get("replicates", defaults.replicates)
    if not 1 <= replicates <= 100_000:
        raise InputError(file, "scenario.replicates", "a whole number >= 1", _show(replicates))
    seed = head.get("seed", defaults.seed)
    if not 0 <= seed < 2**63:
        raise InputError(file, "scenario.seed", "a whole number in [0, 2**63)", _show(seed))
    scale = float(head.get("scale", defaults.scale))
    if not 0.0 < scale <= 1.0:
        raise InputError(file, "scenario.scale", "a number in (0, 1]", _show(head["scale"]))
    regions = _regions(head.get("regions", "all"), file, "scenario.regions")
    calendar = Calendar.for_horizon(start, end, burn)
    instruments = doc.get("instruments", [])
    if not isinstance(instruments, list):
        raise InputError(file, "instruments", "an array of tables [[instruments]]",
                         _show(instruments))
    return Scenario(
        name=head["name"],
        description=head.get("description", ""),
        regions=regions,
        start_year=start,
        end_year=end,
        burn_in_years=burn,
        replicates=replicates,
        seed=seed,
        scale=scale,
        model=_params(doc.get("model", {}), MODEL_PARAMS, file, "model.", fill_defaults=False),
        instruments=tuple(
            _instrument(item, k, regions, calendar, file) for k, item in enumerate(instruments)
        ),
        path=file,
        sha256=sha256,
    )


def _instrument(item: Any, k: int, scenario_regions: tuple[str, ...], calendar: Calendar,
                file: str) -> InstrumentSpec:
    at = f"instruments[{k}]"
    if not isinstance(item, Mapping):
        raise InputError(file, at, "a table", _show(item))
    kind = item.get("type")
    if kind not in INSTRUMENT_TYPES:
        raise InputError(file, f"{at}.type", "an instrument type", _show(kind),
                         did_you_mean(kind, INSTRUMENT_TYPES))
    declared = INSTRUMENT_TYPES[kind].declared_params()
    _no_unknown(item, (*_INSTRUMENT_KEYS, *declared), file, f"{at}.")
    name = item.get("name", f"{kind} {k}")
    regions = _regions(item.get("regions", list(scenario_regions)), file, f"{at}.regions")
    outside = [r for r in regions if r not in scenario_regions]
    if outside:
        raise InputError(file, f"{at}.regions", "regions listed in scenario.regions",
                         _show(outside[0]))
    quarters = {}
    for key, default in (("start", calendar.label(calendar.first_reported)),
                         ("end", calendar.label(calendar.n_quarters - 1))):
        label = item.get(key, default)
        try:
            quarters[key] = calendar.parse(label) if isinstance(label, str) else None
        except ValueError as exc:
            raise InputError(file, f"{at}.{key}", "a quarter within the simulated period",
                             _show(label), str(exc)) from None
        if quarters[key] is None:
            raise InputError(file, f"{at}.{key}", "a quarter like '2019Q1'", _show(label))
    if quarters["end"] < quarters["start"]:
        raise InputError(file, f"{at}.end", f"a quarter not before start {item.get('start')}",
                         _show(item.get("end")))
    sectors = item.get("sectors", [])
    if not isinstance(sectors, list) or not all(isinstance(s, str) for s in sectors):
        raise InputError(file, f"{at}.sectors", "a list of sector names", _show(sectors))
    for r in regions:
        own = get_region(r).sectors
        for s in sectors:
            if s not in own:
                raise InputError(file, f"{at}.sectors", f"a smart sector of region {r}",
                                 _show(s), did_you_mean(s, own))
    params = {key: item[key] for key in declared if key in item}
    if "budget_per_year" not in params:
        raise InputError(file, f"{at}.budget_per_year", "a yearly budget in EUR", "nothing")
    return InstrumentSpec(
        kind=kind,
        name=str(name),
        params=_params(params, declared, file, f"{at}."),
        start=calendar.label(quarters["start"]),
        end=calendar.label(quarters["end"]),
        regions=regions,
        sectors=tuple(sectors),
    )


def _params(values: Any, declared: Mapping[str, Param], file: str, prefix: str,
            fill_defaults: bool = True) -> dict:
    """Validate values against declarations; return them (with defaults, if asked)."""
    if not isinstance(values, Mapping):
        raise InputError(file, prefix.rstrip("."), "a table of parameters", _show(values))
    _no_unknown(values, declared, file, prefix)
    out = {name: p.default for name, p in declared.items()} if fill_defaults else {}
    for name, value in values.items():
        problem = declared[name].check(value)
        if problem:
            raise InputError(file, prefix + name, problem, _show(value))
        out[name] = float(value)
    return out


def _regions(value: Any, file: str, key: str) -> tuple[str, ...]:
    known = region_codes()
    if value == "all":
        return known
    if not isinstance(value, list) or not value:
        raise InputError(file, key, '"all" or a non-empty list of region codes', _show(value))
    for code in value:
        if code not in known:
            raise InputError(file, key, "a region code", _show(code), did_you_mean(code, known))
    dupes = sorted({c for c in value if value.count(c) > 1})
    if dupes:
        raise InputError(file, key, "each region once", f"{dupes[0]!r} listed twice")
    return tuple(c for c in known if c in value)


def _no_unknown(table: Mapping[str, Any], allowed, file: str, prefix: str) -> None:
    for key in table:
        if key not in allowed:
            raise InputError(file, prefix + key, "a known key", "an unknown key",
                             did_you_mean(key, allowed))


def _type_name(kind) -> str:
    names = {str: "a string", int: "a whole number", list: "a list", float: "a number"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names[k] for k in kinds)


def _show(value: Any) -> str:
    return "nothing" if value is None else repr(value)
