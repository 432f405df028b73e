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
    "threads": 1,
}

CONFIGURATIONS = {
    "small": {**FULL, "name": "bench-small", "scale": 0.05},
    "large": {**FULL, "name": "bench-large", "scale": 0.2},
    "full": FULL,
    "full-threads": {**FULL, "threads": 2},
}
"""``small`` and ``large`` are 5% and 20% of the populations; ``full`` is one agent per firm on
one core (the step-1 and step-6 goal); ``full-threads`` is the same replicate with its row
kernels on two threads (``devise run --threads 2``)."""

REPEATS = 5
"""Warm runs per configuration; the median is reported."""

REFERENCE = {
    "reference-small": {"region": "ES13", "scale": 0.05},
    "reference-large": {"region": "ES13", "scale": 0.2},
    "reference-full": {"region": "ES13", "scale": 1.0},
}
"""Numba core against the idiomatic Mesa reference (bench/mesa_reference.py): one region alone,
business as usual, the same horizon as FULL (2013Q1-2025Q4), seed FULL["seed"]."""
