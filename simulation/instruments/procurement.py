"""Challenge-driven procurement: public challenges that digital SMEs solve for a sector."""

from __future__ import annotations

import numpy as np

from .. import rng
from ..params import Param
from .support import ProjectSupport


class ChallengeProcurement(ProjectSupport):
    """Calls that buy solutions to smart-sector challenges from digital SMEs.

    Each call takes challenges proposed by eligible smart firms (chance ``apply_rate``
    x awareness), as many as the allowance pays at ``contract_value``. A challenge is a
    fully paid contract worth ``contract_value`` that the firm awards this quarter in an
    open competition: its search covers ``bidders`` more digital SMEs than usual. The
    challenge owner is the smart-sector client, so a solved challenge makes its provider
    an enabling SME. Outputs: contracts awarded.
    """

    kind = "challenge_procurement"
    PURPOSE = rng.CHALLENGE
    DELIVERY = "calls"
    EFFECT = "raises enabling SMEs: each challenge is a paid smart-sector project"
    PARAMS = {
        "contract_value": Param(
            50000.0, 1000.0, 1e7, "EUR", "assumption (provisional): the order of an SBIR-style "
            "phase-1 feasibility contract",
            "Value of one challenge contract, paid in full.",
        ),
        "bidders": Param(
            20, 0, 500, "providers", "assumption (provisional)",
            "Extra digital SMEs considered in the open competition.", integer=True,
        ),
        "apply_rate": Param(
            0.01, 0.0, 1.0, "per call", "assumption (provisional)",
            "Chance per call that a fully aware eligible firm proposes a challenge.",
        ),
    }

    def act(self, q: int) -> None:
        """Run a call: fund challenges and open them to competition this quarter."""
        p, f = self.params, self.model.firms
        owners = self.draw_applicants(q, self.free_firms(q), p["apply_rate"] * f.awareness)
        funded = self.affordable(q, owners, p["contract_value"])
        scale = p["contract_value"] / self.model.params["project_value_median"]
        self.attach(q, funded, p["contract_value"], 1.0, scale, 1, 1.0)
        boosted = f.breadth_until[funded] >= q
        f.breadth_extra[funded] = np.where(
            boosted, np.maximum(f.breadth_extra[funded], int(p["bidders"])), int(p["bidders"]))
        f.breadth_until[funded] = np.maximum(f.breadth_until[funded], q)
