"""Generate the benchmark section of docs/sweeps.md from bench/results/sweep.json.

Command line:

    python docs/gen_sweep_tables.py --write    # or --check; no argument prints the section
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs"))

from gen_param_tables import main  # noqa: E402

SWEEPS_MD = ROOT / "docs" / "sweeps.md"
BENCH_JSON = ROOT / "bench" / "results" / "sweep.json"


def bench_section() -> str:
    """Return the benchmark sweep on local processes and Dask, and ``devise run`` of a replicate."""
    if not BENCH_JSON.exists():
        return "No benchmark yet: run `python bench/sweep.py`."
    b = json.loads(BENCH_JSON.read_text())
    rows = "".join(
        f"| {name} | {t['wall']:.1f} s | {t['runs_per_second']:.0f} | {t['fixed']:.1f} s | "
        f"{t['cpu']:.1f} s | {t['fixed_cpu']:.1f} s |\n"
        for name, t in (("local processes", b["local"]), ("Dask LocalCluster", b["dask"])))
    run = b["run"]
    alone = b["local"]["cpu_ms_per_run_alone"]
    return (f"`{b['command'].strip()}` ({b['sweep']}: {b['runs']:,} runs of Cantabria at 5% "
            f"scale to 2021) on {b['date']}, {b['workers']} workers on a {b['workers']}-core "
            f"machine ({b['machine']}), medians of {b['repeats']} repeats run alternately, "
            "each from an empty store, start-up and summary included. Fixed cost: the wall "
            "time less the time inside runs per worker; fixed CPU: the CPU time less the "
            "runs' CPU time (one warm run alone: "
            f"{alone:.2f} ms CPU, {1000 / alone:.0f} runs per second per core):\n\n"
            "| back-end | wall time | runs per second | fixed cost | CPU time | fixed CPU |\n"
            f"|---|---|---|---|---|---|\n{rows}\n"
            f"Dask against local processes: {100 * (b['dask_over_local'] - 1):+.1f}% wall "
            "time.\n\n"
            f"`devise run` of one full-scale replicate (bench/configurations.py `full`, "
            f"outputs and kpi.png included): {run['wall']:.2f} s wall ({run['cpu']:.2f} s "
            f"CPU) for the whole process, {run['replicate']:.2f} s for the replicate inside "
            f"it: {run['process_over_replicate']:.2f}x.")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], {"sweep-bench": bench_section}, SWEEPS_MD))
