"""Financial instrument: loans backed by a public guarantee, easing SMEs' cash shortfalls."""

from __future__ import annotations

import numpy as np

from .. import rng
from ..instrument_types import FINANCE
from .base import PolicyInstrument


class FinancialInstrument(PolicyInstrument, declared=FINANCE):
    """Guaranteed loans to digital SMEs short of cash, delivered each quarter.

    Eligible SMEs with negative cash and no loan outstanding apply (chance
    ``apply_rate``). The allowance pays the public cost of each loan,
    ``public_cost_share`` of ``loan_size`` (expected guarantee losses and interest
    subsidy). A borrower's cash rises by the loan, which it repays in equal instalments
    over ``term_quarters`` quarters (also after the programme ends); a borrower that
    exits leaves its balance unpaid. Outputs: loans made.
    """

    PURPOSE = rng.LOAN
    RAISES = "smes_alive"
    EFFECT = ("raises surviving digital SMEs: fewer exit on a cash shortfall; the effect on "
              "enabling SMEs is ambiguous (weak providers kept in the market dilute clients' "
              "search; see docs/model.md)")

    def step(self) -> None:
        """Phase 1: collect instalments on this instrument's loans, then lend if delivering."""
        self.collect()
        super().step()

    def collect(self) -> None:
        """Borrowers alive pay this quarter's instalment (cash may go negative)."""
        s = self.model.smes
        owing = (s.loan_instrument == self.index) & s.alive & (s.loan_balance > 0)
        paid = np.minimum(s.loan_payment[owing], s.loan_balance[owing])
        s.cash[owing] -= paid
        s.loan_balance[owing] -= paid

    def act(self, q: int) -> None:
        """Lend to this quarter's applicants within the allowance."""
        p, s = self.params, self.model.smes
        short = self.eligible_smes() & (s.cash < 0) & (s.loan_balance <= 0)
        applicants = self.draw_applicants(q, short, p["apply_rate"], "smes")
        loan = p["loan_size"]
        borrowers = self.affordable(q, applicants, loan * p["public_cost_share"])
        self.disburse(q, borrowers.size * loan * p["public_cost_share"])
        s.cash[borrowers] += loan
        s.loan_balance[borrowers] = loan
        s.loan_payment[borrowers] = loan / int(p["term_quarters"])
        s.loan_instrument[borrowers] = self.index
        self.reach(q, "smes", borrowers)
        self.book(q, "outputs", borrowers.size)

