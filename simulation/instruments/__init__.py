"""Policy instruments: one base class, one subclass per instrument type (MODEL.md section 5).

What a scenario declares of each type (its parameters) is in :mod:`simulation.instrument_types`,
which imports no model code.
"""

from ..instrument_types import CALL_PARAMS, COMMON_PARAMS
from .accelerator import Accelerator
from .assessment import MaturityAssessment
from .base import ACCOUNTS, PolicyInstrument
from .cluster import ClusterProgramme
from .finance import FinancialInstrument
from .grant import DigitalisationGrant
from .matchmaking import Matchmaking
from .procurement import ChallengeProcurement
from .support import ProjectSupport
from .training import SkillsTraining
from .voucher import InnovationVoucher

INSTRUMENT_TYPES: dict[str, type[PolicyInstrument]] = {
    cls.kind: cls
    for cls in (InnovationVoucher, MaturityAssessment, Matchmaking, ClusterProgramme,
                DigitalisationGrant, SkillsTraining, Accelerator, ChallengeProcurement,
                FinancialInstrument)
}
"""Instrument classes by the ``type`` name used in scenario files."""

__all__ = [
    "ACCOUNTS",
    "CALL_PARAMS",
    "COMMON_PARAMS",
    "INSTRUMENT_TYPES",
    "Accelerator",
    "ChallengeProcurement",
    "ClusterProgramme",
    "DigitalisationGrant",
    "FinancialInstrument",
    "InnovationVoucher",
    "Matchmaking",
    "MaturityAssessment",
    "PolicyInstrument",
    "ProjectSupport",
    "SkillsTraining",
]
