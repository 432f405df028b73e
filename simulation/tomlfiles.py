"""Reading the project's input files (scenarios, sweeps, designs): bytes, then TOML.

Every fault is an :class:`~simulation.errors.InputError` naming the file. Nothing here
imports the model, so the command line checks its input files with these functions before
the heavy imports.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .errors import InputError


def read_toml(path: Path) -> dict[str, Any]:
    """Read one UTF-8 TOML file; InputError (naming the file) if it is missing or invalid."""
    return parse_toml(read_bytes(path, str(path)), str(path))


def read_bytes(path: Path, file: str) -> bytes:
    """Return the file's bytes; InputError if it is missing, a directory or unreadable."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError(file, "", "a readable scenario file", "no such file") from None
    except IsADirectoryError:
        raise InputError(file, "", "a scenario file", "a directory") from None
    except OSError as exc:
        raise InputError(file, "", "a readable scenario file",
                         (exc.strerror or str(exc)).lower()) from None
    except ValueError:  # a NUL character in the name
        raise InputError(file, "", "a valid file name", "a NUL character") from None


def parse_toml(raw: bytes, file: str) -> dict[str, Any]:
    """Parse UTF-8 TOML; InputError for bad bytes, bad syntax or absurd nesting/integers."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(file, "", "a UTF-8 text file",
                         f"byte {raw[exc.start]:#04x} at offset {exc.start}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = str(exc)
    except ValueError as exc:  # an integer beyond Python's int-from-text digit limit
        found = str(exc).split(":")[0]
    except RecursionError:
        found = "arrays or tables nested too deeply"
    raise InputError(file, "", "valid TOML", found)
