"""What the explorer page does, without a browser: build, run and summarise one exploration.

The page (:mod:`simulation.explore.app`) holds the widgets' values in a :class:`Choice`; this
module turns it into a base and a policy scenario (:func:`build`), runs them with common
random numbers through :func:`simulation.compare.compare` (:func:`run`) and summarises the
result for people (:func:`summary`, :func:`index_figure`). The base is always the shipped
business-as-usual scenario (``baseline``), restricted to the chosen region; the policy is the
chosen shipped scenario restricted to the same region, with the budgets the sliders set and
the instruments the page added.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import pandas as pd
from matplotlib.figure import Figure

from ..compare import YEARS, compare, plan
from ..formatting import band, count, eur, probability, region_label, scale_note
from ..plotting import PALETTE
from ..region import BASELINE_YEAR, InstrumentSpec
from ..resources import shipped_folder
from ..runner import TARGET_GROWTH, add_growth
from ..scenario import Scenario, load_scenario
from ..shipped import shipped_scenarios
from . import DEFAULT_REPLICATES, DEFAULT_SCALE

BASE = "baseline"
"""The shipped scenario every exploration is measured against."""

ADDED_START, ADDED_END = "2019Q1", "2022Q4"
"""Delivery window of an instrument added on the page."""

ADDED_BUDGET = 500_000.0
"""Yearly budget (EUR, full scale) an added instrument starts with."""


@dataclass(frozen=True)
class Choice:
    """The values of the page's widgets.

    Attributes:
        region: Region code simulated (one region).
        scenario: Name of the shipped policy scenario (``devise scenarios``).
        budgets: Yearly budget (EUR, full scale) by instrument name, for instruments of the
            scenario; one not named keeps its declared budget, and a budget of 0 removes
            the instrument from the policy.
        added: Instruments added on the page, as (type, yearly budget) pairs; each runs in
            the region from :data:`ADDED_START` to :data:`ADDED_END` with its type's
            declared parameters (a budget of 0 adds nothing).
        scale: Fraction of the firm populations simulated.
        replicates: Replicates of the base and of the policy (paired).
        parameters: ``"posterior"`` or ``"point"`` (docs/scenarios.md).

    """

    region: str
    scenario: str
    budgets: Mapping[str, float] = field(default_factory=dict)
    added: tuple[tuple[str, float], ...] = ()
    scale: float = DEFAULT_SCALE
    replicates: int = DEFAULT_REPLICATES
    parameters: str = "posterior"


def scenario_names() -> list[str]:
    """Return the names of the shipped scenarios, as ``devise scenarios`` lists them."""
    return list(shipped_scenarios())


@functools.cache
def load_shipped(name: str) -> Scenario:
    """Load the shipped scenario ``name`` (KeyError if there is none)."""
    return load_scenario(shipped_folder("scenarios") / shipped_scenarios()[name][0])


def instruments_in(scenario: Scenario, region: str) -> list[InstrumentSpec]:
    """Return the instruments of ``scenario`` that run in ``region`` (the page's sliders)."""
    return [spec for spec in scenario.instruments if region in spec.regions]


def build(choice: Choice) -> tuple[Scenario, Scenario]:
    """Return the base and the policy scenarios of ``choice``, validated as files are.

    Raises:
        KeyError: ``choice.scenario`` is not a shipped scenario.
        InputError: A region, budget, scale or parameter mode that a scenario file would
            not accept either (the message names the key).

    """
    settings = {"regions": [choice.region], "scale": choice.scale,
                "replicates": choice.replicates, "parameters": choice.parameters}
    base = load_shipped(BASE).with_changes(**settings)
    policy = load_shipped(choice.scenario).with_changes(
        **settings, name=f"{choice.scenario} (explored)",
        **{f"instruments.{name}.budget_per_year": float(value)
           for name, value in choice.budgets.items()})
    added = tuple(
        InstrumentSpec(kind, f"added {kind} {k}", {"budget_per_year": float(budget)},
                       ADDED_START, ADDED_END, (choice.region,))
        for k, (kind, budget) in enumerate(choice.added, start=1) if budget > 0)
    kept = tuple(s for s in policy.instruments if s.params["budget_per_year"] > 0)
    return base, replace(policy, instruments=kept + added)


def replicates_to_run(base: Scenario, policy: Scenario) -> int:
    """How many replicates :func:`run` simulates: those of each distinct scenario."""
    return len(plan(base, [policy], contributions=False).distinct()) * base.replicates


@dataclass(frozen=True)
class Result:
    """One exploration's outcome.

    Attributes:
        choice: What was run.
        row: The policy's row of :func:`simulation.compare.comparison_table` for the region.
        index: :func:`index_bands` of the base and the policy.
        seconds: Wall time of the run.

    """

    choice: Choice
    row: Mapping[str, float]
    index: pd.DataFrame
    seconds: float


def run(choice: Choice, on_done: Callable[[int, int], None] | None = None) -> Result:
    """Run the base and the policy of ``choice`` with common random numbers (one process).

    ``on_done(done, total)`` is called as each replicate finishes. Raises as :func:`build`.
    """
    t0 = time.perf_counter()
    base, policy = build(choice)
    total, finished = replicates_to_run(base, policy), 0

    def progress(name: str, replicate: int) -> None:
        nonlocal finished
        finished += 1
        if on_done is not None:
            on_done(finished, total)

    result = compare(base, [policy], contributions=False, on_done=progress)
    rows = result.comparison.set_index("region")
    labelled = result.timeseries.assign(scenario=result.timeseries["scenario"].map(
        {base.name: "base", policy.name: "policy"}))
    return Result(choice, rows.loc[choice.region].to_dict(), index_bands(labelled),
                  time.perf_counter() - t0)


def index_bands(ts: pd.DataFrame) -> pd.DataFrame:
    """Return the indicator index (2018Q4 = 100) per scenario and quarter, over replicates.

    ``ts`` is stacked time series with a ``scenario`` column (one region). Columns:
    scenario, q, quarter, median, p05, p95 (5-95% of replicates, which over a posterior
    run holds parameter and stochastic uncertainty).
    """
    grown = pd.concat(add_growth(part) for _, part in ts.groupby("scenario", sort=False))
    reported = grown[~grown["burn_in"]]
    index = reported.assign(index=100.0 * (1.0 + reported["growth"]))
    grouped = index.groupby(["scenario", "q", "quarter"], sort=True)["index"]
    return pd.DataFrame({"median": grouped.median(), "p05": grouped.quantile(0.05),
                         "p95": grouped.quantile(0.95)}).reset_index()


def index_figure(result: Result) -> Figure:
    """Plot base and policy: median index with its 5-95% band, the +15% line, the scale note."""
    fig = Figure(figsize=(8, 4.2), layout="constrained")
    ax = fig.subplots()
    bands = result.index
    for colour, scenario in zip(PALETTE, ("base", "policy"), strict=False):
        sub = bands[bands["scenario"] == scenario]
        ax.fill_between(sub["q"], sub["p05"], sub["p95"], color=colour, alpha=0.2, linewidth=0)
        ax.plot(sub["q"], sub["median"], color=colour, label=f"{scenario} (median, 5-95% band)")
    ax.axhline(100.0 * (1.0 + TARGET_GROWTH), color=PALETTE[5], linestyle="--", linewidth=1,
               label="DEVISE target (+15%)")
    ax.axhline(100.0, color="grey", linewidth=0.5)
    labels = dict(zip(bands["q"], bands["quarter"], strict=False))
    ticks = [q for q, label in labels.items() if label.endswith("Q4")]
    ax.set_xticks(ticks, [labels[q][:4] for q in ticks])
    for year in YEARS:
        ax.axvline(next(q for q, label in labels.items() if label == f"{year}Q4"),
                   color="grey", linestyle=":", linewidth=0.8)
    ax.set_xlim(min(labels), max(labels))
    ax.set_ylabel(f"enabling SMEs ({BASELINE_YEAR}Q4 = 100)")
    ax.set_xlabel("end of year (dotted: 2021 and 2022)")
    ax.legend(fontsize=8, loc="upper left")
    choice = result.choice
    ax.set_title(f"{region_label(choice.region)}: {choice.scenario} against {BASE}\n"
                 f"{scale_note(choice.scale, choice.replicates) or 'full scale'}",
                 fontsize=9, loc="left", wrap=True)
    return fig


def summary(result: Result) -> list[dict[str, str]]:
    """Per reported year, the numbers for people: additional SMEs, P(target), spend, cost.

    One dict per year with keys year, ``additional`` (mean [5-95% of replicates]),
    ``p_target`` (base -> policy), ``spend`` (additional public spend to the end of the
    year), ``cost_per_sme`` (EUR per additional enabling SME; n/a unless positive) and
    ``enabling`` (base -> policy mean enabling SMEs at the fourth quarter).
    """
    row = result.row
    return [{
        "year": str(y),
        "additional": band([row[f"additional_{y}"], row[f"additional_{y}_p05"],
                            row[f"additional_{y}_p95"]], sign=True),
        "p_target": f"{probability(row[f'base_p_target_{y}'])} -> "
                    f"{probability(row[f'policy_p_target_{y}'])}",
        "spend": eur(row[f"additional_spend_{y}"]),
        "cost_per_sme": eur(row[f"cost_per_sme_{y}"]),
        "enabling": f"{count(row[f'base_enabling_{y}'])} -> {count(row[f'policy_enabling_{y}'])}",
    } for y in YEARS]
