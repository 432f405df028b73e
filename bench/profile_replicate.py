"""Where one full-scale replicate spends its time: a profile, written to bench/results/.

    python bench/profile_replicate.py            # ten regions, full scale, one kernel thread
    python bench/profile_replicate.py --scale 0.05

Runs the ``full`` benchmark configuration (bench/configurations.py) once to warm the JIT
cache, then once under cProfile, and writes bench/results/profile.txt: every compiled
kernel and the Python layer around it, with its total time, calls and cost per alive
agent-quarter of the population it loops over; then the top functions by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from configurations import FULL  # noqa: E402

KERNEL_MODULES = ("simulation/kernels/", "simulation/rng.py")
SME_KERNELS = {"sme_dynamics", "sme_learning", "observe_smes", "init_smes"}


def build(scale: float):
    """The benchmark's ecosystem at ``scale`` (not yet run)."""
    from simulation.ecosystem import Ecosystem
    from simulation.regions import region_codes

    return Ecosystem(list(region_codes()), scale=scale, seed=FULL["seed"],
                     start_year=FULL["start_year"], end_year=FULL["end_year"],
                     burn_in_years=FULL["burn_in_years"])


def main() -> None:
    """Profile one replicate and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=FULL["scale"])
    args = parser.parse_args()
    build(args.scale).run()  # warm the cache and the registry
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    eco = build(args.scale).run()
    profiler.disable()
    wall = time.perf_counter() - t0
    regions = list(eco.regions.values())
    firm_quarters = sum(r.series["firms_alive"].sum() for r in regions) * args.scale
    sme_quarters = sum(r.series["smes_alive"].sum() for r in regions) * args.scale

    stats = pstats.Stats(profiler)
    rows = []
    for (path, _, name), (_, calls, _own, total, _) in stats.stats.items():
        compiled = any(m in path for m in KERNEL_MODULES) and not path.endswith("parallel.py")
        if compiled and calls and total > 0.001:
            agents = sme_quarters if name in SME_KERNELS else firm_quarters
            rows.append((total, name, calls, total / agents * 1e9))
    lines = [f"one replicate, ten regions, scale {args.scale:g}, 2013Q1-2025Q4: "
             f"{wall:.2f} s under cProfile (profiling adds ~5-10%)",
             f"alive firm-quarters {firm_quarters:,.0f}, SME-quarters {sme_quarters:,.0f}",
             "", f"{'compiled function':<24}{'total s':>9}{'calls':>8}{'ns per agent-quarter':>22}"]
    for total, name, calls, per_agent in sorted(rows, reverse=True):
        lines.append(f"{name:<24}{total:>9.3f}{calls:>8}{per_agent:>22.1f}")
    lines.append(f"{'all compiled functions':<24}{sum(r[0] for r in rows):>9.3f}")
    lines += ["", "phases (wall time, from the model's own clock): "
              + ", ".join(f"{k} {v:.3f} s" for k, v in sorted(eco.timings.items())), ""]
    top = io.StringIO()
    pstats.Stats(profiler, stream=top).sort_stats("tottime").print_stats(25)
    lines.append(top.getvalue().split("\n", 4)[-1])
    text = "\n".join(lines)
    (HERE / "results" / "profile.txt").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
