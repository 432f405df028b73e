"""The search: optuna's ask and tell, batch by batch, on the sweep machinery's store and executor.

Business as usual runs first, once per replicate, into ``OUT/base``. Then, batch after batch,
the sampler is asked for ``batch`` candidates; their runs (candidate x replicate, replicate by
replicate so that a worker reuses each spin-up) go to the executor of
:func:`simulation.sweep.execute.execute_runs` (local processes or Dask) and into the batch's
own store, ``OUT/trials/batch-NNNNN``; each candidate is then told its objectives (or that it
failed). A run id is a hash of the design's key, the candidate's values, its trial number and
the replicate.

Resuming is replaying: the sampler is seeded, so asked again with the same history it
proposes the same candidates; runs already stored are read, not recomputed, and told as they
were. An interrupted design (Ctrl-C, kill -9) rerun with the same command thus continues where
it stopped and ends with the same trials as a run never interrupted, for any worker count. A
store holding runs the replay does not plan (another optuna version proposing other
candidates) is refused, never mixed in.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..folders import claim_folder
from ..sweep.execute import Run, execute_runs
from ..sweep.store import ResultStore, run_id
from ..workers import cpu_seconds
from .evaluate import EvaluationFunction
from .front import candidate_table, choose, on_front
from .spec import OBJECTIVES, DesignSpec, Variable

Progress = Callable[[str, int, int], None]
"""``on_progress(stage, done, total)``: stages ``business as usual``, ``candidates`` (after
each batch), ``runs`` (the current batch's runs) and ``check``."""


@dataclass(frozen=True)
class DesignResult:
    """What a design search found.

    Attributes:
        spec: The design.
        candidates: :func:`~simulation.design.front.candidate_table` of every trial, with
            ``on_front`` (spend against P(target)).
        chosen: Row of ``candidates`` written as the scenario: the cheapest meeting the
            requirement, else the best reached (None where no candidate ran).
        met: Whether the chosen mix meets the requirement.
        check: The chosen mix on fresh replicates: ``p_target``, ``additional``, ``spend``,
            ``replicates``, ``seed`` (empty without a chosen mix).
        cost: What the search cost: runs stored and run now, seconds inside runs, wall and
            CPU time of this invocation.

    """

    spec: DesignSpec
    candidates: pd.DataFrame
    chosen: int | None
    met: bool
    check: dict[str, Any]
    cost: dict[str, Any]

    def values(self, row: int) -> dict[str, float]:
        """Return the variables' values of candidate ``row``."""
        return {p: float(self.candidates.at[row, p]) for p in self.spec.paths}


def prepare_design(spec: DesignSpec, out: Path, overwrite: bool = False) -> int:
    """Claim ``out`` for the design; return how many candidate runs it already stores.

    Raises:
        InputError: ``out`` holds another job (unless ``overwrite``) or other files.

    """
    out = Path(out)
    claim_folder(out, "design", spec.key(), spec.content(), overwrite)
    return sum(len(pd.read_parquet(part, columns=["run_id"]))
               for part in sorted((out / "trials").glob("batch-*/runs/part-*.parquet")))


def run_design(spec: DesignSpec, out: Path, workers: int = 1, scheduler: str | None = None,
               dask_local: bool = False, on_progress: Progress | None = None) -> DesignResult:
    """Search a claimed folder's design (:func:`prepare_design`); return what it found."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out = Path(out)
    started, cpu0 = time.perf_counter(), cpu_seconds()
    key = spec.key()
    executor = _Executor(workers, scheduler, dask_local, on_progress)
    base = executor.evaluate(
        spec.function, [], [Run(run_id(f"{key}:base", -1, r), -1, r, ())
                            for r in range(spec.replicates)], out / "base", "business as usual")
    study = optuna.create_study(directions=[OBJECTIVES[o] for o in spec.objectives],
                                sampler=_sampler(spec))
    for values in initial_candidates(spec.variables):
        study.enqueue_trial(values)
    distributions = {v.path: _distribution(v) for v in spec.variables}
    stored: list[pd.DataFrame] = []
    batches = spec.trials // spec.batch
    for b in range(batches):
        if b >= batches - spec.refine and stored:
            _enqueue_neighbours(study, spec, candidate_table(
                pd.concat(stored, ignore_index=True), base, spec.paths))
        trials = [study.ask(distributions) for _ in range(spec.batch)]
        values = {t.number: tuple(float(t.params[p]) for p in spec.paths) for t in trials}
        runs = [Run(run_id(f"{key}:{_digest(values[t.number])}", t.number, r), t.number, r,
                    values[t.number]) for r in range(spec.replicates) for t in trials]
        rows = executor.evaluate(spec.function, spec.paths, runs,
                                 out / "trials" / f"batch-{b:05d}", "runs")
        stored.append(rows)
        table = candidate_table(rows, base, spec.paths).set_index("trial")
        for t in trials:
            row = table.loc[t.number]
            if row["error"]:
                t.set_user_attr("error", row["error"])
                study.tell(t, state=optuna.trial.TrialState.FAIL)
                continue
            t.set_constraint("p_target", spec.required - float(row["p_target"]))
            study.tell(t, [float(row[o]) for o in spec.objectives])
        if on_progress:
            on_progress("candidates", (b + 1) * spec.batch, spec.trials)
    candidates = candidate_table(pd.concat(stored, ignore_index=True), base, spec.paths)
    candidates["on_front"] = on_front(candidates)
    chosen, met = choose(candidates, spec.required)
    check = {} if chosen is None else _check(spec, executor, out, candidates, chosen)
    cost = {"candidates": len(candidates),
            "failed": int((candidates["error"] != "").sum()),
            "runs_stored": executor.stored, "runs_now": executor.computed,
            "run_seconds": round(executor.run_seconds, 2),
            "wall_seconds": round(time.perf_counter() - started, 2),
            "cpu_seconds": round(cpu_seconds() - cpu0, 2), "workers": workers,
            "backend": ("dask scheduler" if scheduler else "dask local" if dask_local
                        else "local processes")}
    return DesignResult(spec, candidates, chosen, met, check, cost)


def initial_candidates(variables: Sequence[Variable]) -> list[dict[str, float]]:
    """Return the first candidates, before the sampler's: what the bounds allow at most.

    Every variable at its high bound; then, with several instruments, each instrument's
    variables at their high bounds and the other instruments' budgets at their low bounds
    (so the search starts from each instrument alone).
    """
    high = {v.path: _high(v) for v in variables}
    first = [high]
    instruments = sorted({v.instrument for v in variables})
    if len(instruments) > 1:
        for k in instruments:
            first.append({v.path: v.low if v.instrument != k and v.name == "budget_per_year"
                          else _high(v) for v in variables})
    return first


def neighbours(values: dict[str, float], variables: Sequence[Variable]) -> list[dict[str, float]]:
    """Return the cheaper neighbours of a mix, in the variables' order.

    Each instrument dropped (its budgets at their low bounds), then each value one step down
    (a twentieth of its range where it has no step; of its log range on a log scale).
    """
    out = []
    for k in dict.fromkeys(v.instrument for v in variables):
        budgets = [v for v in variables if v.instrument == k and v.name == "budget_per_year"]
        if budgets and any(values[v.path] > v.low for v in budgets):
            out.append(values | {v.path: _whole(v.low, v.integer) for v in budgets})
    for v in variables:
        if values[v.path] > v.low:
            lower = (values[v.path] / (v.high / v.low) ** (1 / 20) if v.log
                     else values[v.path] - (v.step or (v.high - v.low) / 20))
            out.append(values | {v.path: _whole(max(v.low, lower), v.integer)})
    return out


def _enqueue_neighbours(study, spec: DesignSpec, table: pd.DataFrame) -> None:
    """Enqueue the untried neighbours of the cheapest mix meeting the requirement.

    At most a batch of them, for the next batch; none where no mix meets it yet.
    """
    row, met = choose(table, spec.required)
    if not met:
        return
    tried = {tuple(r) for r in table[spec.paths].itertuples(index=False)}
    tried |= {tuple(float(t.params[p]) for p in spec.paths)
              for t in study.get_trials(deepcopy=False) if t.params}
    values = {p: float(table.at[row, p]) for p in spec.paths}
    fresh = []
    for candidate in neighbours(values, spec.variables):
        key = tuple(float(candidate[p]) for p in spec.paths)
        if key not in tried:
            tried.add(key)
            fresh.append(candidate)
    for candidate in fresh[: spec.batch]:
        study.enqueue_trial(candidate)


def _check(spec: DesignSpec, executor: _Executor, out: Path, candidates: pd.DataFrame,
           chosen: int) -> dict[str, Any]:
    """Evaluate the chosen mix and business as usual on fresh replicates (the check seed)."""
    fresh = spec.function.with_seed(spec.check_seed)
    values = tuple(float(candidates.at[chosen, p]) for p in spec.paths)
    trial = int(candidates.at[chosen, "trial"])
    head = f"{spec.key()}:check:{spec.check_seed}"
    reps = range(spec.check_replicates)
    base_folder = out / "check" / f"base-{_digest((spec.check_seed, spec.check_replicates))}"
    base = executor.evaluate(fresh, [], [Run(run_id(head, -1, r), -1, r, ()) for r in reps],
                             base_folder, "check")
    mix_folder = out / "check" / f"mix-{_digest((spec.check_seed, spec.check_replicates, values))}"
    mix = executor.evaluate(fresh, spec.paths,
                            [Run(run_id(f"{head}:{_digest(values)}", trial, r), trial, r, values)
                             for r in reps], mix_folder, "check")
    row = candidate_table(mix, base, spec.paths).iloc[0]
    return {"seed": spec.check_seed, "replicates": spec.check_replicates,
            "p_target": float(row["p_target"]), "additional": float(row["additional"]),
            "spend": float(row["spend"]), "error": row["error"]}


class _Executor:
    """Runs lists of runs into stores through the sweep executor, counting what it did."""

    def __init__(self, workers: int, scheduler: str | None, dask_local: bool,
                 on_progress: Progress | None) -> None:
        self.workers, self.scheduler, self.dask_local = workers, scheduler, dask_local
        self.on_progress = on_progress
        self.stored = self.computed = 0
        self.run_seconds = 0.0

    def evaluate(self, function: EvaluationFunction, paths: Sequence[str], runs: list[Run],
                 folder: Path, stage: str) -> pd.DataFrame:
        """Run the ``runs`` not yet in ``folder``'s store; return every one of them, stored."""
        store = ResultStore(folder, [run.run_id for run in runs])
        done = frozenset(store.done_ids())
        todo = len(runs) - len(done)

        def progress(finished: int, total: int) -> None:
            if self.on_progress:
                self.on_progress(stage, finished, total)

        if todo:
            execute_runs(function, paths, runs, done, store, self.workers, self.scheduler,
                         self.dask_local, progress)
        else:
            progress(len(runs), len(runs))
        rows = store.load()
        self.stored += len(rows)
        self.computed += todo
        self.run_seconds += float(rows["seconds"].sum())
        return rows


def _sampler(spec: DesignSpec):
    """Return the seeded optuna sampler.

    Each trial carries P(target) >= required as a constraint (``Trial.set_constraint``).
    """
    import optuna

    if spec.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=spec.optimiser_seed, n_startup_trials=spec.batch,
                                          multivariate=True, constant_liar=True)
    return optuna.samplers.NSGAIISampler(population_size=spec.batch, seed=spec.optimiser_seed)


def _distribution(v: Variable):
    from optuna.distributions import FloatDistribution, IntDistribution

    if v.integer:
        return IntDistribution(int(v.low), int(_high(v)), log=v.log,
                               step=int(v.step) if v.step else 1)
    return FloatDistribution(v.low, _high(v), log=v.log, step=v.step)


def _high(v: Variable) -> float:
    """Return the highest value a variable takes: its high bound, or the last step below it."""
    steps = math.floor((v.high - v.low) / v.step + 1e-9) if v.step else 0
    high = v.low + steps * v.step if v.step else v.high
    return _whole(high, v.integer)


def _whole(value: float, integer: bool) -> float | int:
    return int(round(value)) if integer else value


def _digest(value: Any) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]
