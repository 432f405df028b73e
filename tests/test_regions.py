"""Tests of the region registry (simulation/regions.py) and its calibration data."""

import csv
import dataclasses
import math
import shutil
from pathlib import Path

import pytest

from simulation import regions
from simulation.regions import Derived, RegionSpec, get_region, load_registry, region_codes
from simulation.taxonomy import SECTORS

CALIBRATION = Path(__file__).resolve().parents[1] / "calibration"
# The project's shared data folder, next to the repository (read by tests only, where present).
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
PARTNER_ORDER = ("IE04", "UKN0", "ES13", "ES21", "RO42", "FRG0", "BE2", "FI19", "BG33", "NWCB")
DERIVED_FIELDS = [f.name for f in dataclasses.fields(RegionSpec) if f.type == "Derived"]
OPTIONAL_FIELDS = [f.name for f in dataclasses.fields(RegionSpec) if f.type == "Derived | None"]
DII_FIELDS = ["dii_basic_share_small_2021", "dii_basic_share_medium_2021", "dii_high_share_2021",
              "dii_very_high_share_2021"]


def _data_rows() -> dict[str, dict[str, str]]:
    rows = {}
    for path in sorted((CALIBRATION / "data").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as f:
            for rec in csv.DictReader(f):
                assert rec["row_id"] not in rows, f"duplicate row_id {rec['row_id']}"
                rows[rec["row_id"]] = rec
    return rows


ROWS = _data_rows()


def _num(row_id: str) -> float:
    return float(ROWS[row_id]["value"])


def test_ten_regions_in_partner_order_with_unique_codes():
    assert region_codes() == PARTNER_ORDER
    assert len(set(region_codes())) == 10


def test_derived_fields_are_all_covered():
    assert len(DERIVED_FIELDS) == 12
    assert set(DII_FIELDS) <= set(DERIVED_FIELDS)
    assert OPTIONAL_FIELDS == ["firm_growth_rate", "ict_employment_growth"]


def _figures(spec: RegionSpec) -> list[Derived]:
    """Every figure of a region: the derived ones and the optional ones it has."""
    names = DERIVED_FIELDS + OPTIONAL_FIELDS
    return [d for d in (getattr(spec, n) for n in names) if d is not None]


@pytest.mark.parametrize("code", PARTNER_ORDER)
def test_every_derived_figure_names_its_rule_and_existing_rows(code):
    spec = get_region(code)
    for name in DERIVED_FIELDS:
        d = getattr(spec, name)
        assert isinstance(d, Derived)
        assert d.rule.strip(), f"{code}.{name} has no rule"
        assert d.inputs, f"{code}.{name} has no inputs"
        missing = [i for i in d.inputs if i not in ROWS]
        assert not missing, f"{code}.{name} uses unknown rows {missing}"
        assert math.isfinite(d.value) and d.value > 0
    assert spec.provisional


def test_every_data_row_has_a_source():
    assert ROWS
    assert all(rec["source"].strip() for rec in ROWS.values())


@pytest.mark.parametrize("code", PARTNER_ORDER)
def test_every_optional_figure_names_its_rule_and_existing_rows(code):
    spec = get_region(code)
    for name in OPTIONAL_FIELDS:
        d = getattr(spec, name)
        if d is None:
            continue
        assert isinstance(d, Derived) and d.rule.strip() and d.inputs
        assert all(i in ROWS for i in d.inputs), f"{code}.{name} uses unknown rows"
        assert d.unit == "fraction per year"
        assert math.isfinite(d.value) and -0.2 < d.value < 0.2


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_every_regional_statistics_row_is_used():
    used = {i for s in load_registry().values() for d in _figures(s) for i in d.inputs}
    stats = [rec["row_id"] for rec in _csv(CALIBRATION / "data" / "regional_statistics.csv")]
    assert stats and [r for r in stats if r not in used] == []


@pytest.mark.parametrize("code", PARTNER_ORDER)
def test_sectors_are_taxonomy_keys_with_weights_summing_to_one(code):
    spec = get_region(code)
    assert spec.sectors and set(spec.sectors) <= set(SECTORS)
    assert len(set(spec.sectors)) == len(spec.sectors)
    assert len(spec.sector_weights) == len(spec.sectors)
    assert all(w > 0 for w in spec.sector_weights)
    assert sum(spec.sector_weights) == pytest.approx(1.0)


@pytest.mark.parametrize("code", PARTNER_ORDER)
def test_figures_are_plausible(code):
    spec = get_region(code)
    assert spec.population.value > 0
    assert spec.n_digital_smes.value + spec.n_smart_firms.value < spec.enterprises.value
    for rate in (spec.dii_basic_share_2021, spec.birth_rate, spec.death_rate):
        assert 0 < rate.value < 1
    dii = [getattr(spec, n).value for n in DII_FIELDS]
    assert all(0 < v < 1 for v in dii)
    small, medium, high, very_high = dii
    # Medium SMEs are more digital than small ones; very high is part of high or very high.
    assert small < spec.dii_basic_share_2021.value < medium
    assert very_high < high < spec.dii_basic_share_2021.value


def test_misspelt_code_raises_keyerror_with_suggestion():
    with pytest.raises(KeyError, match=r"did you mean .*'ES13'"):
        get_region("ES31")


def test_es13_matches_independent_recomputation():
    """Recompute ES13 by hand from the CSV rows, following calibration/data/README.md."""
    es13 = get_region("ES13")
    enterprises = (
        _num("ES.enterprises_active_business_demography.2019")
        * 1e6
        / _num("ES.population_1_january.2018")
        * _num("ES13.population_1_january.2018")
    )
    j_share = _num("BG.local_units_nace_J.2021") / _num("BG.enterprises_active.2017")
    ict = _num("ES.ict_specialists_pct_total_employment.2018") / _num(
        "EU28.ict_specialists_pct_total_employment.2018"
    )
    industry = (
        (
            _num("BE.share_of_enterprises_in_industry.2018")
            + _num("IE.share_of_enterprises_in_industry.2017")
            + _num("RO.share_of_enterprises_in_industry.2018")
        )
        / 3
        / 100
    )
    assert es13.population.value == _num("ES13.population_1_january.2018")
    assert es13.enterprises.value == pytest.approx(enterprises, rel=1e-12)
    assert es13.n_digital_smes.value == pytest.approx(enterprises * j_share * ict, rel=1e-12)
    assert es13.n_smart_firms.value == pytest.approx(enterprises * industry * 6, rel=1e-12)
    assert es13.dii_basic_share_2021.value == pytest.approx(
        _num("ES.sme_at_least_basic_digital_intensity.2021") / 100
    )
    assert es13.birth_rate.value == _num("firm_demography.birth_rate")
    assert es13.gdp_pps_2018.value == _num("ES13.gdp_per_inhabitant_pps_pct_eu27.2018")
    assert es13.enterprises.proxy and es13.n_digital_smes.proxy and not es13.population.proxy


def test_regional_figures_are_not_proxies():
    be2, bg33 = get_region("BE2"), get_region("BG33")
    turbulence = _num("BE2.enterprise_turbulence_rate.2018") / 100
    net = _num("BE2.enterprise_net_growth_rate.2018") / 100
    assert be2.birth_rate.value == pytest.approx((turbulence + net) / 2)
    assert be2.death_rate.value == pytest.approx((turbulence - net) / 2)
    assert not be2.birth_rate.proxy and not be2.death_rate.proxy
    assert bg33.n_digital_smes.value == _num("BG33.local_units_nace_J.2021")
    assert not bg33.n_digital_smes.proxy


def _dii_levels(path: Path) -> dict[tuple[str, str, str], float]:
    """DII rows of a digital_intensity_2021.csv by (geo, level, size class), read from the
    indicator and unit columns (not from row_id), in percent."""
    out = {}
    for rec in _csv(path):
        size = rec["unit"].split("(")[1].split(" ")[0]
        level = rec["indicator"].removeprefix("sme_digital_intensity_")
        key = (rec["geo"], level, size)
        assert key not in out
        out[key] = float(rec["value"])
    return out


@pytest.mark.parametrize("source", ["copy", "shared"])
def test_es13_digital_intensity_figures_match_the_data_recomputed(source):
    path = (CALIBRATION / "data" if source == "copy" else SHARED) / "digital_intensity_2021.csv"
    if not path.exists():
        pytest.skip(f"no {path}")
    dii = _dii_levels(path)
    es13 = get_region("ES13")
    assert es13.dii_basic_share_small_2021.value == pytest.approx(
        dii["ES", "at_least_basic", "10-49"] / 100)
    assert es13.dii_basic_share_medium_2021.value == pytest.approx(
        dii["ES", "at_least_basic", "50-249"] / 100)
    assert es13.dii_high_share_2021.value == pytest.approx(
        (dii["ES", "high", "10-249"] + dii["ES", "very_high", "10-249"]) / 100)
    assert es13.dii_very_high_share_2021.value == pytest.approx(
        dii["ES", "very_high", "10-249"] / 100)
    assert es13.dii_high_share_2021.inputs == (
        "ES.sme_digital_intensity_high.2021.emp_10_249",
        "ES.sme_digital_intensity_very_high.2021.emp_10_249",
    )
    assert "sum" in es13.dii_high_share_2021.rule
    assert all(getattr(es13, n).proxy for n in DII_FIELDS)


def test_dii_figures_of_uk_regions_are_eu27_proxies():
    dii = _dii_levels(CALIBRATION / "data" / "digital_intensity_2021.csv")
    for code in ("UKN0", "NWCB"):
        spec = get_region(code)
        assert spec.dii_basic_share_small_2021.value == pytest.approx(
            dii["EU27_2020", "at_least_basic", "10-49"] / 100)
        assert spec.dii_very_high_share_2021.value == pytest.approx(
            dii["EU27_2020", "very_high", "10-249"] / 100)
        for name in DII_FIELDS:
            d = getattr(spec, name)
            assert d.proxy, f"{code}.{name}"
            assert all(ROWS[i]["geo"] == "EU27_2020" for i in d.inputs)


@pytest.mark.parametrize("code", PARTNER_ORDER)
def test_dii_figures_use_the_geography_of_the_dii_row(code):
    spec = get_region(code)
    geo = ROWS[spec.dii_basic_share_2021.inputs[0]]["geo"]
    for name in DII_FIELDS:
        inputs = getattr(spec, name).inputs
        assert inputs and {ROWS[i]["geo"] for i in inputs} == {geo}


def test_digital_intensity_copy_holds_every_shared_row_as_it_is():
    shared = SHARED / "digital_intensity_2021.csv"
    if not shared.exists():
        pytest.skip(f"no {shared}")
    copy = _csv(CALIBRATION / "data" / "digital_intensity_2021.csv")
    ids = [rec.pop("row_id") for rec in copy]
    assert len(set(ids)) == len(ids)
    assert copy == _csv(shared)
    for row_id, rec in zip(ids, copy, strict=True):
        size = rec["unit"].split("(")[1].split(" ")[0].replace("-", "_")
        assert row_id == f"{rec['geo']}.{rec['indicator']}.{rec['year']}.emp_{size}"


def test_the_10_249_basic_share_agrees_with_the_regional_statistics_row():
    dii = _dii_levels(CALIBRATION / "data" / "digital_intensity_2021.csv")
    for (geo, level, size), value in dii.items():
        if level == "at_least_basic" and size == "10-249":
            assert _num(f"{geo}.sme_at_least_basic_digital_intensity.2021") == value


def test_firm_growth_rate_from_two_years_or_a_rate_row():
    es13 = get_region("ES13").firm_growth_rate
    v_from = _num("ES.enterprises_active_business_demography.2019")
    v_to = _num("ES.enterprises_active_business_demography.2021")
    assert (v_from, v_to) == (3.1, 3.4)
    assert es13.value == pytest.approx((3.4 / 3.1) ** (1 / 2) - 1)
    assert es13.inputs == ("ES.enterprises_active_business_demography.2019",
                           "ES.enterprises_active_business_demography.2021")
    assert es13.proxy and es13.unit == "fraction per year"
    assert get_region("ES21").firm_growth_rate.value == es13.value
    fi19 = get_region("FI19").firm_growth_rate
    ratio = _num("FI194.local_units_total.2021") / _num("FI194.local_units_total.2018")
    assert fi19.value == pytest.approx(ratio ** (1 / 3) - 1) and fi19.proxy
    be2 = get_region("BE2").firm_growth_rate
    assert be2.value == pytest.approx(_num("BE2.enterprise_net_growth_rate.2018") / 100)
    assert not be2.proxy
    ukn0, nwcb = get_region("UKN0").firm_growth_rate, get_region("NWCB").firm_growth_rate
    ratio = _num("UKN0.businesses_vat_paye_registered.2022") / _num(
        "UKN0.businesses_vat_paye_registered.2020")
    assert ukn0.value == nwcb.value == pytest.approx(ratio ** (1 / 2) - 1)
    assert not ukn0.proxy and nwcb.proxy


@pytest.mark.parametrize("code", ["IE04", "BG33", "RO42"])
def test_no_firm_growth_without_a_comparable_second_year(code):
    assert get_region(code).firm_growth_rate is None


def test_ict_employment_growth():
    fi = (_num("FI.ict_specialists_pct_total_employment.2021")
          / _num("FI.ict_specialists_pct_total_employment.2018")) ** (1 / 3) - 1
    ro = (_num("RO.ict_specialists_pct_total_employment.2021")
          / _num("RO.ict_specialists_pct_total_employment.2020")) - 1
    eu = (_num("EU27_2020.ict_specialists_pct_total_employment.2021")
          / _num("EU27_2020.ict_specialists_pct_total_employment.2020")) - 1
    assert get_region("FI19").ict_employment_growth.value == pytest.approx(fi)
    assert get_region("RO42").ict_employment_growth.value == pytest.approx(ro)
    for code in ("IE04", "UKN0", "ES13", "ES21", "FRG0", "BE2", "BG33", "NWCB"):
        d = get_region(code).ict_employment_growth
        assert d.value == pytest.approx(eu) and d.proxy
        assert all(ROWS[i]["geo"] == "EU27_2020" for i in d.inputs)
    assert "total employment assumed roughly flat" in get_region("ES13").ict_employment_growth.rule


def test_nwcb_is_derry_strabane_scaled_from_northern_ireland():
    nwcb, ukn0 = get_region("NWCB"), get_region("UKN0")
    share = _num("UKN0_DCSDC.population.2018") / _num("UKN0.population_1_january.2018")
    assert nwcb.population.value == _num("UKN0_DCSDC.population.2018")
    assert nwcb.enterprises.value == pytest.approx(ukn0.enterprises.value * share)
    assert nwcb.enterprises.proxy and not ukn0.enterprises.proxy


def _copy_calibration(tmp_path: Path) -> Path:
    target = tmp_path / "calibration"
    shutil.copytree(CALIBRATION, target)
    return target


def test_env_var_overrides_calibration_dir(tmp_path, monkeypatch):
    target = _copy_calibration(tmp_path)
    stats = target / "data" / "regional_statistics.csv"
    text = stats.read_text(encoding="utf-8")
    old = "ES13.population_1_january.2018,ES13,region,population_1_january,2018,581533,"
    assert old in text
    stats.write_text(text.replace(old, old.replace(",581533,", ",1000000,")), encoding="utf-8")
    monkeypatch.setenv(regions.CALIBRATION_DIR_ENV, str(target))
    assert get_region("ES13").population.value == 1_000_000
    monkeypatch.delenv(regions.CALIBRATION_DIR_ENV)
    assert get_region("ES13").population.value == _num("ES13.population_1_january.2018")


def test_unknown_sector_key_is_rejected(tmp_path):
    target = _copy_calibration(tmp_path)
    toml = target / "regions.toml"
    toml.write_text(toml.read_text().replace('key = "tourism"', 'key = "tourisme"', 1))
    with pytest.raises(ValueError, match="tourisme"):
        load_registry(target)


def test_unknown_row_id_is_rejected(tmp_path):
    target = _copy_calibration(tmp_path)
    toml = target / "regions.toml"
    toml.write_text(toml.read_text().replace("ES13.population_1_january.2018", "ES13.pop.2018"))
    with pytest.raises(KeyError, match="ES13.pop.2018"):
        load_registry(target)


def test_growth_rows_of_different_indicators_are_rejected(tmp_path):
    target = _copy_calibration(tmp_path)
    toml = target / "regions.toml"
    old = 'to = "FI194.local_units_total.2021"'
    assert old in toml.read_text()
    toml.write_text(toml.read_text().replace(
        old, 'to = "FI.ict_specialists_pct_total_employment.2021"'))
    with pytest.raises(ValueError, match="same geography, indicator and unit"):
        load_registry(target)


def test_growth_needs_a_later_year(tmp_path):
    target = _copy_calibration(tmp_path)
    toml = target / "regions.toml"
    text = toml.read_text().replace('to = "FI194.local_units_total.2021"',
                                    'to = "FI194.local_units_total.2018"')
    toml.write_text(text)
    with pytest.raises(ValueError, match="must be later"):
        load_registry(target)


def test_registry_table_has_one_flat_row_per_region():
    table = regions.registry_table()
    assert [row["code"] for row in table] == list(PARTNER_ORDER)
    for row in table:
        assert {
            "code",
            "name",
            "country",
            "sectors",
            "n_digital_smes",
            "n_smart_firms",
            "dii_basic_share_2021",
            "birth_rate",
            "death_rate",
            "population",
        } <= set(row)
        assert all(isinstance(v, (str, int, float)) for v in row.values())
