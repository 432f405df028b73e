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
