"""Where numba keeps the compiled kernels: a folder named after the sources they come from.

numba's on-disk cache keys a compiled function on its own source file only. A kernel
cached before a change in a function it calls, or in a constant it reads (``rng.py``,
``kernels/detmath.py``, ``state.py``), would keep the old machine code, and with it old
random draws or old arithmetic, without a word. So the cache lives in a folder whose name
is a hash of every source file compiled code is built from (:data:`COMPILED_SOURCES`):
any change to them starts a fresh folder, and a stale kernel can never be loaded.

The folder is ``$DEVISE_CACHE_DIR`` (default ``~/.cache/devise``, or
``$XDG_CACHE_HOME/devise``) ``/numba-<hash>``. A user who sets ``NUMBA_CACHE_DIR`` keeps
numba's own behaviour (and its caveat).
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

COMPILED_SOURCES = ("rng.py", "state.py", "kernels/*.py")
"""Source files of the package that compiled functions are built from (globs)."""

CACHE_DIR_ENV = "DEVISE_CACHE_DIR"
"""Environment variable naming the folder that holds the compiled-code caches."""


def sources_hash(package: Path) -> str:
    """Return a short hash of the compiled code's source files under ``package``."""
    digest = hashlib.sha256()
    for path in sorted(p for pattern in COMPILED_SOURCES for p in package.glob(pattern)):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_dir(package: Path) -> Path:
    """Return the numba cache folder for the package's current compiled sources."""
    home = os.environ.get(CACHE_DIR_ENV) or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "devise"
    return Path(home) / f"numba-{sources_hash(package)}"


def use_current_cache() -> None:
    """Point numba at :func:`cache_dir` before any kernel is compiled or loaded.

    Nothing changes if ``NUMBA_CACHE_DIR`` is already set (by the user, or by the parent of
    a worker process).
    Sets ``NUMBA_CACHE_DIR``, so worker processes use the same folder; numba is not
    imported for it (``import simulation`` stays light), and if it already was, its
    configuration is updated as well.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    folder = str(cache_dir(Path(__file__).resolve().parent))
    os.environ["NUMBA_CACHE_DIR"] = folder
    if "numba" in sys.modules:
        from numba.core import config

        config.CACHE_DIR = folder
