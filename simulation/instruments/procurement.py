"""Challenge-driven procurement: public challenges that digital SMEs solve for a sector."""

from __future__ import annotations

import numpy as np

from .. import rng
from ..instrument_types import PROCUREMENT
from .support import ProjectSupport


class ChallengeProcurement(ProjectSupport, declared=PROCUREMENT):
    """Calls that buy solutions to smart-sector challenges from digital SMEs.

    Each call takes challenges proposed by eligible smart firms (chance ``apply_rate``
    x awareness), as many as the allowance pays at ``contract_value``. A challenge is a
    fully paid contract worth ``contract_value`` that the firm awards this quarter in an
    open competition: its search covers ``bidders`` more digital SMEs than usual. The
    challenge owner is the smart-sector client, so a solved challenge makes its provider
    an enabling SME. Outputs: contracts awarded.
    """

    PURPOSE = rng.CHALLENGE
    EFFECT = "raises enabling SMEs: each challenge is a paid smart-sector project"

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
