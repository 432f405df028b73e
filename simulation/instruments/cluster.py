"""Cross-sector cluster programme: networking between smart sectors and digital SMEs."""

from __future__ import annotations

import numpy as np

from .. import rng
from ..kernels.brokering import introduce
from ..params import Param
from .base import PolicyInstrument

_FRENCH_CLUSTERS = (
    "French cluster policy: membership alone raises SME R&D and employment, but cluster "
    "policy struggles to raise firms' centrality in knowledge networks (HAL hal-03222070, "
    "halshs-04008120; calibration/data/policy_evidence.csv)"
)


class ClusterProgramme(PolicyInstrument):
    """A yearly membership programme that brings smart firms and digital SMEs together.

    Each call admits members for the year: smart firms of the instrument's sectors
    (chance ``apply_rate`` x awareness) and digital SMEs (chance ``apply_rate`` x
    orientation), a share ``sme_share`` of the places going to SMEs, each place costing
    ``cost_per_member``. SME members learn the sectors' needs (``experience_boost`` of
    their gap in each of the instrument's sectors) and turn towards smart-sector clients
    (``orientation_boost``); firm members become more aware of their needs and are
    introduced to ``introductions`` SME members. Outputs: introductions.
    """

    kind = "cluster_programme"
    PURPOSE = rng.CLUSTER
    TARGET = "both"
    DELIVERY = "calls"
    EFFECT = "raises enabling SMEs: members meet providers who know their sector"
    PARAMS = {
        "cost_per_member": Param(
            3000.0, 1.0, 1e6, "EUR per member per year", "assumption (provisional)",
            "Public cost of one member's place for a year.",
        ),
        "sme_share": Param(
            0.3, 0.0, 1.0, "fraction of places", "assumption (provisional)",
            "Share of the places that go to digital SMEs.",
        ),
        "apply_rate": Param(
            0.02, 0.0, 1.0, "per call", "assumption (provisional)",
            "Chance per call that a fully aware firm (or fully oriented SME) applies.",
        ),
        "introductions": Param(
            1, 0, 4, "ties per firm member",
            f"assumption (provisional), kept low: {_FRENCH_CLUSTERS}",
            "SME members each firm member is introduced to.", integer=True,
        ),
        "experience_boost": Param(
            0.1, 0.0, 1.0, "fraction of gap", "assumption (provisional)",
            "Share of an SME member's inexperience in each cluster sector removed.",
        ),
        "orientation_boost": Param(
            0.2, 0.0, 1.0, "fraction of gap", f"assumption (provisional); {_FRENCH_CLUSTERS}",
            "Share of an SME member's distance to full smart-sector orientation removed.",
        ),
        "awareness_boost": Param(
            0.1, 0.0, 1.0, "fraction of gap", "assumption (provisional)",
            "Share of a firm member's unawareness removed.",
        ),
    }

    def act(self, q: int) -> None:
        """Admit this call's members and run the year's networking."""
        p, f, s = self.params, self.model.firms, self.model.smes
        unit = p["cost_per_member"]
        firms, smes = self.fill_places(q, unit, p["sme_share"], p["apply_rate"] * f.awareness,
                                       p["apply_rate"] * s.orientation)
        self.disburse(q, (firms.size + smes.size) * unit)
        s.orientation[smes] += p["orientation_boost"] * (1.0 - s.orientation[smes])
        block = np.ix_(smes, self.sectors)
        s.experience[block] += p["experience_boost"] * (1.0 - s.experience[block])
        f.awareness[firms] += p["awareness_boost"] * (1.0 - f.awareness[firms])
        made = introduce(firms, smes, f.ties, self.model.region_index, q, self.model.stream,
                         int(p["introductions"]), self.tag)
        self.reach(q, "firms", firms)
        self.reach(q, "smes", smes)
        self.book(q, "outputs", made)
