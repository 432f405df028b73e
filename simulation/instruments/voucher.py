"""Innovation voucher: a credit note a smart firm spends on a project with a digital SME."""

from __future__ import annotations

from .. import rng
from ..params import Param
from .support import ProjectSupport

EVIDENCE = "calibration/data/policy_evidence.csv"
"""Where the effect sizes and programme sizes quoted in instrument sources live."""


class InnovationVoucher(ProjectSupport):
    """Vouchers issued in calls to smart firms, spent with a local digital SME.

    Each call issues vouchers to applicants (chance ``apply_rate`` x awareness) in
    random order while the call's share of the budget pays ``voucher_value`` each.
    A share ``redemption`` of holders use theirs within ``validity_quarters``; the others
    let it lapse. A used voucher pays ``funding_rate`` of the project value up to its
    value. Deadweight arises by itself: some holders would have started a project anyway
    (the voucher then only pays for it). Outputs: projects funded.
    """

    kind = "innovation_voucher"
    PURPOSE = rng.VOUCHER
    DELIVERY = "calls"
    EFFECT = "raises enabling SMEs: redeemed vouchers start projects with digital SMEs"
    PARAMS = {
        "calls_per_year": Param(
            4, 1, 4, "calls",
            f"Enterprise Ireland and Invest NI vouchers are open all year ({EVIDENCE})",
            "Calls per year, in the year's first quarters (4 = every quarter).", integer=True,
        ),
        "voucher_value": Param(
            5000.0, 100.0, 1e6, "EUR",
            f"Enterprise Ireland innovation voucher, EUR 5,000 ({EVIDENCE})",
            "Largest amount one voucher pays.",
        ),
        "funding_rate": Param(
            1.0, 0.0, 1.0, "fraction of project value",
            f"Enterprise Ireland standard voucher carries no co-funding ({EVIDENCE})",
            "Share of the project value the voucher pays, up to its value.",
        ),
        "redemption": Param(
            0.9, 0.0, 1.0, "fraction",
            f"1 - share of vouchers unused 0.1, Dutch lottery 2004 ({EVIDENCE})",
            "Share of issued vouchers that their holders use.",
        ),
        "validity_quarters": Param(
            2, 1, 8, "quarters", "assumption (provisional)",
            "Quarters a voucher stays valid, within its calendar year.", integer=True,
        ),
        "apply_rate": Param(
            0.02, 0.0, 1.0, "per quarter", "assumption (provisional)",
            "Chance per call that a fully aware eligible firm applies.",
        ),
    }

    def act(self, q: int) -> None:
        """Run a call: issue vouchers within the call's allowance."""
        p = self.params
        applicants = self.draw_applicants(q, self.free_firms(q),
                                          p["apply_rate"] * self.model.firms.awareness)
        issued = self.affordable(q, applicants, p["voucher_value"])
        self.attach(q, issued, p["voucher_value"], p["funding_rate"], 1.0,
                    int(p["validity_quarters"]), p["redemption"])
