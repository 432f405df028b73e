"""Benchmark configurations, kept as data: name -> scenario table for the runner."""

FULL = {
    "name": "bench-full",
    "regions": "all",
    "start_year": 2018,
    "end_year": 2025,
    "burn_in_years": 5,
    "replicates": 1,
    "seed": 20180601,
    "scale": 1.0,
}

CONFIGURATIONS = {
    "small": {**FULL, "name": "bench-small", "scale": 0.05},
    "full": FULL,
}
"""``small`` is 5% of the populations; ``full`` is one agent per firm (the step-1 goal)."""

REPEATS = 3
"""Warm runs per configuration; the median is reported."""
