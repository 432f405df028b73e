"""What a finished sweep or sensitivity analysis writes next to its store, and says."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..outputs import staged
from .discovery import describe, prim_box
from .execute import point_means
from .sensitivity import Sensitivity
from .spec import SweepSpec, point_outputs

TARGET_OUTPUT = "target_met"
"""The run output scenario discovery explains (1 where the DEVISE target is met)."""


def summarise_sweep(spec: SweepSpec, runs: pd.DataFrame, design: pd.DataFrame,
                    out: Path) -> str:
    """Write points.csv (design and per-point means) and summary.txt; return the summary."""
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
    return text


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
