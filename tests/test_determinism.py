"""Reproducibility: same seed, same results; common random numbers across regions; JIT twin."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numba
import numpy as np
import pytest

import simulation
from simulation.ecosystem import Ecosystem
from simulation.instruments import INSTRUMENT_TYPES
from simulation.kernels.parallel import set_threads
from simulation.region import SERIES, InstrumentSpec, RegionModel
from simulation.regions import region_codes

YEARS = {"start_year": 2018, "end_year": 2019, "burn_in_years": 1}
SCALE = 0.03
FLOAT32_SUM_SERIES = {"mean_productivity"}
"""Series summed from float32 state: plain Python accumulates them in float32 (NEP 50)."""


def instruments(regions: tuple[str, ...]) -> list[InstrumentSpec]:
    def spec(kind, name, **kw):
        params = {k: p.default for k, p in INSTRUMENT_TYPES[kind].declared_params().items()}
        params.update(kw)
        return InstrumentSpec(kind, name, params, "2017Q2", "2019Q3", regions)

    return [spec("innovation_voucher", "v", budget_per_year=1e6, apply_rate=0.2),
            spec("matchmaking", "mm", budget_per_year=5e5, apply_rate=0.2)]


def region(seed: int = 1, **kw) -> RegionModel:
    kw.setdefault("instruments", instruments(("ES13",)))
    return RegionModel("ES13", scale=SCALE, seed=seed, **{**YEARS, **kw}).run()


def ecosystem(codes, seed: int = 1, **kw) -> Ecosystem:
    kw.setdefault("scale", SCALE)
    return Ecosystem(codes, seed=seed, **{**YEARS, **kw}).run()


def assert_same_series(a: RegionModel, b: RegionModel) -> None:
    assert set(a.series) == set(b.series) == set(SERIES)
    for name in SERIES:
        assert np.array_equal(a.series[name], b.series[name]), name


def assert_same_state(a: RegionModel, b: RegionModel) -> None:
    for table in ("smes", "firms", "projects"):
        ta, tb = getattr(a, table), getattr(b, table)
        assert ta.n == tb.n, table
        for name in ta._columns:
            assert np.array_equal(getattr(ta, name), getattr(tb, name)), (table, name)
    for ia, ib in zip(a.instruments, b.instruments, strict=True):
        for account in ia.accounts:
            assert np.array_equal(ia.accounts[account], ib.accounts[account])


def differs(a: RegionModel, b: RegionModel) -> bool:
    return any(not np.array_equal(a.series[n], b.series[n]) for n in SERIES)


# --- same seed, same results ------------------------------------------------------------------
def test_region_same_seed_identical():
    a, b = region(seed=7), region(seed=7)
    assert_same_series(a, b)
    assert_same_state(a, b)
    assert a.series["projects_started"].sum() > 0


def test_region_other_seed_or_replicate_differs():
    base = region(seed=7)
    assert differs(base, region(seed=8))
    assert differs(base, region(seed=7, replicate=1))


def test_region_mesa_rng_argument_is_reproducible():
    a = RegionModel("ES13", scale=SCALE, rng=123, **YEARS).run()
    b = RegionModel("ES13", scale=SCALE, rng=123, **YEARS).run()
    assert a.run_seed == b.run_seed
    assert_same_series(a, b)


def test_region_stepwise_equals_run():
    a = region(seed=5)
    b = RegionModel("ES13", scale=SCALE, seed=5, instruments=instruments(("ES13",)), **YEARS)
    for _ in range(b.calendar.n_quarters):
        b.step()
    assert not b.running
    assert_same_series(a, b)


def test_ecosystem_same_seed_identical():
    codes = ["ES13", "BG33", region_codes()[-1]]
    # clients search abroad often and accept providers there (the steady state's providers
    # rarely beat the default reservation plus the cross-region penalty)
    kw = {"params": {"cross_region_share": 0.5, "cross_region_penalty": 0.0,
                     "reservation": 0.1}, "instruments": instruments(("ES13", "BG33"))}
    a, b = ecosystem(codes, seed=3, **kw), ecosystem(codes, seed=3, **kw)
    for code in codes:
        assert_same_series(a.regions[code], b.regions[code])
        assert_same_state(a.regions[code], b.regions[code])
    assert sum(r.series["projects_cross_region"].sum() for r in a.regions.values()) > 0
    c = ecosystem(codes, seed=4, **kw)
    assert any(differs(a.regions[code], c.regions[code]) for code in codes)


@pytest.fixture
def two_kernel_threads():
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba sees one core: no second kernel thread to compare with")
    set_threads(2)
    yield
    set_threads(1)


def test_kernel_threads_change_nothing(two_kernel_threads):
    """Row kernels on two threads (prange) give the serial run's every series and column."""
    codes = ["ES13", "BE2"]
    kw = {"params": {"cross_region_share": 0.5}, "instruments": instruments(("ES13", "BE2")),
          "scale": 0.1}
    threaded = ecosystem(codes, seed=5, **kw)
    set_threads(1)
    serial = ecosystem(codes, seed=5, **kw)
    for code in codes:
        assert_same_series(threaded.regions[code], serial.regions[code])
        assert_same_state(threaded.regions[code], serial.regions[code])


def test_row_kernels_run_their_parallel_twin_on_threads(two_kernel_threads, monkeypatch):
    """With two kernel threads the parallel compilation is the one called (it is not a no-op)."""
    from simulation.kernels.dynamics import firm_dynamics

    calls = []
    monkeypatch.setattr(firm_dynamics, "serial", lambda *a: calls.append("serial"))
    monkeypatch.setattr(firm_dynamics, "_parallel", lambda *a: calls.append("parallel"))
    firm_dynamics()
    set_threads(1)
    firm_dynamics()
    assert calls == ["parallel", "serial"]
    with pytest.raises(ValueError, match="positive whole number"):
        set_threads(0)


# --- common random numbers across region sets ---------------------------------------------------
@pytest.mark.parametrize("codes", [["ES13", "BG33"], ["BG33", "ES13"],
                                   ["IE04", "BG33", "ES13"], list(region_codes())])
def test_region_in_isolated_ecosystem_equals_region_alone(codes):
    """Streams are keyed on the region's identity (its registry position), not its position
    in the run's list (issue 14, point 4): with no cross-region search, a region's whole
    history is the same alone or among any other regions."""
    params = {"cross_region_share": 0.0}
    eco = ecosystem(codes, seed=11, params=params, instruments=instruments(("ES13",)))
    alone = region(seed=11, params=params)
    assert eco.regions["ES13"].region_index == alone.region_index == region_codes().index("ES13")
    assert eco.regions["ES13"].stream == alone.stream
    assert_same_series(eco.regions["ES13"], alone)
    assert_same_state(eco.regions["ES13"], alone)
    for r in eco.regions.values():
        assert r.series["projects_cross_region"].sum() == 0


def test_regions_draw_from_streams_of_their_own():
    streams = {RegionModel(code, scale=SCALE, seed=11, **YEARS).stream for code in region_codes()}
    assert len(streams) == len(region_codes())


# --- whole model: compiled vs plain Python (NUMBA_DISABLE_JIT=1) --------------------------------
TWIN_KW = {"scale": 0.01, "seed": 2, "start_year": 2018, "end_year": 2019, "burn_in_years": 1}

TWIN_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    from test_determinism import twin_runs
    arrays = {}
    for label, series in twin_runs().items():
        for name, values in series.items():
            arrays[f"{label}/{name}"] = values
    np.savez(sys.argv[1], **arrays)
""")


def twin_runs() -> dict[str, dict[str, np.ndarray]]:
    """The runs compared between the compiled and the plain-Python model."""
    alone = RegionModel("ES13", instruments=instruments(("ES13",)), **TWIN_KW).run()
    out = {"ES13": alone.series}
    eco = Ecosystem(["ES13", region_codes()[-1]], params={"cross_region_share": 0.5},
                    instruments=instruments(("ES13",)), **TWIN_KW).run()
    for code, r in eco.regions.items():
        out[f"eco-{code}"] = r.series
    return out


def test_whole_model_plain_python_twin(tmp_path):
    root = Path(simulation.__file__).resolve().parents[1]
    env = dict(os.environ)
    env["NUMBA_DISABLE_JIT"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(root), str(Path(__file__).parent),
                                         env.get("PYTHONPATH", "")])
    target = tmp_path / "twin.npz"
    proc = subprocess.run([sys.executable, "-c", TWIN_SCRIPT, str(target)], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    py = np.load(target)
    jit = twin_runs()
    assert sorted(py.files) == sorted(f"{label}/{name}" for label, s in jit.items() for name in s)
    for label, series in jit.items():
        for name, values in series.items():
            other = py[f"{label}/{name}"]
            if name in FLOAT32_SUM_SERIES:
                # a mean of float32 values near zero: compare to float32 resolution
                np.testing.assert_allclose(other, values, rtol=1e-5, atol=1e-7,
                                           err_msg=f"{label}/{name}")
            else:
                np.testing.assert_array_equal(other, values, err_msg=f"{label}/{name}")
    assert jit["ES13"]["projects_started"].sum() > 0

