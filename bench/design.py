"""Benchmark a design search: one command, figures in bench/results/design.json.

    python bench/design.py                          # sweeps/designs/es13_2021.toml, full scale
    python bench/design.py --scale 0.02 --trials 8  # a quick check at a tiny scale

The claim (issue 17): a design search for one region at full scale with 10 replicates per
candidate finishes in under 30 minutes on the 2-core machine. The design file (one region,
10 replicates per candidate by default) runs as ``devise design`` in a fresh process from an
empty output folder, on ``--workers`` local processes (default: all cores), so the time
includes start-up, business as usual, every candidate, the check on fresh replicates and the
outputs. Recorded: wall time, CPU time of the process and every process under it, what the
search says it cost (summary.json), the answer, and whether the wall time is within the limit
(only at full scale is the claim checked). ``--scale``, ``--trials`` and ``--replicates``
scale the search down for a check (the file's other settings are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tomllib
from datetime import date
from pathlib import Path

import tomli_w

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_DESIGN = ROOT / "sweeps" / "designs" / "es13_2021.toml"
LIMIT_S = 30 * 60
"""The claim: under 30 minutes."""


def main() -> int:
    """Run the benchmark; print and write bench/results/design.json."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("design", type=Path, nargs="?", default=DEFAULT_DESIGN)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--scale", type=float, help="override design.scale (a quick check)")
    parser.add_argument("--trials", type=int, help="override design.trials (a quick check)")
    parser.add_argument("--replicates", type=int, help="override design.replicates")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "design.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        design = _variant(args, Path(tmp))
        out = Path(tmp) / "out"
        command = [sys.executable, "-m", "simulation.cli", "design", str(design), "--out",
                   str(out), "--workers", str(args.workers)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        summary = json.loads((out / "summary.json").read_text())
    head = tomllib.loads(args.design.read_text())["design"]
    full = summary["scale"] >= 1.0
    result = {
        "date": date.today().isoformat(), "machine": platform.platform(),
        "cores": os.cpu_count(), "workers": args.workers,
        "design": str(args.design.relative_to(ROOT) if args.design.is_relative_to(ROOT)
                      else args.design),
        "command": " ".join(["python", "bench/design.py", *sys.argv[1:]]),
        "regions": head.get("regions", "all"), "scale": summary["scale"],
        "replicates": summary["replicates"], "trials": summary["trials"],
        "wall_s": round(wall, 1),
        "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
        "search_cost": summary["cost"], "met": summary["met"], "chosen": summary["chosen"],
        "check": summary["check"], "limit_s": LIMIT_S,
        "within_limit": (wall < LIMIT_S) if full else None,
        "note": "" if full else "reduced scale or trials: the 30-minute claim is not checked",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


def _variant(args: argparse.Namespace, folder: Path) -> Path:
    """The design file with the command line's overrides (base path made absolute)."""
    doc = tomllib.loads(args.design.read_text())
    head = doc["design"]
    if "base" in head:
        head["base"] = str((args.design.parent / head["base"]).resolve())
    for key in ("scale", "trials", "replicates"):
        value = getattr(args, key)
        if value is not None:
            head[key] = value
    path = folder / args.design.name
    path.write_text(tomli_w.dumps(doc))
    return path


if __name__ == "__main__":
    sys.exit(main())
