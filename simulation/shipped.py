"""The scenarios shipped with the package: their names, files and descriptions.

They are the files under ``shipped_folder("scenarios")`` (the checkout's scenarios/, or the
wheel's copy; :mod:`simulation.resources`). Only TOML heads are read, so the command line
lists and finds them without importing the model.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from .errors import InputError, did_you_mean
from .resources import shipped_folder


def shipped_scenarios() -> dict[str, tuple[Path, str]]:
    """Return the shipped scenarios by name: file (relative to their folder), description.

    Top-level files first, then each subfolder's; the name and description are the files'
    own ``[scenario]`` keys (the file's stem where a file has no name).
    """
    folder = shipped_folder("scenarios")
    found = {}
    for path in sorted(folder.rglob("*.toml"), key=lambda p: (len(p.parts), p)):
        head = tomllib.loads(path.read_text(encoding="utf-8")).get("scenario", {})
        found[head.get("name", path.stem)] = (path.relative_to(folder),
                                              head.get("description", ""))
    return found


def shipped_file(name: str, key: str) -> Path:
    """Return the relative file of the shipped scenario ``name``; InputError if none is."""
    shipped = shipped_scenarios()
    if name not in shipped:
        raise InputError("command line", key, "the name of a shipped scenario (devise scenarios)",
                         repr(name), did_you_mean(name, shipped))
    return shipped[name][0]


def with_bases(file: Path, folder: Path) -> list[Path]:
    """Return ``file`` and every shipped file it extends (relative to ``folder``), each once."""
    order, todo = [], [file]
    while todo:
        rel = todo.pop(0)
        if rel in order:
            continue
        order.append(rel)
        head = tomllib.loads((folder / rel).read_text(encoding="utf-8")).get("scenario", {})
        extends = head.get("extends", [])
        for base in [extends] if isinstance(extends, str) else extends:
            todo.append((folder / rel).parent.joinpath(base).resolve().relative_to(
                folder.resolve()))
    return order
