"""Policy scenarios against a base scenario, with common random numbers.

Replicate ``r`` of every scenario draws the same random numbers (they are keyed on seed,
replicate, region position, quarter, agent and purpose), so the difference between a
policy and the base in replicate ``r`` is the policy's effect in that replicate. The table
functions take stacked time series, as :func:`simulation.runner.run_replicates` returns
them, and pair replicates; :func:`compare` plans and runs the scenarios, tabulates the
effects and writes the outputs.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
from scipy import stats

from .errors import InputError
from .outputs import write_comparison
from .region import BASELINE_YEAR, InstrumentSpec
from .runner import (
    TARGET_GROWTH,
    content_key,
    parameter_share,
    replicates_per_set,
    run_scenarios,
)
from .scenario import Scenario

YEARS = (2021, 2022)
"""Years whose fourth quarter a comparison reports."""

ALL = "ALL"
"""Region label of the regions summed in each replicate."""

SHARED = ("regions", "start_year", "end_year", "burn_in_years")
"""Scenario fields a policy must share with the base for common random numbers."""

CONTRIBUTION_COLUMNS = ("instrument", "kind", "region", "year", "mean", "p05", "p95", "spend",
                        "cost_per_sme")
"""Columns of :func:`contributions_table`."""


# --- tables (pure functions of time series) -------------------------------------------------

def outcomes(ts: pd.DataFrame, years: Sequence[int] = YEARS) -> pd.DataFrame:
    """Return what a comparison pairs, per region (then ``ALL``) and replicate.

    Columns: ``enabling_<BASELINE_YEAR>`` and ``enabling_Y`` (enabling SMEs at the fourth
    quarter) and ``spend_Y`` (public spend summed over the reported quarters up to the end
    of ``Y``) for each year ``Y``. Index: (region, replicate), regions in the order of
    ``ts`` and ``ALL`` last.
    """
    keys = ["region", "replicate"]
    columns = {
        f"enabling_{year}": ts[ts["quarter"] == f"{year}Q4"].set_index(keys)["enabling"]
        for year in (BASELINE_YEAR, *years)
    }
    reported = ts[~ts["burn_in"]]
    for year in years:
        columns[f"spend_{year}"] = (
            reported[reported["year"] <= year].groupby(keys)["public_spend"].sum())
    per_region = pd.DataFrame(columns).sort_index()
    total = per_region.groupby(level="replicate").sum()
    total.index = pd.MultiIndex.from_product([[ALL], total.index], names=keys)
    order = [*dict.fromkeys(ts["region"]), ALL]
    return pd.concat([per_region, total]).loc[order]


def comparison_table(base_ts: pd.DataFrame, policy_ts: pd.DataFrame,
                     years: Sequence[int] = YEARS, per_set: int | None = None) -> pd.DataFrame:
    """One row per region and ``ALL``: a policy against the base, replicates paired.

    Columns: region, replicates, ``base_enabling_Y`` and ``policy_enabling_Y`` (means at
    the fourth quarter of the baseline year and of each year), then for each year ``Y``:
    ``additional_Y`` (mean of policy minus base), ``additional_Y_p05``/``_p95`` (5-95%
    band of replicates), ``additional_Y_ci_low``/``_ci_high`` (95% t interval of the mean,
    NaN with one replicate), ``base_p_target_Y``/``policy_p_target_Y`` (share of replicates
    with growth on the baseline of at least :data:`~simulation.runner.TARGET_GROWTH`),
    ``base_spend_Y``/``policy_spend_Y`` (mean public spend in EUR over the reported period
    to the end of ``Y``), ``additional_spend_Y`` and ``cost_per_sme_Y`` (see
    :func:`cost_per_sme`); with ``per_set`` (replicates sharing a posterior parameter set),
    ``additional_Y_param_share``, the share of the variance of the additional SMEs that
    lies between parameter sets (:func:`~simulation.runner.parameter_share`).
    """
    base, policy = outcomes(base_ts, years), outcomes(policy_ts, years)
    diff = _paired(policy, base)
    rows = []
    for region in diff.index.unique("region"):
        b, p, d = base.loc[region], policy.loc[region], diff.loc[region]
        row = {"region": region, "replicates": len(d)}
        for year in (BASELINE_YEAR, *years):
            row[f"base_enabling_{year}"] = b[f"enabling_{year}"].mean()
            row[f"policy_enabling_{year}"] = p[f"enabling_{year}"].mean()
        for year in years:
            band = _band(d[f"enabling_{year}"])
            extra_spend = d[f"spend_{year}"].mean()
            row |= {f"additional_{year}{suffix}": value for suffix, value in band.items()}
            row |= {
                f"base_p_target_{year}": _p_target(b, year),
                f"policy_p_target_{year}": _p_target(p, year),
                f"base_spend_{year}": b[f"spend_{year}"].mean(),
                f"policy_spend_{year}": p[f"spend_{year}"].mean(),
                f"additional_spend_{year}": extra_spend,
                f"cost_per_sme_{year}": cost_per_sme(extra_spend, band[""]),
            }
            if per_set:
                extra = d[f"enabling_{year}"]
                row[f"additional_{year}_param_share"] = parameter_share(
                    extra.to_numpy(), extra.index.to_numpy(), per_set)
        rows.append(row)
    return pd.DataFrame(rows)


def contributions_table(base_ts: pd.DataFrame, policy_ts: pd.DataFrame,
                        without: Sequence[tuple[InstrumentSpec, pd.DataFrame]],
                        years: Sequence[int] = YEARS) -> pd.DataFrame:
    """Each instrument's contribution to a policy's effect, and what interaction is left.

    ``without`` pairs each instrument with the time series of the policy run without it.
    The contribution is the policy minus the policy without the instrument, replicates
    paired. One row per instrument, region (then ``ALL``) and year, with columns
    :data:`CONTRIBUTION_COLUMNS`: mean, p05/p95 (5-95% band of replicates) of the enabling
    SMEs attributed, ``spend`` (mean public spend in EUR attributed, to the end of the year)
    and ``cost_per_sme``. Then rows with instrument ``"interaction"``: the total effect
    (policy minus base) less the sum of the contributions (its cost per SME is NaN).
    Empty (with those columns) when ``without`` is empty.
    """
    if not without:
        return pd.DataFrame(columns=CONTRIBUTION_COLUMNS)
    policy = outcomes(policy_ts, years)
    parts = [(spec, _paired(policy, outcomes(ts, years))) for spec, ts in without]
    interaction = _paired(policy, outcomes(base_ts, years)) - sum(part for _, part in parts)
    rows = [row for spec, part in parts for row in _effect_rows(spec.name, spec.kind, part, years)]
    rows += _effect_rows("interaction", "", interaction, years, attribute_cost=False)
    return pd.DataFrame(rows, columns=CONTRIBUTION_COLUMNS)


def cost_per_sme(additional_spend: float, additional_smes: float) -> float:
    """EUR per additional enabling SME; NaN unless the additional SMEs are positive."""
    return additional_spend / additional_smes if additional_smes > 0 else math.nan


def _paired(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    if not a.index.equals(b.index):
        raise ValueError("cannot pair runs: their regions or replicates differ")
    return a - b


def _band(values: pd.Series) -> dict[str, float]:
    """Mean (key ""), 5-95% band and 95% t interval of the mean of paired differences."""
    n, mean = len(values), values.mean()
    half = (stats.t.ppf(0.975, n - 1) * values.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    return {"": mean, "_p05": values.quantile(0.05), "_p95": values.quantile(0.95),
            "_ci_low": mean - half, "_ci_high": mean + half}


def _p_target(out: pd.DataFrame, year: int) -> float:
    growth = out[f"enabling_{year}"] / out[f"enabling_{BASELINE_YEAR}"] - 1.0
    return float((growth >= TARGET_GROWTH).mean())


def _effect_rows(name: str, kind: str, diff: pd.DataFrame, years: Sequence[int],
                 attribute_cost: bool = True) -> list[dict]:
    rows = []
    for region in diff.index.unique("region"):
        d = diff.loc[region]
        for year in years:
            band = _band(d[f"enabling_{year}"])
            spend = d[f"spend_{year}"].mean()
            rows.append({
                "instrument": name, "kind": kind, "region": region, "year": year,
                "mean": band[""], "p05": band["_p05"], "p95": band["_p95"], "spend": spend,
                "cost_per_sme": cost_per_sme(spend, band[""]) if attribute_cost else math.nan,
            })
    return rows


# --- planning and running -------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """The scenarios a comparison simulates.

    Attributes:
        base: The base scenario.
        policies: The policies, with the base's seed, replicates and scale.
        left_out: (policy, instrument, the policy without that instrument), for each
            instrument of a policy that the base does not have.

    """

    base: Scenario
    policies: tuple[Scenario, ...]
    left_out: tuple[tuple[Scenario, InstrumentSpec, Scenario], ...] = ()

    def named(self) -> list[Scenario]:
        """Every scenario of the comparison: base, policies, policies less one instrument."""
        return [self.base, *self.policies, *(w for _, _, w in self.left_out)]

    def distinct(self) -> list[Scenario]:
        """Return the scenarios to simulate: one per distinct content (:func:`content_key`)."""
        distinct: dict[str, Scenario] = {}
        for scenario in self.named():
            distinct.setdefault(content_key(scenario), scenario)
        return list(distinct.values())


def plan(base: Scenario, policies: Sequence[Scenario], contributions: bool = True) -> Plan:
    """Check that the scenarios can be compared; list what the comparison runs.

    The policies take the base's seed, replicates, scale and parameters (posterior or
    point), so that replicate r of each runs with the same parameter set.

    Raises:
        InputError: The base does not simulate the baseline year to 2022, a policy differs
            from the base in regions or horizon (common random numbers need the same), two
            scenarios share a name, or (with contributions) two instruments of a policy do.

    """
    if not policies:
        raise ValueError("a comparison needs at least one policy")
    _check_horizon(base)
    names = {base.name}
    aligned = []
    for policy in policies:
        file = policy.path or policy.name
        for key in SHARED:
            if getattr(policy, key) != getattr(base, key):
                raise InputError(
                    file, f"scenario.{key}",
                    f"the same {key.replace('_', ' ')} as {base.path or base.name} "
                    "(common random numbers)", _show(getattr(policy, key)))
        if policy.name in names:
            raise InputError(file, "scenario.name",
                             "a name different from the other compared scenarios",
                             repr(policy.name))
        names.add(policy.name)
        aligned.append(policy.with_overrides(seed=base.seed, replicates=base.replicates,
                                             scale=base.scale, parameters=base.parameters))
    left_out = []
    for policy in aligned if contributions else ():
        for spec in policy.instruments:
            if spec not in base.instruments:
                rest = tuple(s for s in policy.instruments if s is not spec)
                without = replace(policy, name=f"{policy.name} without {spec.name}",
                                  instruments=rest)
                left_out.append((policy, spec, without))
    return Plan(base, tuple(aligned), tuple(left_out))


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare` returns (and writes).

    Attributes:
        plan: The scenarios compared.
        comparison: :func:`comparison_table` of each policy, with a first column ``policy``.
        contributions: :func:`contributions_table` of each policy, with a first column
            ``policy`` (empty without contributions).
        timeseries: Every scenario's time series stacked, with a first column ``scenario``.

    """

    plan: Plan
    comparison: pd.DataFrame
    contributions: pd.DataFrame
    timeseries: pd.DataFrame


def compare(base: Scenario, policies: Sequence[Scenario], workers: int = 1,
            out_dir: Path | None = None, contributions: bool = True,
            on_done: Callable[[str, int], None] | None = None) -> Comparison:
    """Run the base and each policy with common random numbers; tabulate and write the effects.

    Args:
        base: The base scenario; its seed, replicates and scale apply to every scenario.
        policies: Policy scenarios with the base's regions and horizon.
        workers: Processes for the replicates; replicate ``r`` of the scenarios that differ
            only in their instruments shares one spin-up
            (:func:`~simulation.runner.run_scenarios`).
        out_dir: Where the outputs go (see :func:`simulation.outputs.write_comparison`);
            finished replicates are kept in ``out_dir/.replicates`` so an interrupted
            comparison resumes. None: nothing is written.
        contributions: Also run each policy without each of its new instruments, for
            :func:`contributions_table`.
        on_done: Called with the scenario name and replicate number as each replicate
            finishes (or is found already done).

    Raises:
        InputError: As :func:`plan`, before anything is run or written.

    """
    t0 = time.perf_counter()
    scenarios = plan(base, policies, contributions)
    checkpoints = out_dir / ".replicates" if out_dir is not None else None
    distinct = scenarios.distinct()
    progress = None if on_done is None else lambda s, r: on_done(s.name, r)
    runs = dict(zip((content_key(s) for s in distinct),
                    run_scenarios(distinct, workers, checkpoints, progress), strict=True))

    def ts(s: Scenario) -> pd.DataFrame:
        return runs[content_key(s)]

    b = ts(scenarios.base)
    result = Comparison(
        plan=scenarios,
        comparison=_stack("policy", [
            (p.name, comparison_table(b, ts(p), per_set=replicates_per_set(scenarios.base)))
            for p in scenarios.policies]),
        contributions=_stack("policy", [
            (p.name, contributions_table(b, ts(p), [(spec, ts(w)) for q, spec, w
                                                    in scenarios.left_out if q is p]))
            for p in scenarios.policies]),
        timeseries=_stack("scenario", [(s.name, ts(s)) for s in scenarios.named()]),
    )
    if out_dir is not None:
        write_comparison(out_dir, result, {"workers": workers, "contributions": contributions,
                                           "wall_time_s": round(time.perf_counter() - t0, 2)})
    return result


def _stack(column: str, named: Sequence[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """Stack the frames, each with its name in a first column ``column``."""
    frames = [frame.assign(**{column: name}) for name, frame in named]
    stacked = pd.concat([f for f in frames if not f.empty] or frames[:1], ignore_index=True)
    return stacked[[column, *stacked.columns.drop(column)]]


def _check_horizon(base: Scenario) -> None:
    cal = base.calendar
    for year, key in ((BASELINE_YEAR, "scenario.start_year"), (max(YEARS), "scenario.end_year")):
        try:
            cal.parse(f"{year}Q4")
        except ValueError:
            raise InputError(
                base.path or base.name, key,
                f"a simulated period that includes {year}Q4 (a comparison reports "
                f"{BASELINE_YEAR}Q4 and {', '.join(f'{y}Q4' for y in YEARS)})",
                f"{cal.label(0)}..{cal.label(cal.n_quarters - 1)}") from None


def _show(value: object) -> str:
    return repr(list(value)) if isinstance(value, tuple) else repr(value)
