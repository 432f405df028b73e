"""What drives business as usual's trend: each region at its point values, and the frontier held.

    python bench/bau_trend.py [--replicates 8]

Business as usual at full scale, point parameters (calibration/regions/), enabling SMEs at each
fourth quarter 2013-2025, mean over replicates, index 2018 = 100; once as fitted and once with
``frontier_growth = 0`` (the frontier held at ``frontier_start`` in the spin-up and after), so
what remains in the second is the demography (births at the region's sourced rate from 2013 on,
against exits; in the spin-up every exit is replaced one for one) and awareness. Writes
bench/results/bau_trend.csv and prints the index at 2013, 2018, 2021 and 2025.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.region import RegionModel
from simulation.regions import region_codes

RESULT = Path(__file__).parent / "results" / "bau_trend.csv"
CASES = {"fitted": {}, "frontier held": {"frontier_growth": 0.0}}


def yearly_index(code: str, params: dict, replicates: int) -> np.ndarray:
    """Mean enabling SMEs at each fourth quarter 2013-2025 over replicates, 2018 = 100."""
    runs = [RegionModel(code, seed=5, replicate=r, end_year=2025, params=params).run()
            .series["enabling"].reshape(-1, 4)[:, 3] for r in range(replicates)]
    mean = np.mean(runs, axis=0)
    return 100 * mean / mean[5]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=8)
    args = parser.parse_args()
    rows = [{"region": code, "case": case, "year": 2013 + k, "index": value}
            for code in region_codes() for case, params in CASES.items()
            for k, value in enumerate(yearly_index(code, params, args.replicates))]
    table = pd.DataFrame(rows)
    RESULT.parent.mkdir(exist_ok=True)
    table.to_csv(RESULT, index=False, float_format="%.2f")
    wide = table[table["year"].isin([2013, 2018, 2021, 2025])].pivot_table(
        index="region", columns=["case", "year"], values="index", sort=False)
    print(wide.round(1).to_string())
    print(f"written to {RESULT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
