"""The DEVISE question over the posterior: one command, figures in bench/results/answer/.

    python bench/answer.py                 # 40 replicates (20 parameter sets per region)
    python bench/answer.py --replicates 10

Runs business as usual (``devise run scenarios/baseline.toml``) and the ten action plans
against it (``devise compare scenarios/baseline.toml scenarios/devise_all.toml
--no-contributions``), full scale, parameter sets drawn from the posteriors, and copies
their ``summary.csv`` and ``comparison.csv`` into bench/results/answer/ with the commands and
wall times (``answer.json``), and ``yearly.csv``: business as usual's enabling SMEs at each
fourth quarter from the burn-in on, mean over replicates, per region (no transient from the
start; the trend after it). docs/gen_uncertainty_tables.py turns them into the tables of
docs/uncertainty.md and the README.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "results" / "answer"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=40)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    common = ["--replicates", str(args.replicates), "--workers", str(args.workers),
              "--parameters", "posterior"]
    jobs = {
        "summary.csv": ["run", "scenarios/baseline.toml", *common],
        "comparison.csv": ["compare", "scenarios/baseline.toml", "scenarios/devise_all.toml",
                           "--no-contributions", *common],
    }
    record = {"machine": platform.platform(), "cores": os.cpu_count(),
              "date": time.strftime("%Y-%m-%d"), "replicates": args.replicates, "jobs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, command in jobs.items():
            out = Path(tmp) / name.split(".")[0]
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "simulation.cli", *command, "--out", str(out)],
                           check=True, cwd=ROOT)
            wall = time.perf_counter() - start
            shutil.copy(out / name, OUT / name)
            if name == "summary.csv":
                _yearly(out / "timeseries.parquet").to_csv(OUT / "yearly.csv", index=False,
                                                           float_format="%.6g")
            record["jobs"][name] = {"command": "devise " + " ".join(command),
                                    "wall_seconds": round(wall, 1)}
    (OUT / "answer.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {OUT}/summary.csv, comparison.csv, answer.json")
    return 0


def _yearly(path: Path):
    import pandas as pd

    ts = pd.read_parquet(path)
    q4 = ts[ts["quarter"].str.endswith("Q4")]
    q4 = q4.assign(enabling_share=q4["enabling"] / q4["smes_alive"])
    return (q4.groupby(["region", "year"], sort=False)[["enabling", "enabling_share"]]
            .mean().reset_index())


if __name__ == "__main__":
    sys.exit(main())
