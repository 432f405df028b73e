"""The results store of a sweep: a Parquet dataset written chunk by chunk.

``OUT/runs/part-<first run id>.parquet`` holds one finished chunk of runs, one row per run
(run id, design point, replicate, factor values, outputs, error, seconds). A part is
written to a temporary name and renamed into place, so a killed sweep (even kill -9)
leaves only complete parts; temporary leftovers are removed on the next start. A run id is
a hash of the sweep's key, the point's values and the replicate, so rerunning the same
command finds what is done and never computes or stores a run twice.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

RUNS_FOLDER = "runs"
"""Folder of the Parquet parts, inside the sweep's output folder."""


def run_id(sweep_key: str, values: tuple[float, ...], replicate: int) -> str:
    """Deterministic id of one run: the sweep's key, the point's values and the replicate."""
    text = repr((sweep_key, tuple(float(v) for v in values), int(replicate)))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


class ResultStore:
    """Parts of finished runs under ``folder/runs``."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder) / RUNS_FOLDER
        self.folder.mkdir(parents=True, exist_ok=True)
        for leftover in self.folder.glob(".*.tmp"):
            leftover.unlink()

    def parts(self) -> list[Path]:
        """The complete parts, in name order."""
        return sorted(self.folder.glob("part-*.parquet"))

    def done_ids(self) -> set[str]:
        """Ids of every run already stored."""
        return {i for part in self.parts()
                for i in pd.read_parquet(part, columns=["run_id"])["run_id"]}

    def append(self, rows: pd.DataFrame) -> Path:
        """Write one chunk of finished runs as a new part (atomically)."""
        path = self.folder / f"part-{rows['run_id'].iloc[0]}.parquet"
        tmp = self.folder / f".{path.name}.tmp"
        rows.to_parquet(tmp, index=False)
        os.replace(tmp, path)
        return path

    def load(self) -> pd.DataFrame:
        """Every stored run, one row each, ordered by point and replicate."""
        parts = self.parts()
        if not parts:
            return pd.DataFrame()
        runs = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
        return runs.sort_values(["point", "replicate"], ignore_index=True)
