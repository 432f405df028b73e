"""What a run writes: summary.csv, timeseries.parquet, manifest.json, kpi.png.

Everything is written into a temporary folder beside the destination and moved into
place at the end, so a failed or interrupted run never leaves half-written outputs.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__
from .plotting import kpi_figure, save
from .scenario import Scenario


def write_run(out: Path, scenario: Scenario, ts: pd.DataFrame, summary: pd.DataFrame,
              extra: Mapping[str, Any]) -> None:
    """Write a run's four outputs into ``out`` (replacing those files if present)."""
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        summary.to_csv(staging / "summary.csv", index=False, float_format="%.6g")
        ts.to_parquet(staging / "timeseries.parquet", index=False)
        (staging / "manifest.json").write_text(json.dumps(manifest(scenario, extra), indent=2))
        save(kpi_figure(ts, f"{scenario.name}: enabling digital SMEs against the 15% target"),
             staging / "kpi.png")
        for item in staging.iterdir():
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def manifest(scenario: Scenario, extra: Mapping[str, Any]) -> dict[str, Any]:
    """Provenance of a run: code version, scenario file and hash, seeds, scale, platform."""
    import mesa
    import numba
    import numpy

    return {
        "package": "devise",
        "version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "scenario": {"name": scenario.name, "file": scenario.path, "sha256": scenario.sha256},
        "seed": scenario.seed,
        "replicates": scenario.replicates,
        "replicate_keys": [[scenario.seed, r] for r in range(scenario.replicates)],
        "scale": scenario.scale,
        "regions": list(scenario.regions),
        "horizon": {"start_year": scenario.start_year, "end_year": scenario.end_year,
                    "burn_in_years": scenario.burn_in_years},
        "model_overrides": dict(scenario.model),
        "instruments": [s.name for s in scenario.instruments],
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "libraries": {"numpy": numpy.__version__, "numba": numba.__version__,
                      "mesa": mesa.__version__, "pandas": pd.__version__},
        **extra,
    }
