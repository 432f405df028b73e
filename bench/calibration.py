"""Benchmark the calibration of all ten regions: one command, figures in bench/results/.

    python bench/calibration.py            # full mode, both cores, rewrites calibration/regions/
    python bench/calibration.py --mode smoke
    python bench/calibration.py --posterior   # the posteriors: rewrites calibration/posteriors/

Runs ``devise calibrate --all --force`` (every region refitted, whatever is on disk) in a
fresh process, times its wall clock, and writes bench/results/calibration.json with the
total and, per region, the fit's own wall time, evaluations and objective (read back from
the written calibration/regions/CODE.toml files). The fitted files it writes ARE the
project's calibration: run it when the model or the targets change, then commit both.
With ``--posterior`` it empties the stored simulations (calibration/posteriors/work/), runs
``devise calibrate --posterior --all --force`` and writes bench/results/posterior.json.
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
    parser.add_argument("--posterior", action="store_true",
                        help="time the posterior calibration instead of the point fit")
    args = parser.parse_args()
    command = [sys.executable, "-m", "simulation.cli", "calibrate", "--all", "--force",
               "--mode", args.mode, "--workers", str(args.workers)]
    if args.posterior:
        command.append("--posterior")
        import shutil

        from simulation.calibration.posterior import work_folder

        for code in region_codes():
            shutil.rmtree(work_folder(code, args.mode), ignore_errors=True)
    start = time.perf_counter()
    subprocess.run(command, check=True)
    wall = time.perf_counter() - start
    if args.posterior:
        return _record_posterior(args, wall)
    regions = {}
    for code in region_codes():
        cal = read_fitted(fitted_path(code))["calibration"]
        regions[code] = {k: cal[k] for k in ("wall_seconds", "evaluations", "scale", "replicates",
                                             "objective", "objective_provisional")}
    _write_result("calibration.json", f"--mode {args.mode} --workers {args.workers}", args,
                  wall, regions)
    print(f"all ten regions calibrated in {wall:.0f} s ({args.mode}, {args.workers} workers)")
    return 0


def _record_posterior(args: argparse.Namespace, wall: float) -> int:
    import tomllib

    from simulation.calibration.posterior import posterior_files

    regions = {}
    for code in region_codes():
        with posterior_files(code, args.mode)[1].open("rb") as f:
            head = tomllib.load(f)["posterior"]
        regions[code] = {k: head[k] for k in ("wall_seconds", "simulation_seconds",
                                              "simulations", "kept", "scale",
                                              "coverage_90_mean")}
    _write_result("posterior.json", f"--posterior --mode {args.mode} --workers {args.workers}",
                  args, wall, regions)
    print(f"posteriors of all ten regions in {wall:.0f} s")
    return 0


def _write_result(name: str, options: str, args: argparse.Namespace, wall: float,
                  regions: dict) -> None:
    """Write bench/results/NAME: the command, the machine, the total and per-region figures."""
    result = {
        "command": f"python bench/calibration.py {options}",
        "mode": args.mode, "workers": args.workers, "cores": os.cpu_count(),
        "machine": platform.platform(), "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"), "wall_seconds_all_regions": round(wall, 1),
        "regions": regions,
    }
    out = HERE / "results" / name
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"figures in {out}")


if __name__ == "__main__":
    sys.exit(main())
