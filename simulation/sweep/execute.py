"""Run a sweep: chunks of runs on local processes or on Dask, streamed into the store.

Chunks are submitted to a ``concurrent.futures`` executor: a local process pool, or a Dask
client's executor (``distributed.Client.get_executor()``, on a ``LocalCluster`` or a
running scheduler). Each finished chunk is written as one Parquet part before the next is
awaited, so an interrupted sweep keeps every finished chunk, and rerunning it computes only
the rest. A run that raises is stored with its error (outputs NaN); the sweep goes on.

The output folder is claimed for the sweep (:func:`~simulation.folders.claim_folder`, with
the sweep's key) before anything runs, so a sweep never resumes into the store of another.
"""

from __future__ import annotations

import math
import multiprocessing
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..folders import claim_folder
from .design import design_points
from .functions import RunFunction
from .spec import SweepSpec
from .store import ResultStore, run_id


@dataclass(frozen=True)
class Run:
    """One run to do: its id, design point, replicate and factor values."""

    run_id: str
    point: int
    replicate: int
    values: tuple[float, ...]


@dataclass(frozen=True)
class Sweep:
    """A sweep ready to run: its design points, planned runs, store and runs stored."""

    spec: SweepSpec
    points: pd.DataFrame
    runs: list[Run]
    store: ResultStore
    done: frozenset[str]

    def todo(self) -> list[Run]:
        """The planned runs not yet stored, in order."""
        return [run for run in self.runs if run.run_id not in self.done]


def plan_runs(spec: SweepSpec) -> tuple[pd.DataFrame, list[Run]]:
    """The design points and every run of the sweep (points x replicates), in order."""
    points = design_points(spec)
    key = spec.key()
    runs = [Run(run_id(key, point, r), int(point), r, tuple(float(v) for v in row))
            for point, row in zip(points.index, points.to_numpy(), strict=True)
            for r in range(spec.replicates)]
    return points, runs


def prepare_sweep(spec: SweepSpec, out: Path, overwrite: bool = False) -> Sweep:
    """Plan the runs, claim ``out`` for this sweep and read what its store already holds.

    Raises:
        InputError: ``out`` holds another sweep (unless ``overwrite``) or other files, or
            its store holds runs this sweep does not plan.
    """
    out = Path(out)
    points, runs = plan_runs(spec)
    claim_folder(out, "sweep", spec.key(), spec.content(), overwrite)
    store = ResultStore(out, [run.run_id for run in runs])
    done = frozenset(store.done_ids())
    points.to_csv(out / "design.csv")
    return Sweep(spec, points, runs, store, done)


def run_sweep(spec: SweepSpec, out: Path, workers: int = 1, scheduler: str | None = None,
              dask_local: bool = False, on_progress: Callable[[int, int], None] | None = None,
              overwrite: bool = False) -> pd.DataFrame:
    """Run every run of ``spec`` not yet in ``out``'s store; return all stored runs.

    ``on_progress(done, total)`` is called at the start and after each stored chunk.
    """
    return execute_sweep(prepare_sweep(spec, out, overwrite), workers, scheduler, dask_local,
                         on_progress)


def execute_sweep(sweep: Sweep, workers: int = 1, scheduler: str | None = None,
                  dask_local: bool = False,
                  on_progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Run a prepared sweep's remaining runs into its store; return every planned run."""
    todo = sweep.todo()
    finished, total = len(sweep.runs) - len(todo), len(sweep.runs)
    if on_progress:
        on_progress(finished, total)
    function, paths = sweep.spec.function, list(sweep.points.columns)
    chunks = list(chunked(todo, chunk_size(sweep.spec, len(todo), workers)))
    if scheduler or dask_local:
        results = _dask_results(function, paths, chunks, workers, scheduler)
    elif workers <= 1:
        results = (run_chunk(function, paths, chunk) for chunk in chunks)
    else:
        results = _local_results(function, paths, chunks, workers)
    for rows in results:
        sweep.store.append(rows)
        finished += len(rows)
        if on_progress:
            on_progress(finished, total)
    return sweep.store.load()


def run_chunk(function: RunFunction, paths: Sequence[str], runs: Sequence[Run]) -> pd.DataFrame:
    """Run a chunk of runs (in a worker); one row per run, errors recorded, never raised."""
    rows = []
    for run in runs:
        values = dict(zip(paths, run.values, strict=True))
        start = time.perf_counter()
        try:
            outputs, error = function(values, run.replicate), ""
        except Exception:  # noqa: BLE001 - a failed run is recorded and the sweep goes on
            outputs = dict.fromkeys(function.outputs(), math.nan)
            error = traceback.format_exc(limit=3).strip().splitlines()[-1]
        rows.append({"run_id": run.run_id, "point": run.point, "replicate": run.replicate,
                     **values, **outputs, "error": error,
                     "seconds": time.perf_counter() - start})
    return pd.DataFrame(rows)


def chunked(runs: Sequence[Run], size: int) -> Iterator[list[Run]]:
    """Consecutive chunks of at most ``size`` runs."""
    for start in range(0, len(runs), size):
        yield list(runs[start : start + size])


def chunk_size(spec: SweepSpec, todo: int, workers: int) -> int:
    """The sweep's ``chunk``, or about eight chunks per worker (at most 256 runs each)."""
    return spec.chunk or max(1, min(256, math.ceil(todo / (8 * max(workers, 1)))))


def _dask_results(function: RunFunction, paths: list[str], chunks: list[list[Run]],
                  workers: int, scheduler: str | None) -> Iterator[pd.DataFrame]:
    """Rows of each chunk, as they finish, from a Dask scheduler or a LocalCluster."""
    with _dask_executor(workers, scheduler) as executor:
        futures = [executor.submit(run_chunk, function, paths, chunk) for chunk in chunks]
        for future in as_completed(futures):
            yield future.result()


@contextmanager
def _dask_executor(workers: int, scheduler: str | None) -> Iterator[Executor]:
    """The executor of a client of ``scheduler``, or of a LocalCluster of ``workers``.

    Raises:
        InputError: No Dask scheduler answers at ``scheduler`` (named as ``--scheduler``).
    """
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler)
        except (OSError, ValueError) as exc:
            raise InputError("command line", "--scheduler", "the address of a running Dask "
                             "scheduler (tcp://host:8786)", repr(scheduler), str(exc)) from None
        with client:
            yield client.get_executor()
    else:
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            yield client.get_executor()


def _local_results(function: RunFunction, paths: list[str], chunks: list[list[Run]],
                   workers: int) -> Iterator[pd.DataFrame]:
    """Rows of each chunk, as they finish, from a pool of local processes."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(run_chunk, function, paths, chunk) for chunk in chunks]
        for future in as_completed(futures):
            yield future.result()


def point_means(spec: SweepSpec, runs: pd.DataFrame) -> pd.DataFrame:
    """Outputs averaged over replicates, one row per design point (failed runs left out).

    With a counterfactual, ``cost_per_sme`` is the mean additional spend over the mean
    additional enabling SMEs of the point's replicates (NaN where that is not positive).
    """
    outputs = list(spec.function.outputs())
    ok = runs[runs["error"] == ""]
    means = ok.groupby("point")[outputs].mean()
    means.insert(0, "replicates", ok.groupby("point").size())
    if "additional" in means:
        positive = means["additional"] > 0
        means["cost_per_sme"] = (means["additional_spend"] / means["additional"]).where(positive)
    return means
