"""
Contract fuzzing: Schemathesis generates requests for every operation of the live schema (at
least `FUZZ_EXAMPLES` per operation, 100 by default) and sends them through the WSGI app as a
fresh user. No answer may be a server error, and every answer must be documented: its status,
its content type, its headers and its body.

The account operations must not destroy the fuzzed owner for the cases that follow: the owner's
password is random, so no generated case can delete the account or change its password or
email (those cases are refused, as documented), and every case gets an access token minted for
the owner's current token version, so a generated `logout-all` (which succeeds) does not turn
every later case into a `401`.
"""

import os
import secrets
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from minbil.accounts.tokens import TOKEN_VERSION_CLAIM
from minbil.wsgi import application
from tests.factories import UserFactory
from vehicles.services import link_vehicle

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Requests sent per operation, printed at the end of the run (see tests/conftest.py).
CASES_PER_OPERATION: Counter[str] = Counter()


# The schema the running app serves, loaded through its WSGI entry point.
schema = schemathesis.openapi.from_wsgi("/api/schema?format=json", application)


@pytest.fixture
def owner(in_process_wsgi, settings, tmp_path):
    """
    A fresh owner with the sandbox's three vehicles linked (so lists and details have data
    to validate), and the app set up for in-process requests.
    """
    # Limits that would only turn generated cases into 429s are lifted for the run.
    settings.AUTH_THROTTLE_RATE = "1000000/minute"
    settings.LOGIN_EMAIL_THROTTLE_RATE = "1000000/minute"
    settings.PASSWORD_RESET_EMAIL_THROTTLE_RATE = "1000000/minute"
    settings.REGISTER_LOOKUP_THROTTLE_RATE = "1000000/hour"
    settings.MEDIA_ROOT = tmp_path  # generated photo uploads stay out of the project's media/
    owner = UserFactory(password=secrets.token_urlsafe(24))
    for plate in ("BT57225", "EL12345", "KH45678"):
        link_vehicle(user=owner, registration_number=plate, nickname=f"Bil {plate}")
    return owner


def bearer(owner) -> dict[str, str]:
    """An access token for the owner as they are now (after any sign-out everywhere)."""
    owner.refresh_from_db(fields=["token_version"])
    token = AccessToken.for_user(owner)
    token[TOKEN_VERSION_CLAIM] = owner.token_version
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@hypothesis_settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_honours_its_contract(case, owner):
    CASES_PER_OPERATION[case.operation.label] += 1
    case.call_and_validate(headers=bearer(owner), checks=CHECKS)
