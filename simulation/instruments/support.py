"""Support attached to a smart firm's next digital project.

The shared part of vouchers, grants and challenge contracts.
"""

from __future__ import annotations

import numpy as np

from .base import PolicyInstrument


class ProjectSupport(PolicyInstrument):
    """An instrument that pays part of a smart firm's next project with a digital SME.

    :meth:`attach` gives firms support valid until a quarter (never beyond the end of
    the year that committed it, so spend stays within that year's budget). A holder
    that uses it demands a project at once; when the project is contracted the matching
    kernel multiplies its value by ``scale``, pays ``rate`` of it up to ``cap`` and uses
    the support up. :meth:`after_matching` books those payments (outputs: projects
    funded). Support that lapses unused is committed but never paid.
    """

    def free_firms(self, q: int) -> np.ndarray:
        """Mask of eligible firms not in a project and holding no support."""
        f = self.model.firms
        return self.eligible_firms() & ~f.in_project & (f.support_until < q)

    def attach(self, q: int, rows: np.ndarray, cap: float, rate: float, scale: float,
               quarters: int, use_chance: float) -> None:
        """Commit ``cap`` per firm and attach support to ``rows`` for ``quarters`` quarters.

        Each holder uses it with chance ``use_chance`` (a keyed draw); the others let it lapse.
        """
        self.commit(q, rows.size * cap)
        f = self.model.firms
        until = min(q + quarters - 1, 4 * (q // 4) + 3)
        f.support_until[rows] = until
        f.support_cap[rows] = cap
        f.support_rate[rows] = rate
        f.support_scale[rows] = scale
        f.support_instrument[rows] = self.index
        f.support_used[rows] = False
        f.support_used[self.make_ready(q, rows, until, use_chance)] = True
        self.reach(q, "firms", rows)

    def after_matching(self, q: int, new_rows: np.ndarray) -> None:
        """Book the support paid on this quarter's new projects."""
        p = self.model.projects
        mine = new_rows[p.instrument[new_rows] == self.index]
        self.book(q, "outputs", mine.size)
        self.pay(q, float(p.subsidy[mine].sum()))
