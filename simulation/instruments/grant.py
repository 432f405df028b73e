"""Digitalisation grant (Industria 4.0 style): co-funded digital investment projects."""

from __future__ import annotations

import numpy as np

from .. import rng
from ..params import Param
from .support import ProjectSupport
from .voucher import EVIDENCE

_CANTABRIA = (f"Cantabria Industria 4.0 line 2018-2021: 96 projects, EUR 5.3m grants, "
              f">EUR 16m induced ({EVIDENCE})")


class DigitalisationGrant(ProjectSupport):
    """Competitive calls that co-fund smart firms' digital investment projects.

    Eligible firms apply (chance ``apply_rate`` x awareness); the call ranks them by
    merit (gap to the sector frontier x absorptive capacity) and funds the best while
    the call's allowance pays ``grant_max`` each; the rest are refused (counted). A
    funded project is an investment ``investment_scale`` times a typical project, of
    which the grant pays ``funding_rate`` up to ``grant_max``; a share ``uptake`` of
    grantees carry it out within ``validity_quarters``. Outputs: projects funded.
    """

    kind = "digitalisation_grant"
    PURPOSE = rng.GRANT
    DELIVERY = "calls"
    EFFECT = "raises enabling SMEs: funded investments are large projects with digital SMEs"
    PARAMS = {
        "grant_max": Param(
            55000.0, 1000.0, 1e7, "EUR",
            f"derived: EUR 5.3m / 96 projects = EUR 55,200 per grant; {_CANTABRIA}",
            "Largest grant per project.",
        ),
        "funding_rate": Param(
            0.33, 0.0, 1.0, "fraction of project value",
            f"derived: EUR 5.3m grants / EUR 16m induced investment = 0.33; {_CANTABRIA}",
            "Share of the investment the grant pays.",
        ),
        "investment_scale": Param(
            11.1, 0.1, 100.0, "x typical project value",
            "derived: EUR 16m / 96 projects = EUR 166,700 per project, / project_value_median "
            f"EUR 15,000 = 11.1; {_CANTABRIA}",
            "Size of a funded investment relative to a typical digital project.",
        ),
        "uptake": Param(
            0.9, 0.0, 1.0, "fraction", "assumption (provisional)",
            "Share of grantees that carry out their project.",
        ),
        "validity_quarters": Param(
            4, 1, 8, "quarters", "assumption (provisional)",
            "Quarters a grantee has to contract its project, within the calendar year.",
            integer=True,
        ),
        "apply_rate": Param(
            0.01, 0.0, 1.0, "per call", "assumption (provisional)",
            "Chance per call that a fully aware eligible firm applies.",
        ),
    }

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
