"""The register's state in one small dict, for readiness checks and operators."""

from typing import Any

from django.conf import settings

from vehicles.register import breaker, budget, bulkhead, quota
from vehicles.register.mode import configured_mode


def status() -> dict[str, Any]:
    """
    `mode` (`live`, `sandbox`, or `unconfigured`, which also stops start-up), `breaker`
    (`closed`, `open`, `half_open`), the calls made today against the daily budget (0: no
    budget), the seconds left while the register's own quota is spent (or None), and this
    process's register calls in flight. Reads the cache only: no register call, no query.
    """
    return {
        "mode": configured_mode() or "unconfigured",
        "breaker": str(breaker.state()),
        "calls_today": budget.calls_today(),
        "daily_budget": settings.REGISTER_DAILY_BUDGET,
        "quota_spent_for_seconds": quota.retry_after(),
        "calls_in_flight": bulkhead.in_flight(),
    }
