"""
Statens vegvesen's vehicle register ("enkeltoppslag"): look-ups, parsing and typed errors.

Everything outside this package uses only what is exported here.
"""

from vehicles.register.client import LookupResult, describe_mode, lookup, quota_retry_after
from vehicles.register.errors import (
    RegisterError,
    RegisterQuotaExhausted,
    RegisterUnavailable,
    VehicleNotFound,
)
from vehicles.register.parser import VehicleData, parse_payload

__all__ = [
    "LookupResult",
    "RegisterError",
    "RegisterQuotaExhausted",
    "RegisterUnavailable",
    "VehicleData",
    "VehicleNotFound",
    "describe_mode",
    "lookup",
    "parse_payload",
    "quota_retry_after",
]
