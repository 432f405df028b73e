"""Benchmark runs in bulk: one command, figures in bench/results/sweep.json.

    python bench/sweep.py                       # bench/sweeps/lhs1000.toml, 3 repeats
    python bench/sweep.py path/to/sweep.toml --repeats 5

Sweep: the same sweep from an empty store, each time as ``devise sweep`` in a fresh process,
on local processes (all cores) and on a Dask LocalCluster of as many worker processes,
alternately, REPEATS times. Each time: the wall time (start-up and summary included), the
CPU time of the process and every process under it, and the time inside runs (the runs'
``seconds`` in the store, summed). Reported as medians: runs per second, the fixed cost
(wall time minus the time inside runs per worker: imports, worker start-up, the summary),
its CPU twin (CPU time minus the runs' CPU time, from the CPU time of one warm run alone
in one process) and the Dask/local ratio of the median wall times, all measured in this one
session. On a shared machine the wall times carry the other load; the CPU times do not.

Single run: ``devise run`` of one full-scale replicate (bench/configurations.py FULL) in a
fresh process, REPEATS times: the process's wall and CPU time against the replicate's wall
time inside it (manifest.json ``wall_time_s``); the median ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import tomli_w

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from configurations import FULL  # noqa: E402

DEFAULT_SWEEP = HERE / "sweeps" / "lhs1000.toml"


def timed(command: list[str]) -> dict[str, float]:
    """Wall and CPU seconds (user + system, the process and those under it) of a command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu}


ALONE = """
import sys, time
from pathlib import Path
from simulation.sweep.execute import plan_runs, run_chunk
from simulation.sweep.spec import load_sweep
spec = load_sweep(Path(sys.argv[1]))
points, runs = plan_runs(spec)
paths = list(points.columns)
run_chunk(spec.function, paths, runs[:1])
start = time.process_time()
run_chunk(spec.function, paths, runs[1:201])
print((time.process_time() - start) / 200)
"""
"""Loads (or compiles, into numba's cache) every kernel a run of the sweep calls, then prints
the CPU seconds of one warm run in one process (200 runs, stored rows built, none stored)."""


def cpu_per_run(sweep: Path) -> float:
    """CPU seconds of one warm run of ``sweep`` (see :data:`ALONE`)."""
    out = subprocess.run([sys.executable, "-c", ALONE, str(sweep)], check=True, cwd=ROOT,
                         capture_output=True, text=True).stdout
    return float(out.split()[-1])


def sweep_once(sweep: Path, out: Path, workers: int, dask: bool) -> dict[str, float]:
    """One ``devise sweep`` from an empty store: its times and the time inside its runs."""
    command = [sys.executable, "-m", "simulation.cli", "sweep", str(sweep), "--out", str(out),
               "--workers", str(workers), *(["--dask-local"] if dask else [])]
    times = timed(command)
    runs = pd.read_parquet(out / "runs")
    times |= {"runs": len(runs), "in_runs": float(runs["seconds"].sum()),
              "failed": int((runs["error"] != "").sum())}
    times["fixed"] = times["wall"] - times["in_runs"] / workers
    return times


def run_once(folder: Path) -> dict[str, float]:
    """One ``devise run`` of the FULL replicate into an empty folder (nothing to reuse): the
    process's times and the replicate's."""
    scenario = folder / "full.toml"
    table = {k: v for k, v in FULL.items() if k != "threads"}
    scenario.write_text(tomli_w.dumps({"scenario": table}))
    out = Path(tempfile.mkdtemp(dir=folder)) / "run"
    times = timed([sys.executable, "-m", "simulation.cli", "run", str(scenario), "--out",
                   str(out), "--workers", "1"])
    times["replicate"] = json.loads((out / "manifest.json").read_text())["wall_time_s"]
    return times


def medians(rows: list[dict[str, float]]) -> dict[str, float]:
    """The median of each measure over repeats."""
    return {key: statistics.median(row[key] for row in rows) for key in rows[0]}


def bench_sweeps(sweep: Path, workers: int, repeats: int) -> dict[str, dict[str, float]]:
    """Median measures of the sweep on each back-end, run alternately ``repeats`` times."""
    rows: dict[str, list] = {"local": [], "dask": []}
    per_run = cpu_per_run(sweep)
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(repeats):
            for backend in rows:
                out = Path(tmp) / f"{backend}-{repeat}"
                rows[backend].append(sweep_once(sweep, out, workers, backend == "dask"))
    result = {backend: medians(r) for backend, r in rows.items()}
    for times in result.values():
        times["cpu_ms_per_run_alone"] = 1000 * per_run
        times["fixed_cpu"] = times["cpu"] - times["runs"] * per_run
    return result


def bench_run(repeats: int) -> dict[str, float]:
    """Median measures of ``devise run`` of one full-scale replicate."""
    with tempfile.TemporaryDirectory() as tmp:
        return medians([run_once(Path(tmp)) for _ in range(repeats)])


def rounded(values: dict[str, float], digits: int = 2) -> dict[str, float]:
    return {k: round(v, digits) for k, v in values.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sweep", nargs="?", type=Path, default=DEFAULT_SWEEP)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    workers = os.cpu_count() or 1
    sweeps = bench_sweeps(args.sweep.resolve(), workers, args.repeats)
    run = bench_run(args.repeats)
    local, dask = sweeps["local"], sweeps["dask"]
    sweep = args.sweep.resolve()
    result = {
        "command": "python bench/sweep.py" + "".join(f" {a}" for a in sys.argv[1:]),
        "sweep": str(sweep.relative_to(ROOT)) if sweep.is_relative_to(ROOT) else str(sweep),
        "runs": int(local["runs"]), "workers": workers, "repeats": args.repeats,
        "date": time.strftime("%Y-%m-%d"), "machine": platform.platform(),
        "python": platform.python_version(),
        "local": rounded(local) | {"runs_per_second": round(local["runs"] / local["wall"], 1)},
        "dask": rounded(dask) | {"runs_per_second": round(dask["runs"] / dask["wall"], 1)},
        "dask_over_local": round(dask["wall"] / local["wall"], 3),
        "run": rounded(run) | {"process_over_replicate": round(run["wall"] / run["replicate"],
                                                                2)},
    }
    out = HERE / "results" / "sweep.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
