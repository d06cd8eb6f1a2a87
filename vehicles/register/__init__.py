"""
Statens vegvesen's vehicle register ("enkeltoppslag"): the only code that knows it exists.

Look-ups (live or sandbox) under the rules that keep it cheap and the API fast when it
misbehaves (deadline, breaker, single flight, negative cache, budgets, quota), the parser
that checks what is stored, new vehicles and refreshes with their change records, and the
order vehicles are due for a refresh in. Everything outside this package uses only what is
exported here.
"""

from vehicles.register.due import INSPECTION_DUE, NEVER_FETCHED, ROUTINE, vehicles_due_for_refresh
from vehicles.register.errors import (
    BatchShareExhausted,
    RegisterError,
    RegisterLookupThrottled,
    RegisterQuotaExhausted,
    RegisterUnavailable,
    VehicleNotFound,
)
from vehicles.register.lookups import LookupResult, lookup
from vehicles.register.mode import LIVE, SANDBOX, check_mode, configured_mode, describe_mode
from vehicles.register.parser import VehicleData, parse_payload
from vehicles.register.readiness import status
from vehicles.register.refresh import (
    RefreshOutcome,
    RefreshStatus,
    ScheduledRefresh,
    attempt_vehicle_refresh,
    change_record,
    describe_wait,
    fetched_recently,
    refresh_each,
    refresh_stored_vehicles,
    refresh_vehicle,
    store_new_vehicle,
)

__all__ = [
    "INSPECTION_DUE",
    "LIVE",
    "NEVER_FETCHED",
    "ROUTINE",
    "SANDBOX",
    "BatchShareExhausted",
    "LookupResult",
    "RefreshOutcome",
    "RefreshStatus",
    "RegisterError",
    "RegisterLookupThrottled",
    "RegisterQuotaExhausted",
    "RegisterUnavailable",
    "ScheduledRefresh",
    "VehicleData",
    "VehicleNotFound",
    "attempt_vehicle_refresh",
    "change_record",
    "check_mode",
    "configured_mode",
    "describe_mode",
    "describe_wait",
    "fetched_recently",
    "lookup",
    "parse_payload",
    "refresh_each",
    "refresh_stored_vehicles",
    "refresh_vehicle",
    "status",
    "store_new_vehicle",
    "vehicles_due_for_refresh",
]
