"""Run a sweep: chunks of runs on local processes or on Dask, streamed into the store.

The same code path serves both back-ends: chunks are submitted to a
``concurrent.futures`` executor, either a local process pool or a Dask client's executor
(``distributed.Client.get_executor()``, on a ``LocalCluster`` or a running scheduler). Each
finished chunk is written as one Parquet part before the next is awaited, so an
interrupted sweep keeps every finished chunk, and rerunning it computes only the rest.
A run that raises is stored with its error (outputs NaN); the sweep goes on.
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


def plan_runs(spec: SweepSpec) -> tuple[pd.DataFrame, list[Run]]:
    """The design points and every run of the sweep (points x replicates), in order."""
    points = design_points(spec)
    key = spec.key()
    runs = [Run(run_id(key, tuple(row), r), int(point), r, tuple(float(v) for v in row))
            for point, row in zip(points.index, points.to_numpy(), strict=True)
            for r in range(spec.replicates)]
    return points, runs


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


@contextmanager
def executor_for(workers: int, scheduler: str | None = None,
                 dask_local: bool = False) -> Iterator[Executor | None]:
    """The executor chunks go to: None (this process), local processes, or Dask."""
    if scheduler or dask_local:
        from distributed import Client, LocalCluster

        if scheduler:
            with Client(scheduler) as client:
                yield client.get_executor()
        else:
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                yield client.get_executor()
    elif workers <= 1:
        yield None
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            yield pool


def run_sweep(spec: SweepSpec, out: Path, workers: int = 1, scheduler: str | None = None,
              dask_local: bool = False,
              on_progress: Callable[[int, int], None] | None = None) -> pd.DataFrame:
    """Run every run of ``spec`` not yet in ``out``'s store; return all stored runs.

    ``on_progress(done, total)`` is called at the start and after each stored chunk.
    """
    points, runs = plan_runs(spec)
    store = ResultStore(out)
    points.to_csv(Path(out) / "design.csv")
    done = store.done_ids()
    todo = [run for run in runs if run.run_id not in done]
    finished = len(runs) - len(todo)
    if on_progress:
        on_progress(finished, len(runs))
    paths = list(points.columns)
    chunks = list(chunked(todo, chunk_size(spec, len(todo), workers)))
    with executor_for(workers, scheduler, dask_local) as executor:
        if executor is None:
            results: Iterator[pd.DataFrame] = (run_chunk(spec.function, paths, c) for c in chunks)
        else:
            futures = [executor.submit(run_chunk, spec.function, paths, c) for c in chunks]
            results = (future.result() for future in as_completed(futures))
        for rows in results:
            store.append(rows)
            finished += len(rows)
            if on_progress:
                on_progress(finished, len(runs))
    return store.load()


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
