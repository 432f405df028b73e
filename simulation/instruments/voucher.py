"""Innovation voucher: a credit note a smart firm spends on a project with a digital SME."""

from __future__ import annotations

import numpy as np

from .. import rng
from ..params import Param
from .base import PolicyInstrument

_EVIDENCE = "calibration/data/policy_evidence.csv"


class InnovationVoucher(PolicyInstrument):
    """Vouchers issued in calls; a holder that redeems it contracts a local digital SME.

    Each call commits ``voucher_value`` per voucher against the year's budget and
    issues vouchers to applicants in random order until the call's share of the
    budget is used. A voucher is valid until ``validity_quarters`` have passed (and
    never beyond the end of its year, so spend stays within the year that committed
    it). A share ``redemption`` of holders use it (they demand a project at once); the
    rest let it lapse. Redeemed vouchers pay ``funding_rate`` of the project value up to
    the voucher's value. Deadweight arises by itself: some holders would have started
    a project anyway. Accounts: applications, vouchers issued (beneficiaries), projects
    funded (outputs), spend on redemption.
    """

    kind = "innovation_voucher"
    PARAMS = {
        "voucher_value": Param(
            5000.0, 100.0, 1e6, "EUR",
            f"Enterprise Ireland innovation voucher, EUR 5,000 ({_EVIDENCE})",
            "Largest amount one voucher pays.",
        ),
        "funding_rate": Param(
            1.0, 0.0, 1.0, "fraction of project value",
            f"Enterprise Ireland standard voucher carries no co-funding ({_EVIDENCE})",
            "Share of the project value the voucher pays, up to its value.",
        ),
        "redemption": Param(
            0.9, 0.0, 1.0, "fraction",
            f"1 - share of vouchers unused 0.1, Dutch lottery 2004 ({_EVIDENCE})",
            "Share of issued vouchers that their holders use.",
        ),
        "validity_quarters": Param(
            2, 1, 8, "quarters", "assumption (provisional)",
            "Quarters a voucher stays valid, within its calendar year.", integer=True,
        ),
        "calls_per_year": Param(
            4, 1, 4, "calls", "assumption (provisional)",
            "Calls per year, in the year's first quarters.", integer=True,
        ),
        "apply_rate": Param(
            0.02, 0.0, 1.0, "per quarter", "assumption (provisional)",
            "Chance per quarter that a fully aware eligible firm applies during a call.",
        ),
    }

    def act(self, q: int) -> None:
        """Run a call if one falls in this quarter: issue vouchers within the budget."""
        calls = int(self.params["calls_per_year"])
        quarter_in_year = q % 4
        if quarter_in_year >= calls:
            return
        f = self.model.firms
        value = self.params["voucher_value"]
        allowance = self.budget_left(q) / (calls - quarter_in_year)
        free = f.voucher_until < q
        applicants = self.draw_applicants(
            q, self.eligible() & free & ~f.in_project,
            self.params["apply_rate"] * f.awareness, rng.VOUCHER,
        )
        issued = applicants[: int(allowance // value)]
        if issued.size and not self.commit(q, issued.size * value):
            raise RuntimeError("voucher issuance exceeded the allowance")
        last = min(q + int(self.params["validity_quarters"]) - 1, 4 * (q // 4) + 3)
        f.voucher_until[issued] = last
        f.voucher_value[issued] = value
        f.voucher_rate[issued] = self.params["funding_rate"]
        f.voucher_instrument[issued] = self.index
        f.voucher_redeems[issued] = (
            rng.uniforms(self.model.stream, q, issued, rng.REDEEM, self.index)
            < self.params["redemption"]
        )
        self.book(q, "applications", applicants.size)
        self.book(q, "beneficiaries", issued.size)

    def after_matching(self, q: int, new_rows: np.ndarray) -> None:
        """Book the redemptions made in this quarter's new projects."""
        p = self.model.projects
        mine = new_rows[p.instrument[new_rows] == self.index]
        self.book(q, "outputs", mine.size)
        self.book(q, "spend", float(p.subsidy[mine].sum()))
