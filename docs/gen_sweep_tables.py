"""Generate the benchmark section of docs/sweeps.md from bench/results/sweep.json.

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
    """Wall times of the benchmark sweep on local processes and on Dask, and the overhead."""
    if not BENCH_JSON.exists():
        return "No benchmark yet: run `python bench/sweep.py`."
    b = json.loads(BENCH_JSON.read_text())
    return (f"`{b['command'].strip()}` ({b['sweep']}: a Sobol analysis of 10 factors at "
            f"N = 512, {b['runs']:,} runs) on {b['date']}, {b['workers']} workers on a "
            f"{b['workers']}-core machine ({b['machine']}), each back-end from an empty "
            "store, start-up and analysis included:\n\n"
            "| back-end | wall time | runs per second |\n|---|---|---|\n"
            f"| local processes | {b['wall_seconds_local']:.0f} s | "
            f"{b['runs_per_second_local']:.1f} |\n"
            f"| Dask LocalCluster | {b['wall_seconds_dask']:.0f} s | "
            f"{b['runs'] / b['wall_seconds_dask']:.1f} |\n\n"
            f"Dask overhead against local processes: {100 * b['dask_overhead']:+.1f}%.")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], {"sweep-bench": bench_section}, SWEEPS_MD))
