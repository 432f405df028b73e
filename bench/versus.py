"""Time one replicate in two checkouts, alternately, to measure what a change gained.

    git worktree add /tmp/before REV
    python bench/versus.py /tmp/before [--scale 1.0] [--pairs 7]
    python bench/versus.py /tmp/before --regions ES13 --scale 0.05 --runs 20

Each measurement is a fresh interpreter started inside a checkout (so that checkout's
``simulation`` package is the one imported) running the ``full`` benchmark configuration
(bench/configurations.py) at ``--scale``, for all ten regions or those of ``--regions``:
the CPU time of set-up plus run (the median of ``--runs`` replicates), warm numba cache (one
warm-up run per checkout first). The checkouts take turns, so a slow spell of a shared
machine hits both; the report gives both medians, their ratio and the ratio within each pair.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from configurations import FULL  # noqa: E402

CHILD = r"""
import json, statistics, sys, time
c = json.loads(sys.argv[1])
from simulation.ecosystem import Ecosystem
from simulation.regions import region_codes
cpu = []
for _ in range(c["runs"]):
    t0 = time.process_time()
    Ecosystem(c["regions"] or list(region_codes()), scale=c["scale"], seed=c["seed"],
              start_year=c["start_year"], end_year=c["end_year"],
              burn_in_years=c["burn_in_years"]).run()
    cpu.append(time.process_time() - t0)
import simulation
print(json.dumps({"package": simulation.__file__, "cpu_s": statistics.median(cpu)}))
"""


def replicate_seconds(checkout: Path, scale: float, regions: list[str], runs: int) -> float:
    """CPU seconds of set-up plus run of one replicate in a fresh interpreter in ``checkout``.

    The median of ``runs`` replicates in that interpreter.
    """
    config = {**FULL, "scale": scale, "regions": regions, "runs": runs}
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(config)], cwd=checkout,
                         check=True, capture_output=True, text=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    if not Path(report["package"]).resolve().is_relative_to(checkout.resolve()):
        raise SystemExit(f"{checkout} imported {report['package']}: not its own package")
    return report["cpu_s"]


def main() -> None:
    """Alternate the two checkouts and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path, help="checkout to compare against (a git worktree)")
    parser.add_argument("--scale", type=float, default=FULL["scale"])
    parser.add_argument("--pairs", type=int, default=7)
    parser.add_argument("--regions", nargs="*", default=[],
                        help="region codes (default: all ten, together)")
    parser.add_argument("--runs", type=int, default=1,
                        help="replicates per process, their median taken (for small runs)")
    args = parser.parse_args()
    here = HERE.parent
    for checkout in (args.before, here):
        replicate_seconds(checkout, args.scale, args.regions, 1)  # warm its numba cache
    before, after = [], []
    for _ in range(args.pairs):
        before.append(replicate_seconds(args.before, args.scale, args.regions, args.runs))
        after.append(replicate_seconds(here, args.scale, args.regions, args.runs))
    b, a = statistics.median(before), statistics.median(after)
    which = " ".join(args.regions) or "ten regions"
    print(f"{which}, scale {args.scale:g}, {args.pairs} pairs: CPU before {b * 1e3:.1f} ms, "
          f"this checkout {a * 1e3:.1f} ms (medians), {b / a:.2f}x; per pair "
          + ", ".join(f"{x / y:.2f}x" for x, y in zip(before, after, strict=True)))


if __name__ == "__main__":
    main()
