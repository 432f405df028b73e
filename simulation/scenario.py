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
    parameters = "posterior"   # or "point": the fitted point values (see below)

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
    # budget_split = "shared"  # several regions: split the budget over them (default),
                               # or "per_region": each region has the whole budget

A file may build on others: ``extends = "baseline.toml"`` (or a list of files; paths
relative to the file) in ``[scenario]`` starts from their settings, ``[model]`` overrides
and instruments; the file's own settings override them and its instruments are added. A
file reached twice (diamond) is included once; a cycle is an error.

Every problem raises :class:`~simulation.errors.InputError` naming the file, the key
path, what was expected and what was found, with a suggestion where one exists. With
``extends``, the file named is the one holding the faulty key. The checks import no model
code (numba, mesa): only a scenario that has passed them all imports the model, to build
its instruments (:class:`~simulation.region.InstrumentSpec`), so a faulty file fails fast.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .calendar import Calendar
from .errors import InputError, did_you_mean, key_path, show_value
from .instrument_types import TYPES
from .params import MODEL_PARAMS, PARAMETER_MODES, validated_params
from .regions import get_region, region_codes
from .tomlfiles import parse_toml, read_bytes

if TYPE_CHECKING:
    from .region import InstrumentSpec


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
        parameters: ``"posterior"``: each pair of replicates draws a parameter set from
            each region's posterior (calibration/posteriors/), so results carry parameter
            uncertainty; ``"point"``: every replicate uses the fitted point values.
        model: Overrides of model parameters (they win over either).
        instruments: Policy instruments.
        path: File it came from ("" if built in code).
        sha256: Hash of the file's bytes ("" if built in code); with ``extends``, a hash
            of the hashes of every file included, bases first.

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
    parameters: str = "posterior"
    model: Mapping[str, float] = field(default_factory=dict)
    instruments: tuple[InstrumentSpec, ...] = ()
    path: str = ""
    sha256: str = ""

    def __post_init__(self) -> None:
        """Refuse two instruments with one name, however the scenario was built.

        Outputs, sweeps and comparisons find an instrument by its name.
        """
        _distinct_names([spec.name for spec in self.instruments], self.path or self.name)

    @property
    def calendar(self) -> Calendar:
        """The scenario's clock."""
        return Calendar.for_horizon(self.start_year, self.end_year, self.burn_in_years)

    def with_overrides(self, **changes: Any) -> Scenario:
        """Return a copy with [scenario] settings changed (``None`` values are ignored).

        The changes are validated as :meth:`with_changes` validates them.
        """
        return self.with_changes(**{k: v for k, v in changes.items() if v is not None})

    def with_changes(self, **changes: Any) -> Scenario:
        """Return a copy with values changed by key path, checked exactly as a file's are.

        Keys: a ``[scenario]`` setting (``scale``, ``seed``, ``regions``, ``end_year``...),
        ``model.NAME`` (a model parameter), or ``instruments.LABEL.KEY`` (any key of the
        instrument named LABEL: a parameter, ``start``, ``end``, ``regions``, ``sectors``,
        ``budget_split``). Changing ``regions`` keeps each instrument in the regions left
        (dropping those left with none); a shared budget stays split over the regions it
        was declared for. Example::

            scenario.with_changes(**{"scale": 0.05, "model.demand_base": 0.1,
                                     "instruments.IE vouchers.budget_per_year": 1e6})

        Raises:
            InputError: Naming the key as given, what was expected and what was found.

        """
        where = f"{self.path or self.name} (with_changes)"
        doc = scenario_document(self)
        by_name = {item["name"]: item for item in doc["instruments"]}
        for key, value in changes.items():
            _change(doc, by_name, key, value, where)
        if "regions" in changes:
            _keep_instruments_in(doc, by_name)
        try:
            changed = parse_scenario(doc, where)
        except InputError as exc:
            raise _named_by_label(exc, doc) from None
        declared = {spec.name: spec.budget_regions or spec.regions for spec in self.instruments}
        return replace(changed, path=self.path, sha256=self.sha256, instruments=tuple(
            spec if declared.get(spec.name, spec.regions) == spec.regions
            else replace(spec, budget_regions=declared[spec.name])
            for spec in changed.instruments))


_TOP_KEYS = ("scenario", "model", "instruments")
_SCENARIO_KEYS = {
    "name": str, "description": str, "regions": (str, list), "start_year": int,
    "end_year": int, "burn_in_years": int, "replicates": int, "seed": int,
    "scale": (int, float), "parameters": str,
}
_INSTRUMENT_KEYS = ("type", "name", "regions", "start", "end", "sectors", "budget_split")
_QUARTER = re.compile(r"([0-9]{4})Q([1-4])")
_UNSAFE_NAME = re.compile(r"[/\\\x00-\x1f\x7f]")


# --- reading files -------------------------------------------------------------------

def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file, with the files it extends.

    Raises:
        InputError: A file is missing, not UTF-8 TOML, extends in a cycle, or any key is
            wrong; the error names the file that holds the faulty key.

    """
    return _load(Path(path), parse_scenario)


def check_scenario(path: str | Path) -> None:
    """Make every check of :func:`load_scenario`, without importing the model.

    For a command that reads several scenario files: all are checked before any is built.

    Raises:
        InputError: As :func:`load_scenario`.

    """
    _load(Path(path), lambda doc, file, sha256: _checked(doc, file))


def _load(path: Path, parse: Callable[[Mapping[str, Any], str, str], Any]) -> Any:
    """``parse(document, file, sha256)`` of a scenario file merged with the files it extends."""
    files = _files_in_order(path)
    root = files[-1]
    if len(files) == 1 and not _extends(root.doc, root.file):
        return parse(root.doc, root.file, hashlib.sha256(root.raw).hexdigest())
    doc, origins = _merge(files)
    digests = b"".join(hashlib.sha256(f.raw).digest() for f in files)
    try:
        return parse(doc, root.file, hashlib.sha256(digests).hexdigest())
    except InputError as exc:
        raise _relocate(exc, origins) from None


# --- extends --------------------------------------------------------------------------

@dataclass(frozen=True)
class _File:
    """One parsed scenario file."""

    file: str
    doc: dict[str, Any]
    raw: bytes


def _files_in_order(path: Path) -> list[_File]:
    """Return the file and every file it extends, each once, bases before their users."""
    order: list[_File] = []
    file = str(path)
    raw = read_bytes(path, file)
    _include(path, _File(file, parse_toml(raw, file), raw), order, chain=(), done=set())
    return order


def _include(path: Path, this: _File, order: list[_File], chain: tuple[Path, ...],
             done: set[Path]) -> None:
    """Append the bases of ``this`` (depth first), then ``this``."""
    _check_shape(this.doc, this.file)
    me = path.resolve()
    for target, key in _extends(this.doc, this.file):
        base = path.parent / target
        try:
            raw = read_bytes(base, str(base))
        except InputError as exc:
            raise InputError(this.file, key, "a scenario file to extend",
                             f"{target!r}: {exc.found}") from None
        ident = base.resolve()
        if ident == me or ident in chain:
            loop = " -> ".join(p.name for p in (*chain, me, ident))
            raise InputError(this.file, key, "files that do not extend each other in a cycle",
                             loop)
        if ident not in done:
            _include(base, _File(str(base), parse_toml(raw, str(base)), raw), order,
                     (*chain, me), done)
    done.add(me)
    order.append(this)


def _extends(doc: Mapping[str, Any], file: str) -> list[tuple[str, str]]:
    """``(file name, key path)`` of each file that ``doc`` extends."""
    head = doc.get("scenario")
    value = head.get("extends") if isinstance(head, Mapping) else None
    if value is None:
        return []
    if isinstance(value, str):
        value, keys = [value], ["scenario.extends"]
    elif isinstance(value, list) and value:
        keys = [f"scenario.extends[{i}]" for i in range(len(value))]
    else:
        raise InputError(file, "scenario.extends", "a file name or a non-empty list of them",
                         show_value(value))
    for name, key in zip(value, keys, strict=True):
        if not isinstance(name, str) or not name.strip():
            raise InputError(file, key, "a file name", show_value(name))
    return list(zip(value, keys, strict=True))


def _merge(files: list[_File]) -> tuple[dict[str, Any], dict[str, tuple[str, str | None]]]:
    """One document from files in order, and where each key of it came from.

    ``origins`` maps a key path of the merged document to ``(file, key path there)``
    (``None``: the same path).
    """
    head: dict[str, Any] = {}
    model: dict[str, Any] = {}
    instruments: list[Any] = []
    origins: dict[str, tuple[str, str | None]] = {}
    for f in files:
        for key, value in f.doc.get("scenario", {}).items():
            if key != "extends":
                head[key] = value
                origins[key_path("scenario", key)] = (f.file, None)
        for key, value in f.doc.get("model", {}).items():
            model[key] = value
            origins[key_path("model", key)] = (f.file, None)
        for j, item in enumerate(f.doc.get("instruments", [])):
            origins[f"instruments[{len(instruments)}]"] = (f.file, f"instruments[{j}]")
            instruments.append(item)
    return {"scenario": head, "model": model, "instruments": instruments}, origins


def _relocate(exc: InputError, origins: Mapping[str, tuple[str, str | None]]) -> InputError:
    """``exc`` naming the file (and key path there) that holds the faulty key."""
    inside = [p for p in origins if exc.key == p or exc.key.startswith((p + ".", p + "["))]
    if not inside:
        return exc
    prefix = max(inside, key=len)
    file, there = origins[prefix]
    key = exc.key if there is None else there + exc.key[len(prefix):]
    return InputError(file, key, exc.expected, exc.found, exc.hint)


# --- the document ---------------------------------------------------------------------

def scenario_document(scenario: Scenario) -> dict[str, Any]:
    """Return the scenario as the document a file would hold (instruments' parameters complete)."""
    head = {key: getattr(scenario, key) for key in _SCENARIO_KEYS}
    head["regions"] = list(scenario.regions)
    instruments = [{"type": spec.kind, "name": spec.name, "regions": list(spec.regions),
                    "start": spec.start, "end": spec.end, "sectors": list(spec.sectors),
                    "budget_split": spec.budget_split, **spec.params}
                   for spec in scenario.instruments]
    return {"scenario": head, "model": dict(scenario.model), "instruments": instruments}


def _change(doc: dict[str, Any], by_name: Mapping[str, dict[str, Any]], key: str, value: Any,
            where: str) -> None:
    """Apply one :meth:`Scenario.with_changes` change to the document."""
    head, _, rest = key.partition(".")
    if head == "model" and rest:
        doc["model"][rest] = value
    elif head == "instruments" and rest:
        label, _, name = rest.rpartition(".")
        if label not in by_name:
            raise InputError(where, key, "instruments.LABEL.KEY with the name of an instrument",
                             show_value(label), did_you_mean(label, by_name))
        by_name[label][name] = value
    elif key in _SCENARIO_KEYS:
        doc["scenario"][key] = value
    else:
        keys = [*_SCENARIO_KEYS, "model.NAME", "instruments.LABEL.KEY"]
        raise InputError(where, key, "a [scenario] setting, model.NAME or "
                         "instruments.LABEL.KEY", "an unknown key", did_you_mean(key, keys))


def _keep_instruments_in(doc: dict[str, Any], by_name: Mapping[str, dict[str, Any]]) -> None:
    """Keep each instrument in the scenario's new regions only; drop those left in none."""
    regions = doc["scenario"]["regions"]
    if regions == "all" or not isinstance(regions, list):
        return  # the loader reports a malformed value; "all" keeps every instrument
    for item in by_name.values():
        item["regions"] = [r for r in item["regions"] if r in regions]
    doc["instruments"] = [item for item in doc["instruments"] if item["regions"]]


def _named_by_label(exc: InputError, doc: Mapping[str, Any]) -> InputError:
    """``exc`` with ``instruments[k]`` written ``instruments.LABEL`` and ``scenario.`` dropped."""
    key = exc.key
    match = re.match(r"instruments\[(\d+)\]", key)
    if match and int(match[1]) < len(doc["instruments"]):
        name = doc["instruments"][int(match[1])].get("name")
        if isinstance(name, str):
            key = f"instruments.{name}{key[match.end():]}"
    elif key.startswith("scenario."):
        key = key[len("scenario."):]
    return InputError(exc.file, key, exc.expected, exc.found, exc.hint)


def parse_scenario(doc: Mapping[str, Any], file: str = "<scenario>", sha256: str = "") -> Scenario:
    """Validate a scenario given as a parsed TOML mapping.

    Raises:
        InputError: Naming ``file``, the key path, what was expected and what was found.

    """
    fields = _checked(doc, file)
    fields["instruments"] = _built(fields["instruments"])
    return Scenario(**fields, path=file, sha256=sha256)


def _checked(doc: Mapping[str, Any], file: str) -> dict[str, Any]:
    """Make every check of :func:`parse_scenario` (no model import); return the fields.

    The fields of the :class:`Scenario` but its path and hash, with the instruments as the
    fields of their :class:`~simulation.region.InstrumentSpec`.
    """
    _check_shape(doc, file)
    head = doc.get("scenario")
    if head is None:
        raise InputError(file, "scenario", "a [scenario] table", "nothing")
    if "extends" in head:
        raise InputError(file, "scenario.extends", "no extends in a parsed document",
                         show_value(head["extends"]), "load the file with load_scenario")
    fields = _scenario_fields(head, file)
    calendar = Calendar.for_horizon(fields["start_year"], fields["end_year"],
                                    fields["burn_in_years"])
    model = validated_params(doc.get("model", {}), MODEL_PARAMS, file, "model",
                             fill_defaults=False)
    instruments = _instruments(doc.get("instruments", []), fields["regions"], calendar, file)
    _distinct_names([spec["name"] for spec in instruments], file or fields["name"])
    return {**fields, "model": model, "instruments": instruments}


def _check_shape(doc: Mapping[str, Any], file: str) -> None:
    """Check the top-level keys and the kind of value each one holds."""
    no_unknown_keys(doc, _TOP_KEYS, file, "")
    if "scenario" in doc and not isinstance(doc["scenario"], Mapping):
        raise InputError(file, "scenario", "a [scenario] table", show_value(doc["scenario"]))
    if "model" in doc and not isinstance(doc["model"], Mapping):
        raise InputError(file, "model", "a table of parameters", show_value(doc["model"]))
    value = doc.get("instruments", [])
    if isinstance(value, Mapping):
        raise InputError(file, "instruments", "an array of tables [[instruments]]",
                         "a single table [instruments]", "write [[instruments]] for each one")
    if not isinstance(value, list):
        raise InputError(file, "instruments", "an array of tables [[instruments]]",
                         show_value(value))


def _scenario_fields(head: Mapping[str, Any], file: str) -> dict[str, Any]:
    """Validate the ``[scenario]`` table; return its fields, defaults filled in."""
    no_unknown_keys(head, _SCENARIO_KEYS, file, "scenario")
    for key, kind in _SCENARIO_KEYS.items():
        if key in head and (not isinstance(head[key], kind) or isinstance(head[key], bool)):
            raise InputError(file, f"scenario.{key}", _type_name(kind), show_value(head[key]))
    defaults = Scenario(name="")
    value = {key: head.get(key, getattr(defaults, key)) for key in _SCENARIO_KEYS}
    value["regions"] = head.get("regions", "all")
    _check_name(head.get("name"), file)
    start, end = value["start_year"], value["end_year"]
    _check(2000 <= start <= 2030, value, "start_year", "a year in 2000..2030", file)
    _check(start <= end <= 2050, value, "end_year", f"a year in {start}..2050", file)
    _check(0 <= value["burn_in_years"] <= 20, value, "burn_in_years",
           "a whole number in 0..20", file)
    _check(1 <= value["replicates"] <= 100_000, value, "replicates",
           "a whole number in 1..100000", file)
    _check(0 <= value["seed"] < 2**63, value, "seed", "a whole number in [0, 2**63)", file)
    _check(0.0 < value["scale"] <= 1.0, value, "scale", "a number in (0, 1]", file)
    _check(value["parameters"] in PARAMETER_MODES, value, "parameters",
           f"one of {', '.join(PARAMETER_MODES)}", file)
    value["scale"] = float(value["scale"])  # safe: in (0, 1]
    value["regions"] = _regions(value["regions"], region_codes(), file, "scenario.regions")
    return value


def _check(ok: bool, values: Mapping[str, Any], key: str, expected: str, file: str) -> None:
    """InputError at ``scenario.<key>`` unless ``ok`` (NaN compares false, so fails)."""
    if not ok:
        raise InputError(file, f"scenario.{key}", expected, show_value(values[key]))


def _check_name(name: Any, file: str) -> None:
    """Check the name: it becomes the default output folder ``runs/<name>``."""
    if name is None or not name.strip() or name in (".", "..") or _UNSAFE_NAME.search(name):
        raise InputError(file, "scenario.name",
                         "a name usable as a folder name (not empty, no '/' or '\\')",
                         show_value(name))


def _regions(value: Any, known: tuple[str, ...], file: str, key: str) -> tuple[str, ...]:
    """``"all"`` (every code in ``known``) or a list of distinct codes, in ``known``'s order."""
    if value == "all":
        return known
    if isinstance(value, str):
        hint = ('did you mean "all"?' if value.strip().casefold() == "all"
                else f'did you mean ["{value}"]?' if value in region_codes() else "")
        raise InputError(file, key, '"all" or a non-empty list of region codes', show_value(value),
                         hint)
    if not isinstance(value, list) or not value:
        raise InputError(file, key, '"all" or a non-empty list of region codes', show_value(value))
    for i, code in enumerate(value):
        if not isinstance(code, str) or code not in region_codes():
            raise InputError(file, f"{key}[{i}]", "a region code", show_value(code),
                             did_you_mean(code, region_codes()))
    _no_repeats(value, "region", file, key)
    return tuple(c for c in known if c in value)


def _distinct_names(names: list[str], file: str) -> None:
    """InputError at the second instrument with a name already used.

    :func:`parse_scenario` checks before building the instruments (which imports the model),
    :class:`Scenario` for scenarios built in code.
    """
    _no_repeats(names, "instrument name", file, "instruments", suffix=".name")


def _no_repeats(items: list[str], what: str, file: str, key: str, suffix: str = "") -> None:
    """InputError at the second occurrence of anything listed twice (at ``key[i]suffix``)."""
    for i, item in enumerate(items):
        if item in items[:i]:
            raise InputError(file, f"{key}[{i}]{suffix}", f"each {what} once",
                             f"{item!r} listed twice (already at [{items.index(item)}])")


# --- instruments ----------------------------------------------------------------------

def _instruments(value: Any, scenario_regions: tuple[str, ...], calendar: Calendar,
                 file: str) -> list[dict[str, Any]]:
    """Validate each entry of the ``[[instruments]]`` array (shape already checked).

    Return the fields of each one's :class:`~simulation.region.InstrumentSpec`. That their
    names are distinct is checked by :func:`_distinct_names`.
    """
    return [_instrument(item, k, scenario_regions, calendar, file)
            for k, item in enumerate(value)]


def _built(specs: list[dict[str, Any]]) -> tuple[InstrumentSpec, ...]:
    """Return the validated instruments as InstrumentSpec objects (this imports the model)."""
    from .region import InstrumentSpec

    return tuple(InstrumentSpec(**spec) for spec in specs)


def _instrument(item: Any, k: int, scenario_regions: tuple[str, ...], calendar: Calendar,
                file: str) -> dict[str, Any]:
    """One ``[[instruments]]`` entry: type, keys, regions, period, sectors, parameters."""
    at = f"instruments[{k}]"
    if not isinstance(item, Mapping):
        raise InputError(file, at, "a table", show_value(item))
    kind = _instrument_type(item, at, file)
    declared = TYPES[kind].declared_params()
    no_unknown_keys(item, (*_INSTRUMENT_KEYS, *declared), file, at, f"a key of a {kind} instrument")
    name = item.get("name", f"{kind} {k}")
    if not isinstance(name, str) or not name.strip():
        raise InputError(file, f"{at}.name", "a string naming the instrument", show_value(name))
    regions = _instrument_regions(item.get("regions", "all"), scenario_regions, file,
                                  f"{at}.regions")
    start, end = _period(item, at, calendar, file)
    sectors = _sectors(item.get("sectors", []), regions, file, f"{at}.sectors")
    if "budget_per_year" not in item:
        raise InputError(file, f"{at}.budget_per_year", "a yearly budget in EUR", "nothing")
    given = {key: item[key] for key in declared if key in item}
    split = item.get("budget_split", "shared")
    try:  # the checks of InstrumentSpec: parameters, split and the bound on firms founded
        params = TYPES[kind].checked(name, given, regions, split)
    except InputError as exc:
        raise InputError(file, f"{at}.{exc.key}", exc.expected, exc.found, exc.hint) from None
    _min_max(params, item, file, at)
    return {"kind": kind, "name": name, "params": given, "start": calendar.label(start),
            "end": calendar.label(end), "regions": regions, "sectors": sectors,
            "budget_split": split}


def _instrument_type(item: Mapping[str, Any], at: str, file: str) -> str:
    """Return the entry's ``type``; with none, report a misspelled ``type`` key first."""
    kind = item.get("type")
    if isinstance(kind, str) and kind in TYPES:
        return kind
    if "type" not in item:
        every = {k for declared in TYPES.values() for k in declared.declared_params()}
        no_unknown_keys(item, (*_INSTRUMENT_KEYS, *sorted(every)), file, at)
    raise InputError(file, f"{at}.type", "an instrument type", show_value(kind),
                     did_you_mean(kind, TYPES))


def _instrument_regions(value: Any, scenario_regions: tuple[str, ...], file: str,
                        key: str) -> tuple[str, ...]:
    """Return an instrument's regions: ``"all"`` (the scenario's) or some of those."""
    regions = _regions(value, scenario_regions, file, key)
    if value != "all":
        for i, code in enumerate(value):
            if code not in scenario_regions:
                raise InputError(file, f"{key}[{i}]", "a region listed in scenario.regions",
                                 show_value(code), "add it to scenario.regions")
    return regions


def _period(item: Mapping[str, Any], at: str, calendar: Calendar, file: str) -> tuple[int, int]:
    """Quarter indices of ``start`` and ``end`` (defaults: the reported horizon)."""
    start = _quarter(item, "start", calendar.first_reported, at, calendar, file)
    end = _quarter(item, "end", calendar.n_quarters - 1, at, calendar, file)
    if end < start:
        raise InputError(file, f"{at}.end", f"a quarter not before start {calendar.label(start)}",
                         show_value(item.get("end")))
    return start, end


def _quarter(item: Mapping[str, Any], key: str, default: int, at: str, calendar: Calendar,
             file: str) -> int:
    """Quarter index of a ``"YYYYQn"`` label within the simulated period."""
    if key not in item:
        return default
    label = item[key]
    match = _QUARTER.fullmatch(label.strip()) if isinstance(label, str) else None
    if match is None:
        raise InputError(file, f"{at}.{key}", "a quarter like '2019Q1'", show_value(label),
                         _quarter_hint(label))
    q = calendar.index(int(match[1]), int(match[2]))
    if not 0 <= q < calendar.n_quarters:
        period = f"{calendar.label(0)}..{calendar.label(calendar.n_quarters - 1)}"
        raise InputError(file, f"{at}.{key}", f"a quarter within the simulated period {period}",
                         show_value(label), "the period runs from scenario.start_year - "
                         "burn_in_years to end_year")
    return q


def _quarter_hint(label: Any) -> str:
    """Suggest the quarter meant by a date, ``19Q1``, ``2019q1``, ``Q1 2019``..."""
    if isinstance(label, date):
        return f"did you mean '{label.year}Q{(label.month - 1) // 3 + 1}'?"
    if not isinstance(label, str):
        return ""
    text = re.sub(r"[\s_-]", "", label).upper()
    if re.fullmatch(r"[0-9]{2}Q[1-4]", text):
        text = "20" + text
    elif m := re.fullmatch(r"Q([1-4])([0-9]{4})", text):
        text = f"{m[2]}Q{m[1]}"
    if _QUARTER.fullmatch(text):
        return f"did you mean '{text}'?"
    if re.fullmatch(r"[0-9]{4}Q[0-9]+", text):
        return "quarters run Q1..Q4"
    return ""


def _sectors(value: Any, regions: tuple[str, ...], file: str, key: str) -> tuple[str, ...]:
    """Eligible sectors: distinct smart sectors of every one of the instrument's regions."""
    if isinstance(value, str):
        raise InputError(file, key, "a list of sector names", show_value(value),
                         f'did you mean ["{value}"]?' if value.isprintable() else "")
    if not isinstance(value, list):
        raise InputError(file, key, "a list of sector names", show_value(value))
    for i, sector in enumerate(value):
        if not isinstance(sector, str):
            raise InputError(file, f"{key}[{i}]", "a sector name", show_value(sector))
        for code in regions:
            own = get_region(code).sectors
            if sector not in own:
                raise InputError(file, f"{key}[{i}]", f"a smart sector of region {code}",
                                 show_value(sector), did_you_mean(sector, own))
    _no_repeats(value, "sector", file, key)
    return tuple(value)


def _min_max(params: Mapping[str, float], item: Mapping[str, Any], file: str, at: str) -> None:
    """Every ``min_x`` at most its ``max_x`` (defaults included); report the one set."""
    for low in (name for name in params if name.startswith("min_")):
        high = "max_" + low[4:]
        if high in params and params[low] > params[high]:
            if low in item:
                key, expected = low, f"at most {high} ({params[high]:g})"
            else:
                key, expected = high, f"at least {low} ({params[low]:g})"
            raise InputError(file, key_path(at, key), expected, show_value(item[key]))


# --- parameters and helpers -----------------------------------------------------------

def no_unknown_keys(table: Mapping[str, Any], allowed, file: str, at: str,
                expected: str = "a known key") -> None:
    """InputError for the first key of ``table`` not in ``allowed``, with a suggestion."""
    for key in table:
        if key not in allowed:
            raise InputError(file, key_path(at, key), expected, "an unknown key",
                             did_you_mean(key, allowed))


def _type_name(kind) -> str:
    """Name a type or tuple of types: ``"a string"``, ``"a whole number"``..."""
    names = {str: "a string", int: "a whole number", list: "a list", float: "a number"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if float in kinds:
        kinds = tuple(k for k in kinds if k is not int)  # "a number" covers whole numbers
    return " or ".join(names[k] for k in kinds)
