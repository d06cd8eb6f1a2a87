"""
Contract fuzzing: Schemathesis generates requests for every operation of the live schema (at
least `FUZZ_EXAMPLES` per operation, 100 by default) and sends them through the WSGI app as a
fresh user. No answer may be a server error, and every answer must be documented: its status,
its content type, its headers and its body.
"""

import os
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
def bearer(in_process_wsgi, settings):
    """
    A fresh owner with the sandbox's three vehicles linked (so lists and details have data
    to validate), and the app set up for in-process requests.
    """
    # Limits that would only turn generated cases into 429s are lifted for the run.
    settings.AUTH_THROTTLE_RATE = "1000000/minute"
    settings.REGISTER_LOOKUP_THROTTLE_RATE = "1000000/hour"
    owner = UserFactory()
    for plate in ("BT57225", "EL12345", "KH45678"):
        link_vehicle(user=owner, registration_number=plate, nickname=f"Bil {plate}")
    return {"Authorization": f"Bearer {AccessToken.for_user(owner)}"}


@schema.parametrize()
@hypothesis_settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_honours_its_contract(case, bearer):
    CASES_PER_OPERATION[case.operation.label] += 1
    case.call_and_validate(headers=bearer, checks=CHECKS)
