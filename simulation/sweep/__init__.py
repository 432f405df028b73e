"""Sweeps and sensitivity analysis (``devise sweep``, ``devise sensitivity``; docs/sweeps.md).

Design points, runs on local processes or Dask, a resumable Parquet store, SALib indices
and scenario discovery.
"""
