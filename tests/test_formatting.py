import math

import pytest

from simulation.formatting import (
    band,
    count,
    eur,
    number,
    probability,
    region_label,
    scale_note,
    share,
    yes_no,
)


@pytest.mark.parametrize(("value", "text"), [
    (5.075e6, "EUR 5.1m"), (350_000, "EUR 350k"), (950, "EUR 950"), (-1.2e6, "-EUR 1.2m"),
    (999_999, "EUR 1.0m"), (99.96e6, "EUR 100m"), (2.5e9, "EUR 2.5bn"), (math.nan, "n/a"),
])
def test_euros_read_as_people_write_them(value, text):
    assert eur(value) == text


def test_counts_shares_flags_and_bands():
    assert count(-0.2) == "0" and count(1234.5, sign=True) == "+1,234"
    assert share(-0.0004) == "0.0%" and share(0.088, sign=True) == "+8.8%"
    assert probability(0.049) == "0.05" and probability(None) == "n/a"
    assert yes_no(True) == "yes" and yes_no(False) == "no"
    assert band([35, 12, 57], sign=True) == "+35 [+12, +57]"
    assert band([0.088, 0.048, 0.144], write=share, sign=True) == "+8.8% [+4.8%, +14.4%]"


def test_regions_carry_their_names_and_reduced_scale_says_what_it_means():
    assert region_label("ES13") == "ES13 Cantabria" and region_label("ALL") == "ALL"
    assert scale_note(1.0) == ""
    note = scale_note(0.05, replicates=10)
    assert "5% scale" in note and "steps of 20 firms" in note and "not comparable" in note


@pytest.mark.parametrize(("value", "text"), [
    (22_500.0, "22,500"), (0.136666, "0.1367"), (-3.5, "-3.5"), (1.5e-5, "1.5e-05"),
    (-0.0, "0"), (3.0, "3"), (math.nan, "n/a"),
])
def test_numbers_without_a_unit_keep_four_digits_and_no_exponent_above_ten_thousand(value, text):
    assert number(value) == text
