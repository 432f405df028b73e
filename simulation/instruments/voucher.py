"""Innovation voucher: a credit note a smart firm spends on a project with a digital SME."""

from __future__ import annotations

from .. import rng
from ..instrument_types import VOUCHER
from .support import ProjectSupport


class InnovationVoucher(ProjectSupport, declared=VOUCHER):
    """Vouchers issued in calls to smart firms, spent with a local digital SME.

    Each call issues vouchers to applicants (chance ``apply_rate`` x awareness) in
    random order while the call's share of the budget pays ``voucher_value`` each.
    A share ``redemption`` of holders use theirs within ``validity_quarters``; the others
    let it lapse. A used voucher pays ``funding_rate`` of the project value up to its
    value. Deadweight arises by itself: some holders would have started a project anyway
    (the voucher then only pays for it). Outputs: projects funded.
    """

    PURPOSE = rng.VOUCHER
    EFFECT = "raises enabling SMEs: redeemed vouchers start projects with digital SMEs"

    def act(self, q: int) -> None:
        """Run a call: issue vouchers within the call's allowance."""
        p = self.params
        applicants = self.draw_applicants(q, self.free_firms(q),
                                          p["apply_rate"] * self.model.firms.awareness)
        issued = self.affordable(q, applicants, p["voucher_value"])
        self.attach(q, issued, p["voucher_value"], p["funding_rate"], 1.0,
                    int(p["validity_quarters"]), p["redemption"])
