"""Agent state as arrays: one growable table per population, one array per attribute.

A row is an agent (or a project). During the spin-up the tables are compacted from time to
time (dead agents' rows dropped, the others renumbered in order); from the end of the
spin-up on a row's index never changes, so it serves as the agent's key for random draws
and as the index behind a Mesa view. Dead agents then keep their row with
``alive = False``: counts are conserved and a row is never reused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .taxonomy import N_DOMAINS, N_SECTORS

N_TIES = 4
"""Known-provider slots per smart firm (network ties)."""

NO_QUARTER = -(10**6)
"""Quarter value meaning "never" (no success yet, no voucher...)."""


@dataclass(frozen=True)
class Column:
    """Declaration of one attribute: dtype, per-row shape and fill value for new rows."""

    dtype: str
    shape: tuple[int, ...] = ()
    fill: float = 0


SME_COLUMNS: dict[str, Column] = {
    "alive": Column("bool"),
    "employees": Column("f8", fill=1.0),
    "birth_q": Column("i4"),
    "death_q": Column("i4", fill=NO_QUARTER),
    "capability": Column("f4", (N_DOMAINS,)),
    "experience": Column("f4", (N_SECTORS,)),
    "reputation": Column("f4", fill=0.5),
    "cash": Column("f8"),
    "neg_cash_quarters": Column("i4"),
    "busy": Column("i4"),
    "orientation": Column("f4"),
    "last_success_q": Column("i4", fill=NO_QUARTER),
    "successes": Column("i4"),
    "loan_balance": Column("f8"),
    "loan_payment": Column("f8"),
    "loan_instrument": Column("i4", fill=-1),
}
"""Digital tech SMEs (providers)."""

FIRM_COLUMNS: dict[str, Column] = {
    "alive": Column("bool"),
    "sector": Column("i4"),
    "employees": Column("f8", fill=1.0),
    "birth_q": Column("i4"),
    "death_q": Column("i4", fill=NO_QUARTER),
    "maturity": Column("f4"),
    "absorptive": Column("f4"),
    "awareness": Column("f4"),
    "productivity": Column("f4"),
    "in_project": Column("bool"),
    "ready_until": Column("i4", fill=NO_QUARTER),
    "demand_domain": Column("i4", fill=-1),
    "ties": Column("i4", (N_TIES,), fill=-1),
    # public support attached to the firm's next project (voucher, grant, challenge)
    "support_until": Column("i4", fill=NO_QUARTER),
    "support_cap": Column("f8"),
    "support_rate": Column("f4"),
    "support_scale": Column("f4", fill=1.0),
    "support_instrument": Column("i4", fill=-1),
    "support_used": Column("bool"),
    "breadth_extra": Column("i4"),
    "breadth_until": Column("i4", fill=NO_QUARTER),
}
"""Smart-sector firms (clients). Ties hold provider keys (see :func:`provider_key`)."""

PROJECT_COLUMNS: dict[str, Column] = {
    "client_region": Column("i4"),
    "client": Column("i4"),
    "provider": Column("i4"),
    "domain": Column("i4"),
    "sector": Column("i4"),
    "client_absorptive": Column("f4"),
    "value": Column("f8"),
    "subsidy": Column("f8"),
    "instrument": Column("i4", fill=-1),
    "start_q": Column("i4"),
    "end_q": Column("i4"),
}
"""Running projects, held by the provider's region; finished rows are dropped."""

REGION_SHIFT = 24
"""A provider key (ties, cross-region draws) is ``region_index << REGION_SHIFT | row``."""


class Table:
    """A set of equally long arrays with spare capacity, grown by doubling.

    Attribute access returns the used part of a column (a view), e.g. ``t.alive``.
    Columns are declared once as a ``{name: Column}`` mapping. The views are plain
    instance attributes, rebuilt whenever ``n`` changes or the table grows, so reading a
    column costs what reading any attribute costs (models read ~100 a quarter).
    """

    def __init__(self, columns: dict[str, Column], capacity: int = 16) -> None:
        clash = [name for name in columns if hasattr(type(self), name)]
        if clash:
            raise ValueError(f"column names {clash} clash with Table attributes")
        self._columns = columns
        self._data = {name: _new(col, max(capacity, 1)) for name, col in columns.items()}
        self._whole: dict[type, tuple] = {}
        self._n = 0
        self._refresh_views()

    @property
    def n(self) -> int:
        """Rows in use."""
        return self._n

    @n.setter
    def n(self, rows: int) -> None:
        if rows != self._n:
            self._n = rows
            self._refresh_views()

    def _refresh_views(self) -> None:
        n = self._n
        self.__dict__.update({name: arr[:n] for name, arr in self._data.items()})

    @property
    def capacity(self) -> int:
        """Rows allocated."""
        return next(iter(self._data.values())).shape[0]

    def full(self, name: str) -> np.ndarray:
        """Return the whole allocated column (kernels that append write past ``n``)."""
        return self._data[name]

    def whole(self, kind: type) -> tuple:
        """Return the whole allocated columns named by the named tuple type ``kind``.

        A plain tuple in the order of ``kind``'s fields, kept until the table grows, so
        compiled code that reads many columns gets them in one argument (it slices the
        rows in use itself).
        """
        columns = self._whole.get(kind)
        if columns is None:
            columns = self._whole[kind] = tuple(self._data[c] for c in kind._fields)
        return columns

    def reserve(self, extra: int) -> None:
        """Make room for ``extra`` more rows without reallocating during a kernel."""
        need = self.n + extra
        if need <= self.capacity:
            return
        new_cap = max(need, 2 * self.capacity)
        for name, col in self._columns.items():
            grown = _new(col, new_cap)
            grown[: self.n] = self._data[name][: self.n]
            self._data[name] = grown
        self._whole.clear()
        self._refresh_views()

    def append(self, count: int) -> np.ndarray:
        """Add ``count`` rows filled with their defaults; return their indices."""
        self.reserve(count)
        start = self.n
        self.n += count
        return np.arange(start, self.n)

    def keep(self, mask: np.ndarray) -> None:
        """Drop the used rows where ``mask`` is False, keeping the order of the rest."""
        rows = np.flatnonzero(mask)
        kept = rows.size
        if kept == self.n:
            return
        for name, col in self._columns.items():
            arr = self._data[name]
            arr[:kept] = arr[rows]
            arr[kept : self.n] = col.fill
        self.n = kept

    def __getstate__(self) -> dict:
        """Return the columns and row count (copies and pickles rebuild the views from them)."""
        return {"_columns": self._columns, "_data": self._data, "_n": self._n}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._whole = {}
        self._refresh_views()

    def nbytes(self) -> int:
        """Bytes allocated by all columns."""
        return sum(a.nbytes for a in self._data.values())


def _new(col: Column, rows: int) -> np.ndarray:
    return np.full((rows, *col.shape), col.fill, dtype=col.dtype)
