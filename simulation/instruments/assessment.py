"""Digital maturity assessment: DEVISE's own pilot action, raising firms' awareness of needs."""

from __future__ import annotations

from .. import rng
from ..instrument_types import ASSESSMENT
from .base import PolicyInstrument


class MaturityAssessment(PolicyInstrument, declared=ASSESSMENT):
    """Assessments of smart firms' digital maturity, delivered each quarter.

    Eligible firms take an assessment (chance ``apply_rate`` per quarter, reached by
    outreach whatever their awareness) as long as the quarter's allowance pays
    ``cost_per_assessment``. The assessment removes a share ``awareness_boost`` of the
    firm's unawareness of its digital needs, which raises its demand for projects, and a
    share ``project_chance`` of assessed firms act on the assessment's recommendations at
    once (they demand a project in the next ``ready_quarters`` quarters until matched).
    Outputs: assessments completed.
    """

    PURPOSE = rng.ASSESSMENT
    EFFECT = "raises enabling SMEs: more aware firms demand more digital projects"

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
