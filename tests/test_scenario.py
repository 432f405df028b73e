"""Scenario validation: every mistake names the file, the key and what was expected."""

import textwrap

import pytest

from simulation.errors import InputError
from simulation.scenario import load_scenario

GOOD = """
[scenario]
name = "t"
regions = ["IE04", "ES13"]
replicates = 2
seed = 1
scale = 0.05

[[instruments]]
type = "innovation_voucher"
regions = ["IE04"]
start = "2019Q1"
end = "2021Q4"
budget_per_year = 100000
"""


def write(tmp_path, text):
    path = tmp_path / "s.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_good_scenario_loads_with_defaults_filled(tmp_path):
    s = load_scenario(write(tmp_path, GOOD))
    assert s.regions == ("IE04", "ES13")
    assert s.replicates == 2 and s.seed == 1 and s.scale == 0.05
    (voucher,) = s.instruments
    assert voucher.params["voucher_value"] == 5000.0
    assert voucher.params["budget_per_year"] == 100000.0
    assert voucher.start == "2019Q1" and voucher.end == "2021Q4"
    assert len(s.sha256) == 64


def test_all_regions(tmp_path):
    s = load_scenario(write(tmp_path, GOOD.replace('["IE04", "ES13"]', '"all"')))
    assert len(s.regions) == 10


@pytest.mark.parametrize(
    ("old", "new", "key", "words"),
    [
        ('type = "innovation_voucher"', 'type = "inovation_voucher"', "instruments[0].type",
         "did you mean 'innovation_voucher'"),
        ("budget_per_year = 100000", "budget_per_year = -5", "instruments[0].budget_per_year",
         "a number in [0"),
        ("budget_per_year = 100000", 'budget_per_year = "lots"',
         "instruments[0].budget_per_year", "'lots'"),
        ("budget_per_year = 100000", "budgte_per_year = 100000", "instruments[0].budgte_per_year",
         "did you mean 'budget_per_year'"),
        ('start = "2019Q1"', 'start = "2031Q1"', "instruments[0].start",
         "within the simulated period 2013Q1..2025Q4"),
        ('end = "2021Q4"', 'end = "2018Q5"', "instruments[0].end", "2018Q5"),
        ('regions = ["IE04", "ES13"]', 'regions = ["IE04", "FRG"]', "scenario.regions[1]",
         "did you mean 'FRG0'"),
        ('regions = ["IE04", "ES13"]', 'regions = ["IE04", "IE04"]', "scenario.regions[1]",
         "listed twice"),
        ("scale = 0.05", "scale = 2", "scenario.scale", "(0, 1]"),
        ("replicates = 2", "replicates = 0", "scenario.replicates", "1..100000"),
        ("seed = 1", "sed = 1", "scenario.sed", "did you mean 'seed'"),
        ("seed = 1", 'seed = "x"', "scenario.seed", "whole number"),
        ('regions = ["IE04"]\nstart', 'regions = ["IE04"]\nsectors = ["fintech"]\nstart',
         "instruments[0].sectors[0]", "smart sector of region IE04"),
    ],
)
def test_bad_values_are_named(tmp_path, old, new, key, words):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(InputError) as info:
        load_scenario(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {key}: expected"), message
    assert words in message


def test_model_overrides_checked(tmp_path):
    path = write(tmp_path, GOOD + "\n[model]\nsearch_breadth = 3\n")
    assert load_scenario(path).model == {"search_breadth": 3.0}
    path = write(tmp_path, GOOD + "\n[model]\nsearch_bredth = 3\n")
    with pytest.raises(InputError, match=r"model.search_bredth: .*did you mean 'search_breadth'"):
        load_scenario(path)
    path = write(tmp_path, GOOD + "\n[model]\nreservation = 7\n")
    with pytest.raises(InputError, match=r"model.reservation: expected a number in \[0, 1\]"):
        load_scenario(path)


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(InputError, match="a readable scenario file"):
        load_scenario(tmp_path / "nope.toml")
    with pytest.raises(InputError, match="valid TOML"):
        load_scenario(write(tmp_path, "[scenario\nname="))


def test_shipped_scenarios_load():
    from pathlib import Path

    for path in sorted(Path(__file__).parents[1].glob("scenarios/**/*.toml")):
        load_scenario(path)


# --- step 7: defects that gave wrong results without an error ----------------------------
TWO_VOUCHERS = GOOD + """
[[instruments]]
type = "innovation_voucher"
name = "innovation_voucher 0"
regions = ["ES13"]
budget_per_year = 5000
"""


def test_duplicate_instrument_names_are_refused_by_the_loader(tmp_path):
    """Defect 7: two instruments with one name made sweeps give the first the second's values."""
    with pytest.raises(InputError) as err:
        load_scenario(write(tmp_path, TWO_VOUCHERS))
    assert err.value.key == "instruments[1].name" and "listed twice" in str(err.value)


def test_an_accelerator_that_would_found_millions_of_firms_is_refused_naming_the_keys(tmp_path):
    """Defect 6: budget 1e10 at EUR 1 a place founded 90-180 million agents in a quarter."""
    text = GOOD.replace('type = "innovation_voucher"', 'type = "accelerator"').replace(
        "budget_per_year = 100000", "budget_per_year = 1e10\ncost_per_startup = 1")
    with pytest.raises(InputError) as err:
        load_scenario(write(tmp_path, text))
    message = str(err.value)
    assert err.value.key == "instruments[0].budget_per_year"
    assert "cost_per_startup" in message and "IE04" in message


def test_a_multi_region_budget_is_shared_unless_declared_per_region(tmp_path):
    """Defect 8: a three-region instrument spent its full budget in every region."""
    from simulation.runner import simulate

    three = GOOD.replace('regions = ["IE04", "ES13"]', 'regions = ["IE04", "ES13", "NWCB"]')
    three = three.replace('regions = ["IE04"]\n', 'regions = ["IE04", "ES13", "NWCB"]\n')
    three = three.replace('end = "2021Q4"', 'end = "2019Q4"').replace(
        "scale = 0.05", "scale = 0.2\nend_year = 2019\nburn_in_years = 1").replace(
        "budget_per_year = 100000", "budget_per_year = 2000000")
    shared = load_scenario(write(tmp_path, three))
    (voucher,) = shared.instruments
    shares = [voucher.budget_share(code) for code in voucher.regions]
    assert sum(shares) == pytest.approx(1.0) and len(set(shares)) == 3
    per_region = shared.with_changes(
        **{"instruments.innovation_voucher 0.budget_split": "per_region"})
    assert [per_region.instruments[0].budget_share(c) for c in voucher.regions] == [1, 1, 1]
    ts = simulate(shared, 0)
    spend = ts[ts["year"] == 2019]["public_spend"].sum()
    assert 0 < spend <= 2e6 * (1 + 1e-9)  # the declared budget, across the three regions
    assert simulate(per_region, 0)[lambda t: t["year"] == 2019]["public_spend"].sum() > spend


def test_with_changes_validates_like_the_file_loader(tmp_path):
    """Defect 13: from Python, apply_rate = 5 ran silently and a missing key was a KeyError."""
    s = load_scenario(write(tmp_path, GOOD))
    changed = s.with_changes(**{"model.demand_base": 0.1, "scale": 0.1,
                                "instruments.innovation_voucher 0.voucher_value": 4000})
    assert changed.model["demand_base"] == 0.1 and changed.scale == 0.1
    assert changed.instruments[0].params["voucher_value"] == 4000
    assert s.model == {} and s.scale == 0.05  # the original is unchanged
    cases = {
        "model.demand_base": (9.0, "model.demand_base", "a number in [0, 0.5]"),
        "model.demand_bas": (0.1, "model.demand_bas", "did you mean 'demand_base'?"),
        "instruments.innovation_voucher 0.apply_rate": (
            5, "instruments.innovation_voucher 0.apply_rate", "a number in [0, 1]"),
        "instruments.vouchers.budget_per_year": (1.0, "instruments.vouchers.budget_per_year",
                                                 "innovation_voucher 0"),
        "scal": (0.1, "scal", "did you mean 'scale'?"),
        "regions": (["XX"], "regions[0]", "a region code"),
    }
    for key, (value, where, words) in cases.items():
        with pytest.raises(InputError) as err:
            s.with_changes(**{key: value})
        assert err.value.key == where and words in str(err.value), key


def test_with_changes_of_regions_keeps_instruments_in_the_regions_left(tmp_path):
    s = load_scenario(write(tmp_path, GOOD))
    only = s.with_changes(regions=["ES13"])
    assert only.regions == ("ES13",) and only.instruments == ()
    kept = s.with_changes(regions=["IE04"])
    assert kept.instruments[0].regions == ("IE04",)
