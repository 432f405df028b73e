"""Where the data a run reads lives: the calibration folder and the example scenarios.

In a checkout (and an editable install) they are the repository's top-level folders
``calibration/`` and ``scenarios/``. A wheel carries copies of both inside the package, as
``simulation/data/calibration`` and ``simulation/data/scenarios`` (the build copies them),
found through :mod:`importlib.resources`. ``$DEVISE_CALIBRATION_DIR`` points every run at
another calibration folder (docs/calibration.md).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

CALIBRATION_DIR_ENV = "DEVISE_CALIBRATION_DIR"
"""Environment variable that overrides the calibration folder."""

SHIPPED_DATA = "data"
"""Folder of the installed package that holds the copies a wheel ships."""


def default_calibration_dir() -> Path:
    """Return the calibration folder: $DEVISE_CALIBRATION_DIR, else the shipped one."""
    env = os.environ.get(CALIBRATION_DIR_ENV)
    return Path(env) if env else shipped_folder("calibration")


def shipped_folder(name: str) -> Path:
    """Return the package's copy of the top-level folder ``name`` (a wheel), else the checkout's."""
    shipped = resources.files("simulation") / SHIPPED_DATA / name
    if shipped.is_dir():
        return Path(str(shipped))
    return Path(__file__).resolve().parents[1] / name
