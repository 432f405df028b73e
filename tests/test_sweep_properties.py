"""Any sweep stores each of its runs exactly once, interrupted or not.

Property: for any design of the Ishigami function (factorial with repeated levels, Morris
on a coarse grid, where points repeat; Latin hypercube; small Sobol), any number of
replicates and any chunk size, the store holds exactly points x replicates runs, one per
(point, replicate), with unique ids; and a sweep interrupted at any run (KeyboardInterrupt
inside the run, so the chunk in progress is lost as in a kill) and then resumed stores the
same runs, with the same outputs, as the same sweep run without interruption.
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
import sweep_helpers
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.sweep.execute import plan_runs, run_sweep
from simulation.sweep.spec import load_sweep

PI = math.pi


@st.composite
def sweep_files(draw) -> str:
    """The text of an Ishigami sweep file: design, samples, replicates, chunk, factors."""
    design = draw(st.sampled_from(["factorial", "morris", "lhs", "sobol"]))
    head = ["[sweep]", 'name = "prop"', 'function = "ishigami"', f'design = "{design}"',
            f"replicates = {draw(st.integers(1, 3))}", f"chunk = {draw(st.integers(1, 7))}",
            f"seed = {draw(st.integers(0, 1000))}"]
    if design == "morris":
        head += [f"samples = {draw(st.integers(1, 5))}",
                 f"levels = {draw(st.sampled_from([2, 4]))}"]
    elif design == "lhs":
        head.append(f"samples = {draw(st.integers(1, 12))}")
    elif design == "sobol":
        head += ["samples = 2", f"second_order = {str(draw(st.booleans())).lower()}"]
    factors = []
    for x in ("x1", "x2", "x3"):
        factors += ["[[factors]]", f'path = "{x}"']
        if design == "factorial":  # repeated levels give repeated points
            levels = draw(st.lists(st.sampled_from([-1.0, 0.0, 2.5]), min_size=1, max_size=3))
            factors.append(f"levels = {levels}")
        else:
            factors.append(f"bounds = [{-PI!r}, {PI!r}]")
    return "\n".join(head + factors) + "\n"


def without_timings(runs):
    return runs.drop(columns="seconds")


@settings(max_examples=25, deadline=None)
@given(text=sweep_files(), stop=st.floats(0, 1, exclude_max=True))
def test_any_sweep_stores_each_run_once_and_resumes_to_the_same_store(text, stop):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sweep.toml"
        path.write_text(text)
        spec = load_sweep(path)
        points, planned = plan_runs(spec)
        whole = run_sweep(spec, Path(tmp) / "whole")
        assert len(whole) == len(points) * spec.replicates == len(planned)
        assert whole["run_id"].is_unique
        assert set(whole["run_id"]) == {run.run_id for run in planned}
        assert not whole.duplicated(["point", "replicate"]).any()

        interrupted = replace(spec, function=sweep_helpers.Interrupted(at=int(stop * len(planned))))
        with pytest.raises(KeyboardInterrupt):
            run_sweep(interrupted, Path(tmp) / "resumed")
        resumed = run_sweep(spec, Path(tmp) / "resumed")
        assert without_timings(resumed).equals(without_timings(whole))
