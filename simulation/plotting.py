"""Figures shared by the CLI and the notebooks (colour-blind-safe, labelled, with the target)."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .region import BASELINE_YEAR  # noqa: E402
from .runner import TARGET_GROWTH  # noqa: E402

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
"""Okabe-Ito colours (safe for colour-blind readers)."""


def kpi_figure(ts: pd.DataFrame, title: str) -> plt.Figure:
    """Indicator index (2018Q4 = 100) per region: median, 5-95% replicate band, 115 line.

    ``ts`` is a time series with a ``growth`` column (:func:`simulation.runner.add_growth`).
    """
    reported = ts[~ts["burn_in"]]
    regions = list(dict.fromkeys(reported["region"]))
    cols = min(5, len(regions))
    rows = math.ceil(len(regions) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows + 0.8),
                             sharex=True, squeeze=False)
    for ax, region in zip(axes.flat, regions, strict=False):
        sub = reported[reported["region"] == region]
        index = 100.0 * (1.0 + sub.pivot_table(index="q", columns="replicate", values="growth"))
        x = index.index.to_numpy()
        ax.fill_between(x, index.quantile(0.05, axis=1), index.quantile(0.95, axis=1),
                        color=PALETTE[0], alpha=0.25, linewidth=0, label="5-95% of replicates")
        ax.plot(x, index.median(axis=1), color=PALETTE[0], label="median")
        ax.axhline(100.0 * (1.0 + TARGET_GROWTH), color=PALETTE[5], linestyle="--",
                   linewidth=1, label="DEVISE target (+15%)")
        ax.axhline(100.0, color="grey", linewidth=0.5)
        labels = dict(zip(sub["q"], sub["quarter"], strict=False))
        for year in (2021, 2022):
            q = next((k for k, v in labels.items() if v == f"{year}Q4"), None)
            if q is not None:
                ax.axvline(q, color="grey", linestyle=":", linewidth=0.8)
        ticks = [k for k, v in labels.items() if v.endswith("Q4")][::2]
        ax.set_xticks(ticks, [labels[k][:4] for k in ticks])
        ax.set_title(region, fontsize=10)
        ax.set_ylabel(f"enabling SMEs\n({BASELINE_YEAR}Q4 = 100)", fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(regions):]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.supxlabel("year (dotted: end of 2021 and 2022)", fontsize=9, y=0.06)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def save(fig: plt.Figure, path: Path) -> None:
    """Write a figure as PNG and release it."""
    fig.savefig(path, dpi=120)
    plt.close(fig)
