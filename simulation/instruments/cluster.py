"""Cross-sector cluster programme: networking between smart sectors and digital SMEs."""

from __future__ import annotations

import numpy as np

from .. import rng
from ..instrument_types import CLUSTER
from ..kernels.brokering import introduce
from .base import PolicyInstrument


class ClusterProgramme(PolicyInstrument, declared=CLUSTER):
    """A yearly membership programme that brings smart firms and digital SMEs together.

    Each call admits members for the year: smart firms of the instrument's sectors
    (chance ``apply_rate`` x awareness) and digital SMEs (chance ``apply_rate`` x
    orientation), a share ``sme_share`` of the places going to SMEs, each place costing
    ``cost_per_member``. SME members learn the sectors' needs (``experience_boost`` of
    their gap in each of the instrument's sectors) and turn towards smart-sector clients
    (``orientation_boost``); firm members become more aware of their needs and are
    introduced to ``introductions`` SME members. Outputs: introductions.
    """

    PURPOSE = rng.CLUSTER
    EFFECT = "raises enabling SMEs: members meet providers who know their sector"

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
