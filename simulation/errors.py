"""The one error type for bad input: it names the file, the key, what was expected."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class InputError(Exception):
    """Bad input in a file a researcher wrote (scenario, sweep...).

    The CLI prints ``str(error)`` and exits with code 2, without a traceback.

    Attributes:
        file: The file at fault.
        key: Dotted key path inside it (``instruments[1].budget_per_year``), or "".
        expected: What would have been accepted.
        found: What was there (already formatted), or "".
        hint: A suggestion, such as a close match for a misspelled name.

    """

    def __init__(self, file: str, key: str, expected: str, found: str = "", hint: str = ""):
        self.file, self.key, self.expected, self.found, self.hint = file, key, expected, found, hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        text = f"{where}: expected {self.expected}"
        if self.found:
            text += f", found {self.found}"
        if self.hint:
            text += f" ({self.hint})"
        return text


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """``"did you mean 'x'?"`` for the closest choice, else a list of the valid ones.

    Matching ignores case, and among equally close choices prefers one with the same
    letters (a swap of two characters: ``ES31`` -> ``ES13``, not ``ES21``).
    """
    choices = list(choices)
    text = str(word)[:100].casefold()  # difflib is quadratic: a long word matches nothing
    folded = {choice.casefold(): choice for choice in choices}
    close = difflib.get_close_matches(text, folded, n=3, cutoff=0.6)
    if close:
        best = next((c for c in close if c == text), None) or next(
            (c for c in close if sorted(c) == sorted(text)), close[0])
        return f"did you mean {folded[best]!r}?"
    return "valid: " + ", ".join(choices)


def key_path(at: str, key: str) -> str:
    """Key path ``at.key``; a key that is not a bare TOML key is shown quoted."""
    shown = key if _BARE_KEY.fullmatch(key) else repr(key)
    return f"{at}.{shown}" if at else shown


def show_value(value: Any, limit: int = 60) -> str:
    """Show what was found, on one line and short."""
    if value is None:
        return "nothing"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
