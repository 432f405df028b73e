"""Where one full-scale replicate spends its time: a profile, written to bench/results/.

    python bench/profile_replicate.py            # ten regions, full scale, one kernel thread
    python bench/profile_replicate.py --scale 0.05

Runs the ``full`` benchmark configuration (bench/configurations.py) once to warm the JIT
cache, then once under two profilers, one for the set-up and spin-up (each region alone,
the compiled path of simulation/kernels/quarter.py) and one for the run (the regions
together, phase by phase), and writes bench/results/profile.txt: for each, every compiled
function with its total time, calls and cost per alive agent-quarter of the population it
loops over, then the top functions by own time.
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


def compiled_rows(profiler: cProfile.Profile, firm_quarters: float,
                  sme_quarters: float) -> list[str]:
    """Lines of the compiled functions' table: total time, calls, cost per agent-quarter."""
    rows = []
    for (path, _, name), (_, calls, _own, total, _) in pstats.Stats(profiler).stats.items():
        compiled = any(m in path for m in KERNEL_MODULES) and not path.endswith("parallel.py")
        if compiled and calls and total > 0.001:
            agents = sme_quarters if name in SME_KERNELS else firm_quarters
            rows.append((total, name, calls, total / agents * 1e9))
    lines = [f"{'compiled function':<26}{'total s':>9}{'calls':>8}{'ns per agent-quarter':>22}"]
    for total, name, calls, per_agent in sorted(rows, reverse=True):
        lines.append(f"{name:<26}{total:>9.3f}{calls:>8}{per_agent:>22.1f}")
    lines.append(f"{'all compiled functions':<26}{sum(r[0] for r in rows):>9.3f}")
    return lines


def top_functions(profiler: cProfile.Profile, n: int = 25) -> str:
    """The ``n`` functions with the most own time, as pstats prints them."""
    top = io.StringIO()
    pstats.Stats(profiler, stream=top).sort_stats("tottime").print_stats(n)
    return top.getvalue().split("\n", 4)[-1]


def main() -> None:
    """Profile one replicate (its set-up and spin-up, then its run) and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=FULL["scale"])
    args = parser.parse_args()
    build(args.scale).run()  # warm the cache and the registry
    spin_up, run = cProfile.Profile(), cProfile.Profile()
    t0 = time.perf_counter()
    spin_up.enable()
    eco = build(args.scale)
    spin_up.disable()
    t1 = time.perf_counter()
    run.enable()
    eco.run()
    run.disable()
    t2 = time.perf_counter()
    from simulation.region import SPINUP_YEARS

    regions = list(eco.regions.values())
    spin_quarters = 4 * SPINUP_YEARS  # populations are held at their set-up size
    firm_quarters = sum(r.series["firms_alive"].sum() for r in regions) * args.scale
    sme_quarters = sum(r.series["smes_alive"].sum() for r in regions) * args.scale
    set_up_firms = sum(max(1, round(r.spec.n_smart_firms.value * args.scale)) for r in regions)
    set_up_smes = sum(max(1, round(r.spec.n_digital_smes.value * args.scale)) for r in regions)
    lines = [f"one replicate, ten regions, scale {args.scale:g} (profiling adds ~5-10%)", "",
             f"set-up and spin-up ({spin_quarters} quarters, each region alone): "
             f"{t1 - t0:.2f} s under cProfile; firm-quarters "
             f"{set_up_firms * spin_quarters:,}, SME-quarters {set_up_smes * spin_quarters:,}",
             *compiled_rows(spin_up, set_up_firms * spin_quarters,
                            set_up_smes * spin_quarters), "",
             f"run (2013Q1-2025Q4, the ten regions together): {t2 - t1:.2f} s under cProfile; "
             f"alive firm-quarters {firm_quarters:,.0f}, SME-quarters {sme_quarters:,.0f}",
             *compiled_rows(run, firm_quarters, sme_quarters), "",
             "phases of the run (wall time, from the model's own clock): "
             + ", ".join(f"{k} {v:.3f} s" for k, v in sorted(eco.timings.items())), "",
             "set-up and spin-up, top functions by own time:", top_functions(spin_up),
             "run, top functions by own time:", top_functions(run)]
    text = "\n".join(lines)
    (HERE / "results" / "profile.txt").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
