"""Worker processes fork warm from a forkserver, or spawn when that would be wrong."""

from __future__ import annotations

import gc
import os
import time
from multiprocessing import forkserver

import pandas as pd
import psutil
import pytest
from test_sweep import small_devise_file

from simulation import workers
from simulation.sweep.execute import run_sweep
from simulation.sweep.spec import load_sweep


@pytest.fixture(autouse=True)
def no_forkserver_afterwards(monkeypatch):
    """Each test starts its own forkserver; the other tests of the process spawn, as always."""
    monkeypatch.setattr(workers, "_started_with", None)
    monkeypatch.setattr(workers, "_handed_out", False)
    yield
    workers._stop_forkserver()
    forkserver.set_forkserver_preload(list(workers.RUN_PATH))


def test_workers_spawn_until_a_forkserver_is_started_and_when_the_environment_changed(
        monkeypatch):
    assert workers.context().get_start_method() == "spawn"
    workers.start()
    assert workers.context().get_start_method() == "forkserver"
    monkeypatch.setenv("DEVISE_WORKERS_TEST", "changed")  # the forkserver would not see it
    assert workers.context().get_start_method() == "spawn"
    monkeypatch.delenv("DEVISE_WORKERS_TEST")
    monkeypatch.syspath_prepend("/nowhere")  # nor this path
    assert workers.context().get_start_method() == "spawn"
    monkeypatch.undo()
    workers.start()
    sources = workers._sources()
    assert workers.context().get_start_method() == "forkserver"
    edited = {**sources, next(iter(sources)): 0}  # a source file changed: its code would not
    monkeypatch.setattr(workers, "_sources", lambda: edited)
    assert workers.context().get_start_method() == "spawn"


def test_a_forkserver_started_again_after_the_environment_changed_has_the_new_one(
        tmp_path, monkeypatch):
    workers.start()
    monkeypatch.setenv("DEVISE_WORKERS_TEST", "seen")
    workers.start()
    context = workers.context()
    assert context.get_start_method() == "forkserver"
    with context.Pool(1) as pool:
        assert pool.apply(os.getenv, ("DEVISE_WORKERS_TEST",)) == "seen"


def test_an_unused_forkserver_is_stopped_without_waiting_for_its_imports(monkeypatch):
    """A command that ends on an input error does not wait for the forkserver's imports."""
    run_path = workers.RUN_PATH
    monkeypatch.setattr(workers, "RUN_PATH", (*run_path, "workers_slow_import"))
    try:
        workers.start()  # its forkserver takes a minute to import
        started = time.monotonic()
        workers._stop_forkserver()
        assert time.monotonic() - started < 30
    finally:  # the next forkserver this process starts preloads the run path again
        forkserver.set_forkserver_preload(list(run_path))


def test_a_forked_process_still_running_does_not_hold_up_the_stop(monkeypatch):
    """The forkserver stops only once every process it forked has ended: a stray one is
    killed after STOP_WAIT_S instead of being waited for as long as it runs."""
    monkeypatch.setattr(workers, "STOP_WAIT_S", 0.5)
    workers.start()
    stray = workers.context().Process(target=time.sleep, args=(120,))
    stray.start()
    started = time.monotonic()
    workers._stop_forkserver()
    assert time.monotonic() - started < 30
    assert _ends(stray.pid, within=10)  # killed (a signal takes a moment to land)


def _ends(pid: int, within: float) -> bool:
    """Whether process ``pid`` is gone or a zombie within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def busy(seconds: float) -> float:
    """Spin on the CPU for ``seconds`` of this process's CPU time; return them."""
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
    return seconds


def test_the_cpu_time_of_forked_workers_is_counted_once_they_finished():
    workers.start()
    context = workers.context()
    assert context.get_start_method() == "forkserver"
    before, own = workers.cpu_seconds(), time.process_time()
    with context.Pool(1) as pool:
        assert pool.apply(busy, (0.5,)) == 0.5
    deadline = time.monotonic() + 10  # the forkserver reaps its worker when it has exited
    while workers.cpu_seconds() - before < 0.5 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert workers.cpu_seconds() - before >= 0.5
    assert time.process_time() - own < 0.5  # not this process's own time


def test_forked_workers_give_what_one_process_gives(tmp_path):
    workers.start()
    assert workers.context().get_start_method() == "forkserver"
    spec = load_sweep(small_devise_file(tmp_path, samples=3))
    forked = run_sweep(spec, tmp_path / "forked", workers=2)
    alone = run_sweep(spec, tmp_path / "alone", workers=1)
    cols = ["run_id", "point", "replicate", "enabling", "growth", "spend", "dii_basic_share"]
    assert (forked["error"] == "").all()
    pd.testing.assert_frame_equal(forked[cols], alone[cols])


@pytest.mark.parametrize(("setting", "argv", "starts"), [
    (None, ["--workers", "2"], True),
    ("0", ["--workers", "2"], False),  # the opt-out
    (None, ["--workers", "1"], False),  # one process: no pool
    (None, ["--workers", "2", "--dask-local"], False),  # a LocalCluster spawns its own
])
def test_commands_on_several_local_processes_start_warm_workers_unless_told_not_to(
        monkeypatch, setting, argv, starts):
    from simulation import cli

    if setting is None:
        monkeypatch.delenv("DEVISE_WARM_WORKERS", raising=False)
    else:
        monkeypatch.setenv("DEVISE_WARM_WORKERS", setting)
    started = []
    monkeypatch.setattr(workers, "start", lambda: started.append(True))
    monkeypatch.setattr(cli, "_kernels_cached", lambda: True)
    cli._warm_workers(cli._parser().parse_args(["sweep", "any.toml", *argv]))
    assert bool(started) == starts


def test_forked_workers_start_with_what_the_forkserver_imported_frozen():
    """gc.freeze in the forkserver (simulation/preloaded.py): its workers' collections, and
    its own exit, do not walk the run path's objects."""
    workers.start()
    with workers.context().Pool(1) as pool:
        assert pool.apply(gc.get_freeze_count) > 1000
    assert gc.get_freeze_count() == 0  # not this process's


def test_the_devise_command_freezes_the_collector_only_as_it_exits(monkeypatch):
    from simulation import cli

    calls = []
    monkeypatch.setattr(cli, "main", lambda: calls.append("main") or 2)
    monkeypatch.setattr(cli.gc, "freeze", lambda: calls.append("freeze"))
    with pytest.raises(SystemExit) as exit_:
        cli.console()
    assert exit_.value.code == 2 and calls == ["main", "freeze"]
