"""Compiled kernels are cached in a folder named after their sources: never a stale kernel."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from simulation.compiled import cache_dir, sources_hash

PACKAGE = Path(__file__).resolve().parents[1] / "simulation"


def test_a_change_to_any_compiled_source_names_a_new_cache_folder(tmp_path):
    """numba's own cache misses a change in a callee (rng.py, detmath.py) or a constant
    (state.py): a kernel cached before it kept the old draws."""
    copy = tmp_path / "simulation"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = sources_hash(copy)
    assert sources_hash(copy) == before == sources_hash(PACKAGE)
    for name in ("rng.py", "state.py", "kernels/detmath.py"):
        path = copy / name
        path.write_text(path.read_text() + "\n# changed\n")
        assert sources_hash(copy) != before, name
        before = sources_hash(copy)
    (copy / "cli.py").write_text("# not compiled code\n")
    assert sources_hash(copy) == before


def test_importing_the_package_points_numba_at_the_current_folder(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["DEVISE_CACHE_DIR"] = str(tmp_path)
    code = ("import numba.core.config as c, os, simulation;"
            "from simulation.kernels.dynamics import quarterly; quarterly(0.1);"
            "print(os.environ['NUMBA_CACHE_DIR']); print(c.CACHE_DIR)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    expected = str(tmp_path / f"numba-{sources_hash(PACKAGE)}")
    assert out == [expected, expected]
    assert any(Path(expected).rglob("*.nbi"))  # the kernel was cached there
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "mine")  # a user's choice is kept
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == [str(tmp_path / "mine")] * 2


def test_the_default_folder_is_in_the_user_cache(monkeypatch):
    monkeypatch.delenv("DEVISE_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert cache_dir(PACKAGE) == Path("/somewhere/devise") / f"numba-{sources_hash(PACKAGE)}"
