"""Generated tables in docs/ match the code and the fitted files (regenerate with --write)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("script", ["gen_param_tables.py", "gen_calibration_tables.py",
                                    "gen_sweep_tables.py", "gen_uncertainty_tables.py"])
def test_generated_tables_are_up_to_date(script):
    done = subprocess.run([sys.executable, str(DOCS / script), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
