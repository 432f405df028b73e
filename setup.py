"""Build hook: the wheel carries copies of the top-level ``calibration/`` and ``scenarios/``.

The repository keeps both folders at the top level; :mod:`simulation.resources` finds the
copies at ``simulation/data/`` inside an installed wheel, and the checkout's folders
otherwise. An editable install copies nothing, so it keeps reading the checkout. The project's
metadata lives in pyproject.toml; MANIFEST.in puts the same files in an sdist.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent

SHIPPED = {
    "calibration": ("regions.toml", "targets.toml", "priors.toml", "data/*.csv", "data/README.md",
                    "regions/*.toml", "posteriors/*.parquet", "posteriors/*.toml"),
    "scenarios": ("README.md", "**/*.toml"),
}
"""Files a run needs, per top-level folder (globs): not the intermediate stores under
calibration/posteriors/work/, the diagnostics figures or smoke fits."""


def shipped_files(root: Path = ROOT) -> list[Path]:
    """Return the files the wheel ships, relative to ``root``; fail if a pattern finds none."""
    files = []
    for folder, patterns in SHIPPED.items():
        for pattern in patterns:
            found = sorted(p for p in (root / folder).glob(pattern) if p.is_file())
            if not found:
                raise SystemExit(f"setup.py: nothing matches {folder}/{pattern} under {root}")
            files += [p.relative_to(root) for p in found]
    return files


class BuildPyWithData(build_py):
    """``build_py`` that also copies :data:`SHIPPED` into ``simulation/data/``."""

    def run(self) -> None:
        """Build the package, then lay the data copies beside it (not for an editable one)."""
        super().run()
        if self.editable_mode:
            return
        data = Path(self.build_lib) / "simulation" / "data"
        shutil.rmtree(data, ignore_errors=True)  # no file left over from an earlier build
        for path in shipped_files():
            target = data / path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / path, target)


if __name__ == "__main__":  # as the build backend runs it; tests import shipped_files
    setup(cmdclass={"build_py": BuildPyWithData})
