"""The git commit of the checkout the package runs from, for provenance (no model imports)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
"""The folder holding the package: the top level of its checkout, if it runs from one."""


def git_commit(paths: Sequence[str] = (), untracked: bool = False) -> dict[str, Any] | None:
    """Return the commit of the checkout the package runs from: short hash, and ``dirty``.

    ``dirty`` is true where the work tree has uncommitted changes: in ``paths`` (relative to
    the top level) where given, counting untracked files with ``untracked``. None where
    there is no such checkout (an installed wheel, a package copied elsewhere) or no git:
    the package's parent folder must be the repository's top level, so a wheel installed
    inside some other repository never reports that repository's commit.
    """
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=REPOSITORY,
                              check=True, timeout=10).stdout.strip()

    status = ["status", "--porcelain", *([] if untracked else ["--untracked-files=no"]),
              *(["--", *paths] if paths else [])]
    try:
        if Path(git("rev-parse", "--show-toplevel")).resolve() != REPOSITORY:
            return None
        return {"commit": git("rev-parse", "--short", "HEAD"), "dirty": bool(git(*status))}
    except (OSError, subprocess.SubprocessError):
        return None
