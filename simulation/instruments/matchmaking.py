"""Matchmaking / digital innovation hub: wider search, awareness and brokered contacts."""

from __future__ import annotations

from .. import rng
from ..instrument_types import MATCHMAKING
from ..kernels.brokering import broker_ties
from .base import PolicyInstrument


class Matchmaking(PolicyInstrument, declared=MATCHMAKING):
    """A hub that takes smart firms into a programme each quarter.

    Participants are chosen among eligible applicants (chance ``apply_rate`` x awareness)
    in random order, as many as the quarter's allowance pays at ``cost_per_participant``.
    Each participant gains awareness of its digital needs, searches ``extra_breadth``
    more providers for ``boost_quarters`` quarters, and is introduced to the most capable
    of ``broker_candidates`` digital SMEs (a tie); a share ``project_chance`` turn the
    contact into a project request at once. Outputs: ties brokered.
    """

    PURPOSE = rng.BROKER
    EFFECT = "raises enabling SMEs: wider search and brokered ties lead to more matches"

    def act(self, q: int) -> None:
        """Take this quarter's cohort into the programme."""
        p, f, s = self.params, self.model.firms, self.model.smes
        applicants = self.draw_applicants(q, self.eligible_firms() & (f.breadth_until < q),
                                          p["apply_rate"] * f.awareness)
        chosen = self.affordable(q, applicants, p["cost_per_participant"])
        support = chosen.size * p["cost_per_participant"]
        self.disburse(q, support)
        f.breadth_extra[chosen] = int(p["extra_breadth"])
        f.breadth_until[chosen] = q + int(p["boost_quarters"]) - 1
        self.make_ready(q, chosen, q + int(p["boost_quarters"]) - 1, p["project_chance"])
        f.awareness[chosen] += p["awareness_boost"] * (1.0 - f.awareness[chosen])
        ties = broker_ties(chosen, f.ties, s.alive, s.capability, self.model.region_index, q,
                           self.model.stream, int(p["broker_candidates"]),
                           rng.BROKER_TIE * 64 + self.index)
        self.reach(q, "firms", chosen)
        self.book(q, "outputs", ties)
