"""Design files: a base scenario, instruments with bounds, a target and a required P(target).

    [design]
    name = "es13-2021"
    base = "../../scenarios/baseline.toml"  # relative to this file; or function = "synthetic"
    regions = ["ES13"]            # optional: the base's regions by default ("all")
    target_year = 2021            # 2021 or 2022: P(+15% on 2018Q4 at its fourth quarter)
    required = 0.8                # the P(target) a mix must reach
    replicates = 10               # per candidate, the same for every candidate
    seed = 20180601               # replaces the base's seed
    trials = 96                   # candidates, a multiple of optimiser.batch
    scale = 1.0                   # optional: replaces the base's scale
    parameters = "posterior"      # optional: replaces the base's
    check_replicates = 20         # fresh replicates for the chosen mix (default 2 x replicates)
    check_seed = 20180602         # their seed (default seed + 1): draws the search never saw
    synthetic_effects = [2.0]     # function = "synthetic" only: SMEs per EUR 100,000 a year

    [optimiser]
    sampler = "nsga2"             # nsga2 | tpe (optuna)
    batch = 8                     # candidates asked, evaluated and told together
    seed = 1                      # the sampler's seed (default: the design's seed)
    objectives = ["spend", "p_target"]   # optional third: "additional"
    refine = 2                    # last batches: first the neighbours of the cheapest mix
                                  # meeting the requirement (one step down, or dropped)

    [[instruments]]               # the keys of a scenario's [[instruments]], and vary
    type = "innovation_voucher"
    name = "design vouchers"
    start = "2019Q1"
    end = "2021Q4"
    budget_per_year = 0           # optional where vary names it
    [instruments.vary]
    budget_per_year = [0, 2_000_000]                            # [low, high]
    voucher_value = { bounds = [2000, 10000], step = 1000 }    # or with step, or log = true

Every problem raises :class:`~simulation.errors.InputError` naming the file, the key path,
what was expected and what was found (``devise`` exits with code 2, before anything runs).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, did_you_mean
from ..instrument_types import TYPES
from ..params import param_problem
from ..scenario import load_scenario, no_unknown_keys, parse_scenario, show_value
from ..sweep.spec import check_types, require
from ..tomlfiles import read_toml

if TYPE_CHECKING:
    from .evaluate import EvaluationFunction

TARGET_YEARS = (2021, 2022)
"""Years whose fourth quarter a design may target."""

SAMPLERS = ("nsga2", "tpe")
"""optuna samplers a design may use."""

OBJECTIVES = {"spend": "minimize", "p_target": "maximize", "additional": "maximize"}
"""Objectives a search may use, with their directions."""

_DESIGN_KEYS = {
    "name": str, "base": str, "function": str, "regions": (str, list), "target_year": int,
    "required": (int, float), "replicates": int, "seed": int, "trials": int,
    "scale": (int, float), "parameters": str, "check_replicates": int, "check_seed": int,
    "synthetic_effects": list, "description": str,
}
_OPTIMISER_KEYS = {"sampler": str, "batch": int, "seed": int, "objectives": list,
                   "refine": int}
_VARY_KEYS = ("bounds", "step", "log")


@dataclass(frozen=True)
class Variable:
    """One searched value: parameter ``name`` of design instrument ``instrument``."""

    path: str
    instrument: int
    name: str
    low: float
    high: float
    step: float | None = None
    log: bool = False
    integer: bool = False


@dataclass(frozen=True)
class DesignSpec:
    """A validated design file."""

    name: str
    function: EvaluationFunction
    variables: tuple[Variable, ...]
    target_year: int
    required: float
    replicates: int
    seed: int
    trials: int
    check_replicates: int
    check_seed: int
    sampler: str = "nsga2"
    batch: int = 8
    optimiser_seed: int = 0
    objectives: tuple[str, ...] = ("spend", "p_target")
    refine: int = 2
    description: str = ""
    path: str = ""

    def content(self) -> dict[str, Any]:
        """Everything that defines the search's trials, readable (JSON), for the folder's claim.

        The evaluation function (base scenario's content key, instruments, target year),
        the code fingerprint, seed, replicates, requirement, variables and optimiser. Not
        the number of trials (raising it resumes the search and adds batches), nor the
        robustness check (its store is named by its own settings).
        """
        from ..runner import code_fingerprint

        return {**self.function.content(), "code": code_fingerprint(), "seed": self.seed,
                "replicates": self.replicates, "required": self.required,
                "variables": [_describe(v) for v in self.variables], "sampler": self.sampler,
                "batch": self.batch, "optimiser_seed": self.optimiser_seed,
                "objectives": list(self.objectives), "refine": self.refine}

    def key(self) -> str:
        """Hash of :meth:`content`: the claim of the design's folder, and part of each run id."""
        text = json.dumps(self.content(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    @property
    def paths(self) -> list[str]:
        """Return the variables' paths (``LABEL.NAME``), in order."""
        return [v.path for v in self.variables]


def load_design(path: str | Path) -> DesignSpec:
    """Read and validate a design file.

    Raises:
        InputError: Naming the file, the key path, what was expected and what was found.

    """
    path = Path(path)
    file = str(path)
    doc = read_toml(path)
    no_unknown_keys(doc, ("design", "optimiser", "instruments"), file, "")
    head = _table(doc, "design", file, required=True)
    check_types(head, _DESIGN_KEYS, file, "design")
    name = head.get("name")
    require(isinstance(name, str) and name and "/" not in name and "\\" not in name
             and name not in (".", ".."), file, "design.name", "a name usable as a folder name",
             name)
    target_year = head.get("target_year", 2021)
    require(target_year in TARGET_YEARS, file, "design.target_year",
             f"one of {', '.join(map(str, TARGET_YEARS))}", target_year)
    required = head.get("required")
    require(required is not None and 0 < required <= 1, file, "design.required",
             "a probability in (0, 1]", required)
    replicates, seed = head.get("replicates", 10), head.get("seed", 20180601)
    require(1 <= replicates <= 10_000, file, "design.replicates", "a whole number in 1..10000",
             replicates)
    require(0 <= seed < 2**32, file, "design.seed", "a whole number in [0, 2**32)", seed)
    check_replicates = head.get("check_replicates", 2 * replicates)
    require(1 <= check_replicates <= 10_000, file, "design.check_replicates",
             "a whole number in 1..10000", check_replicates)
    check_seed = head.get("check_seed", seed + 1)
    require(0 <= check_seed < 2**32 and check_seed != seed, file, "design.check_seed",
             "a whole number in [0, 2**32) other than design.seed (fresh draws)", check_seed)
    optimiser = _optimiser(_table(doc, "optimiser", file), seed, file)
    trials = head.get("trials", 12 * optimiser["batch"])
    require(1 <= trials <= 100_000 and trials % optimiser["batch"] == 0, file, "design.trials",
             f"a whole number in 1..100000, a multiple of optimiser.batch "
             f"({optimiser['batch']})", trials)
    base = _base(head, path, file, target_year)
    items, variables = _instruments(doc.get("instruments"), base, file)
    from .evaluate import DesignRun, Synthetic  # the model: once the design's own keys passed

    if "function" in head:
        effects = head.get("synthetic_effects")
        require(isinstance(effects, list) and len(effects) == len(items)
                 and all(isinstance(e, int | float) and not isinstance(e, bool) and e >= 0
                         for e in effects), file, "design.synthetic_effects",
                 f"{len(items)} number(s) >= 0, one per instrument", effects)
        function: EvaluationFunction = Synthetic(tuple(items), tuple(map(float, effects)),
                                                 seed, target_year)
    else:
        require("synthetic_effects" not in head, file, "design.synthetic_effects",
                 "nothing (function = 'synthetic' only)", head.get("synthetic_effects"))
        function = DesignRun(base, tuple(items), target_year)
    return DesignSpec(name=name, function=function, variables=variables,
                      target_year=target_year, required=float(required),
                      replicates=replicates, seed=seed, trials=trials,
                      check_replicates=check_replicates, check_seed=check_seed,
                      description=head.get("description", ""), path=file, **optimiser)


def _base(head: Mapping[str, Any], path: Path, file: str, target_year: int):
    """Return the business-as-usual scenario the design runs (base file with the overrides)."""
    from .evaluate import base_document

    if "function" in head:
        require(head["function"] == "synthetic" and "base" not in head, file,
                 "design.function", "'synthetic' (and no base)", head["function"])
        return parse_scenario({"scenario": {"name": "synthetic", "regions": ["ES13"],
                                            "end_year": max(target_year, *TARGET_YEARS)}})
    if "base" not in head:
        raise InputError(file, "design.base", "a base scenario file (or function = "
                         "'synthetic')", "nothing")
    base = load_scenario(path.parent / head["base"])
    changes: dict[str, Any] = {"seed": head.get("seed", 20180601),
                               "replicates": head.get("replicates", 10),
                               "end_year": max(target_year, *TARGET_YEARS)}
    require(base.start_year - base.burn_in_years <= 2018 and base.end_year >= 2018, file,
             "design.base", "a base scenario that simulates 2018Q4", head["base"])
    if "regions" in head:
        regions = head["regions"]
        ok = regions == "all" or (isinstance(regions, list) and regions
                                  and all(r in base.regions for r in regions)
                                  and len(set(regions)) == len(regions))
        require(ok, file, "design.regions",
                 f"'all' or regions of the base scenario ({', '.join(base.regions)}), each once",
                 regions)
        if regions != "all":
            changes["regions"] = list(regions)
    if "scale" in head:
        require(0 < head["scale"] <= 1, file, "design.scale", "a number in (0, 1]",
                 head["scale"])
        changes["scale"] = float(head["scale"])
    if "parameters" in head:
        require(head["parameters"] in ("posterior", "point"), file, "design.parameters",
                 "posterior or point", head["parameters"])
        changes["parameters"] = head["parameters"]
    scenario = base.with_changes(**changes)
    return parse_scenario(base_document(scenario), file)


def _instruments(value: Any, base, file: str) -> tuple[list[dict[str, Any]], tuple[Variable, ...]]:
    """Validate the design's instruments; return their tables (vary removed) and variables."""
    if not isinstance(value, list) or not value:
        raise InputError(file, "instruments", "one or more [[instruments]] tables",
                         show_value(value))
    items, variables = [], []
    for k, item in enumerate(value):
        at = f"instruments[{k}]"
        if not isinstance(item, dict):
            raise InputError(file, at, "a table", show_value(item))
        kind = item.get("type")
        if kind not in TYPES:
            raise InputError(file, f"{at}.type", "an instrument type", show_value(kind),
                             did_you_mean(kind, TYPES))
        vary = item.get("vary")
        if not isinstance(vary, dict) or not vary:
            raise InputError(file, f"{at}.vary", "a table of bounds of one or more parameters",
                             show_value(vary))
        declared = TYPES[kind].declared_params()
        label = item.get("name", f"{kind} {k}")
        fixed = {key: v for key, v in item.items() if key != "vary"} | {"name": label}
        for name, bounds in vary.items():
            if name not in declared:
                raise InputError(file, f"{at}.vary.{name}", f"a parameter of a {kind} "
                                 "instrument", show_value(name), did_you_mean(name, declared))
            variables.append(_variable(bounds, f"{label}.{name}", k, name, declared[name],
                                       file, f"{at}.vary.{name}"))
            fixed.pop(name, None)
        items.append(fixed)
    _check_corners(items, variables, base, file)
    clash = {i["name"] for i in items} & {s.name for s in base.instruments}
    require(not clash, file, "instruments", "names other than the base scenario's "
             "instruments'", sorted(clash))
    return items, tuple(variables)


def _variable(bounds: Any, path: str, k: int, name: str, param, file: str, at: str) -> Variable:
    table = bounds if isinstance(bounds, dict) else {"bounds": bounds}
    no_unknown_keys(table, _VARY_KEYS, file, at)
    pair = table.get("bounds")
    if not isinstance(pair, list) or len(pair) != 2:
        raise InputError(file, f"{at}.bounds" if isinstance(bounds, dict) else at,
                         "[low, high]", show_value(pair))
    for j, bound in enumerate(pair):
        problem = param_problem(param, bound)
        if problem:
            raise InputError(file, f"{at}[{j}]", problem, show_value(bound))
    low, high = float(pair[0]), float(pair[1])
    require(low < high, file, at, "low < high", pair)
    step, log = table.get("step"), table.get("log", False)
    require(isinstance(log, bool), file, f"{at}.log", "true or false", log)
    if step is not None:
        require(isinstance(step, int | float) and not isinstance(step, bool)
                 and 0 < step <= high - low and not log
                 and (not param.integer or float(step).is_integer()), file, f"{at}.step",
                 "a step in (0, high - low], whole for a whole-number parameter, without log",
                 step)
    require(not log or low > 0, file, f"{at}.log", "a low bound > 0 for a log scale", log)
    return Variable(path, k, name, low, high, None if step is None else float(step), log,
                    param.integer)


def _check_corners(items: list[dict[str, Any]], variables: list[Variable], base,
                   file: str) -> None:
    """Parse the instruments at their low and high bounds as a scenario would (names kept)."""
    from .evaluate import base_document

    head = dict(base_document(base)["scenario"])
    for corner in ("low", "high"):
        tables = [dict(item) for item in items]
        for v in variables:
            tables[v.instrument][v.name] = _whole(getattr(v, corner), v.integer)
        try:
            parse_scenario({"scenario": head, "instruments": tables}, file)
        except InputError as exc:
            varied = {f"instruments[{v.instrument}].{v.name}": v for v in variables}
            key = exc.key
            if key in varied:
                key = f"instruments[{varied[key].instrument}].vary.{varied[key].name}"
            found = f"{exc.found} at the {corner} bounds" if exc.found else f"the {corner} bounds"
            raise InputError(file, key, exc.expected, found, exc.hint) from None


def _optimiser(table: Mapping[str, Any], seed: int, file: str) -> dict[str, Any]:
    check_types(table, _OPTIMISER_KEYS, file, "optimiser")
    sampler = table.get("sampler", "nsga2")
    require(sampler in SAMPLERS, file, "optimiser.sampler", f"one of {', '.join(SAMPLERS)}",
             sampler)
    batch = table.get("batch", 8)
    require(2 <= batch <= 1000, file, "optimiser.batch", "a whole number in 2..1000", batch)
    opt_seed = table.get("seed", seed)
    require(0 <= opt_seed < 2**32, file, "optimiser.seed", "a whole number in [0, 2**32)",
             opt_seed)
    objectives = table.get("objectives", ["spend", "p_target"])
    require(all(o in OBJECTIVES for o in objectives) and "spend" in objectives
             and "p_target" in objectives and len(set(objectives)) == len(objectives), file,
             "optimiser.objectives", f"spend and p_target, each once, and optionally "
             f"additional (of {', '.join(OBJECTIVES)})", objectives)
    refine = table.get("refine", 2)
    require(0 <= refine <= 1000, file, "optimiser.refine", "a whole number in 0..1000", refine)
    return {"sampler": sampler, "batch": batch, "optimiser_seed": opt_seed,
            "objectives": tuple(objectives), "refine": refine}


def _whole(value: float, integer: bool) -> float | int:
    return int(round(value)) if integer else value


def _describe(v: Variable) -> str:
    extra = (f" step {v.step:.6g}" if v.step else "") + (" log" if v.log else "")
    return f"{v.path} [{v.low:.6g}, {v.high:.6g}]{extra}{' whole' if v.integer else ''}"


def _table(doc: Mapping[str, Any], key: str, file: str, required: bool = False) -> dict:
    value = doc.get(key, None if required else {})
    if not isinstance(value, dict):
        raise InputError(file, key, f"a [{key}] table", show_value(value))
    return value
