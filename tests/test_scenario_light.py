"""Scenario files are checked without the model: no numba, mesa or numpy for a faulty one."""

import json
import subprocess
import sys

import pytest

from simulation.errors import InputError
from simulation.instrument_types import TYPES
from simulation.instruments import INSTRUMENT_TYPES
from simulation.region import InstrumentSpec

HEAD = "[scenario]\nname = 'x'\nregions = ['ES13', 'IE04']\n"
VOUCHER = "[[instruments]]\ntype = 'innovation_voucher'\nname = 'v'\nbudget_per_year = 1e5\n"

FAULTY = {
    "top": (HEAD + "scael = 0.1\n",
            "top.toml: scenario.scael: expected a known key, found an unknown key "
            "(did you mean 'scale'?)"),
    "section": (HEAD + VOUCHER + "strat = '2019Q1'\n",
                "section.toml: instruments[0].strat: expected a key of a innovation_voucher "
                "instrument, found an unknown key (did you mean 'start'?)"),
    "name": (HEAD + VOUCHER + "voucher_valeu = 3\n",
             "name.toml: instruments[0].voucher_valeu: expected a key of a innovation_voucher "
             "instrument, found an unknown key (did you mean 'voucher_value'?)"),
    "value": (HEAD + VOUCHER + "voucher_value = 1e12\n",
              "value.toml: instruments[0].voucher_value: expected a number in [100, 1e+06] "
              "(EUR), found 1000000000000.0"),
    "split": (HEAD + VOUCHER + "budget_split = 'per-region'\n",
              "split.toml: instruments[0].budget_split: expected one of shared, per_region, "
              "found 'per-region' (did you mean 'per_region'?)"),
    "twice": (HEAD + VOUCHER + VOUCHER,
              "twice.toml: instruments[1].name: expected each instrument name once, found 'v' "
              "listed twice (already at [0])"),
}

HEAVY = ("numba", "mesa", "numpy", "pandas", "simulation.region", "simulation.rng")

_PROBE = """
import contextlib, io, json, sys
from simulation.cli import main
codes, errors = [], []
for args in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        codes.append(main(args))
    errors.append(err.getvalue())
heavy = [m for m in sys.modules if m.split(".")[0] in ("numba", "mesa", "numpy", "pandas")
         or m in ("simulation.region", "simulation.rng")]
print(json.dumps({"codes": codes, "errors": errors, "heavy": heavy}))
"""


def test_a_faulty_scenario_fails_with_its_message_before_the_model_is_imported(tmp_path):
    for name, (text, _) in FAULTY.items():
        (tmp_path / f"{name}.toml").write_text(text)
    (tmp_path / "ok.toml").write_text(HEAD + VOUCHER)
    calls = [["run", f"{name}.toml"] for name in FAULTY]
    calls.append(["compare", "ok.toml", "value.toml"])  # a faulty policy file, too
    proc = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(calls)], cwd=tmp_path,
                          capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout)
    assert result["codes"] == [2] * len(calls)
    expected = [message for _, message in FAULTY.values()] + [FAULTY["value"][1]]
    assert [" ".join(e.split()) for e in result["errors"]] == [f"error: {m}" for m in expected]
    assert result["heavy"] == [], f"imported {result['heavy']} to check a scenario file"


def test_a_faulty_sweep_or_design_file_fails_before_the_model_is_imported(tmp_path):
    base = tmp_path / "base.toml"
    base.write_text(HEAD + VOUCHER)
    (tmp_path / "sweep.toml").write_text("[sweep]\nname = 'x'\nbase = 'base.toml'\n"
                                         "design = 'lhs'\nsampels = 10\n")
    (tmp_path / "design.toml").write_text("[design]\nname = 'x'\nbsae = 'base.toml'\n")
    calls = [["sweep", "sweep.toml"], ["sensitivity", "sweep.toml"], ["design", "design.toml"]]
    proc = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(calls)], cwd=tmp_path,
                          capture_output=True, text=True, check=True)
    result = json.loads(proc.stdout)
    assert result["codes"] == [2, 2, 2]
    sweep = ("error: sweep.toml: sweep.sampels: expected a known key, found an unknown key "
             "(did you mean 'samples'?)")
    design = ("error: design.toml: design.bsae: expected a known key, found an unknown key "
              "(did you mean 'base'?)")
    assert [" ".join(e.split()) for e in result["errors"]] == [sweep, sweep, design]
    assert result["heavy"] == [], f"imported {result['heavy']} to check a sweep or design file"


def test_every_instrument_class_carries_its_declaration_in_the_same_order():
    assert list(INSTRUMENT_TYPES) == list(TYPES)
    for kind, cls in INSTRUMENT_TYPES.items():
        assert cls.declared is TYPES[kind] and cls.kind == kind
        assert (cls.TARGET, cls.DELIVERY) == (TYPES[kind].target, TYPES[kind].delivery)


@pytest.mark.parametrize("kind, params, split", [
    ("innovation_voucher", {"budget_per_year": 1e5, "voucher_value": -1}, "shared"),
    ("innovation_voucher", {"budget_per_year": 1e5, "calls_per_yr": 2}, "shared"),
    ("matchmaking", {"budget_per_year": 1e5}, "per-region"),
    ("accelerator", {"budget_per_year": 1e10, "cost_per_startup": 1}, "shared"),
])
def test_the_light_check_refuses_what_an_instrument_spec_refuses(kind, params, split):
    regions = ("IE04", "ES13")
    with pytest.raises(InputError) as light:
        TYPES[kind].checked("i", params, regions, split)
    with pytest.raises(InputError) as spec:
        InstrumentSpec(kind=kind, name="i", params=params, start="2019Q1", end="2020Q4",
                       regions=regions, budget_split=split)
    assert str(light.value) == str(spec.value)
