"""What a finished sweep or sensitivity analysis writes next to its store, and says."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd

from ..outputs import calibration_provenance, environment, staged
from .discovery import describe, prim_box
from .execute import point_means
from .sensitivity import Sensitivity
from .spec import SweepSpec, point_outputs

TARGET_OUTPUT = "target_met"
"""The run output scenario discovery explains (1 where the DEVISE target is met)."""


def summarise_sweep(spec: SweepSpec, runs: pd.DataFrame, design: pd.DataFrame,
                    out: Path) -> str:
    """Write points.csv, summary.txt and manifest.json (provenance); return the summary."""
    means = point_means(spec, runs)
    failed = runs[runs["error"] != ""]
    lines = [f"sweep {spec.name}: {spec.design} design, {len(design)} points x "
             f"{spec.replicates} replicate(s) = {len(runs)} runs stored, {len(failed)} failed"]
    if len(failed):
        lines.append(f"first error: {failed['error'].iloc[0]}")
    for name in point_outputs(spec.function):
        values = means[name].dropna() if name in means else pd.Series(dtype=float)
        if len(values):
            lines.append(f"{name}: mean over points {values.mean():.4g} "
                         f"(min {values.min():.4g}, max {values.max():.4g})")
    if TARGET_OUTPUT in runs:
        ok = runs[runs["error"] == ""]
        box = prim_box(ok[list(design.columns)], ok[TARGET_OUTPUT].to_numpy() == 1)
        lines.append("scenario discovery (PRIM): " + (
            describe(box) if box else "the target is met in no run of this sweep."))
    text = "\n".join(lines) + "\n"
    with staged(out) as folder:
        design.join(means).to_csv(folder / "points.csv")
        (folder / "summary.txt").write_text(text)
        (folder / "manifest.json").write_text(json.dumps(sweep_manifest(spec, runs), indent=2))
    return text


def sweep_manifest(spec: SweepSpec, runs: pd.DataFrame) -> dict:
    """Provenance of a sweep: its file and hash, design, factors, seed, runs, environment.

    A sweep of the simulator also records its base scenario (scale, regions, parameters
    mode) and the calibration files its regions read (:func:`calibration_provenance`).
    """
    base = getattr(spec.function, "base", None)
    return {
        **environment(),
        "scenario": {"name": spec.name, "file": spec.path,
                     "sha256": hashlib.sha256(Path(spec.path).read_bytes()).hexdigest()},
        "base": {"name": base.name, "file": base.path, "sha256": base.sha256,
                 "scale": base.scale, "regions": list(base.regions),
                 "parameters": base.parameters} if base else type(spec.function).__name__,
        "seed": spec.seed, "replicates": spec.replicates, "design": spec.design,
        "samples": spec.samples,
        "factors": [{"path": f.path, "low": f.low, "high": f.high, "levels": list(f.levels)}
                    for f in spec.factors],
        "runs": len(runs), "failed": int((runs["error"] != "").sum()),
        **(calibration_provenance(base.regions, base.parameters) if base else {}),
    }


def write_sensitivity(result: Sensitivity, out: Path) -> list[Path]:
    """Write indices.csv, second_order.csv, convergence.csv and one figure per output."""
    from ..plotting import save, sensitivity_figure

    names = []
    with staged(out) as folder:
        for name, frame in (("indices", result.indices), ("second_order", result.second_order),
                            ("convergence", result.convergence)):
            frame.to_csv(folder / f"{name}.csv", index=False)
            names.append(f"{name}.csv")
        for output in dict.fromkeys(result.indices["output"]):
            rows = result.indices[result.indices["output"] == output]
            save(sensitivity_figure(rows, output), folder / f"sensitivity_{output}.png")
            names.append(f"sensitivity_{output}.png")
    return [out / name for name in names]
