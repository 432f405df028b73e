"""Output folders belong to one job (issue 13, defect 11: --out merged into any folder)."""

import pytest

from simulation.errors import InputError
from simulation.folders import CLAIM, claim_folder, content_key_of

RUN = {"scenario": "s", "scale": 1.0, "seed": 1}


def test_a_new_or_empty_folder_is_claimed_and_the_same_job_resumes(tmp_path):
    out = tmp_path / "out"
    assert claim_folder(out, "run", "k1", RUN) is False and (out / CLAIM).is_file()
    (out / "summary.csv").write_text("x")
    assert claim_folder(out, "run", "k1", RUN) is True
    empty = tmp_path / "empty"
    empty.mkdir()
    assert claim_folder(empty, "sweep", "k2", {}) is False


def test_another_job_is_refused_naming_what_differs_unless_overwritten(tmp_path):
    out = tmp_path / "out"
    claim_folder(out, "run", "k1", RUN)
    (out / "summary.csv").write_text("x")
    with pytest.raises(InputError) as err:
        claim_folder(out, "run", "k2", {**RUN, "scale": 0.05})
    assert "scale 1.0 there, 0.05 here" in str(err.value) and err.value.key == "--out"
    with pytest.raises(InputError, match=r"a run \(not a comparison\)"):
        claim_folder(out, "comparison", "k1", RUN)
    with pytest.raises(InputError, match="other code or calibration"):
        claim_folder(out, "run", "k3", RUN)
    assert (out / "summary.csv").read_text() == "x"
    assert claim_folder(out, "run", "k2", {**RUN, "scale": 0.05}, overwrite=True) is False
    assert [p.name for p in out.iterdir()] == [CLAIM]


def test_files_or_foreign_folders_are_never_claimed(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("keep")
    with pytest.raises(InputError, match="which is a file"):
        claim_folder(afile, "run", "k", RUN)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep")
    with pytest.raises(InputError, match="other files"):
        claim_folder(foreign, "run", "k", RUN, overwrite=True)
    assert afile.read_text() == "keep" and (foreign / "thesis.tex").read_text() == "keep"
    (foreign / "thesis.tex").unlink()
    (foreign / CLAIM).write_text("not json")
    with pytest.raises(InputError, match="a devise output claim"):
        claim_folder(foreign, "run", "k", RUN)


def test_content_keys_do_not_depend_on_key_order():
    assert content_key_of({"a": 1, "b": [1, 2]}) == content_key_of({"b": (1, 2), "a": 1})
    assert content_key_of({"a": 1}) != content_key_of({"a": 2})
