"""Benchmark the numba core: one command, figures written to bench/results/latest.json.

    python bench/run.py            # all configurations
    python bench/run.py small      # one configuration (or reference-small, ...)

For each configuration (bench/configurations.py), in fresh subprocesses so that one
measurement cannot warm or pollute another:
- warm: wall time of set-up and of the 2013-2025 run (burn-in included) with a warm JIT
  cache, median of REPEATS runs, and agent-steps per second of the run (alive agents
  summed over quarters / run time);
- cold: the same replicate with an empty numba cache (compilation included), once;
- memory: peak resident memory of the process above its level after imports, per agent
  (agents = rows ever allocated to firms), and the state arrays' own bytes per agent.

For each REFERENCE configuration, in one fresh process: the numba core (warm) against the
idiomatic Mesa reference (bench/mesa_reference.py) on the same region, scale, seed and
horizon, run alternately REPEATS times (3 at scale >= 0.5); the ratio of their median wall
times, the ratio within each pair, and whether every series is identical.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from configurations import CONFIGURATIONS, FULL, REFERENCE, REPEATS  # noqa: E402

CHILD = r"""
import json, resource, sys, time
from simulation.ecosystem import Ecosystem
from simulation.kernels.parallel import set_threads
from simulation.scenario import parse_scenario
config = json.loads(sys.argv[1])
set_threads(config.pop("threads", 1))
s = parse_scenario({"scenario": config})
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
eco = Ecosystem(regions=s.regions, scale=s.scale, seed=s.seed, start_year=s.start_year,
                end_year=s.end_year, burn_in_years=s.burn_in_years)
t1 = time.perf_counter()
eco.run()
t2 = time.perf_counter()
regions = eco.regions.values()
alive = sum(r.series["smes_alive"].sum() + r.series["firms_alive"].sum() for r in regions)
agents = sum(r.smes.n + r.firms.n for r in regions)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "setup_s": t1 - t0, "run_s": t2 - t1, "agent_steps": alive * s.scale, "agents": agents,
    "peak_rss_above_imports_bytes": (peak - rss0) * 1024,
    "state_bytes": sum(r.memory_bytes() for r in regions),
    "phases_s": eco.timings,
}))
"""


REFERENCE_CHILD = r"""
import json, statistics, sys, time
sys.path.insert(0, sys.argv[2])
from mesa_reference import ReferenceRegion
from simulation.region import RegionModel
c = json.loads(sys.argv[1])
kw = dict(scale=c["scale"], seed=c["seed"], start_year=c["start_year"], end_year=c["end_year"],
          burn_in_years=c["burn_in_years"])

def timed(cls):
    t0 = time.perf_counter()
    model = cls(c["region"], **kw).run()
    return time.perf_counter() - t0, model

timed(RegionModel)  # warm the JIT cache and imports
core, reference = [], []
for _ in range(c["repeats"]):  # alternate, so that a slow spell of the machine hits both
    core.append(timed(RegionModel))
    reference.append(timed(ReferenceRegion))
same = all((core[0][1].series[k] == reference[0][1].series[k]).all() for k in core[0][1].series)
series = core[0][1].series
agent_steps = (series["smes_alive"].sum() + series["firms_alive"].sum()) * c["scale"]
print(json.dumps({"core_s": [t for t, _ in core], "reference_s": [t for t, _ in reference],
                  "identical_series": bool(same), "agent_steps": agent_steps}))
"""


def measure_reference(name: str, config: dict) -> dict:
    """Numba core against the Mesa reference on one configuration, in one fresh process."""
    full = {**config, "seed": FULL["seed"], "start_year": FULL["start_year"],
            "end_year": FULL["end_year"], "burn_in_years": FULL["burn_in_years"],
            "repeats": REPEATS if config["scale"] < 0.5 else 3}
    out = subprocess.run([sys.executable, "-c", REFERENCE_CHILD, json.dumps(full), str(HERE)],
                         check=True, capture_output=True, text=True)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    core, reference = statistics.median(r["core_s"]), statistics.median(r["reference_s"])
    pairs = [ref / own for own, ref in zip(r["core_s"], r["reference_s"], strict=True)]
    return {"configuration": name, **config, "core_s": round(core, 4),
            "reference_s": round(reference, 3), "ratio": round(reference / core, 1),
            "ratio_per_pair": [round(x, 1) for x in pairs],
            "core_agent_steps_per_s": round(r["agent_steps"] / core),
            "reference_agent_steps_per_s": round(r["agent_steps"] / reference),
            "identical_series": r["identical_series"]}


def child(config: dict, env: dict | None = None) -> tuple[dict, float]:
    """Run one replicate in a fresh interpreter; return its report and the process wall time."""
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(config)], check=True,
                         capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1]), time.perf_counter() - t0


def measure(name: str, config: dict) -> dict:
    """All figures for one configuration."""
    child(config)  # make sure the cache is warm
    warm = [child(config)[0] for _ in range(REPEATS)]
    with tempfile.TemporaryDirectory() as cache:
        cold, cold_wall = child(config, {**os.environ, "NUMBA_CACHE_DIR": cache})
    run_s = statistics.median(w["run_s"] for w in warm)
    setup_s = statistics.median(w["setup_s"] for w in warm)
    agents = warm[0]["agents"]
    return {
        "configuration": name,
        "threads": config.get("threads", 1),
        "agents": agents,
        "agent_steps": warm[0]["agent_steps"],
        "warm_setup_s": round(setup_s, 3),
        "warm_run_s": round(run_s, 3),
        "warm_replicate_s": round(setup_s + run_s, 3),
        "warm_run_s_all": [round(w["run_s"], 3) for w in warm],
        "agent_steps_per_s": round(warm[0]["agent_steps"] / run_s),
        "cold_replicate_s": round(cold["setup_s"] + cold["run_s"], 2),
        "cold_process_s": round(cold_wall, 2),
        "peak_memory_per_agent_bytes": round(
            statistics.median(w["peak_rss_above_imports_bytes"] for w in warm) / agents),
        "state_bytes_per_agent": round(warm[0]["state_bytes"] / agents),
        "phases_s": {k: round(v, 3) for k, v in sorted(warm[0]["phases_s"].items())},
    }


def main(names: list[str]) -> None:
    """Measure the named configurations (all by default) and write the results file.

    Naming configurations replaces only their entries in the results file; the others keep
    the figures of the run that measured them (each entry says when).
    """
    unknown = [n for n in names if n not in CONFIGURATIONS and n not in REFERENCE]
    if unknown:
        print(f"bench/run.py: unknown configuration(s) {unknown}; known: "
              f"{', '.join([*CONFIGURATIONS, *REFERENCE])}", file=sys.stderr)
        sys.exit(2)
    stamp = {"measured": time.strftime("%Y-%m-%d %H:%M")}
    results = [{**measure(n, CONFIGURATIONS[n]), **stamp} for n in (names or CONFIGURATIONS)
               if n in CONFIGURATIONS]
    reference = [{**measure_reference(n, REFERENCE[n]), **stamp}
                 for n in (names or REFERENCE) if n in REFERENCE]
    path = HERE / "results" / "latest.json"
    if names and path.exists():
        kept = json.loads(path.read_text())
        results = _merged(kept.get("results", []), results)
        reference = _merged(kept.get("reference", []), reference)
    report = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "results": results,
              "reference": reference}
    path.write_text(json.dumps(report, indent=2) + "\n")
    print("| configuration | threads | agents | warm replicate (s) | warm run (s) | "
          "agent-steps/s | cold start (s) | peak memory / agent (B) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['configuration']} | {r['threads']} | {r['agents']:,} | "
              f"{r['warm_replicate_s']} | "
              f"{r['warm_run_s']} | {r['agent_steps_per_s']:,} | {r['cold_replicate_s']} | "
              f"{r['peak_memory_per_agent_bytes']} |")
    print("\n| configuration | region, scale | numba core (s) | Mesa reference (s) | ratio | "
          "identical |")
    print("|---|---|---|---|---|---|")
    for r in reference:
        print(f"| {r['configuration']} | {r['region']}, {r['scale']} | {r['core_s']} | "
              f"{r['reference_s']} | {r['ratio']} | {r['identical_series']} |")


def _merged(old: list[dict], new: list[dict]) -> list[dict]:
    """``old`` entries with those of the same configuration replaced by ``new`` ones."""
    fresh = {r["configuration"]: r for r in new}
    merged = [fresh.pop(r["configuration"], r) for r in old]
    return merged + list(fresh.values())


if __name__ == "__main__":
    main(sys.argv[1:])
