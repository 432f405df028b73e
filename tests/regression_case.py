"""The fixed-seed baseline whose results are committed in tests/data/baseline_regression.json.

Refresh it only on purpose, after a change that is meant to alter results:

    python tests/regression_case.py --refresh

and say in the commit message why the numbers moved.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from simulation.runner import simulate
from simulation.scenario import parse_scenario

RESULT_FILE = Path(__file__).parent / "data" / "baseline_regression.json"
COLUMNS = ("enabling", "smes_alive", "firms_alive", "projects_succeeded", "dii_basic_share")

CASE = {
    "scenario": {
        "name": "regression",
        "regions": ["UKN0", "ES13", "BG33"],
        "start_year": 2018,
        "end_year": 2022,
        "burn_in_years": 2,
        "replicates": 1,
        "seed": 12345,
        "scale": 0.03,
        "parameters": "point",
    }
}


def compute() -> dict[str, dict[str, list[float]]]:
    """Run the case; return {region: {column: values by quarter}}."""
    ts = simulate(parse_scenario(CASE), replicate=0)
    return {
        region: {col: [round(float(v), 9) for v in grp[col]] for col in COLUMNS}
        for region, grp in ts.groupby("region", sort=False)
    }


if __name__ == "__main__":
    if "--refresh" not in sys.argv:
        sys.exit("usage: python tests/regression_case.py --refresh")
    RESULT_FILE.write_text(json.dumps(compute(), indent=1) + "\n")
    print(f"wrote {RESULT_FILE}")
