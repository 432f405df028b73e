"""Matchmaking / digital innovation hub: wider search, awareness and brokered contacts."""

from __future__ import annotations

from .. import rng
from ..kernels.brokering import broker_ties
from ..params import Param
from .base import PolicyInstrument


class Matchmaking(PolicyInstrument):
    """A hub that takes smart firms into a programme each quarter.

    Participants are chosen among eligible applicants (chance ``apply_rate`` x awareness)
    in random order, as many as the quarter's share of the year's budget pays at
    ``cost_per_participant``. Each participant gains awareness of its digital needs,
    searches ``extra_breadth`` more providers for ``boost_quarters`` quarters, and is
    introduced to the most capable of ``broker_candidates`` digital SMEs (a tie).
    Accounts: applications, participants (beneficiaries), ties brokered (outputs), spend.
    """

    kind = "matchmaking"
    PARAMS = {
        "cost_per_participant": Param(
            2000.0, 1.0, 1e6, "EUR", "assumption (provisional)",
            "Public cost of taking one firm through the programme.",
        ),
        "apply_rate": Param(
            0.02, 0.0, 1.0, "per quarter", "assumption (provisional)",
            "Chance per quarter that a fully aware eligible firm applies.",
        ),
        "extra_breadth": Param(
            5, 0, 100, "providers", "assumption (provisional)",
            "Extra providers a participant looks at when searching.", integer=True,
        ),
        "boost_quarters": Param(
            4, 1, 40, "quarters", "assumption (provisional)",
            "Quarters the wider search lasts.", integer=True,
        ),
        "awareness_boost": Param(
            0.3, 0.0, 1.0, "fraction of gap", "assumption (provisional)",
            "Share of a participant's unawareness removed.",
        ),
        "broker_candidates": Param(
            10, 0, 1000, "providers", "assumption (provisional)",
            "Digital SMEs the hub screens for each participant's introduction.", integer=True,
        ),
    }

    def act(self, q: int) -> None:
        """Take this quarter's cohort into the programme."""
        f = self.model.firms
        cost = self.params["cost_per_participant"]
        allowance = self.budget_left(q) / self.quarters_left_in_year(q)
        not_boosted = f.breadth_until < q
        applicants = self.draw_applicants(
            q, self.eligible() & not_boosted, self.params["apply_rate"] * f.awareness, rng.BROKER
        )
        chosen = applicants[: int(allowance // cost)]
        if chosen.size and not self.commit(q, chosen.size * cost):
            raise RuntimeError("matchmaking cohort exceeded the allowance")
        f.breadth_extra[chosen] = int(self.params["extra_breadth"])
        f.breadth_until[chosen] = q + int(self.params["boost_quarters"]) - 1
        f.awareness[chosen] += self.params["awareness_boost"] * (1.0 - f.awareness[chosen])
        ties = broker_ties(
            chosen, f.ties, self.model.smes.alive, self.model.smes.capability,
            self.model.region_index, q, self.model.stream,
            int(self.params["broker_candidates"]), rng.BROKER_TIE * 64 + self.index,
        )
        self.book(q, "applications", applicants.size)
        self.book(q, "beneficiaries", chosen.size)
        self.book(q, "outputs", ties)
        self.book(q, "spend", chosen.size * cost)
