"""Digitalisation grant (Industria 4.0 style): co-funded digital investment projects."""

from __future__ import annotations

import numpy as np

from .. import rng
from ..instrument_types import GRANT
from .support import ProjectSupport


class DigitalisationGrant(ProjectSupport, declared=GRANT):
    """Competitive calls that co-fund smart firms' digital investment projects.

    Eligible firms apply (chance ``apply_rate`` x awareness); the call ranks them by
    merit (gap to the sector frontier x absorptive capacity) and funds the best while
    the call's allowance pays ``grant_max`` each; the rest are refused (counted). A
    funded project is an investment ``investment_scale`` times a typical project, of
    which the grant pays ``funding_rate`` up to ``grant_max``; a share ``uptake`` of
    grantees carry it out within ``validity_quarters``. Outputs: projects funded.
    """

    PURPOSE = rng.GRANT
    EFFECT = "raises enabling SMEs: funded investments are large projects with digital SMEs"

    def act(self, q: int) -> None:
        """Run a call: rank applicants by merit and fund the best within the allowance."""
        p, f = self.params, self.model.firms
        applicants = self.draw_applicants(q, self.free_firms(q), p["apply_rate"] * f.awareness)
        frontier = self.model.frontier[f.sector[applicants]]
        merit = np.maximum(frontier - f.maturity[applicants], 0.0) * f.absorptive[applicants]
        ranked = applicants[np.argsort(-merit, kind="stable")]
        funded = self.affordable(q, ranked, p["grant_max"])
        self.attach(q, funded, p["grant_max"], p["funding_rate"], p["investment_scale"],
                    int(p["validity_quarters"]), p["uptake"])
