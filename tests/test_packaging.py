"""The wheel ships what a run reads (setup.py), and nothing it need not."""

import importlib.util
import tomllib
from pathlib import Path

import pytest

from simulation.runner import MODEL_INPUTS

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shipped():
    spec = importlib.util.spec_from_file_location("devise_setup", ROOT / "setup.py")
    setup = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(setup)  # setup() itself runs only as __main__
    return {path.as_posix() for path in setup.shipped_files(ROOT)}


def test_the_wheel_ships_every_file_a_run_reads(shipped):
    folder = ROOT / "calibration"
    needed = {f"calibration/{p.relative_to(folder).as_posix()}"
              for pattern in (*MODEL_INPUTS, "priors.toml", "posteriors/*.toml")
              for p in folder.glob(pattern)}
    assert needed and needed <= shipped
    scenarios = {p.relative_to(ROOT).as_posix() for p in (ROOT / "scenarios").rglob("*")
                 if p.is_file()}
    assert "scenarios/baseline.toml" in scenarios and scenarios <= shipped


def test_the_wheel_leaves_out_intermediate_stores_figures_and_smoke_fits(shipped):
    for part in ("posteriors/work/", "diagnostics/", "smoke/"):
        assert not [p for p in shipped if part in p], part
    assert all(p.startswith(("calibration/", "scenarios/")) for p in shipped)


def test_the_sdist_carries_what_the_wheel_copies():
    manifest = (ROOT / "MANIFEST.in").read_text()
    for line in ("include setup.py", "calibration/regions/*.toml",
                 "calibration/posteriors/*.parquet", "recursive-include scenarios *.toml"):
        assert line in manifest


def test_py_typed_is_declared_and_present():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "py.typed" in project["tool"]["setuptools"]["package-data"]["simulation"]
    assert (ROOT / "simulation" / "py.typed").is_file()


def test_the_checkout_reads_its_own_folders():
    from simulation.resources import shipped_folder

    assert not (ROOT / "simulation" / "data").exists()  # only a wheel holds the copies
    assert shipped_folder("calibration") == ROOT / "calibration"
    assert shipped_folder("scenarios") == ROOT / "scenarios"
