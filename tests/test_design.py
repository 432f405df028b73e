"""devise design: the search finds a known cheapest mix, resumes exactly, writes scenarios that
reproduce what it reported, and refuses bad design files with exit code 2."""

from __future__ import annotations

import json
import math
import textwrap
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.cli import main
from simulation.design.evaluate import Synthetic
from simulation.design.search import prepare_design, run_design
from simulation.design.spec import load_design

REPO = Path(__file__).resolve().parents[1]

SYNTHETIC = """
[design]
name = "toy"
function = "synthetic"
synthetic_effects = [2.0, 0.5]
required = 0.8
replicates = 10
seed = 7
trials = 64

[optimiser]
batch = 8

[[instruments]]
type = "innovation_voucher"
name = "good"
[instruments.vary]
budget_per_year = { bounds = [0, 1_000_000], step = 50_000 }

[[instruments]]
type = "matchmaking"
name = "poor"
[instruments.vary]
budget_per_year = { bounds = [0, 1_000_000], step = 50_000 }
"""


def _write(folder: Path, text: str, name: str = "design.toml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def _cheapest_by_brute_force(seed: int, replicates: int, required: float) -> tuple[float, float]:
    """The toy problem's cheapest mix on its grid, from the formula of Synthetic."""
    u = np.array([np.random.default_rng([seed, r]).random() for r in range(replicates)])
    best = None
    for good in range(0, 1_000_001, 50_000):
        for poor in range(0, 1_000_001, 50_000):
            added = 2.0 * good / 1e5 + 0.5 * poor / 1e5
            p = ((1.05 + 0.10 * u) * 100 + added >= 115).mean()
            if p >= required and (best is None or good + poor < best[0] + best[1]):
                best = (good, poor)
    return best


@pytest.mark.parametrize("sampler", ["nsga2", "tpe"])
def test_the_search_finds_the_known_cheapest_mix_of_a_toy_problem(tmp_path, sampler, capsys):
    design = _write(tmp_path, SYNTHETIC.replace("batch = 8", f"batch = 8\nsampler = '{sampler}'"))
    out = tmp_path / "out"
    assert main(["design", str(design), "--out", str(out), "--workers", "1"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    good, poor = _cheapest_by_brute_force(7, 10, 0.8)
    assert summary["met"]
    assert summary["chosen"]["values"] == {"good.budget_per_year": good,
                                           "poor.budget_per_year": poor}
    assert summary["chosen"]["spend"] == pytest.approx((good + poor) * 3)
    # the check runs the mix on 20 replicates of seed 8, which the search never saw
    u = np.array([np.random.default_rng([8, r]).random() for r in range(20)])
    fresh = float(((1.05 + 0.10 * u) * 100 + 2.0 * good / 1e5 + 0.5 * poor / 1e5 >= 115).mean())
    assert summary["check"]["p_target"] == pytest.approx(fresh)
    assert summary["check"]["difference"] == pytest.approx(fresh - summary["chosen"]["p_target"])
    front = pd.read_csv(out / "front.csv")
    assert front["spend"].is_monotonic_increasing and front["p_target"].is_monotonic_increasing
    assert (out / "front.png").stat().st_size > 0
    assert "cheapest mix meeting it" in capsys.readouterr().out


def test_no_mix_reaching_the_requirement_is_said_and_the_best_reached_shown(tmp_path, capsys):
    design = _write(tmp_path, SYNTHETIC.replace("[0, 1_000_000]", "[0, 100_000]")
                    .replace("trials = 64", "trials = 16"))
    out = tmp_path / "out"
    assert main(["design", str(design), "--out", str(out), "--workers", "1"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert not summary["met"]
    assert summary["chosen"]["values"] == {"good.budget_per_year": 100_000.0,
                                           "poor.budget_per_year": 100_000.0}
    assert "NO mix within the bounds reaches" in capsys.readouterr().out


class _Interrupt(Exception):
    pass


def _kill_after(stage: str, count: int):
    """A progress callback that interrupts the search at its ``count``-th ``stage`` report."""
    seen = []

    def progress(name: str, done: int, total: int) -> None:
        if name == stage and 0 < done:
            seen.append(done)
            if len(seen) == count:
                raise _Interrupt

    return progress


@pytest.mark.parametrize(("stage", "count"), [("candidates", 3), ("runs", 4)])
def test_an_interrupted_design_resumes_without_recomputing_and_ends_the_same(tmp_path, stage,
                                                                             count):
    spec = load_design(_write(tmp_path, SYNTHETIC.replace("trials = 64", "trials = 40")))
    whole = tmp_path / "whole"
    prepare_design(spec, whole)
    uninterrupted = run_design(spec, whole)

    out = tmp_path / "killed"
    assert prepare_design(spec, out) == 0
    with pytest.raises(_Interrupt):
        run_design(spec, out, on_progress=_kill_after(stage, count))
    stored = prepare_design(spec, out)
    assert stored > 0
    resumed = run_design(spec, out)
    base_and_check = spec.replicates + 2 * spec.check_replicates
    assert resumed.cost["runs_now"] == (spec.trials * spec.replicates - stored) + base_and_check \
        - spec.replicates  # the base was stored before the kill
    pd.testing.assert_frame_equal(resumed.candidates, uninterrupted.candidates)
    assert resumed.chosen == uninterrupted.chosen and resumed.check == uninterrupted.check
    again = run_design(spec, out)  # everything stored: nothing recomputed
    assert again.cost["runs_now"] == 0
    pd.testing.assert_frame_equal(again.candidates, uninterrupted.candidates)


@dataclass(frozen=True)
class _FailsAboveHalf(Synthetic):
    """The toy problem, raising where the poor instrument's budget passes EUR 800,000."""

    def __call__(self, values, replicate):
        if values.get("poor.budget_per_year", 0.0) > 800_000:
            raise RuntimeError("a candidate that breaks")
        return super().__call__(values, replicate)


def test_a_candidate_that_raises_is_recorded_with_its_error_and_the_search_goes_on(tmp_path):
    spec = load_design(_write(tmp_path, SYNTHETIC.replace("trials = 64", "trials = 16")))
    spec = replace(spec, function=_FailsAboveHalf(**vars(spec.function)))
    prepare_design(spec, tmp_path / "out")
    result = run_design(spec, tmp_path / "out")
    table = result.candidates
    failed = table["poor.budget_per_year"] > 800_000
    assert failed.any() and (~failed).any()
    assert (table.loc[failed, "error"] == "RuntimeError: a candidate that breaks").all()
    assert table.loc[failed, "p_target"].isna().all()
    assert (table.loc[~failed, "error"] == "").all()
    assert result.cost["failed"] == failed.sum()
    assert not table.loc[failed, "on_front"].any()


TINY = """
[design]
name = "tiny"
base = "{base}"
regions = ["ES13"]
required = 0.5
replicates = 2
scale = 0.05
trials = 4
check_replicates = 2

[optimiser]
batch = 2
refine = 1

[[instruments]]
type = "innovation_voucher"
name = "design vouchers"
start = "2019Q1"
end = "2021Q4"
[instruments.vary]
budget_per_year = {{ bounds = [0, 3_000_000], step = 500_000 }}
voucher_value = {{ bounds = [2_000, 10_000], step = 2_000 }}
"""


def test_the_written_scenario_reproduces_the_reported_p_target_with_run_and_compare(tmp_path):
    from simulation.runner import simulate_series
    from simulation.sweep.functions import outputs_at

    design = _write(tmp_path, TINY.format(base=REPO / "scenarios" / "baseline.toml"))
    out = tmp_path / "out"
    assert main(["design", str(design), "--out", str(out), "--workers", "1"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["met"]
    chosen = summary["chosen"]

    # a candidate run on a shared spin-up is the run of its scenario built from scratch
    spec = load_design(design)
    for r in range(2):
        shared = spec.function(chosen["values"], r)
        alone = outputs_at(simulate_series(spec.function.scenario(chosen["values"]), r), 2021)
        assert shared["enabling"] == alone["enabling"] and shared["spend"] == alone["spend"]

    run = tmp_path / "run"
    assert main(["run", str(out / "chosen.toml"), "--out", str(run), "--workers", "1"]) == 0
    row = pd.read_csv(run / "summary.csv").set_index("region").loc["ES13"]
    assert row["p_target_2021"] == chosen["p_target"]
    assert row["replicates"] == 2

    compared = tmp_path / "compare"
    assert main(["compare", str(out / "base.toml"), str(out / "chosen.toml"), "--out",
                 str(compared), "--workers", "1", "--no-contributions"]) == 0
    row = pd.read_csv(compared / "comparison.csv").set_index("region").loc["ES13"]
    assert row["policy_p_target_2021"] == chosen["p_target"]
    assert math.isclose(row["additional_2021"], chosen["additional"])
    assert math.isclose(row["additional_spend_2021"], chosen["spend"])


BAD = [
    ("[design]\nname = 'x'\nfunction = 'synthetic'\nrequired = 0.8\nbogus = 1\n",
     "design.bogus"),
    (SYNTHETIC.replace("required = 0.8", "required = 1.5"), "design.required: expected a "
                                                            "probability in (0, 1]"),
    (SYNTHETIC.replace("trials = 64", "trials = 60"), "design.trials: expected a whole number "
                                                      "in 1..100000, a multiple of "
                                                      "optimiser.batch (8)"),
    (SYNTHETIC.replace("batch = 8", "batch = 8\nsampler = 'cmaes'"), "optimiser.sampler"),
    (SYNTHETIC.replace("[instruments.vary]\nbudget_per_year = { bounds = [0, 1_000_000], "
                       "step = 50_000 }\n\n[[", "[instruments.vary]\nbudget_per_yaer = [0, 1]"
                       "\n\n[["), "instruments[0].vary.budget_per_yaer: expected a parameter "
                                  "of a innovation_voucher instrument"),
    (SYNTHETIC.replace("[0, 1_000_000], step = 50_000 }\n\n[[", "[1_000_000, 0] }\n\n[["),
     "instruments[0].vary.budget_per_year: expected low < high"),
    (SYNTHETIC.replace("type = \"matchmaking\"", "type = \"matchmakeing\""),
     "instruments[1].type: expected an instrument type"),
    (SYNTHETIC.replace("synthetic_effects = [2.0, 0.5]", "synthetic_effects = [2.0]"),
     "design.synthetic_effects"),
    (SYNTHETIC.replace("name = \"good\"", "name = \"good\"\nmin_employees = 300"),
     "instruments[0].min_employees: expected at most max_employees (249), found 300 at the low "
     "bounds"),
    (TINY.format(base="nowhere.toml"), "nowhere.toml: expected a readable scenario file"),
    ("[design\nname = 'x'", "expected valid TOML"),
]


@pytest.mark.parametrize(("text", "message"), BAD, ids=[m[:30] for _, m in BAD])
def test_a_bad_design_file_exits_2_naming_file_and_key_and_writes_nothing(tmp_path, capsys,
                                                                         text, message):
    design = _write(tmp_path, text)
    out = tmp_path / "out"
    assert main(["design", str(design), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert str(tmp_path) in err
    assert not out.exists()
