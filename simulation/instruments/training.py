"""Skills and training: digital SMEs' capability and smart firms' absorptive capacity."""

from __future__ import annotations

from .. import rng
from ..instrument_types import TRAINING
from .base import PolicyInstrument


class SkillsTraining(PolicyInstrument, declared=TRAINING):
    """Training places delivered each quarter to digital SMEs and to smart firms.

    The quarter's allowance pays places at ``cost_per_trainee``; a share ``sme_share``
    go to digital SMEs (applicants: chance ``apply_rate``), the rest to smart firms of
    the instrument's sectors (chance ``apply_rate`` x awareness). A trained SME closes
    ``capability_boost`` of its gap to full capability in every domain (better projects,
    more successes); a trained firm closes ``absorptive_boost`` of its gap to full
    absorptive capacity (more demand and more successful projects). Outputs: places.
    """

    PURPOSE = rng.TRAINING
    EFFECT = "raises enabling SMEs: projects succeed more often"

    def act(self, q: int) -> None:
        """Fill this quarter's places."""
        p, f, s = self.params, self.model.firms, self.model.smes
        firms, smes = self.fill_places(q, p["cost_per_trainee"], p["sme_share"],
                                       p["apply_rate"] * f.awareness, p["apply_rate"])
        support = (smes.size + firms.size) * p["cost_per_trainee"]
        self.disburse(q, support)
        s.capability[smes] += p["capability_boost"] * (1.0 - s.capability[smes])
        f.absorptive[firms] += p["absorptive_boost"] * (1.0 - f.absorptive[firms])
        self.reach(q, "smes", smes)
        self.reach(q, "firms", firms)
        self.book(q, "outputs", smes.size + firms.size)
