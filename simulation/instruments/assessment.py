"""Digital maturity assessment: DEVISE's own pilot action, raising firms' awareness of needs."""

from __future__ import annotations

from .. import rng
from ..params import Param
from .base import PolicyInstrument


class MaturityAssessment(PolicyInstrument):
    """Assessments of smart firms' digital maturity, delivered each quarter.

    Eligible firms take an assessment (chance ``apply_rate`` per quarter, reached by
    outreach whatever their awareness) as long as the quarter's allowance pays
    ``cost_per_assessment``. The assessment removes a share ``awareness_boost`` of the
    firm's unawareness of its digital needs, which raises its demand for projects, and a
    share ``project_chance`` of assessed firms act on the assessment's recommendations at
    once (they demand a project in the next ``ready_quarters`` quarters until matched).
    Outputs: assessments completed.
    """

    kind = "maturity_assessment"
    PURPOSE = rng.ASSESSMENT
    EFFECT = "raises enabling SMEs: more aware firms demand more digital projects"
    PARAMS = {
        "cost_per_assessment": Param(
            1500.0, 1.0, 1e6, "EUR", "assumption (provisional): two to three consultant days",
            "Public cost of one assessment.",
        ),
        "apply_rate": Param(
            0.01, 0.0, 1.0, "per quarter", "assumption (provisional)",
            "Chance per quarter that an eligible firm takes part.",
        ),
        "awareness_boost": Param(
            0.47, 0.0, 1.0, "fraction of gap",
            "assumption, of the order of the 47% faster diffusion an information platform "
            "brought in an ABM of SME technology adoption (arXiv 2004.11536, "
            "calibration/data/policy_evidence.csv)",
            "Share of a firm's unawareness removed by the assessment.",
        ),
        "project_chance": Param(
            0.1, 0.0, 1.0, "fraction", "assumption (provisional)",
            "Share of assessed firms that start looking for a project at once.",
        ),
        "ready_quarters": Param(
            2, 1, 8, "quarters", "assumption (provisional)",
            "Quarters an assessed firm keeps looking for a provider.", integer=True,
        ),
    }

    def act(self, q: int) -> None:
        """Assess this quarter's applicants within the allowance."""
        p, f = self.params, self.model.firms
        applicants = self.draw_applicants(q, self.eligible_firms(), p["apply_rate"])
        chosen = self.affordable(q, applicants, p["cost_per_assessment"])
        support = chosen.size * p["cost_per_assessment"]
        self.disburse(q, support)
        f.awareness[chosen] += p["awareness_boost"] * (1.0 - f.awareness[chosen])
        self.make_ready(q, chosen, q + int(p["ready_quarters"]) - 1, p["project_chance"])
        self.reach(q, "firms", chosen)
        self.book(q, "outputs", chosen.size)
