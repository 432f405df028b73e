"""The commit provenance of outputs (manifest ``git``) and of fits (``code_version``) alike."""

import subprocess

import pytest

from simulation import __version__, checkout
from simulation.calibration.workflow import code_version
from simulation.outputs import git_commit

INPUTS = ["simulation", "calibration/regions.toml", "calibration/targets.toml",
          "calibration/data"]


@pytest.fixture(autouse=True)
def real_version_after():
    yield
    code_version.cache_clear()


def fake_git(calls, toplevel, status):
    code_version.cache_clear()  # cached per process

    def run(args, **kwargs):
        calls.append(args)
        out = (toplevel if "--show-toplevel" in args else "abc1234" if "HEAD" in args
               else status)
        return subprocess.CompletedProcess(args, 0, stdout=f"{out}\n")
    return run


def test_outputs_count_tracked_changes_and_fits_their_inputs_untracked_files_too(monkeypatch):
    calls = []
    monkeypatch.setattr(subprocess, "run", fake_git(calls, str(checkout.REPOSITORY), "?? x"))
    assert git_commit() == {"commit": "abc1234", "dirty": True}
    assert calls[-1] == ["git", "status", "--porcelain", "--untracked-files=no"]
    assert code_version() == f"devise {__version__} (git abc1234+changes)"
    assert calls[-1] == ["git", "status", "--porcelain", "--", *INPUTS]
    monkeypatch.setattr(subprocess, "run", fake_git(calls, str(checkout.REPOSITORY), ""))
    assert code_version() == f"devise {__version__} (git abc1234)"


def test_neither_reports_another_repository(monkeypatch):
    monkeypatch.setattr(subprocess, "run", fake_git([], "/somewhere/else", ""))
    assert git_commit() is None
    assert code_version() == f"devise {__version__} (git unknown)"
