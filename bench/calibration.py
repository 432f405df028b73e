"""Benchmark the calibration of all ten regions: one command, figures in bench/results/.

    python bench/calibration.py            # full mode, both cores, rewrites calibration/regions/
    python bench/calibration.py --mode smoke

Runs ``devise calibrate --all --force`` (every region refitted, whatever is on disk) in a
fresh process, times its wall clock, and writes bench/results/calibration.json with the
total and, per region, the fit's own wall time, evaluations and objective (read back from
the written calibration/regions/CODE.toml files). The fitted files it writes ARE the
project's calibration: run it when the model or the targets change, then commit both.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from simulation.fitted import fitted_path, read_fitted  # noqa: E402
from simulation.regions import region_codes  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("full", "smoke"), default="full")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    command = [sys.executable, "-m", "simulation.cli", "calibrate", "--all", "--force",
               "--mode", args.mode, "--workers", str(args.workers)]
    start = time.perf_counter()
    subprocess.run(command, check=True)
    wall = time.perf_counter() - start
    regions = {}
    for code in region_codes():
        cal = read_fitted(fitted_path(code))["calibration"]
        regions[code] = {k: cal[k] for k in ("wall_seconds", "evaluations", "scale", "replicates",
                                             "objective", "objective_provisional")}
    result = {
        "command": " ".join(["python bench/calibration.py", "--mode", args.mode, "--workers",
                             str(args.workers)]),
        "mode": args.mode, "workers": args.workers, "cores": os.cpu_count(),
        "machine": platform.platform(), "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"), "wall_seconds_all_regions": round(wall, 1),
        "regions": regions,
    }
    out = HERE / "results" / "calibration.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"all ten regions calibrated in {wall:.0f} s ({args.mode}, {args.workers} workers); "
          f"figures in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
