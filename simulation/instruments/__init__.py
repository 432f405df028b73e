"""Policy instruments: one base class, one subclass per instrument type."""

from .base import ACCOUNTS, COMMON_PARAMS, PolicyInstrument
from .matchmaking import Matchmaking
from .voucher import InnovationVoucher

INSTRUMENT_TYPES: dict[str, type[PolicyInstrument]] = {
    cls.kind: cls for cls in (InnovationVoucher, Matchmaking)
}
"""Instrument classes by the ``type`` name used in scenario files."""

__all__ = [
    "ACCOUNTS",
    "COMMON_PARAMS",
    "INSTRUMENT_TYPES",
    "InnovationVoucher",
    "Matchmaking",
    "PolicyInstrument",
]
