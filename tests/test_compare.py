"""devise compare: paired tables on hand-made series, model runs at small scale, and the CLI."""

import json
import math

import pandas as pd
import pytest

from simulation.cli import main
from simulation.compare import compare, comparison_table, contributions_table, outcomes, plan
from simulation.errors import InputError
from simulation.runner import content_key, replicates_per_set
from simulation.scenario import parse_scenario

T_975_1 = 12.706204736174694
"""Student t quantile 0.975 with one degree of freedom."""


# --- tables on hand-made time series ----------------------------------------------------------

def series(enabling: dict, spend: dict | None = None) -> pd.DataFrame:
    """A time series 2017Q1..2022Q4 (2017 is burn-in, with a spend that must be ignored).

    ``enabling[(region, replicate)]`` gives the enabling SMEs at 2018Q4, 2021Q4, 2022Q4
    (other quarters hold 1); ``spend[(region, replicate)]`` the spend each reported quarter.
    """
    rows = []
    for (region, rep), (e2018, e2021, e2022) in enabling.items():
        at = {2018: e2018, 2021: e2021, 2022: e2022}
        for year in range(2017, 2023):
            for q in range(1, 5):
                rows.append({
                    "region": region, "replicate": rep, "quarter": f"{year}Q{q}", "year": year,
                    "burn_in": year == 2017,
                    "enabling": float(at[year]) if q == 4 and year in at else 1.0,
                    "public_spend": 1e9 if year == 2017 else (spend or {}).get((region, rep), 0.0),
                })
    return pd.DataFrame(rows)


BASE = {("A", 0): (100, 110, 120), ("A", 1): (100, 100, 100),
        ("B", 0): (50, 50, 50), ("B", 1): (50, 60, 70)}
POLICY = {("A", 0): (100, 130, 150), ("A", 1): (100, 110, 100),
          ("B", 0): (50, 50, 40), ("B", 1): (50, 60, 60)}
SPEND = {("A", 0): 1000.0, ("A", 1): 1000.0}  # EUR per reported quarter, region A only


def test_outcomes_sum_regions_into_all_and_spend_over_reported_quarters():
    out = outcomes(series(POLICY, SPEND))
    assert list(out.index.unique("region")) == ["A", "B", "ALL"]
    assert out.loc[("ALL", 0)].to_dict() == {
        "enabling_2018": 150, "enabling_2021": 180, "enabling_2022": 190,
        "spend_2021": 16 * 1000.0, "spend_2022": 20 * 1000.0}


def test_comparison_table_pairs_replicates():
    table = comparison_table(series(BASE), series(POLICY, SPEND)).set_index("region")
    a, b, total = table.loc["A"], table.loc["B"], table.loc["ALL"]
    # A: differences 20, 10 at 2021 and 30, 0 at 2022
    assert a["additional_2021"] == 15
    assert a["additional_2021_p05"] == pytest.approx(10.5)
    assert a["additional_2021_p95"] == pytest.approx(19.5)
    half = T_975_1 * math.sqrt(50) / math.sqrt(2)
    assert a["additional_2021_ci_low"] == pytest.approx(15 - half)
    assert a["additional_2021_ci_high"] == pytest.approx(15 + half)
    assert a["base_enabling_2021"] == 105 and a["policy_enabling_2021"] == 120
    assert a["additional_2022"] == 15
    assert a["base_p_target_2021"] == 0.0 and a["policy_p_target_2021"] == 0.5
    assert a["base_p_target_2022"] == 0.5 and a["policy_p_target_2022"] == 0.5
    assert a["base_spend_2021"] == 0 and a["policy_spend_2021"] == 16_000
    assert a["additional_spend_2022"] == 20_000
    assert a["cost_per_sme_2021"] == pytest.approx(16_000 / 15)
    assert a["cost_per_sme_2022"] == pytest.approx(20_000 / 15)
    # B: no effect at 2021, fewer SMEs at 2022: no cost per SME
    assert b["additional_2021"] == 0 and math.isnan(b["cost_per_sme_2021"])
    assert b["additional_2022"] == -10 and math.isnan(b["cost_per_sme_2022"])
    # ALL: per replicate sums, differences 20, 10 (2021) and 20, -10 (2022)
    assert total["additional_2021"] == 15 and total["additional_2022"] == 5
    assert total["cost_per_sme_2022"] == pytest.approx(20_000 / 5)
    assert total["base_p_target_2021"] == 0.0 and total["policy_p_target_2021"] == 0.5
    assert (table["replicates"] == 2).all()


def test_one_replicate_has_no_confidence_interval():
    one = [{k: v for k, v in d.items() if k[1] == 0} for d in (BASE, POLICY)]
    row = comparison_table(series(one[0]), series(one[1])).set_index("region").loc["A"]
    assert row["additional_2021"] == 20
    assert math.isnan(row["additional_2021_ci_low"]) and math.isnan(row["additional_2021_ci_high"])


def test_unpaired_runs_are_refused():
    one = {k: v for k, v in POLICY.items() if k[1] == 0}
    with pytest.raises(ValueError, match="pair"):
        comparison_table(series(BASE), series(one))


class Spec:
    def __init__(self, name, kind):
        self.name, self.kind = name, kind


def test_contributions_and_interaction():
    without_v = {**POLICY, ("A", 0): (100, 120, 150), ("A", 1): (100, 100, 100)}
    without_h = {**POLICY, ("A", 0): (100, 115, 130)}
    spend_h = {("A", 0): 1000.0, ("A", 1): 1000.0}
    table = contributions_table(
        series(BASE), series(POLICY, {("A", 0): 1500.0, ("A", 1): 1500.0}),
        [(Spec("v", "innovation_voucher"), series(without_v, {("A", 0): 500.0})),
         (Spec("h", "matchmaking"), series(without_h, spend_h))])
    rows = table.set_index(["instrument", "region", "year"])
    v, h, x = (rows.loc[(name, "A", 2021)] for name in ("v", "h", "interaction"))
    assert v["kind"] == "innovation_voucher"
    assert v["mean"] == 10 and v["p05"] == pytest.approx(10) and v["p95"] == pytest.approx(10)
    assert v["spend"] == (1500 * 2 - 500) / 2 * 16 and v["cost_per_sme"] == v["spend"] / 10
    assert h["mean"] == 7.5 and h["spend"] == 500 * 16
    assert x["mean"] == 15 - 10 - 7.5 and math.isnan(x["cost_per_sme"])
    assert x["spend"] == 1500 * 16 - v["spend"] - h["spend"]
    assert set(table["region"]) == {"A", "B", "ALL"} and set(table["year"]) == {2021, 2022}
    assert len(table) == 3 * 3 * 2


def test_no_instruments_to_attribute_gives_an_empty_table():
    assert contributions_table(series(BASE), series(POLICY), []).empty


# --- small model runs -------------------------------------------------------------------------

HEAD = {"regions": ["ES13", "RO42"], "start_year": 2018, "end_year": 2022, "burn_in_years": 1,
        "replicates": 2, "seed": 11, "scale": 0.03}
VOUCHER = {"type": "innovation_voucher", "name": "vouchers", "regions": ["ES13"],
           "start": "2019Q1", "budget_per_year": 2_000_000}
HUB = {"type": "matchmaking", "name": "hub", "regions": ["RO42"], "start": "2019Q1",
       "budget_per_year": 400_000}


def scenario(name, instruments=(), **head):
    return parse_scenario({"scenario": {"name": name, **HEAD, **head},
                           "instruments": list(instruments)}, f"{name}.toml")


def test_identical_scenarios_differ_by_exactly_zero():
    base, same = scenario("base", [HUB]), scenario("same", [HUB])
    result = compare(base, [same])
    table = result.comparison
    assert list(table["region"]) == ["ES13", "RO42", "ALL"] and set(table["policy"]) == {"same"}
    for year in (2021, 2022):
        assert (table[f"additional_{year}"] == 0).all()
        assert (table[f"additional_spend_{year}"] == 0).all()
        assert table[f"base_spend_{year}"].iloc[-1] > 0  # the hub spends in both
        assert table[f"cost_per_sme_{year}"].isna().all()
    assert result.contributions.empty  # the hub is in the base: nothing to attribute
    assert set(result.timeseries["scenario"]) == {"base", "same"}


def test_policy_spends_and_each_instrument_contributes(tmp_path):
    base, policy = scenario("base"), scenario("mix", [VOUCHER, HUB])
    result = compare(base, [policy], out_dir=tmp_path)
    total = result.comparison.set_index("region").loc["ALL"]
    assert total["additional_spend_2021"] > 0 and total["policy_spend_2021"] > 0
    assert total["base_spend_2022"] == 0
    contrib = result.contributions
    assert list(dict.fromkeys(contrib["instrument"])) == ["vouchers", "hub", "interaction"]
    assert list(dict.fromkeys(contrib["kind"])) == ["innovation_voucher", "matchmaking", ""]
    rows = contrib.set_index(["instrument", "region", "year"])
    assert rows.loc[("vouchers", "ES13", 2021), "spend"] > 0
    assert rows.loc[("vouchers", "RO42", 2021), "spend"] == 0
    assert rows.loc[("hub", "RO42", 2021), "spend"] > 0
    for year in (2021, 2022):  # contributions and interaction add up to the total effect
        parts = rows.xs(("ALL", year), level=("region", "year"))["mean"].sum()
        assert parts == pytest.approx(
            result.comparison.set_index("region").loc["ALL", f"additional_{year}"])
    # each distinct run is kept once: base, mix, mix without vouchers, mix without hub
    assert len(list((tmp_path / ".replicates").glob("*.parquet"))) == 4 * 2
    assert (tmp_path / "contributions.png").exists()


def test_shared_spin_ups_give_bit_for_bit_the_runs_built_one_by_one(monkeypatch):
    """Replicate r's spin-up is simulated once for the scenarios that differ only in instruments.

    A policy with its own model parameters spins up on its own; every table is exactly
    that of the scenarios built and run one by one (in one process or several).
    """
    from simulation import runner

    base, mix = scenario("base", [HUB]), scenario("mix", [HUB, VOUCHER])
    tuned = parse_scenario({"scenario": {"name": "tuned", **HEAD}, "model": {"tie_bonus": 0.3},
                            "instruments": [VOUCHER]}, "tuned.toml")
    builds, build = [], runner.build_ecosystem
    monkeypatch.setattr(runner, "build_ecosystem", lambda s, r, instruments=None: (
        builds.append((s.name, r, instruments)) or build(s, r, instruments)))
    shared = compare(base, [mix, tuned])
    # base, mix, mix without vouchers share a spin-up; tuned and tuned without vouchers another
    assert sorted(builds) == sorted((name, r, ()) for name in ("base", "tuned") for r in (0, 1))
    monkeypatch.setattr(runner, "build_ecosystem", build)
    alone = {content_key(s): pd.concat([runner.simulate(s, r) for r in range(2)],
                                       ignore_index=True) for s in shared.plan.distinct()}
    ts = {s.name: alone[content_key(s)] for s in shared.plan.named()}
    expected_ts = pd.concat([frame.assign(scenario=name) for name, frame in ts.items()],
                            ignore_index=True)
    got_ts = shared.timeseries
    pd.testing.assert_frame_equal(
        got_ts.sort_values(["scenario", "region", "replicate", "q"], ignore_index=True),
        expected_ts[got_ts.columns].sort_values(["scenario", "region", "replicate", "q"],
                                                ignore_index=True), check_exact=True)
    for policy in shared.plan.policies:
        table = comparison_table(ts["base"], ts[policy.name],
                                 per_set=replicates_per_set(base))
        got = shared.comparison[shared.comparison["policy"] == policy.name]
        pd.testing.assert_frame_equal(got.drop(columns="policy").reset_index(drop=True), table,
                                      check_exact=True)
        without = [(spec, ts[w.name]) for p, spec, w in shared.plan.left_out if p is policy]
        parts = contributions_table(ts["base"], ts[policy.name], without)
        got = shared.contributions[shared.contributions["policy"] == policy.name]
        pd.testing.assert_frame_equal(got.drop(columns="policy").reset_index(drop=True), parts,
                                      check_exact=True)
    in_processes = compare(base, [mix, tuned], workers=2)
    for name in ("comparison", "contributions", "timeseries"):
        pd.testing.assert_frame_equal(getattr(in_processes, name), getattr(shared, name),
                                      check_exact=True)


def test_content_key_follows_what_is_simulated():
    a = scenario("a", [VOUCHER, HUB])
    assert content_key(a) == content_key(scenario("b", [VOUCHER, HUB], replicates=5))
    assert content_key(a) != content_key(scenario("a", [VOUCHER]))
    assert content_key(a) != content_key(scenario("a", [VOUCHER, HUB], seed=12))
    assert content_key(a) != content_key(scenario("a", [VOUCHER, HUB], scale=0.04))
    assert content_key(a) != content_key(scenario("a", [HUB, VOUCHER]))


def test_content_key_changes_with_the_model_code(monkeypatch):
    """Checkpoints made by other model code or calibration files are never reused."""
    from simulation import runner

    a = scenario("a", [VOUCHER])
    before = content_key(a)
    monkeypatch.setattr(runner, "code_fingerprint", lambda: "edited")
    assert content_key(a) != before


def test_plan_aligns_policies_and_checks_what_crn_needs():
    base = scenario("base")
    planned = plan(base, [scenario("mix", [VOUCHER, HUB], seed=99, replicates=7, scale=0.05)])
    mix = planned.policies[0]
    assert (mix.seed, mix.replicates, mix.scale) == (base.seed, base.replicates, base.scale)
    assert [w.name for _, _, w in planned.left_out] == ["mix without vouchers", "mix without hub"]
    assert len(planned.distinct()) == 4
    # without its one instrument, a policy is the base: run once
    assert len(plan(base, [scenario("mix", [VOUCHER])]).distinct()) == 2
    with pytest.raises(InputError, match=r"other\.toml: scenario\.burn_in_years"):
        plan(base, [scenario("other", burn_in_years=2)])
    with pytest.raises(InputError, match=r"base\.toml: scenario\.end_year.*2022Q4"):
        plan(scenario("base", end_year=2021), [scenario("other", end_year=2021)])
    with pytest.raises(InputError, match=r"scenario\.name"):
        plan(base, [scenario("base", [HUB])])
    with pytest.raises(InputError, match=r"instruments\[1\]\.name"):
        plan(base, [scenario("twice", [HUB, {**HUB, "budget_per_year": 1}])])


# --- CLI --------------------------------------------------------------------------------------

def toml(name: str, regions: str, instruments: str = "") -> str:
    return f"""
[scenario]
name = "{name}"
regions = {regions}
start_year = 2018
end_year = 2022
burn_in_years = 1
replicates = 2
seed = 3
scale = 0.03
{instruments}"""


POLICY_TOML = toml("mix", '["ES13", "RO42"]', """
[[instruments]]
type = "innovation_voucher"
name = "vouchers"
regions = ["ES13"]
budget_per_year = 2_000_000

[[instruments]]
type = "matchmaking"
name = "hub"
regions = ["RO42"]
budget_per_year = 400_000
""")


def test_cli_refuses_different_regions_before_writing(tmp_path, capsys):
    (tmp_path / "base.toml").write_text(toml("base", '["ES13", "RO42"]'))
    (tmp_path / "policy.toml").write_text(toml("policy", '["ES13", "IE04"]'))
    out = tmp_path / "out"
    code = main(["compare", str(tmp_path / "base.toml"), str(tmp_path / "policy.toml"),
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{tmp_path / 'policy.toml'}: scenario.regions" in err
    assert "common random numbers" in err and "Traceback" not in err
    assert not out.exists()


def test_cli_compare_writes_outputs_and_resumes(tmp_path, capsys):
    (tmp_path / "base.toml").write_text(toml("base", '["ES13", "RO42"]'))
    (tmp_path / "mix.toml").write_text(POLICY_TOML)
    out = tmp_path / "out"
    args = ["compare", str(tmp_path / "base.toml"), str(tmp_path / "mix.toml"), "--out", str(out),
            "--workers", "1", "--seed", "5"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "mix against base" in printed and "interaction" in printed
    comparison = pd.read_csv(out / "comparison.csv")
    assert list(comparison["region"]) == ["ES13", "RO42", "ALL"]
    assert comparison["additional_spend_2021"].iloc[-1] > 0
    contributions = pd.read_csv(out / "contributions.csv")
    assert set(contributions["instrument"]) == {"vouchers", "hub", "interaction"}
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert set(ts["scenario"]) == {"base", "mix", "mix without vouchers", "mix without hub"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["compare"]["policies"] == ["mix"]
    assert [s["seed"] for s in manifest["scenarios"]] == [5] * 4
    assert (out / "comparison.png").stat().st_size > 10_000
    assert (out / "contributions.png").stat().st_size > 10_000
    kept = {p: p.stat().st_mtime_ns for p in (out / ".replicates").glob("*.parquet")}
    assert len(kept) == 4 * 2
    assert main([*args, "--no-contributions"]) == 0  # resumes: nothing recomputed
    assert {p: p.stat().st_mtime_ns for p in (out / ".replicates").glob("*.parquet")} == kept
    assert pd.read_csv(out / "contributions.csv").empty
    assert not (out / "contributions.png").exists()
    pd.testing.assert_frame_equal(pd.read_csv(out / "comparison.csv"), comparison)
