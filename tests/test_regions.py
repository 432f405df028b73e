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
PARTNER_ORDER = ("IE04", "UKN0", "ES13", "ES21", "RO42", "FRG0", "BE2", "FI19", "BG33", "NWCB")
DERIVED_FIELDS = [f.name for f in dataclasses.fields(RegionSpec) if f.type == "Derived"]


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
    assert len(DERIVED_FIELDS) == 8


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


def test_every_regional_statistics_row_is_used():
    specs = load_registry().values()
    used = {i for s in specs for n in DERIVED_FIELDS for i in getattr(s, n).inputs}
    stats = [r for r in ROWS if "geo" in ROWS[r]]
    assert [r for r in stats if r not in used] == []


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
