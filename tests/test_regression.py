import json

import pytest
from regression_case import RESULT_FILE, compute


def test_fixed_seed_baseline_matches_committed_result():
    expected = json.loads(RESULT_FILE.read_text())
    got = compute()
    assert got.keys() == expected.keys()
    for region in expected:
        for column, values in expected[region].items():
            assert got[region][column] == pytest.approx(values, rel=1e-9, abs=1e-9), (
                f"{region}.{column} moved; if intended, run "
                "`python tests/regression_case.py --refresh` and explain why in the commit"
            )
