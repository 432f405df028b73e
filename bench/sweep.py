"""Benchmark sweeps: one command, figures in bench/results/sweep.json.

    python bench/sweep.py                       # bench/sweeps/sobol10.toml
    python bench/sweep.py path/to/sweep.toml

Runs the same sweep twice from an empty store, each time as ``devise sensitivity`` in a
fresh process: on local processes (all cores), then on a Dask LocalCluster with as many
worker processes. Records the wall time of each (start-up and analysis included), runs per
second, and the Dask overhead (Dask wall / local wall - 1) measured in the same session.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from simulation.sweep.execute import plan_runs  # noqa: E402
from simulation.sweep.spec import load_sweep  # noqa: E402


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    sweep = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "sweeps" / "sobol10.toml"
    workers = str(os.cpu_count() or 1)
    walls = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend, extra in (("local", []), ("dask", ["--dask-local"])):
            out = Path(tmp) / backend
            command = [sys.executable, "-m", "simulation.cli", "sensitivity", str(sweep),
                       "--out", str(out), "--workers", workers, *extra]
            walls[backend] = timed(command)
    runs = len(plan_runs(load_sweep(sweep))[1])
    result = {
        "command": "python bench/sweep.py " + (sys.argv[1] if len(sys.argv) > 1 else ""),
        "sweep": str(sweep.relative_to(HERE.parent)) if sweep.is_relative_to(HERE.parent)
        else str(sweep),
        "runs": runs, "workers": int(workers), "date": time.strftime("%Y-%m-%d"),
        "machine": platform.platform(), "python": platform.python_version(),
        "wall_seconds_local": round(walls["local"], 1),
        "wall_seconds_dask": round(walls["dask"], 1),
        "runs_per_second_local": round(runs / walls["local"], 1),
        "dask_overhead": round(walls["dask"] / walls["local"] - 1, 3),
    }
    out = HERE / "results" / "sweep.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
