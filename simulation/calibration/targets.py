"""Calibration targets per region, derived by code from calibration/targets.toml and sourced rows.

A target's value is either a sourced row of ``calibration/data/*.csv`` (``row``) or a figure
the region registry derives from sourced rows (``figure``, :mod:`simulation.regions`); its
uncertainty and weight are the judgements stated in targets.toml. Every :class:`Target`
carries the source text and row ids it rests on, and whether another geography stands in.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, did_you_mean
from ..regions import Derived, RegionSpec, default_calibration_dir, get_region, read_rows

TARGETS_FILE = "targets.toml"
"""Name of the targets file inside the calibration folder."""


@dataclass(frozen=True)
class Target:
    """One calibration target (moment) of one region.

    Attributes:
        name: Target name (targets.toml).
        moment: Name of the simulated moment that matches it (moments.MOMENTS).
        value: Target value.
        uncertainty: One standard deviation of the target, in its unit.
        weight: Weight in the objective.
        unit: Unit of the value.
        description: What is measured.
        source: Where the value comes from (the row's source, or the registry's rule).
        rows: Row ids of calibration/data it rests on.
        proxy: Whether another geography stands in for the region.

    """

    name: str
    moment: str
    value: float
    uncertainty: float
    weight: float
    unit: str
    description: str
    source: str
    rows: tuple[str, ...]
    proxy: bool


@dataclass(frozen=True)
class VoucherScenario:
    """The voucher programme under which voucher additionality is measured."""

    kind: str
    start: str
    end: str
    budget_per_firm_year: float


def load_targets(code: str, calibration_dir: Path | None = None) -> list[Target]:
    """Return the calibration targets of region ``code``, in targets.toml order.

    Raises:
        InputError: targets.toml is malformed (names the file and key).

    """
    folder = Path(calibration_dir) if calibration_dir is not None else default_calibration_dir()
    doc, file = _read(folder)
    rows = read_rows(folder / "data")
    spec = get_region(code)
    targets = (_target(entry, f"targets[{i}]", file, spec, rows)
               for i, entry in enumerate(doc.get("targets", [])))
    return [t for t in targets if t is not None]


def voucher_scenario(calibration_dir: Path | None = None) -> VoucherScenario:
    """Return the voucher scenario of targets.toml."""
    folder = Path(calibration_dir) if calibration_dir is not None else default_calibration_dir()
    doc, file = _read(folder)
    entry = doc.get("voucher_scenario")
    if not isinstance(entry, Mapping):
        raise InputError(file, "voucher_scenario", "a table")
    return VoucherScenario(
        kind=_get(entry, "kind", str, file, "voucher_scenario"),
        start=_get(entry, "start", str, file, "voucher_scenario"),
        end=_get(entry, "end", str, file, "voucher_scenario"),
        budget_per_firm_year=float(
            _get(entry, "budget_per_firm_year", (int, float), file, "voucher_scenario")),
    )


def _read(folder: Path) -> tuple[dict[str, Any], str]:
    path = folder / TARGETS_FILE
    try:
        with path.open("rb") as f:
            return tomllib.load(f), str(path)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(str(path), "", "valid TOML", str(exc)) from None


def _get(entry: Mapping[str, Any], key: str, kind: type | tuple[type, ...], file: str,
         where: str) -> Any:
    value = entry.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise InputError(file, f"{where}.{key}", f"a {names}", repr(value))
    return value


def _target(entry: Mapping[str, Any], where: str, file: str, spec: RegionSpec,
            rows: Mapping[str, Any]) -> Target | None:
    """Build one region's Target from a targets.toml entry.

    Return None where the entry is ``optional`` and the region's registry has no such
    figure.
    """
    from .moments import MOMENTS

    moment = _get(entry, "moment", str, file, where)
    if moment not in MOMENTS:
        raise InputError(file, f"{where}.moment", "a moment of simulation/calibration/moments.py",
                         repr(moment), did_you_mean(moment, MOMENTS))
    extra = 0.0
    if "figure" in entry:
        figure = _get(entry, "figure", str, file, where)
        derived = getattr(spec, figure, None)
        if derived is None and entry.get("optional") is True and hasattr(spec, figure):
            return None
        if not isinstance(derived, Derived):
            fields = [k for k, v in vars(spec).items() if isinstance(v, Derived)]
            raise InputError(file, f"{where}.figure", "a derived figure of the region registry",
                             repr(figure), did_you_mean(figure, fields))
        value, source, ids, proxy = derived.value, derived.rule, derived.inputs, derived.proxy
    else:
        row_id = _get(entry, "row", str, file, where)
        if row_id not in rows:
            raise InputError(file, f"{where}.row", "a row_id of calibration/data/*.csv",
                             repr(row_id), did_you_mean(row_id, rows))
        row = rows[row_id]
        low, _, high = row.value.partition("-")
        value = (float(low) + float(high or low)) / 2
        extra = (float(high or low) - float(low)) / 2
        source, ids, proxy = row.source, (row_id,), True
    spread = _get(entry, "uncertainty", Mapping, file, where)
    key = "proxy" if proxy and "proxy" in spread else ("absolute" if "absolute" in spread
                                                        else "relative")
    size = float(_get(spread, key, (int, float), file, f"{where}.uncertainty"))
    uncertainty = (size * abs(value) if key == "relative" else size) + extra
    if not uncertainty > 0:
        raise InputError(file, f"{where}.uncertainty", "a positive uncertainty", repr(spread))
    return Target(
        name=_get(entry, "name", str, file, where), moment=moment, value=float(value),
        uncertainty=uncertainty, weight=float(_get(entry, "weight", (int, float), file, where)),
        unit=_get(entry, "unit", str, file, where),
        description=_get(entry, "description", str, file, where), source=source, rows=ids,
        proxy=proxy,
    )
