"""From stored runs to candidates: P(target), additional SMEs and spend, the front, the choice.

Each candidate's replicates are paired with business as usual's (the same replicate numbers,
common random numbers): its additional enabling SMEs and additional spend are means of the
paired differences; its P(target) is the share of its replicates at +15% on 2018Q4.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

SENSE = {"spend": -1.0, "p_target": 1.0, "additional": 1.0}
"""+1 where more is better, -1 where less is."""


def candidate_table(runs: pd.DataFrame, base: pd.DataFrame, paths: Sequence[str]) -> pd.DataFrame:
    """One row per candidate (``trial``): its values, outcomes against the base, and any error.

    ``runs`` are the stored runs of the candidates (``point`` is the trial number), ``base``
    those of business as usual on the same replicates. Columns: trial, the variables,
    ``p_target``, ``additional`` (mean additional enabling SMEs at the target year),
    ``spend`` (mean additional public spend to its end, EUR), ``enabling`` and ``growth``
    (means), ``replicates``, ``error`` ("" where every replicate ran). A candidate with a
    failed replicate has NaN outcomes and the first error.
    """
    base_by_rep = base.set_index("replicate")
    rows = []
    for trial, group in runs.groupby("point", sort=True):
        group = group.sort_values("replicate")
        first = group.iloc[0]
        errors = [e for e in group["error"] if e]
        row = {"trial": int(trial), **{p: float(first[p]) for p in paths},
               "replicates": len(group), "error": errors[0] if errors else ""}
        if errors or (base_by_rep["error"] != "").any():
            row |= dict.fromkeys(("p_target", "additional", "spend", "enabling", "growth"),
                                 math.nan)
            row["error"] = row["error"] or "business as usual failed"
        else:
            paired = base_by_rep.loc[group["replicate"]]
            row |= {"p_target": float(group["target_met"].mean()),
                    "additional": float((group["enabling"].to_numpy()
                                         - paired["enabling"].to_numpy()).mean()),
                    "spend": float((group["spend"].to_numpy()
                                    - paired["spend"].to_numpy()).mean()),
                    "enabling": float(group["enabling"].mean()),
                    "growth": float(group["growth"].mean())}
        rows.append(row)
    return pd.DataFrame(rows)


def on_front(table: pd.DataFrame, objectives: Sequence[str] = ("spend", "p_target")) -> np.ndarray:
    """Mask of the candidates no other candidate beats on every objective (failed: never).

    A candidate is dominated when another is at least as good on each objective and better
    on one; candidates with the same objectives are all on the front.
    """
    ok = table[list(objectives)].notna().all(axis=1).to_numpy()
    values = table[list(objectives)].to_numpy(dtype=float) * np.array(
        [SENSE[o] for o in objectives])
    mask = np.zeros(len(table), dtype=bool)
    for i in np.flatnonzero(ok):
        others = values[ok]
        dominated = ((others >= values[i]).all(axis=1) & (others > values[i]).any(axis=1)).any()
        mask[i] = not dominated
    return mask


def choose(table: pd.DataFrame, required: float) -> tuple[int | None, bool]:
    """Return the row of the cheapest candidate meeting ``required``, and whether one does.

    Ties in spend go to the higher P(target), then the earlier trial. Where none meets
    it, the row of the best reached (highest P(target), then most additional SMEs, then the
    cheapest) and False; None where no candidate ran.
    """
    ok = table[table["p_target"].notna()]
    if ok.empty:
        return None, False
    meeting = ok[ok["p_target"] >= required - 1e-12]
    if not meeting.empty:
        order = meeting.sort_values(["spend", "p_target", "trial"],
                                    ascending=[True, False, True])
        return int(order.index[0]), True
    order = ok.sort_values(["p_target", "additional", "spend", "trial"],
                           ascending=[False, False, True, True])
    return int(order.index[0]), False
