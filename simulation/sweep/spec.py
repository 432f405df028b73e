"""Sweep files: a base scenario, factors with bounds or levels, a design, replicates, outputs.

    [sweep]
    name = "demand-and-hubs"
    base = "../scenarios/baseline.toml"    # relative to this file; or function = "ishigami"
    design = "sobol"                       # sobol | morris | lhs | factorial
    samples = 256                          # sobol: N (a power of two); morris: trajectories;
                                           # lhs: points; factorial: not used
    replicates = 2                         # per design point (outputs are averaged over them)
    seed = 1                               # seeds the design and every run
    scale = 0.05                           # optional: overrides the base's scale
    regions = ["ES13"]                     # optional: overrides the base's regions
    end_year = 2021                        # optional: overrides the base's end year
    parameters = "point"                   # optional: overrides the base's (posterior: each
                                           # pair of replicates draws a parameter set)
    counterfactual = false                 # also run each point without instruments
    second_order = true                    # sobol: S2 indices
    levels = 4                             # morris: grid levels

    [analysis]                             # devise sensitivity only (all optional)
    outputs = ["target_met", "growth"]     # default: every output of one run (not
                                           # cost_per_sme, NaN where no SME is added)
    resamples = 1000                       # bootstrap resamples for confidence intervals
    conf_level = 0.95

    [[factors]]
    path = "model.demand_base"             # model.NAME or instruments.LABEL.NAME
    bounds = [0.02, 0.12]                  # default: the parameter's calibration bounds
    [[factors]]
    path = "instruments.ES13 Industria 4.0.budget_per_year"
    levels = [0, 1e6, 2e6]                 # factorial designs take levels

Factors are checked against the parameters the run function declares (the same
declarations as the model); errors name the file and key, as for scenarios.

The sweep's key (:meth:`SweepSpec.key`) is a hash of everything that defines its runs
(:meth:`SweepSpec.content`): it names the output folder's claim and every run id.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import InputError, did_you_mean
from ..params import Param, param_problem
from ..scenario import load_scenario, no_unknown_keys, show_value
from ..tomlfiles import read_toml

if TYPE_CHECKING:
    from .functions import RunFunction

DESIGNS = ("sobol", "morris", "lhs", "factorial")
"""Designs a sweep file may name."""

_SWEEP_KEYS = {
    "name": str, "base": str, "function": str, "design": str, "samples": int,
    "replicates": int, "seed": int, "scale": (int, float), "regions": list, "end_year": int,
    "counterfactual": bool, "second_order": bool, "levels": int, "chunk": int,
    "parameters": str,
}
_FACTOR_KEYS = ("path", "bounds", "levels")
_TEST_FUNCTIONS = ("ishigami",)


@dataclass(frozen=True)
class Factor:
    """One factor: a declared parameter's path, and its bounds or levels."""

    path: str
    low: float
    high: float
    levels: tuple[float, ...] = ()
    integer: bool = False


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep file."""

    name: str
    function: RunFunction
    factors: tuple[Factor, ...]
    design: str
    samples: int
    replicates: int
    seed: int
    second_order: bool = True
    levels: int = 4
    chunk: int = 0
    outputs: tuple[str, ...] = ()
    """The file's ``analysis.outputs``; () where it has none (see :meth:`analysis_outputs`)."""
    resamples: int = 1000
    conf_level: float = 0.95
    path: str = ""

    def content(self) -> dict[str, Any]:
        """Everything that defines the sweep's runs, readable (JSON), for the folder's claim.

        The run function's content (the simulator: the base scenario's content key, which
        covers the code and calibration files; the counterfactual), the code fingerprint,
        the seed, the design and its settings, each factor (path, bounds or levels, whole
        numbers) and a hash of the design points themselves (exact values, in order). Not
        the replicates: replicate r of a point is the same run whatever their number, so
        raising them resumes the sweep and runs only the new replicates. Not the name,
        chunk size or analysis settings, which change no run.
        """
        from ..runner import code_fingerprint
        from .design import design_points  # design.py imports this module

        points = design_points(self)
        digest = hashlib.sha256(repr(list(points.columns)).encode())
        digest.update(points.to_numpy().tobytes())
        settings = {"sobol": ("samples", "second_order"), "morris": ("samples", "levels"),
                    "lhs": ("samples",), "factorial": ()}[self.design]
        return {**self.function.content(), "code": code_fingerprint(), "seed": self.seed,
                "design": self.design, **{name: getattr(self, name) for name in settings},
                **{f"factors[{k}]": _describe(f) for k, f in enumerate(self.factors)},
                "design_points": digest.hexdigest()[:16]}

    def key(self) -> str:
        """Hash of :meth:`content`: the claim of the sweep's folder, and part of each run id."""
        text = json.dumps(self.content(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def analysis_outputs(self) -> tuple[str, ...]:
        """Return the outputs ``devise sensitivity`` analyses.

        That is the file's list, or by default every output of one run (not
        ``cost_per_sme``, NaN by construction where no SME is added).
        """
        return self.outputs or self.function.outputs()

    def problem(self) -> dict[str, Any]:
        """Return the SALib problem: factor names and bounds."""
        return {"num_vars": len(self.factors), "names": [f.path for f in self.factors],
                "bounds": [[f.low, f.high] for f in self.factors]}


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file.

    Raises:
        InputError: Naming the file, the key path, what was expected and what was found.

    """
    path = Path(path)
    file = str(path)
    doc = read_toml(path)
    no_unknown_keys(doc, ("sweep", "factors", "analysis"), file, "")
    head = doc.get("sweep")
    if not isinstance(head, dict):
        raise InputError(file, "sweep", "a [sweep] table", show_value(head))
    check_types(head, _SWEEP_KEYS, file, "sweep")
    name = head.get("name")
    if not name or "/" in name or name in (".", ".."):
        raise InputError(file, "sweep.name", "a name usable as a folder name", show_value(name))
    design = head.get("design", "sobol")
    if design not in DESIGNS:
        raise InputError(file, "sweep.design", f"one of {', '.join(DESIGNS)}",
                         show_value(design), did_you_mean(design, DESIGNS))
    replicates, seed = head.get("replicates", 1), head.get("seed", 20180601)
    require(1 <= replicates <= 10_000, file, "sweep.replicates", "a whole number in 1..10000",
             replicates)
    require(0 <= seed < 2**32, file, "sweep.seed", "a whole number in [0, 2**32)", seed)
    samples = head.get("samples", 64)
    if design == "sobol":
        require(samples >= 2 and samples & (samples - 1) == 0, file, "sweep.samples",
                 "a power of two >= 2 (Sobol sequences)", samples)
    require(1 <= samples <= 2**20, file, "sweep.samples", "a whole number in 1..1048576",
             samples)
    levels = head.get("levels", 4)
    require(2 <= levels <= 100, file, "sweep.levels", "a whole number in 2..100", levels)
    chunk = head.get("chunk", 0)
    require(0 <= chunk <= 100_000, file, "sweep.chunk", "a whole number >= 0 (0: automatic)",
             chunk)
    function = _function(head, path, file)
    factors = _factors(doc.get("factors"), function.declared(), design, file)
    return SweepSpec(name=name, function=function, factors=factors, design=design,
                     samples=samples, replicates=replicates, seed=seed,
                     second_order=head.get("second_order", True), levels=levels, chunk=chunk,
                     path=file, **_analysis(doc.get("analysis", {}), function, file))


def point_outputs(function: RunFunction) -> tuple[str, ...]:
    """Return the outputs of a design point.

    They are means over replicates; ``cost_per_sme`` comes with a counterfactual.
    """
    extra = ("cost_per_sme",) if getattr(function, "counterfactual", False) else ()
    return (*function.outputs(), *extra)


def _analysis(table: Any, function: RunFunction, file: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise InputError(file, "analysis", "a table", show_value(table))
    no_unknown_keys(table, ("outputs", "resamples", "conf_level"), file, "analysis")
    known = point_outputs(function)
    outputs = table.get("outputs", [])
    if not isinstance(outputs, list) or ("outputs" in table and not outputs):
        raise InputError(file, "analysis.outputs", "a list of output names", show_value(outputs))
    for k, name in enumerate(outputs):
        if name not in known:
            raise InputError(file, f"analysis.outputs[{k}]", f"one of {', '.join(known)}",
                             show_value(name), did_you_mean(name, known))
    resamples = table.get("resamples", 1000)
    require(isinstance(resamples, int) and 10 <= resamples <= 100_000, file,
             "analysis.resamples", "a whole number in 10..100000", resamples)
    conf = table.get("conf_level", 0.95)
    require(isinstance(conf, float) and 0.5 <= conf < 1, file, "analysis.conf_level",
             "a number in [0.5, 1)", conf)
    return {"outputs": tuple(outputs), "resamples": resamples, "conf_level": conf}


def _function(head: dict[str, Any], path: Path, file: str) -> RunFunction:
    """Return the run function: a test function by name, or the simulator on the base scenario.

    The run functions import the model: only once the sweep table's own keys have passed.
    """
    from .functions import DeviseRun, Ishigami

    if "function" in head:
        name = head["function"]
        if name not in _TEST_FUNCTIONS or "base" in head:
            raise InputError(file, "sweep.function", f"one of {', '.join(_TEST_FUNCTIONS)} "
                             "(and no base)", show_value(name))
        return Ishigami()
    if "base" not in head:
        raise InputError(file, "sweep.base", "a base scenario file (or function = 'ishigami')")
    base = load_scenario(path.parent / head["base"])
    changes: dict[str, Any] = {"seed": head.get("seed", 20180601)}
    if "scale" in head:
        require(0 < head["scale"] <= 1, file, "sweep.scale", "a number in (0, 1]", head["scale"])
        changes["scale"] = float(head["scale"])
    if "regions" in head:
        unknown = [r for r in head["regions"] if r not in base.regions]
        require(bool(head["regions"]) and not unknown, file, "sweep.regions",
                 f"regions of the base scenario ({', '.join(base.regions)})", head["regions"])
        changes["regions"] = list(head["regions"])  # instruments keep the regions left
    if "end_year" in head:
        require(max(base.start_year, 2021) <= head["end_year"] <= base.end_year, file,
                 "sweep.end_year", f"a year in 2021..{base.end_year}", head["end_year"])
        changes["end_year"] = head["end_year"]
    if "parameters" in head:
        changes["parameters"] = head["parameters"]  # checked as a scenario's
    return DeviseRun(base.with_changes(**changes), head.get("counterfactual", False))


def _factors(value: Any, declared: dict[str, Param], design: str,
             file: str) -> tuple[Factor, ...]:
    if not isinstance(value, list) or not value:
        raise InputError(file, "factors", "one or more [[factors]] tables", show_value(value))
    factors = []
    for k, item in enumerate(value):
        at = f"factors[{k}]"
        if not isinstance(item, dict):
            raise InputError(file, at, "a table", show_value(item))
        no_unknown_keys(item, _FACTOR_KEYS, file, at)
        path = item.get("path")
        if path not in declared:
            raise InputError(file, f"{at}.path", "a declared parameter path (model.NAME or "
                             "instruments.LABEL.NAME)", show_value(path),
                             did_you_mean(path, declared))
        factors.append(_factor(item, path, declared[path], design, file, at))
    paths = [f.path for f in factors]
    if len(set(paths)) != len(paths):
        raise InputError(file, "factors", "each path once", show_value(paths))
    return tuple(factors)


def _factor(item: dict[str, Any], path: str, param: Param, design: str, file: str,
            at: str) -> Factor:
    if design == "factorial":
        levels = item.get("levels")
        if not isinstance(levels, list) or not levels:
            raise InputError(file, f"{at}.levels", "a list of values (factorial design)",
                             show_value(levels))
        for j, level in enumerate(levels):
            problem = param_problem(param, level)
            if problem:
                raise InputError(file, f"{at}.levels[{j}]", problem, show_value(level))
        values = tuple(float(v) for v in levels)
        return Factor(path, min(values), max(values), values, param.integer)
    if "levels" in item:
        raise InputError(file, f"{at}.levels", f"bounds, not levels, for a {design} design")
    bounds = item.get("bounds", list(param.fit) if param.fit else None)
    if bounds is None:
        raise InputError(file, f"{at}.bounds", "[low, high] (the parameter has no "
                         "calibration bounds to default to)")
    if not isinstance(bounds, list) or len(bounds) != 2:
        raise InputError(file, f"{at}.bounds", "[low, high]", show_value(bounds))
    for j, bound in enumerate(bounds):
        problem = param_problem(replace(param, integer=False), bound)
        if problem:
            raise InputError(file, f"{at}.bounds[{j}]", problem, show_value(bound))
    low, high = float(bounds[0]), float(bounds[1])
    require(low < high, file, f"{at}.bounds", "low < high", bounds)
    return Factor(path, low, high, (), param.integer)


def _describe(factor: Factor) -> str:
    """Describe a factor in words: path, then its levels or bounds (six digits), whole or not."""
    values = factor.levels or (factor.low, factor.high)
    shown = ", ".join(f"{v:.6g}" for v in values)
    return (f"{factor.path} {'levels ' if factor.levels else ''}[{shown}]"
            f"{' whole' if factor.integer else ''}")


def check_types(table: Mapping[str, Any], kinds: Mapping[str, Any], file: str, at: str) -> None:
    """InputError for the first key of ``table`` not in ``kinds``, or not of its kind.

    A kind is a type or a tuple of types; true and false count as numbers for no key whose
    kind is not ``bool``.
    """
    no_unknown_keys(table, kinds, file, at)
    for key, kind in kinds.items():
        if key in table and (not isinstance(table[key], kind)
                             or (kind is not bool and isinstance(table[key], bool))):
            raise InputError(file, f"{at}.{key}", _kind(kind), show_value(table[key]))


def require(ok: bool, file: str, key: str, expected: str, found: Any) -> None:
    """InputError naming ``file`` and ``key`` unless ``ok`` (and ``found`` is not NaN)."""
    if not ok or (isinstance(found, float) and math.isnan(found)):
        raise InputError(file, key, expected, show_value(found))


def _kind(kind) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", int: "a whole number", float: "a number", list: "a list",
             bool: "true or false"}
    return " or ".join(dict.fromkeys(names[k] for k in kinds if not (k is int and float in kinds)))
