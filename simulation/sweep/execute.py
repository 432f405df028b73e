"""Run a sweep: chunks of runs on local processes or on Dask, streamed into the store.

Chunks are submitted to a ``concurrent.futures`` executor: a local process pool, or a Dask
client's executor (``distributed.Client.get_executor()``, on a ``LocalCluster`` or a
running scheduler). Each finished chunk is written as one Parquet part before the next is
awaited, so an interrupted sweep keeps every finished chunk, and rerunning it computes only
the rest. A run that raises is stored with its error (outputs NaN); the sweep goes on.

The output folder is claimed for the sweep (:func:`~simulation.folders.claim_folder`, with
the sweep's key) before anything runs, so a sweep never resumes into the store of another.

A local worker that dies (killed, out of memory, a crash in compiled code) breaks its pool.
Dask restarts such a worker and retries its task; when it gives up (``KilledWorker``) the
chunk is split, and a run lost again is retried alone at the end, then stored as failed.
Locally, at most ``workers + 1`` chunks are in flight, so the chunks lost with the pool are
known: a fresh pool takes over, the lost chunks are retried run by run, and a single run lost
again is retried once alone, in a process of its own; if that process dies too, the run is
stored as failed ("worker process died (signal 9)") and every other run completes.
"""

from __future__ import annotations

import gc
import math
import time
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputError
from ..folders import claim_folder
from ..workers import context as workers_context
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


def plan_runs(spec: SweepSpec) -> tuple[pd.DataFrame, list[Run]]:
    """Return the design points and every run of the sweep (points x replicates), in order."""
    from .design import design_points  # SALib and scipy.stats: not in the workers (0.45 s)

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
    execute_runs(sweep.spec.function, list(sweep.points.columns), sweep.runs, sweep.done,
                 sweep.store, workers, scheduler, dask_local, on_progress, sweep.spec.chunk)
    return sweep.store.load()


def execute_runs(function: RunFunction, paths: Sequence[str], runs: Sequence[Run],
                 done: frozenset[str], store: ResultStore, workers: int = 1,
                 scheduler: str | None = None, dask_local: bool = False,
                 on_progress: Callable[[int, int], None] | None = None,
                 chunk: int = 0) -> None:
    """Run the ``runs`` not in ``done`` (run ids) into ``store``, chunk by chunk.

    The executor of every batch of runs: sweeps, and the simulations of a posterior
    calibration. ``paths`` name the factor of each of a run's values; ``chunk`` is the
    runs per chunk (0: about eight chunks per worker). ``on_progress(done, total)`` is
    called at the start and after each stored chunk.
    """
    todo = [run for run in runs if run.run_id not in done]
    finished, total = len(runs) - len(todo), len(runs)
    if on_progress:
        on_progress(finished, total)
    chunks = list(chunked(todo, chunk or auto_chunk(len(todo), workers)))
    paths = list(paths)
    if scheduler or dask_local:
        results = _dask_results(function, paths, chunks, workers, scheduler)
    elif workers <= 1:
        results = (run_chunk(function, paths, chunk) for chunk in chunks)
    else:
        results = _local_results(function, paths, chunks, workers)
    for rows in results:
        store.append(rows)
        finished += len(rows)
        if on_progress:
            on_progress(finished, total)


def run_chunk(function: RunFunction, paths: Sequence[str], runs: Sequence[Run]) -> pd.DataFrame:
    """Run a chunk of runs (in a worker); one row per run, errors recorded, never raised."""
    return pd.DataFrame([_run_one(function, paths, run) for run in runs])


def _run_one(function: RunFunction, paths: Sequence[str], run: Run) -> dict[str, Any]:
    """One run's row: its outputs, or NaN outputs and the error it raised."""
    values = dict(zip(paths, run.values, strict=True))
    start = time.perf_counter()
    try:
        outputs, error = function(values, run.replicate), ""
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - recorded; the sweep goes on
        outputs, error = dict.fromkeys(function.outputs(), math.nan), _error_text(exc)
    if error:
        gc.collect()  # the failed run's objects may sit in reference cycles: free them now
    return _row(run, values, outputs, error, time.perf_counter() - start)


def failed_rows(function: RunFunction, paths: Sequence[str], run: Run, error: str,
                seconds: float = math.nan) -> pd.DataFrame:
    """Return the stored row of a run that could not finish: NaN outputs and ``error``."""
    values = dict(zip(paths, run.values, strict=True))
    outputs = dict.fromkeys(function.outputs(), math.nan)
    return pd.DataFrame([_row(run, values, outputs, error, seconds)])


def _row(run: Run, values: dict[str, float], outputs: dict[str, float], error: str,
         seconds: float) -> dict[str, Any]:
    return {"run_id": run.run_id, "point": run.point, "replicate": run.replicate, **values,
            **outputs, "error": error, "seconds": seconds}


def _error_text(exc: BaseException) -> str:
    """Return the error's last line, and clear the local variables of its frames.

    The frames of its traceback (and of the exceptions it chains) drop their local
    variables, so the failed run's memory can be freed.
    """
    text = traceback.format_exception_only(exc)[-1].strip()
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        traceback.clear_frames(exc.__traceback__)
        exc = exc.__cause__ or exc.__context__
    return text


def chunked(runs: Sequence[Run], size: int) -> Iterator[list[Run]]:
    """Consecutive chunks of at most ``size`` runs."""
    for start in range(0, len(runs), size):
        yield list(runs[start : start + size])


def auto_chunk(todo: int, workers: int) -> int:
    """About eight chunks per worker, at most 256 runs each."""
    return max(1, min(256, math.ceil(todo / (8 * max(workers, 1)))))


def _dask_results(function: RunFunction, paths: list[str], chunks: list[list[Run]],
                  workers: int, scheduler: str | None) -> Iterator[pd.DataFrame]:
    """Rows of each chunk, as they finish, from a Dask scheduler or a LocalCluster.

    A chunk whose task Dask gives up on (its worker died as often as Dask allows,
    ``KilledWorker``) is split into its runs. A single run lost that way may only have
    shared a worker with a run that kills it, so once everything else is done the lost runs
    are tried again one at a time, alone on the cluster: a run lost then killed its worker
    itself and is recorded as failed with Dask's error, and the sweep goes on.
    """
    with _dask_executor(workers, scheduler) as executor:
        lost: list[Run] = []
        pending = {executor.submit(run_chunk, function, paths, chunk): chunk
                   for chunk in chunks}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                chunk = pending.pop(future)
                try:
                    yield future.result()
                except Exception:  # noqa: BLE001 - the worker, not the run, failed
                    if len(chunk) == 1:
                        lost.append(chunk[0])
                        continue
                    pending |= {executor.submit(run_chunk, function, paths, [run]): [run]
                                for run in chunk}
        for run in lost:
            try:  # a new key: under the old one Dask would give back the lost task's state
                yield executor.submit(run_chunk, function, paths, [run],
                                      key=f"alone-{run.run_id}").result()
            except Exception as exc:  # noqa: BLE001 - this run kills its worker
                yield failed_rows(function, paths, run,
                                  f"its Dask task failed ({_error_text(exc)})")


QUIET_WORKERS = {"distributed.worker.profile.enabled": False,
                 "distributed.worker.memory.monitor-interval": "1s",
                 "distributed.admin.system-monitor.interval": "5s",
                 "distributed.admin.tick.interval": "1s"}
"""Dask settings of a LocalCluster and its workers: no statistical profiler sampling the
running task's stack every 10 ms (it slowed each run by about 10% on two cores), the memory
and system monitors polled every second or five instead of every 100 or 500 ms, and the
event loops' health check ticking every second instead of every 20 ms (a 1,000-run sweep
on two cores 3.5% faster; a blocked loop is still reported, a second later)."""


@contextmanager
def _dask_executor(workers: int, scheduler: str | None) -> Iterator[Executor]:
    """Yield the executor of a client of ``scheduler``, or of a LocalCluster of ``workers``.

    Raises:
        InputError: No Dask scheduler answers at ``scheduler`` (named as ``--scheduler``).

    """
    import dask
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
        with dask.config.set(QUIET_WORKERS), LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=None) as cluster, Client(cluster) as client:
            yield client.get_executor()


def _local_results(function: RunFunction, paths: list[str], chunks: list[list[Run]],
                   workers: int) -> Iterator[pd.DataFrame]:
    """Rows of each chunk, as they finish, from local processes that survive a dying worker.

    A pool whose worker died is replaced. Of the chunks it lost, those of several runs are
    retried run by run in the next pool; a single run lost is run alone (:func:`run_alone`,
    ``workers`` at a time), which records it as failed if its process dies again.
    """
    queue = deque(chunks)
    while queue:
        lost = yield from _pool_round(function, paths, queue, workers)
        alone = [chunk[0] for chunk in lost if len(chunk) == 1]
        queue.extendleft([run] for chunk in reversed(lost) if len(chunk) > 1
                         for run in reversed(chunk))
        with ThreadPoolExecutor(workers) as threads:  # each thread waits on its own process
            yield from threads.map(lambda run: run_alone(function, paths, run), alone)


def _pool_round(function: RunFunction, paths: list[str], queue: deque[list[Run]],
                workers: int) -> Generator[pd.DataFrame, None, list[list[Run]]]:
    """Run queued chunks on a fresh pool until the queue is empty or the pool breaks.

    Yields the rows of each finished chunk; returns the chunks lost with a dead worker
    (those in flight: at most ``workers + 1``).
    """
    lost: list[list[Run]] = []
    broken = False
    context = workers_context()
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        in_flight: dict[Any, list[Run]] = {}
        while in_flight or (queue and not broken):
            while queue and not broken and len(in_flight) <= workers:
                try:
                    future = pool.submit(run_chunk, function, paths, queue[0])
                except BrokenProcessPool:  # the futures in flight say what it lost
                    broken = True
                else:
                    in_flight[future] = queue.popleft()
            finished, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                chunk = in_flight.pop(future)
                try:
                    rows = future.result()
                except BrokenProcessPool:
                    broken = True
                    lost.append(chunk)
                else:
                    yield rows
    return lost


def run_alone(function: RunFunction, paths: Sequence[str], run: Run) -> pd.DataFrame:
    """Do one run in a process of its own; if that process dies, the run's row says how.

    Raises:
        RuntimeError: The process died before it started the run (worker processes cannot
            start here, whatever they run: nothing to record against the run).

    """
    context = workers_context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_run_and_send, args=(sender, function, paths, [run]))
    start = time.perf_counter()
    process.start()
    sender.close()
    try:
        if not _started(receiver):
            process.join()
            raise RuntimeError(f"a worker process died before it started a run "
                               f"({_how(process.exitcode)}); is the calling script guarded "
                               "by if __name__ == '__main__'?")
        return receiver.recv()
    except EOFError:
        process.join()
        return failed_rows(function, paths, run,
                           f"worker process died ({_how(process.exitcode)})",
                           time.perf_counter() - start)
    finally:
        receiver.close()
        process.join()


def _started(receiver) -> bool:
    """Whether the process at the other end of ``receiver`` says it started the run."""
    try:
        return receiver.recv() == "started"
    except EOFError:
        return False


def _run_and_send(sender, function: RunFunction, paths: Sequence[str],
                  runs: Sequence[Run]) -> None:
    """In a process of its own: say it started, run the chunk and send its rows back."""
    sender.send("started")
    sender.send(run_chunk(function, paths, runs))
    sender.close()


def _how(exitcode: int | None) -> str:
    """How a process ended: by which signal, or with which exit code."""
    if exitcode is not None and exitcode < 0:
        return f"signal {-exitcode}"
    return f"exit code {exitcode}"


def point_means(spec: SweepSpec, runs: pd.DataFrame) -> pd.DataFrame:
    """Average outputs over replicates, one row per design point (failed runs left out).

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
