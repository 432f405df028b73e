"""The results store of a sweep: a Parquet dataset written chunk by chunk.

``OUT/runs/part-<hash of its run ids>.parquet`` holds one finished chunk of runs, one row
per run (run id, design point, replicate, factor values, outputs, error, seconds). A part
is written to a temporary name and renamed into place, so a killed sweep (even kill -9)
leaves only complete parts; temporary leftovers are removed on the next start. A run id
is a hash of the sweep's key (which covers the design), the point's index and the
replicate: unique within a sweep even where design points repeat (Morris grids, rounded
whole numbers, repeated factorial levels), so no two chunks share a part name. The store
knows the runs its sweep plans and refuses to hold anything else: a run stored twice or
a run the sweep does not plan is an error, never skipped or averaged in.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ..errors import InputError

RUNS_FOLDER = "runs"
"""Folder of the Parquet parts, inside the sweep's output folder."""


def run_id(sweep_key: str, point: int, replicate: int) -> str:
    """Deterministic id of one run: the sweep's key, the design point's index, the replicate."""
    text = repr((sweep_key, int(point), int(replicate)))
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def part_name(run_ids: Sequence[str]) -> str:
    """File name of the part holding these runs: a hash of all their ids, in order."""
    digest = hashlib.sha256("\n".join(run_ids).encode()).hexdigest()[:20]
    return f"part-{digest}.parquet"


class ResultStore:
    """Parts of finished runs under ``folder/runs``, checked against the planned run ids."""

    def __init__(self, folder: Path, planned: Sequence[str]) -> None:
        self.folder = Path(folder) / RUNS_FOLDER
        self.planned = list(planned)
        self.folder.mkdir(parents=True, exist_ok=True)
        for leftover in self.folder.glob(".*.tmp"):
            leftover.unlink()

    def parts(self) -> list[Path]:
        """Return the complete parts, in name order."""
        return sorted(self.folder.glob("part-*.parquet"))

    def done_ids(self) -> set[str]:
        """Ids of every run already stored.

        Raises:
            InputError: A run is stored twice, or the store holds a run the sweep does not
                plan (the folder's parts were written by other code).

        """
        ids = {part: list(pd.read_parquet(part, columns=["run_id"])["run_id"])
               for part in self.parts()}
        self._check(ids)
        return {i for part_ids in ids.values() for i in part_ids}

    def append(self, rows: pd.DataFrame) -> Path:
        """Write one chunk of finished runs as a new part (atomically)."""
        path = self.folder / part_name(list(rows["run_id"]))
        tmp = self.folder / f".{path.name}.tmp"
        rows.to_parquet(tmp, index=False)
        os.replace(tmp, path)
        return path

    def load(self) -> pd.DataFrame:
        """Every planned run, one row each, ordered by point and replicate.

        Raises:
            InputError: The store does not hold exactly the planned runs, each once.

        """
        parts = {part: pd.read_parquet(part) for part in self.parts()}
        self._check({part: list(rows["run_id"]) for part, rows in parts.items()}, complete=True)
        if not parts:
            return pd.DataFrame()
        runs = pd.concat(parts.values(), ignore_index=True)
        return runs.sort_values(["point", "replicate"], ignore_index=True)

    def _check(self, ids: dict[Path, list[str]], complete: bool = False) -> None:
        """Refuse duplicated or unplanned runs (and, if ``complete``, missing ones)."""
        where = {i: part.name for part, part_ids in ids.items() for i in part_ids}
        counts = Counter(i for part_ids in ids.values() for i in part_ids)
        planned = set(self.planned)
        problems = (
            ("stored more than once", [i for i, n in counts.items() if n > 1],
             "parts written by other code; add --overwrite to start the sweep again"),
            ("that this sweep does not plan", [i for i in counts if i not in planned],
             "parts of another sweep, or of this one with more replicates; add --overwrite "
             "to start it again"),
            ("missing", [i for i in self.planned if i not in counts] if complete else [],
             "a part was removed while the sweep ran; run the same command to compute it"))
        for problem, found, hint in problems:
            if found:
                example = f"run {found[0]}" + (f" in {where[found[0]]}" if found[0] in where
                                               else "")
                raise InputError(str(self.folder), "", "each planned run of the sweep once",
                                 f"{len(found)} run(s) {problem}, e.g. {example}", hint)
