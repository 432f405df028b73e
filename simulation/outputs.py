"""What runs and comparisons write.

A run writes summary.csv, timeseries.parquet, parameters.parquet, manifest.json and
kpi.png; a comparison writes comparison.csv, contributions.csv, timeseries.parquet,
parameters.parquet, manifest.json, comparison.png and contributions.png.

Everything is written into a temporary folder beside the destination and moved into
place at the end, so a failed or interrupted run never leaves half-written outputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import __version__
from .checkout import git_commit
from .fitted import calibration_used
from .posteriors import posterior_used
from .runner import code_fingerprint, content_key, parameter_table, replicates_per_set
from .scenario import Scenario

if TYPE_CHECKING:
    from .compare import Comparison


REPORT = "report.html"
"""The page ``devise report`` writes into an output folder by default."""


@contextmanager
def staged(out: Path) -> Iterator[Path]:
    """Yield a staging folder inside ``out``; move its files into ``out`` if the block succeeds.

    Files already in ``out`` with the same names are replaced; the staging folder is removed
    either way.
    """
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        yield staging
        for item in staging.iterdir():
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_run(out: Path, scenario: Scenario, ts: pd.DataFrame, summary: pd.DataFrame,
              extra: Mapping[str, Any]) -> None:
    """Write a run's five outputs into ``out`` (replacing those files if present)."""
    from .plotting import kpi_figure, save  # matplotlib only when figures are written

    with staged(out) as staging:
        summary.to_csv(staging / "summary.csv", index=False, float_format="%.6g")
        ts.to_parquet(staging / "timeseries.parquet", index=False)
        parameter_table(scenario).to_parquet(staging / "parameters.parquet", index=False)
        (staging / "manifest.json").write_text(json.dumps(manifest(scenario, extra), indent=2))
        save(kpi_figure(ts, f"{scenario.name}: enabling digital SMEs against the 15% target",
                        scale=scenario.scale), staging / "kpi.png")
    (out / REPORT).unlink(missing_ok=True)  # it described the outputs just replaced


def write_comparison(out: Path, result: Comparison, settings: Mapping[str, Any]) -> None:
    """Write a comparison's outputs into ``out`` (replacing those files if present).

    ``comparison.csv``, ``contributions.csv``, ``timeseries.parquet`` (every scenario,
    column ``scenario``), ``parameters.parquet`` (the same, of the parameter values each
    region and replicate ran with), ``manifest.json`` (the comparison's settings, then
    :func:`manifest` of each scenario with its content key), ``comparison.png`` and,
    when there are contributions, ``contributions.png`` (an older one is removed otherwise).
    """
    from .plotting import comparison_figure, contributions_figure, save

    plan = result.plan
    title = f"{' + '.join(p.name for p in plan.policies)} against {plan.base.name}"
    doc = {
        "compare": {
            "base": plan.base.name,
            "policies": [p.name for p in plan.policies],
            "left_out": [{"policy": p.name, "instrument": spec.name, "scenario": w.name}
                         for p, spec, w in plan.left_out],
            **settings,
        },
        "scenarios": [manifest(s, {"content_key": content_key(s)}) for s in plan.named()],
    }
    with staged(out) as staging:
        for name in ("comparison", "contributions"):  # 10 digits: EUR amounts to the euro
            getattr(result, name).to_csv(staging / f"{name}.csv", index=False,
                                         float_format="%.10g")
        result.timeseries.to_parquet(staging / "timeseries.parquet", index=False)
        pd.concat([parameter_table(s).assign(scenario=s.name) for s in plan.named()],
                  ignore_index=True).to_parquet(staging / "parameters.parquet", index=False)
        (staging / "manifest.json").write_text(json.dumps(doc, indent=2))
        save(comparison_figure(result.comparison, f"Additional enabling SMEs: {title}",
                               scale=plan.base.scale), staging / "comparison.png")
        if not result.contributions.empty:
            save(contributions_figure(result.contributions, f"Contributions: {title}",
                                      scale=plan.base.scale,
                                      replicates=int(result.comparison["replicates"].max())),
                 staging / "contributions.png")
    if result.contributions.empty:
        (out / "contributions.png").unlink(missing_ok=True)
    (out / REPORT).unlink(missing_ok=True)  # it described the outputs just replaced


def environment() -> dict[str, Any]:
    """Package, version, git commit, creation time, Python, platform and library versions."""
    import mesa
    import numba
    import numpy

    return {
        "package": "devise",
        "version": __version__,
        "git": git_commit(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "libraries": {"numpy": numpy.__version__, "numba": numba.__version__,
                      "mesa": mesa.__version__, "pandas": pd.__version__},
    }


def calibration_provenance(regions: Sequence[str], parameters: str) -> dict[str, Any]:
    """Return the calibration files the regions' runs read, with hashes, modes and currency.

    ``calibration``: per region, its point fit (:func:`~simulation.fitted.calibration_used`)
    and ``current`` (made from the current model and inputs); ``posterior``: the same of its
    posterior (:func:`~simulation.posteriors.posterior_used`), or None for point runs.
    """
    from .calibration.posterior import posterior_is_current
    from .calibration.workflow import is_current

    def point(code: str) -> dict[str, Any]:
        used = calibration_used(code)
        return used if used["file"] is None else {**used,
                                                  "current": is_current(code, used["mode"])}

    def posterior(code: str) -> dict[str, Any]:
        used = posterior_used(code)
        if used["file"] is None:
            return used
        summary = Path(used["file"]).with_suffix(".toml")
        if summary.exists():
            with summary.open("rb") as f:
                mode = tomllib.load(f).get("posterior", {}).get("mode")
            used |= {"summary_file": str(summary), "mode": mode,
                     "summary_sha256": hashlib.sha256(summary.read_bytes()).hexdigest()}
        return {**used, "current": posterior_is_current(code)}

    return {"calibration": {code: point(code) for code in regions},
            "posterior": ({code: posterior(code) for code in regions}
                          if parameters == "posterior" else None)}


def manifest(scenario: Scenario, extra: Mapping[str, Any]) -> dict[str, Any]:
    """Provenance of a run.

    Code version and commit, scenario file and hash, seeds, scale, parameters mode, the
    calibration files (hashes, modes, whether current), platform and libraries.
    """
    return {
        **environment(),
        "scenario": {"name": scenario.name, "file": scenario.path, "sha256": scenario.sha256},
        "seed": scenario.seed,
        "replicates": scenario.replicates,
        "replicate_keys": [[scenario.seed, r] for r in range(scenario.replicates)],
        "scale": scenario.scale,
        "regions": list(scenario.regions),
        "horizon": {"start_year": scenario.start_year, "end_year": scenario.end_year,
                    "burn_in_years": scenario.burn_in_years},
        "model_overrides": dict(scenario.model),
        "instruments": [s.name for s in scenario.instruments],
        "parameters": scenario.parameters,
        "replicates_per_parameter_set": replicates_per_set(scenario),
        **calibration_provenance(scenario.regions, scenario.parameters),
        **extra,
    }


def run_identity(scenario: Scenario) -> dict[str, Any]:
    """Return what defines a run's results, readable (the output folder's claim names it)."""
    return {"scenario": scenario.name, "scale": scenario.scale, "seed": scenario.seed,
            "regions": list(scenario.regions),
            "horizon": [scenario.start_year, scenario.end_year, scenario.burn_in_years],
            "model_overrides": dict(scenario.model), "parameters": scenario.parameters,
            "instruments": [s.name for s in scenario.instruments],
            "content": content_key(scenario), "code": code_fingerprint()}
