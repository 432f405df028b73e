"""Output folders that never mix: each belongs to one job, named by what the job computes.

A command that writes into ``--out`` first claims the folder with :func:`claim_folder`.
The claim is a small file, ``OUT/.devise-output.json``, holding the job's kind (run,
comparison, sweep...), a key of everything that defines its results and a readable
description of that content. Claiming succeeds when the folder does not exist or is
empty, or when it holds the same job (the same key): then the job resumes there. It
fails with an :class:`~simulation.errors.InputError` (exit code 2, nothing written)
when the path is a file, when the folder holds another job (the differing entries are
named), or when it holds files that no job claimed. With ``overwrite=True`` a folder of
another job is emptied first; a folder of unknown files is never emptied.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import InputError

CLAIM = ".devise-output.json"
"""Name of the claim file inside an output folder."""


def claim_folder(out: Path, kind: str, key: str, content: Mapping[str, Any],
                 overwrite: bool = False, option: str = "--out") -> bool:
    """Make ``out`` the output folder of one job; return whether it resumes a previous one.

    Args:
        out: The output folder.
        kind: What writes there ("run", "comparison", "sweep", ...).
        key: A hash of everything that defines the job's results.
        content: The same content, readable (JSON-serialisable), to name what differs.
        overwrite: Empty a folder that holds another job instead of refusing it.
        option: The command-line option the folder came from (named in errors).

    Raises:
        InputError: ``out`` is a file, holds another job (without ``overwrite``), or holds
            files no job claimed.

    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError("command line", option, "a folder for the outputs",
                         f"{str(out)!r}, which is a file")
    claim = out / CLAIM
    mine = {"kind": kind, "key": key, "content": _plain(content)}
    if claim.is_file():
        theirs = _read_claim(claim, option)
        if theirs.get("kind") == kind and theirs.get("key") == key:
            return True
        if not overwrite:
            raise InputError("command line", option,
                             f"an empty folder or one holding this {kind}",
                             f"{str(out)!r}, which holds {_differences(theirs, mine)}",
                             f"choose another {option}, or add --overwrite to replace it")
        _empty(out)
    elif out.is_dir() and any(out.iterdir()):
        raise InputError("command line", option, "an empty folder or one written by devise",
                         f"{str(out)!r}, which holds other files",
                         f"choose another {option}; devise never writes into a folder of "
                         "files it did not write")
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f".{CLAIM}.tmp"
    tmp.write_text(json.dumps(mine, indent=2, sort_keys=True))
    os.replace(tmp, claim)
    return False


def content_key_of(content: Mapping[str, Any]) -> str:
    """Return a short hash of a JSON-serialisable description (for jobs made of several parts)."""
    text = json.dumps(_plain(content), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _read_claim(claim: Path, option: str) -> dict[str, Any]:
    """Return the claim file's content; raise InputError if it is not a claim."""
    try:
        doc = json.loads(claim.read_text())
    except (OSError, ValueError):
        doc = None
    if not isinstance(doc, dict):
        raise InputError(str(claim), "", "a devise output claim (JSON)", "something else",
                         f"choose another {option}")
    return doc


def _differences(theirs: Mapping[str, Any], mine: Mapping[str, Any]) -> str:
    """Say what the job in the folder is, and where its content differs from this one."""
    if theirs.get("kind") != mine["kind"]:
        return f"a {theirs.get('kind', 'job')} (not a {mine['kind']})"
    old, new = theirs.get("content", {}), mine["content"]
    differ = [k for k in dict.fromkeys([*new, *old]) if old.get(k) != new.get(k)]
    if not differ:
        return f"a {mine['kind']} made by other code or calibration files"
    shown = "; ".join(f"{k} {_short(old.get(k))} there, {_short(new.get(k))} here"
                      for k in differ[:3])
    more = f" and {len(differ) - 3} more" if len(differ) > 3 else ""
    return f"a different {mine['kind']} ({shown}{more})"


def _short(value: Any, limit: int = 40) -> str:
    text = json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _empty(out: Path) -> None:
    """Remove everything inside ``out`` (a folder the user asked to overwrite)."""
    for item in out.iterdir():
        if item.is_dir() and not item.is_symlink():
            shutil.rmtree(item)
        else:
            item.unlink()


def _plain(value: Any) -> Any:
    """``value`` as JSON would give it back (tuples as lists), to compare with a claim."""
    return json.loads(json.dumps(value, default=str))
