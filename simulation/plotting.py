"""Figures shared by the CLI and the notebooks (colour-blind-safe, labelled, with the target).

Every figure of outputs states under its title the scale and the replicates it shows
(:func:`simulation.formatting.scale_note`: below full scale, that counts move in steps and
region-level P(target) is not comparable); time axes start and end with the data, and every
panel of differences (policy minus base, contributions) has a zero line.
"""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .formatting import region_label, scale_note  # noqa: E402
from .region import BASELINE_YEAR  # noqa: E402
from .runner import TARGET_GROWTH  # noqa: E402

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
"""Okabe-Ito colours (safe for colour-blind readers)."""


def kpi_figure(ts: pd.DataFrame, title: str, scale: float | None = None) -> plt.Figure:
    """Plot the indicator index (2018Q4 = 100) per region: median, 5-95% replicate band, 115 line.

    ``ts`` is a time series with a ``growth`` column (:func:`simulation.runner.add_growth`);
    ``scale`` the fraction of the population simulated, stated with the replicates under
    the title.
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
        ax.set_xlim(x.min(), x.max())
        ax.set_title(_panel_title(region), fontsize=9)
        ax.set_ylabel(f"enabling SMEs\n({BASELINE_YEAR}Q4 = 100)", fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(regions):]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    _suptitle(fig, title, scale, reported["replicate"].nunique())
    fig.supxlabel("year (dotted: end of 2021 and 2022)", fontsize=9, y=0.06)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def comparison_figure(comparison: pd.DataFrame, title: str,
                      years: tuple[int, ...] = (2021, 2022),
                      scale: float | None = None) -> plt.Figure:
    """Additional enabling SMEs (policy minus base) per region and ALL, one colour per policy.

    ``comparison`` has columns policy, region, ``additional_Y`` and ``additional_Y_p05``/
    ``_p95`` for each year (:func:`simulation.compare.comparison_table`); points are the
    mean over replicates, bars the 5-95% band of the paired differences; ``scale`` and the
    ``replicates`` column are stated under the title.
    """
    regions = list(dict.fromkeys(comparison["region"]))
    policies = list(dict.fromkeys(comparison["policy"]))
    cols = min(4, len(regions))
    rows = math.ceil(len(regions) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows + 0.9), squeeze=False)
    width = 0.6 / len(policies)
    for ax, region in zip(axes.flat, regions, strict=False):
        for k, policy in enumerate(policies):
            row = comparison[(comparison["region"] == region)
                             & (comparison["policy"] == policy)].iloc[0]
            mean = np.array([row[f"additional_{y}"] for y in years])
            band = np.array([[row[f"additional_{y}_p05"] for y in years],
                             [row[f"additional_{y}_p95"] for y in years]])
            x = np.arange(len(years)) + (k - (len(policies) - 1) / 2) * width
            ax.errorbar(x, mean, yerr=_spread(mean, band), fmt="o", capsize=3,
                        color=PALETTE[k % len(PALETTE)], label=policy)
        ax.axhline(0.0, color="grey", linewidth=0.8)
        ax.set_xticks(range(len(years)), [f"{y}Q4" for y in years])
        ax.set_xlim(-0.6, len(years) - 0.4)
        ax.set_title(_panel_title(region), fontsize=9)
        ax.set_ylabel("additional enabling SMEs\n(firms, policy - base)", fontsize=8)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(regions):]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(4, len(policies)), fontsize=8,
               frameon=False)
    _suptitle(fig, title, scale, int(comparison["replicates"].max()))
    inch = 1.0 / fig.get_figheight()  # legend and x label keep their size, whatever the rows
    fig.supxlabel("end of year (point: mean over replicates; bar: 5-95% of replicates)",
                  fontsize=9, y=0.35 * inch)
    fig.tight_layout(rect=(0, 0.6 * inch, 1, 1))
    return fig


def contributions_figure(contributions: pd.DataFrame, title: str,
                         years: tuple[int, ...] = (2021, 2022), scale: float | None = None,
                         replicates: int | None = None) -> plt.Figure:
    """Plot enabling SMEs attributed to each instrument, all regions together: one panel a year.

    ``contributions`` has columns policy, instrument, region, year, mean, p05, p95
    (:func:`simulation.compare.contributions_table`); bars are the mean over replicates,
    whiskers the 5-95% band; the interaction (total effect less the sum of contributions)
    is hatched. ``scale`` and ``replicates`` are stated under the title.
    """
    total = contributions[contributions["region"] == "ALL"]
    policies = list(dict.fromkeys(total["policy"]))
    lines = list(dict.fromkeys(zip(total["policy"], total["instrument"], strict=True)))
    labels = [f"{p}: {i}" if len(policies) > 1 else i for p, i in lines]
    fig, axes = plt.subplots(1, len(years), figsize=(4.2 * len(years) + 1.5,
                                                     0.45 * len(lines) + 1.8),
                             sharey=True, squeeze=False)
    y = np.arange(len(lines))[::-1]
    for ax, year in zip(axes.flat, years, strict=True):
        rows = total[total["year"] == year].set_index(["policy", "instrument"]).loc[lines]
        mean = rows["mean"].to_numpy(dtype=float)
        band = rows[["p05", "p95"]].to_numpy(dtype=float).T
        colours = [PALETTE[policies.index(p) % len(PALETTE)] for p, _ in lines]
        hatches = ["//" if i == "interaction" else "" for _, i in lines]
        bars = ax.barh(y, mean, xerr=_spread(mean, band), color=colours, capsize=3,
                       edgecolor="black", linewidth=0.5)
        for bar, hatch in zip(bars, hatches, strict=True):
            bar.set_hatch(hatch)
            if hatch:
                bar.set_alpha(0.5)
        ax.axvline(0.0, color="grey", linewidth=0.8)
        ax.set_yticks(y, labels, fontsize=8)
        ax.set_title(f"{year}Q4", fontsize=10)
        ax.set_xlabel("enabling SMEs attributed (firms)", fontsize=9)
        ax.tick_params(axis="x", labelsize=8)
    _suptitle(fig, title, scale, replicates)
    fig.supxlabel("bar: mean over replicates of policy minus policy without the instrument; "
                  "whisker: 5-95%; hatched: interaction", fontsize=8)
    fig.tight_layout()
    return fig


def calibration_figure(record: dict) -> plt.Figure:
    """Diagnostics of one region's calibration (a fitted file's content, simulation.calibration).

    Left: each target's standardised distance (simulated - target) / uncertainty at the
    fitted point (dot: mean over replicates; bar: 5-95% of replicates); the grey bands mark
    1 and 2 uncertainties. Right: each fitted parameter within
    its search range, provisional value (open) and fitted value (filled) with its standard
    error; parameters that are not identified are drawn in orange and marked.
    """
    cal, moments, params = record["calibration"], record["moments"], record["parameters"]
    names = list(moments)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 0.42 * max(len(names), len(params))
                                                      + 2.2))
    y = np.arange(len(names))[::-1]
    for k, name in enumerate(names):
        m = moments[name]
        z = [(m[key] - m["target"]) / m["uncertainty"]
             for key in ("simulated", "simulated_p05", "simulated_p95")]
        left.errorbar(z[0], y[k], xerr=_spread(np.array([z[0]]), np.array([[z[1]], [z[2]]])),
                      fmt="o", color=PALETTE[0], capsize=3)
    left.axvspan(-2, 2, color="0.92", zorder=0)
    left.axvspan(-1, 1, color="0.82", zorder=0)
    left.axvline(0.0, color="black", linewidth=0.8)
    labels = [f"{n}\ntarget {moments[n]['target']:.3g}{' (proxy)' if moments[n]['proxy'] else ''}"
              for n in names]
    left.set_yticks(y, labels, fontsize=7)
    left.set_xlabel("(simulated - target) / target uncertainty", fontsize=9)
    left.set_title("moments: fitted model (dot: mean; bar: 5-95% of replicates)", fontsize=9)
    yp = np.arange(len(params))[::-1]
    for k, p in enumerate(params.values()):
        span = p["high"] - p["low"]
        colour = PALETTE[0] if p["identified"] else PALETTE[5]
        fitted = (p["value"] - p["low"]) / span
        se = min(p.get("standard_error", 0.0) / span, 2.0)
        right.errorbar(fitted, yp[k], xerr=se, fmt="o", color=colour, capsize=3)
        right.plot((p["provisional"] - p["low"]) / span, yp[k], "o", mfc="none", color="grey")
    right.set_xlim(-0.05, 1.05)
    right.set_yticks(yp, [f"{n}{'' if p['identified'] else ' (NOT identified)'}\n"
                          f"[{p['low']:g}, {p['high']:g}]" for n, p in params.items()],
                     fontsize=7)
    right.set_xlabel("position in the search range (0 = low, 1 = high)", fontsize=9)
    right.set_title("parameters: provisional (open), fitted (filled) +- standard error",
                    fontsize=9)
    fig.suptitle(f"{cal['region']} calibration ({cal['mode']}): objective "
                 f"{cal['objective_provisional']:.1f} provisional -> {cal['objective']:.1f} "
                 f"fitted; {cal['replicates']} replicates at scale {cal['scale']:.3g}",
                 fontsize=10)
    fig.tight_layout()
    return fig


def posterior_figure(record: dict, sets: pd.DataFrame) -> plt.Figure:
    """Plot a region's posterior against its prior, and the posterior correlations.

    The first is parameter by parameter, the second between parameters.

    ``record`` is the posterior summary (:func:`simulation.calibration.posterior.summarise`)
    and ``sets`` its weighted parameter sets.
    """
    params = record["parameters"]
    names = list(params)
    cols = 5
    rows = math.ceil(len(names) / cols) + 1
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.6 * rows + 1.0), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        p = params[name]
        bins = np.linspace(p["prior_low"], p["prior_high"], 21)
        ax.hist(sets[name], bins=bins, weights=sets["weight"], density=True, color=PALETTE[0],
                alpha=0.8, label="posterior")
        ax.axhline(1.0 / (p["prior_high"] - p["prior_low"]), color=PALETTE[5], linestyle="--",
                   label="prior")
        ax.set_title(f"{name}\ncoverage {p['coverage_90']:.2f}", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    for ax in axes.flat[len(names):]:
        ax.axis("off")
    cov = np.cov(sets[names].to_numpy().T, aweights=sets["weight"].to_numpy()) if len(sets) > 1 \
        else np.zeros((len(names), len(names)))
    sd = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    corr = cov / np.outer(sd, sd)
    ax = fig.add_subplot(rows, 2, 2 * rows - 1)
    image = ax.imshow(np.nan_to_num(corr), vmin=-1, vmax=1, cmap="RdBu_r")
    ax.set_xticks(range(len(names)), names, rotation=90, fontsize=5)
    ax.set_yticks(range(len(names)), names, fontsize=5)
    ax.set_title("posterior correlations", fontsize=8)
    fig.colorbar(image, ax=ax, shrink=0.8)
    head = record["posterior"]
    axes.flat[0].legend(fontsize=7)
    fig.suptitle(f"{head['region']}: posterior of {len(names)} parameters from "
                 f"{head['simulations']} simulations ({head['kept']} kept; 90% interval "
                 "coverage on synthetic data under each title)", fontsize=10)
    fig.subplots_adjust(hspace=0.9, wspace=0.3, top=0.92, bottom=0.08)
    return fig


def sensitivity_figure(indices: pd.DataFrame, output: str, scale: float | None = None,
                       replicates: int | None = None) -> plt.Figure:
    """Sensitivity indices of one output with their confidence intervals.

    ``indices`` has columns factor, index, value, conf (:mod:`simulation.sweep.sensitivity`).
    Sobol: first-order (S1) and total (ST) index per factor, bars with bootstrap confidence
    intervals. Morris: mu* (mean absolute elementary effect) against sigma (its spread:
    non-linearity or interactions), one labelled point per factor. ``scale`` and
    ``replicates`` (per design point) are stated under the title.
    """
    kinds = set(indices["index"])
    if "ST" in kinds:
        wide = indices.pivot(index="factor", columns="index", values=["value", "conf"])
        order = wide[("value", "ST")].sort_values().index
        y = np.arange(len(order))
        fig, ax = plt.subplots(figsize=(8, 0.45 * len(order) + 1.8))
        for k, (name, label) in enumerate((("S1", "first order S1"), ("ST", "total ST"))):
            ax.barh(y + (k - 0.5) * 0.38, wide.loc[order, ("value", name)], height=0.36,
                    xerr=wide.loc[order, ("conf", name)], capsize=3, color=PALETTE[k],
                    label=label)
        ax.set_yticks(y, order, fontsize=8)
        ax.axvline(0.0, color="grey", linewidth=0.8)
        ax.set_xlabel("share of the output's variance (bars: bootstrap confidence interval)")
        ax.legend(fontsize=8, loc="lower right")
        title = f"Sobol indices of {output}"
    else:
        wide = indices.pivot(index="factor", columns="index", values="value")
        conf = indices[indices["index"] == "mu_star"].set_index("factor")["conf"]
        fig, ax = plt.subplots(figsize=(7, 5))
        ax.errorbar(wide["mu_star"], wide["sigma"], xerr=conf.loc[wide.index], fmt="o",
                    color=PALETTE[0], capsize=3)
        for factor, row in wide.iterrows():
            ax.annotate(factor, (row["mu_star"], row["sigma"]), fontsize=7,
                        xytext=(4, 4), textcoords="offset points")
        ax.set_xlabel(f"mu* (mean |elementary effect| on {output}; bar: confidence interval)")
        ax.set_ylabel("sigma (spread of elementary effects)")
        title = f"Morris screening of {output}"
    _suptitle(fig, title, scale, replicates)
    fig.tight_layout()
    return fig


def sweep_figure(points: pd.DataFrame, factors: list[str], output: str,
                 scale: float | None = None, replicates: int | None = None,
                 effect: bool = False) -> plt.Figure:
    """Plot one output of a sweep against each factor: one point per design point.

    ``points`` has a column per factor and per output (a sweep's points.csv: outputs are
    means over the point's replicates); ``effect`` draws a zero line (an output that is a
    difference, such as additional SMEs). ``scale`` and ``replicates`` (per design point)
    are stated under the title.
    """
    cols = min(4, len(factors))
    rows = math.ceil(len(factors) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.4 * rows + 1.2),
                             sharey=True, squeeze=False)
    for ax, factor in zip(axes.flat, factors, strict=False):
        ax.scatter(points[factor], points[output], s=8, color=PALETTE[0], alpha=0.6)
        if effect:
            ax.axhline(0.0, color="grey", linewidth=0.8)
        ax.set_xlabel(factor, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[:, 0]:
        ax.set_ylabel(f"{output}\n(mean over replicates)", fontsize=8)
    for ax in list(axes.flat)[len(factors):]:
        ax.set_visible(False)
    _suptitle(fig, f"{output} at each design point, against each factor", scale, replicates)
    fig.tight_layout()
    return fig


def _panel_title(region: str) -> str:
    """Write a region's code and name, wrapped to fit a small panel."""
    return textwrap.fill(region_label(region), 32)


def _suptitle(fig: plt.Figure, title: str, scale: float | None,
              replicates: int | None) -> None:
    """Title a figure, with its scale and replicates (and what a reduced scale means) under it."""
    if scale is None:
        note = "scale not stated" + (f", {replicates} replicates" if replicates else "")
    else:
        note = scale_note(scale, replicates) or "full scale"
    width = max(60, int(fig.get_figwidth() * 14))
    fig.suptitle(f"{title}\n{textwrap.fill(note, width)}", fontsize=10)


def _spread(mean: np.ndarray, band: np.ndarray) -> np.ndarray:
    """Error-bar lengths below and above ``mean`` for a (low, high) band (never negative)."""
    return np.clip(np.stack([mean - band[0], band[1] - mean]), 0.0, None)


def save(fig: plt.Figure, path: Path) -> None:
    """Write a figure as PNG (creating its folder) and release it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
