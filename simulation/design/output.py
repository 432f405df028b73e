"""What a design writes: candidates, front, figure, the mix as scenario files, a summary.

The summary gives the answer, its check on fresh replicates and the search's cost.

``OUT/candidates.csv`` (every trial), ``OUT/front.csv`` (the front of spend against
P(target), cheapest first), ``OUT/front.png``, ``OUT/chosen.toml`` (the cheapest mix meeting
the requirement) or ``OUT/best.toml`` (where none does: the best reached), ``OUT/base.toml``
(business as usual as the design ran it, for ``devise compare``), ``OUT/summary.json`` and
``OUT/summary.txt``. Every file is written to a temporary name and renamed into place.
"""

from __future__ import annotations

import json
import os
import textwrap
from pathlib import Path
from typing import Any

import tomli_w

from ..formatting import count, eur, number, probability, scale_note
from .evaluate import DesignRun, base_document
from .search import DesignResult


def write_design(result: DesignResult, out: Path) -> dict[str, Any]:
    """Write the design's outputs into ``out``; return the summary (as summary.json holds it)."""
    out = Path(out)
    spec, table = result.spec, result.candidates
    _atomic(out / "candidates.csv", table.to_csv(index=False))
    front = table[table["on_front"]].sort_values(["spend", "p_target"])
    _atomic(out / "front.csv", front.to_csv(index=False))
    summary = summarise(result)
    if result.chosen is not None and isinstance(spec.function, DesignRun):
        name = "chosen" if result.met else "best"
        _atomic(out / f"{name}.toml", scenario_text(result, name))
        base = base_document(spec.function.base)
        base["scenario"] |= {"name": f"{spec.name}-base",
                             "description": f"Business as usual as design {spec.name} ran it"}
        _atomic(out / "base.toml", _header(spec, "business as usual") + tomli_w.dumps(base))
        summary["files"] += [f"{name}.toml", "base.toml"]
    _figure(result, out / "front.png")
    _atomic(out / "summary.json", json.dumps(summary, indent=2, default=str) + "\n")
    _atomic(out / "summary.txt", summary_text(summary))
    return summary


def scenario_text(result: DesignResult, name: str) -> str:
    """Return the chosen (or best) mix as a scenario file: business as usual plus the mix.

    Self-contained (no ``extends``), with the design's regions, horizon, seed, scale and
    replicates, so ``devise run`` reproduces the P(target) the search reported on the same
    replicates, and ``devise compare base.toml FILE`` pairs it with business as usual.
    """
    spec = result.spec
    doc = spec.function.document(result.values(result.chosen))
    row = result.candidates.loc[result.chosen]
    doc["scenario"] |= {
        "name": f"{spec.name}-{name}",
        "description": (f"Mix found by devise design {spec.name} (trial {int(row['trial'])}): "
                        f"P(+15% by {spec.target_year}) = {row['p_target']:.2f} on its "
                        f"{spec.replicates} replicates, additional spend "
                        f"{eur(row['spend'])}")}
    return _header(spec, f"the {name} mix") + tomli_w.dumps(doc)


def summarise(result: DesignResult) -> dict[str, Any]:
    """Return the summary of a design: requirement, answer, check and cost (JSON-ready)."""
    spec, table = result.spec, result.candidates
    chosen = None
    if result.chosen is not None:
        row = table.loc[result.chosen]
        chosen = {"trial": int(row["trial"]), "values": result.values(result.chosen),
                  "p_target": float(row["p_target"]), "additional": float(row["additional"]),
                  "spend": float(row["spend"])}
    check = dict(result.check)
    if chosen and check:
        check["difference"] = check["p_target"] - chosen["p_target"]
    scale = getattr(getattr(spec.function, "base", None), "scale", 1.0)
    return {"design": spec.name, "file": spec.path, "target_year": spec.target_year,
            "required": spec.required, "replicates": spec.replicates, "seed": spec.seed,
            "scale": scale, "sampler": spec.sampler, "batch": spec.batch,
            "trials": spec.trials, "met": result.met, "chosen": chosen, "check": check,
            "front": int(table["on_front"].sum()), "cost": result.cost,
            "files": ["candidates.csv", "front.csv", "front.png", "summary.json",
                      "summary.txt"]}


def summary_text(summary: dict[str, Any]) -> str:
    """Return the summary in words (summary.txt, and what the CLI prints)."""
    target = f"P(+15% by {summary['target_year']}) >= {summary['required']:.2f}"
    cost = summary["cost"]
    lines = [f"design {summary['design']}: {target}, {summary['replicates']} replicates per "
             f"candidate (seed {summary['seed']}), {cost['candidates']} candidates "
             f"({cost['failed']} failed), {summary['front']} on the front"]
    chosen, check = summary["chosen"], summary["check"]
    if chosen is None:
        lines.append("no candidate ran: see the errors in candidates.csv")
    else:
        what = ("cheapest mix meeting it" if summary["met"] else
                f"NO mix within the bounds reaches {target}; the best reached")
        mix = ", ".join(f"{path} = {number(value)}" for path, value in chosen["values"].items())
        lines.append(f"{what} (trial {chosen['trial']}): {mix}")
        lines.append(f"  on the search's replicates: P = {probability(chosen['p_target'])}, "
                     f"additional enabling SMEs {count(chosen['additional'], sign=True)}, "
                     f"additional spend {eur(chosen['spend'])}")
        if check:
            lines.append(f"  on {check['replicates']} fresh replicates (seed {check['seed']}): "
                         f"P = {probability(check['p_target'])} (difference "
                         f"{check['difference']:+.2f}), additional enabling SMEs "
                         f"{count(check['additional'], sign=True)}, additional spend "
                         f"{eur(check['spend'])}")
    lines.append(f"cost: {cost['runs_stored']} runs ({cost['runs_now']} run now), "
                 f"{cost['run_seconds']:.1f} s inside runs, {cost['wall_seconds']:.1f} s wall, "
                 f"{cost['cpu_seconds']:.1f} s CPU, {cost['workers']} worker(s), "
                 f"{cost['backend']}")
    note = scale_note(summary["scale"], summary["replicates"])
    if summary["scale"] < 1.0:
        lines.append(f"warning: {note}")
    return "\n".join(lines) + "\n"


def _figure(result: DesignResult, path: Path) -> None:
    """Plot spend against P(target): every candidate, the front, the requirement, the choice."""
    from ..plotting import PALETTE, plt, save

    spec, table = result.spec, result.candidates
    ok = table[table["p_target"].notna()]
    fig, ax = plt.subplots(figsize=(7, 4.8))
    ax.scatter(ok["spend"] / 1e6, ok["p_target"], s=14, color="grey", alpha=0.5,
               label="candidates")
    front = ok[ok["on_front"]].sort_values("spend")
    ax.step(front["spend"] / 1e6, front["p_target"], where="post", color=PALETTE[0],
            marker="o", markersize=4, label="front (spend against P)")
    ax.axhline(spec.required, color=PALETTE[5], linestyle="--", linewidth=1,
               label=f"required P = {spec.required:.2f}")
    if result.chosen is not None:
        row = table.loc[result.chosen]
        ax.scatter([row["spend"] / 1e6], [row["p_target"]], s=90, facecolors="none",
                   edgecolors=PALETTE[1], linewidths=2,
                   label="chosen" if result.met else "best reached")
        if result.check:
            ax.scatter([result.check["spend"] / 1e6], [result.check["p_target"]], marker="x",
                       s=60, color=PALETTE[3], label="chosen on fresh replicates")
    ax.set_xlabel(f"additional public spend to the end of {spec.target_year} (EUR m)")
    ax.set_ylabel(f"P(+15% by {spec.target_year})")
    ax.set_ylim(-0.03, 1.03)
    ax.legend(fontsize=8, loc="lower right")
    scale = getattr(getattr(spec.function, "base", None), "scale", 1.0)
    note = scale_note(scale, spec.replicates) or f"full scale, {spec.replicates} replicates"
    fig.suptitle(f"Design {spec.name}: public spend against P(target)\n"
                 f"{textwrap.fill(note, 90)}", fontsize=9)
    fig.tight_layout()
    save(fig, path)


def _header(spec, what: str) -> str:
    return (f"# {what.capitalize()} of devise design {spec.name} ({spec.path}); written by "
            "devise design.\n")


def _atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
