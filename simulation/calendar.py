"""Quarters: the model's clock from the start of the burn-in to the end of the horizon."""

from __future__ import annotations

import re
from dataclasses import dataclass

_LABEL = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True)
class Calendar:
    """Quarter ``q = 0`` is the first quarter of ``first_year`` (the burn-in start).

    Attributes:
        first_year: Year in which the burn-in starts.
        start_year: First year of the reported horizon.
        end_year: Last year simulated (its fourth quarter is the last step).

    """

    first_year: int
    start_year: int
    end_year: int

    @classmethod
    def for_horizon(cls, start_year: int, end_year: int, burn_in_years: int) -> Calendar:
        """Calendar for a horizon ``start_year..end_year`` after ``burn_in_years``."""
        return cls(start_year - burn_in_years, start_year, end_year)

    @property
    def n_quarters(self) -> int:
        """Quarters simulated, burn-in included."""
        return 4 * (self.end_year - self.first_year + 1)

    @property
    def first_reported(self) -> int:
        """Index of the first quarter after the burn-in."""
        return self.index(self.start_year, 1)

    def index(self, year: int, quarter: int) -> int:
        """Index of ``year``Q``quarter``."""
        return 4 * (year - self.first_year) + quarter - 1

    def year_of(self, q: int) -> int:
        """Calendar year of quarter index ``q``."""
        return self.first_year + q // 4

    def label(self, q: int) -> str:
        """``"2018Q4"`` style label of quarter index ``q``."""
        return f"{self.year_of(q)}Q{q % 4 + 1}"

    def parse(self, label: str) -> int:
        """Quarter index of a ``"YYYYQn"`` label; ValueError if malformed or off the clock."""
        m = _LABEL.match(label.strip())
        if not m:
            raise ValueError(f"expected a quarter like '2019Q1', found {label!r}")
        q = self.index(int(m.group(1)), int(m.group(2)))
        if not 0 <= q < self.n_quarters:
            raise ValueError(
                f"quarter {label} is outside the simulated period "
                f"{self.label(0)}..{self.label(self.n_quarters - 1)}"
            )
        return q
