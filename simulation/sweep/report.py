"""What a finished sweep or sensitivity analysis writes next to its store, and says."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .. import formatting
from ..outputs import calibration_provenance, environment, staged
from .discovery import describe, prim_box
from .execute import point_means
from .spec import SweepSpec, point_outputs

if TYPE_CHECKING:
    from .sensitivity import Sensitivity

TARGET_OUTPUT = "target_met"
"""The run output scenario discovery explains (1 where the DEVISE target is met)."""

OUTPUT_WRITERS = {
    "enabling": formatting.count, "change": lambda v: formatting.count(v, sign=True),
    "additional": lambda v: formatting.count(v, sign=True),
    "base_change": lambda v: formatting.count(v, sign=True),
    "growth": lambda v: formatting.share(v, sign=True),
    "base_growth": lambda v: formatting.share(v, sign=True),
    "target_met": formatting.probability, "dii_basic_share": formatting.share,
    "spend": formatting.eur, "additional_spend": formatting.eur,
    "cost_per_sme": formatting.eur, "replicates": formatting.count,
}
"""How each output of a sweep point is written for people (others: :func:`formatting.number`);
target_met, averaged over a point's replicates, is the share of them that meet the target."""

EFFECT_OUTPUTS = ("additional", "additional_spend", "change", "base_change", "growth",
                  "base_growth")
"""Outputs that are differences (policy minus base, or against 2018Q4): drawn with a zero line."""

FIGURE = "points.png"
"""The figure a sweep writes: its headline output at each design point, against each factor."""


def write_output(name: str, value: float) -> str:
    """Write a sweep output's value for people: ``EUR 2.9m``, ``+12``, ``+5.5%``, ``0.31``."""
    return OUTPUT_WRITERS.get(name, formatting.number)(value)


def headline_output(spec: SweepSpec) -> str:
    """Return the output a sweep's figure shows: additional SMEs, else growth, else the first."""
    outputs = spec.analysis_outputs()
    return next((name for name in ("additional", "growth") if name in outputs), outputs[0])


def run_scale(spec: SweepSpec) -> float | None:
    """Return the scale of a sweep's runs (None for a test function, which has none)."""
    base = getattr(spec.function, "base", None)
    return base.scale if base else None


def summarise_sweep(spec: SweepSpec, runs: pd.DataFrame, design: pd.DataFrame,
                    out: Path, figure: bool = False) -> str:
    """Write points.csv, summary.txt and manifest.json (provenance); return the summary.

    With ``figure``, also points.png (matplotlib: 2.4 s for the 10-factor benchmark sweep
    at step 8's third round, so only when asked). A reduced-scale sweep of the simulator says so
    (:func:`formatting.scale_note`).
    """
    means = point_means(spec, runs)
    failed = runs[runs["error"] != ""]
    lines = [f"sweep {spec.name}: {spec.design} design, {len(design)} points x "
             f"{spec.replicates} replicate(s) = {len(runs)} runs stored, {len(failed)} failed"]
    scale = run_scale(spec)
    if scale is not None and scale < 1.0:
        lines.append(formatting.scale_note(scale))
    if len(failed):
        lines.append(f"first error: {failed['error'].iloc[0]}")
    for name in point_outputs(spec.function):
        values = means[name].dropna() if name in means else pd.Series(dtype=float)
        if len(values):
            lines.append(f"{name}: mean over points {write_output(name, values.mean())} "
                         f"(min {write_output(name, values.min())}, "
                         f"max {write_output(name, values.max())})")
    if TARGET_OUTPUT in runs:
        ok = runs[runs["error"] == ""]
        box = prim_box(ok[list(design.columns)], ok[TARGET_OUTPUT].to_numpy() == 1)
        lines.append("scenario discovery (PRIM): " + (
            describe(box) if box else "the target is met in no run of this sweep."))
    text = "\n".join(lines) + "\n"
    points = design.join(means)
    output = headline_output(spec)
    with staged(out) as folder:
        points.to_csv(folder / "points.csv")
        (folder / "summary.txt").write_text(text)
        (folder / "manifest.json").write_text(json.dumps(sweep_manifest(spec, runs), indent=2))
        if figure and output in points and points[output].notna().any():
            from ..plotting import save, sweep_figure

            save(sweep_figure(points, list(design.columns), output, scale, spec.replicates,
                              effect=output in EFFECT_OUTPUTS), folder / FIGURE)
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


def write_sensitivity(result: Sensitivity, out: Path,
                      spec: SweepSpec | None = None) -> list[Path]:
    """Write indices.csv, second_order.csv, convergence.csv and one figure per output.

    The figures state the sweep's scale and replicates where ``spec`` is given.
    """
    from ..plotting import save, sensitivity_figure

    names = []
    with staged(out) as folder:
        for name, frame in (("indices", result.indices), ("second_order", result.second_order),
                            ("convergence", result.convergence)):
            frame.to_csv(folder / f"{name}.csv", index=False)
            names.append(f"{name}.csv")
        for output in dict.fromkeys(result.indices["output"]):
            rows = result.indices[result.indices["output"] == output]
            save(sensitivity_figure(rows, output, run_scale(spec) if spec else None,
                                    spec.replicates if spec else None),
                 folder / f"sensitivity_{output}.png")
            names.append(f"sensitivity_{output}.png")
    return [out / name for name in names]
