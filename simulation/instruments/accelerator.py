"""Accelerator / incubator: start-ups, their survival and their turn to smart-sector clients."""

from __future__ import annotations

import numpy as np

from .. import rng
from ..instrument_types import ACCELERATOR
from .base import PolicyInstrument

YOUNG_QUARTERS = 8
"""Digital SMEs younger than this (two years) may join an accelerator cohort."""


class Accelerator(PolicyInstrument, declared=ACCELERATOR):
    """Yearly cohorts of digital start-ups, mentored towards smart-sector clients.

    Each call's allowance pays cohort places at ``cost_per_startup``. A share
    ``additional_share`` of the places go to start-ups that would not have been founded
    otherwise (new digital SMEs, on top of the region's births); the other places go to
    young SMEs (under two years) that apply (chance ``apply_rate``). Every member gets
    ``seed_funding`` in cash (part of the place's cost; it keeps young firms alive
    through cash shortfalls), has its orientation towards smart-sector clients raised
    to at least ``orientation_floor``, and closes ``capability_boost`` of its capability
    gap. Outputs: start-ups founded through the programme.
    """

    PURPOSE = rng.ACCELERATOR
    EFFECT = "raises enabling SMEs: more start-ups survive and serve smart-sector clients"

    def act(self, q: int) -> None:
        """Select this call's cohort and found the additional start-ups."""
        p, s = self.params, self.model.smes
        places = self.places(q, p["cost_per_startup"])
        founded = int(round(places * p["additional_share"]))
        young = self.eligible_smes() & (q - s.birth_q < YOUNG_QUARTERS)
        selected = self.admit(q, self.draw_applicants(q, young, p["apply_rate"], "smes"),
                              places - founded)
        cohort = np.concatenate([selected, self.model.add_startups(founded)])
        self.disburse(q, cohort.size * p["cost_per_startup"])
        s = self.model.smes  # the table may have grown
        s.cash[cohort] += min(p["seed_funding"], p["cost_per_startup"])
        s.orientation[cohort] = np.maximum(s.orientation[cohort], p["orientation_floor"])
        s.capability[cohort] += p["capability_boost"] * (1.0 - s.capability[cohort])
        self.reach(q, "smes", cohort)
        self.book(q, "outputs", founded)
