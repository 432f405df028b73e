"""Sweeps and sensitivity analysis: design points, runs on local processes or Dask, a
resumable Parquet store, SALib indices and scenario discovery (``devise sweep``,
``devise sensitivity``; docs/sweeps.md)."""
