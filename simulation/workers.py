"""Worker processes that start with the model already imported.

Sweeps, replicates and single-run retries run in local worker processes. A spawned worker is a
fresh interpreter that imports the model again (about 2.7 s of CPU on the development
machine, each); a worker forked from a *forkserver* inherits the modules the forkserver
imported once. :func:`start` launches that forkserver as a command begins, so its imports
run beside the command's own; :func:`context` is what every pool is built with.

Workers must see the environment of the process that asks for them (``DEVISE_*`` variables,
numba settings, ``sys.path``) and run the package's code as it is on disk. A forkserver
keeps the environment it was started with and the code it imported then, so
:func:`context` hands it out only while the calling process's environment, path and the
package's source files (their modification times) are those the forkserver started with;
otherwise (a test or notebook that changed them since, a forkserver never started) it
falls back to spawning, as before. Results never depend on the choice: a run's numbers
come from its seed alone.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import resource
import signal
import sys
from multiprocessing import forkserver
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

import psutil

RUN_PATH = ("simulation.sweep.execute", "simulation.sweep.functions", "simulation.runner")
"""Modules every worker needs: the run function, the executor and the model behind them."""

FREEZE = "simulation.preloaded"
"""Imported by the forkserver after :data:`RUN_PATH`: freezes what it imported (``gc.freeze``)."""

_started_with: tuple[Any, ...] | None = None
"""What the forkserver started with (:func:`_state`), or None if none was started here."""

_handed_out = False
"""Whether :func:`context` has handed the forkserver to a pool since it started."""

STOP_WAIT_S = 10.0
"""How long stopping the forkserver waits for the processes it forked to end."""


def start() -> None:
    """Start this process's forkserver now, importing :data:`RUN_PATH` (then :data:`FREEZE`).

    Call it early, from a command's entry point: the imports happen in the forkserver's own
    process, in the background. Called again with the same environment and path it does
    nothing; after they changed (a command run in-process by a test or a notebook, or an
    edited source file) it replaces the forkserver by one that has them.
    """
    global _started_with, _handed_out
    now = _state()
    if _started_with == now:
        return
    if _started_with is None:
        atexit.register(_stop_forkserver)
    else:
        _stop_forkserver()
    forkserver.set_forkserver_preload([*RUN_PATH, FREEZE])
    forkserver.ensure_running()
    _started_with, _handed_out = now, False


def context() -> BaseContext:
    """Return the multiprocessing context worker pools should use (see the module docstring)."""
    global _handed_out
    if _started_with == _state():
        _handed_out = True
        return multiprocessing.get_context("forkserver")
    return multiprocessing.get_context("spawn")


def _stop_forkserver() -> None:
    """Stop this process's forkserver and reap it (the standard library's own stop).

    One that has served pools is asked to stop and waited for: it reaps the workers it
    forked, so their CPU time, and its own, is counted against this process (``time``,
    ``getrusage``), as a spawned worker's is. One that never did is killed first: its imports
    are not needed (a command that ends on an input error does not wait for them). The wait
    is bounded: a forked process still running :data:`STOP_WAIT_S` seconds on (every pool has
    been shut down by then, so it is stray or hung) is killed, and the forkserver with it,
    since the forkserver stops only once every process it forked has closed its end of the
    "alive" pipe (``os.waitpid`` on it would wait as long as the stray one runs).
    """
    server = forkserver._forkserver
    pid = server._forkserver_pid
    if pid is not None and not (_handed_out and _forked_processes_ended(pid)):
        os.kill(pid, signal.SIGKILL)
    server._stop()


def _forked_processes_ended(pid: int) -> bool:
    """Whether every process forkserver ``pid`` forked ended within :data:`STOP_WAIT_S`.

    Those still running are killed.
    """
    try:
        forked = psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return True
    _, running = psutil.wait_procs(forked, timeout=STOP_WAIT_S)
    for process in running:
        process.kill()
    return not running


def _state() -> tuple[Any, ...]:
    """Return what a forked worker shares with this process: environment, path, sources."""
    return dict(os.environ), list(sys.path), _sources()


def _sources() -> dict[str, int]:
    """Modification time (ns) of each Python file of the package."""
    return {str(path): path.stat().st_mtime_ns
            for path in Path(__file__).parent.rglob("*.py")}


def cpu_seconds() -> float:
    """CPU seconds of this process and of the worker processes it has finished with.

    That is its own time and its reaped children's (spawned workers, a stopped forkserver)
    and, while its forkserver runs, the forkserver's own time and that of the workers it
    forked and reaped: those are not this process's children, so ``getrusage`` alone would
    leave them out.
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    pid = forkserver._forkserver._forkserver_pid  # set only in the process that started it
    if pid is not None:
        times = psutil.Process(pid).cpu_times()
        total += times.user + times.system + times.children_user + times.children_system
    return total
