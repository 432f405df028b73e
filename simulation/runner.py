"""The model as a function: a scenario and a replicate in, tidy results out.

``simulate(scenario, replicate)`` is what the CLI, tests and notebooks call;
``simulate_series`` is the same run without the table, for sweeps and calibration, which need
a few numbers of each of many runs. ``run_replicates`` runs many, in parallel processes when
there are several workers, keeps each finished replicate on disk (so an interrupted run
resumes without recomputing), and reports progress through a callback; ``run_scenarios``
does the same for several scenarios, simulating each replicate's spin-up once for those that
differ only in their instruments.
"""

from __future__ import annotations

import functools
import hashlib
import math
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from .calendar import Calendar
from .ecosystem import Ecosystem
from .fitted import check_fitted, fitted_values
from .kernels.parallel import kernel_threads, set_threads
from .posteriors import REPLICATES_PER_SET, check_posteriors, run_overrides
from .region import BASELINE_YEAR, SERIES, InstrumentSpec
from .regions import default_calibration_dir
from .scenario import Scenario
from .workers import context as workers_context

TARGET_GROWTH = 0.15
"""The DEVISE target: +15% enabling SMEs against 2018Q4."""


@dataclass(frozen=True)
class Series:
    """One replicate's simulated indicators: its calendar and, per region, one array a series.

    ``regions`` maps each region code (in the scenario's order) to the arrays of
    :data:`simulation.region.SERIES`, one value a quarter from the burn-in start.
    """

    calendar: Calendar
    regions: dict[str, dict[str, np.ndarray]]

    def quarters(self, label: str) -> np.ndarray:
        """Boolean mask of the quarters labelled ``label`` (``"2021Q4"``; none if outside)."""
        return self.labels() == label

    def reported(self, last_year: int) -> np.ndarray:
        """Boolean mask of the reported quarters (after the burn-in) up to ``last_year``."""
        q = np.arange(self.calendar.n_quarters)
        return (q >= self.calendar.first_reported) & (self.years() <= last_year)

    def values(self, name: str, mask: np.ndarray) -> np.ndarray:
        """Series ``name`` at the quarters of ``mask``, regions one after another."""
        return np.concatenate([series[name][mask] for series in self.regions.values()])

    def labels(self) -> np.ndarray:
        """Return the quarter labels, from the burn-in start."""
        return np.array([self.calendar.label(i) for i in range(self.calendar.n_quarters)])

    def years(self) -> np.ndarray:
        """Return the year of each quarter, from the burn-in start."""
        return np.array([self.calendar.year_of(i) for i in range(self.calendar.n_quarters)])


def simulate_series(scenario: Scenario, replicate: int) -> Series:
    """Run one replicate of a scenario; return its indicators as arrays (no table built).

    What sweeps and calibration call when they need a few numbers of each run; the same
    values as :func:`simulate`'s columns.
    """
    return _series(build_ecosystem(scenario, replicate).run())


def _series(eco: Ecosystem) -> Series:
    """Return the indicators of an ecosystem that has been run."""
    return Series(eco.calendar, {code: region.series for code, region in eco.regions.items()})


def build_ecosystem(scenario: Scenario, replicate: int,
                    instruments: Sequence[InstrumentSpec] | None = None) -> Ecosystem:
    """Return replicate ``replicate`` of the scenario's ecosystem, spun up, not yet stepped.

    With the scenario's instruments, or ``instruments`` where given (``()``: none).
    """
    return Ecosystem(
        regions=scenario.regions, scale=scenario.scale, seed=scenario.seed, replicate=replicate,
        start_year=scenario.start_year, end_year=scenario.end_year,
        burn_in_years=scenario.burn_in_years, params=scenario.model,
        instruments=scenario.instruments if instruments is None else instruments,
        parameters=scenario.parameters)


def simulate(scenario: Scenario, replicate: int) -> pd.DataFrame:
    """Run one replicate of a scenario; return its time series (one row per region and quarter).

    Columns: region, replicate, quarter (label), year, q (index from the burn-in start),
    burn_in (bool), every indicator of :data:`simulation.region.SERIES` (counts in
    full-population units) and ``public_spend`` summed over the region's instruments.
    """
    return series_frame(simulate_series(scenario, replicate), replicate)


def simulate_together(scenarios: Sequence[Scenario], replicate: int) -> list[pd.DataFrame]:
    """Run one replicate of scenarios with one :func:`spin_up_key`; return each one's table.

    The tables of :func:`simulate`. One scenario is simulated as :func:`simulate` does; for
    several, the spin-up is simulated once and copied for each with its instruments
    (:meth:`~simulation.ecosystem.Ecosystem.with_instruments`), the same runs as building
    each one.
    """
    if len(scenarios) == 1:
        return [simulate(scenarios[0], replicate)]
    spun_up = build_ecosystem(scenarios[0], replicate, instruments=())
    return [series_frame(_series(spun_up.with_instruments(s.instruments).run()), replicate)
            for s in scenarios]


def spin_up_key(scenario: Scenario) -> str:
    """Return the :func:`content_key` of the scenario without its instruments.

    What its spin-up depends on: scenarios with the same key differ at most in their
    instruments, and share each replicate's spin-up.
    """
    return content_key(replace(scenario, instruments=()))


def series_frame(series: Series, replicate: int) -> pd.DataFrame:
    """Return the tidy time series of :func:`simulate` from one replicate's arrays."""
    cal = series.calendar
    q = np.arange(cal.n_quarters)
    index = {"replicate": np.full(len(q), replicate), "quarter": series.labels(),
             "year": series.years(), "q": q, "burn_in": q < cal.first_reported}
    frames = [pd.DataFrame({"region": code, **index, **{name: values[name] for name in SERIES}})
              for code, values in series.regions.items()]
    return pd.concat(frames, ignore_index=True)


def run_replicates(
    scenario: Scenario,
    workers: int = 1,
    checkpoint_dir: Path | None = None,
    on_done: Callable[[int], None] | None = None,
    threads: int = 1,
) -> pd.DataFrame:
    """Run every replicate of ``scenario``; return their time series stacked.

    Args:
        scenario: The validated scenario.
        workers: Processes to use (1 runs in this process).
        threads: Kernel threads per replicate (:mod:`simulation.kernels.parallel`); the
            results are the same for any value. More than one pays for large populations
            run one replicate at a time.
        checkpoint_dir: Where finished replicates are kept; those already there (for the
            same scenario content, seed, scale and code version) are loaded, not rerun.
        on_done: Called with the replicate number as each one finishes.

    """
    done = None if on_done is None else lambda s, r: on_done(r)
    return run_scenarios([scenario], workers, checkpoint_dir, done, threads)[0]


def run_scenarios(
    scenarios: Sequence[Scenario],
    workers: int = 1,
    checkpoint_dir: Path | None = None,
    on_done: Callable[[Scenario, int], None] | None = None,
    threads: int = 1,
) -> list[pd.DataFrame]:
    """Run every replicate of each scenario; return each one's time series stacked.

    As :func:`run_replicates`, for several scenarios at once: replicate ``r`` of the
    scenarios with the same :func:`spin_up_key` is one task (:func:`simulate_together`),
    which simulates their spin-up once. ``on_done`` is called with the scenario and the
    replicate number as each replicate finishes (or is found already done).
    """
    for scenario in scenarios:
        check_inputs(scenario)  # a broken calibration file fails before any process
    done: dict[tuple[int, int], pd.DataFrame] = {}
    tasks: dict[tuple[str, int], list[int]] = {}  # (spin-up, replicate): scenarios to run
    for i, scenario in enumerate(scenarios):
        for r in range(scenario.replicates):
            path = _checkpoint(checkpoint_dir, scenario, r)
            if path is not None and path.exists():
                done[i, r] = pd.read_parquet(path)
                if on_done:
                    on_done(scenario, r)
            else:
                tasks.setdefault((spin_up_key(scenario), r), []).append(i)

    def finish(i: int, r: int, frame: pd.DataFrame) -> None:
        path = _checkpoint(checkpoint_dir, scenarios[i], r)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            frame.to_parquet(tmp, index=False)
            os.replace(tmp, path)
        done[i, r] = frame
        if on_done:
            on_done(scenarios[i], r)

    jobs = [(indices, r, [scenarios[i] for i in indices]) for (_, r), indices in tasks.items()]
    if workers <= 1 or len(jobs) <= 1:
        with kernel_threads(threads):
            for indices, r, together in jobs:
                for i, frame in zip(indices, simulate_together(together, r), strict=True):
                    finish(i, r, frame)
    else:
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=workers_context(),
                                 initializer=set_threads, initargs=(threads,)) as pool:
            futures = {pool.submit(simulate_together, together, r): (indices, r)
                       for indices, r, together in jobs}
            for future in as_completed(futures):
                indices, r = futures[future]
                for i, frame in zip(indices, future.result(), strict=True):
                    finish(i, r, frame)
    return [pd.concat([done[i, r] for r in range(scenario.replicates)], ignore_index=True)
            for i, scenario in enumerate(scenarios)]


def check_inputs(scenario: Scenario) -> None:
    """Read the fitted files (and, for a posterior run, the posterior sets) of the regions.

    A missing or broken one of the scenario's regions is an InputError naming it, before
    any simulation or output folder.
    """
    check_fitted(scenario.regions)
    if scenario.parameters == "posterior":
        check_posteriors(scenario.regions)


def checkpointed(folder: Path, scenario: Scenario) -> int:
    """How many of ``scenario``'s replicates ``folder`` already holds (reused, not rerun)."""
    return sum(_checkpoint(folder, scenario, r).exists() for r in range(scenario.replicates))


def _checkpoint(folder: Path | None, scenario: Scenario, replicate: int) -> Path | None:
    if folder is None:
        return None
    return Path(folder) / f"{content_key(scenario)}-r{replicate:05d}.parquet"


NOT_SIMULATED = ("name", "description", "replicates", "path", "sha256")
"""Scenario fields that do not change what a replicate simulates (left out of its key)."""


def content_key(scenario: Scenario) -> str:
    """Return a short hash of what a scenario simulates, whatever its name, file or replicates.

    Two scenarios with the same key give the same time series for the same replicate: the
    key covers every scenario field except :data:`NOT_SIMULATED` (regions, horizon, seed,
    scale, model overrides, instruments in order, and any field added later) and the code
    version and :func:`code_fingerprint`. It names checkpoints, so a policy with one
    instrument removed never reuses the full policy's replicates, and a change to the model
    code or the calibration files never reuses replicates simulated before it.
    """
    content = [(f.name, _canonical(getattr(scenario, f.name)))
               for f in fields(scenario) if f.name not in NOT_SIMULATED]
    key = repr((content, __version__, code_fingerprint()))
    return hashlib.sha256(key.encode()).hexdigest()[:16]


MODEL_INPUTS = ("regions.toml", "targets.toml", "data/*.*", "regions/*.toml",
                "posteriors/*.parquet")
"""Files of the calibration folder a model run reads (not diagnostics figures or smoke fits,
which calibration writes while other work may be running)."""


@functools.cache
def code_fingerprint() -> str:
    """Hash of the package's source files and the calibration files the model reads."""
    package = Path(__file__).resolve().parent
    folder = default_calibration_dir()
    files = sorted(package.rglob("*.py")) + sorted(
        path for pattern in MODEL_INPUTS for path in folder.glob(pattern))
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _canonical(value: Any) -> Any:
    """``value`` with a repr that does not depend on mapping order (dataclasses as fields)."""
    if is_dataclass(value):
        return [(f.name, _canonical(getattr(value, f.name))) for f in fields(value)]
    if isinstance(value, Mapping):
        return sorted((k, _canonical(v)) for k, v in value.items())
    if isinstance(value, tuple | list):
        return [_canonical(v) for v in value]
    return value


def add_growth(ts: pd.DataFrame) -> pd.DataFrame:
    """Add ``growth``: enabling SMEs against the same region and replicate at 2018Q4."""
    base = ts[ts["quarter"] == f"{BASELINE_YEAR}Q4"].set_index(["region", "replicate"])["enabling"]
    keyed = ts.set_index(["region", "replicate"]).index
    ts = ts.copy()
    ts["growth"] = ts["enabling"].to_numpy() / base.reindex(keyed).to_numpy() - 1.0
    return ts


def summarise(ts: pd.DataFrame, years: tuple[int, ...] = (2021, 2022),
              per_set: int | None = None) -> pd.DataFrame:
    """One row per region, plus ``ALL`` (the regions summed in each replicate).

    Columns: region, baseline_enabling (mean at 2018Q4), then for each year Y:
    enabling_Y (mean at YQ4), growth_Y (mean over replicates), growth_Y_p05/p95 (5-95%
    band), p_target_Y (share of replicates with growth >= 15%), with ``per_set`` (the
    replicates sharing a posterior parameter set) growth_Y_param_share (the share of the
    variance of growth between parameter sets, :func:`parameter_share`), and replicates.
    Over a posterior run the band and P(target) hold parameter and stochastic uncertainty
    together.
    """
    q4 = ts[ts["quarter"].str.endswith("Q4")]
    total = q4.groupby(["replicate", "quarter"], as_index=False)["enabling"].sum()
    total.insert(0, "region", "ALL")
    both = pd.concat([q4[["region", "replicate", "quarter", "enabling"]], total])
    wide = both.pivot_table(index=["region", "replicate"], columns="quarter", values="enabling")
    base = wide[f"{BASELINE_YEAR}Q4"]
    rows = []
    order = list(dict.fromkeys(ts["region"])) + ["ALL"]
    for region in order:
        b = base.xs(region, level="region")
        row = {"region": region, "baseline_enabling": b.mean()}
        for year in years:
            label = f"{year}Q4"
            if label not in wide:
                continue
            e = wide[label].xs(region, level="region")
            g = e / b - 1.0
            row |= {
                f"enabling_{year}": e.mean(),
                f"growth_{year}": g.mean(),
                f"growth_{year}_p05": g.quantile(0.05),
                f"growth_{year}_p95": g.quantile(0.95),
                f"p_target_{year}": float((g >= TARGET_GROWTH).mean()),
            }
            if per_set:
                row[f"growth_{year}_param_share"] = parameter_share(
                    g.to_numpy(), g.index.to_numpy(), per_set)
        row["replicates"] = len(b)
        rows.append(row)
    return pd.DataFrame(rows)


def parameter_share(values: np.ndarray, replicates: np.ndarray, per_set: int) -> float:
    """Share of the variance of ``values`` that lies between parameter sets.

    Replicates ``r`` with the same ``r // per_set`` share a parameter set and differ only
    in their random draws: the one-way random-effects estimator (intraclass correlation
    ICC(1)) ``(MSB - MSW) / (MSB + (n - 1) MSW)`` over the complete sets, clipped to
    [0, 1]. NaN with fewer than two complete sets or no variance at all.
    """
    frame = pd.DataFrame({"set": np.asarray(replicates) // per_set, "value": values})
    complete = frame[frame.groupby("set")["value"].transform("size") == per_set]
    groups = complete.groupby("set")["value"]
    if groups.ngroups < 2 or per_set < 2:
        return math.nan
    within = groups.var(ddof=1).mean()
    between = per_set * groups.mean().var(ddof=1)
    if not within + between > 0:
        return math.nan
    return float(min(max((between - within) / (between + (per_set - 1) * within), 0.0), 1.0))


def replicates_per_set(scenario: Scenario) -> int | None:
    """Replicates sharing one parameter set in ``scenario``'s runs (None: point values)."""
    return REPLICATES_PER_SET if scenario.parameters == "posterior" else None


def parameter_table(scenario: Scenario) -> pd.DataFrame:
    """Return the parameter values each region of each replicate runs with (parameters.parquet).

    One row per replicate and region: ``parameter_set`` (the row of the region's posterior
    sets, -1 with point values), then every model parameter, resolved as the region model
    resolves them (fitted point values, the drawn set, the scenario's overrides).
    """
    from .params import resolve_params

    rows = []
    for r in range(scenario.replicates):
        for code in scenario.regions:
            row, overrides = run_overrides(code, scenario.parameters, scenario.seed, r,
                                           scenario.model)
            values = resolve_params({**fitted_values(code), **overrides})
            rows.append({"region": code, "replicate": r, "parameter_set": row, **values})
    return pd.DataFrame(rows)
