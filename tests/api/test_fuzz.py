"""
Contract fuzzing: Schemathesis generates requests for every operation of the live schema (up
to `FUZZ_EXAMPLES` per operation, 100 by default) and sends them through the WSGI app as a
fresh user. No answer may be a server error, every answer must be documented (its status,
content type, headers and body), every request the schema allows must be accepted
(`positive_data_acceptance`) and every request it forbids refused (`negative_data_rejection`,
malformed multipart bodies included).

The configuration is generic: nothing here names an operation, so an operation added later
falls under the same checks. What the schema cannot say is handled by kind, each with its
reason:

- `format: byte` and `format: binary` strings are photos (the API has no other byte strings),
  and OpenAPI cannot require bytes to be an image: they are generated as small real JPEG, PNG
  and WebP photos, so a valid request carries a valid photo and reaches the whole pipeline.
- OpenAPI cannot require two values to be equal: in a valid request that sends both
  `registration_number` and its alias `reg`, they are made to name the same vehicle.
- NUL characters are refused in every text field (Django REST framework), which OpenAPI
  cannot say of every string: they are not generated (`allow_x00=False`).
- Authentication is the fixture's bearer token on every request: Schemathesis does not make
  up `Authorization` headers of its own (`with_security_parameters=False`), since the token
  sent would replace them and turn a "missing token" case into a valid one.

And four kinds of failure are not counted (`filter_failure`), for these reasons:

- A valid request refused as not a photo (`400 invalid_image`, `415 unsupported_image_type`):
  OpenAPI cannot say that bytes must be a JPEG, PNG, WebP or HEIC image. The generated photos
  are real ones; only the coverage phase's boundary strings (`""`, `"0000"`) are refused.
- A valid request refused for a map's keys (the sender API's `data`: keys of 1 to 64
  characters, none FCM reserves): OpenAPI 3.0 cannot constrain the keys of an object with
  `additionalProperties`, so the rule is stated in the schema's words; a `400` whose details
  name only keys inside such maps is not counted.
- A valid request refused for what only the server can judge, stated in words and not in
  OpenAPI: a `400` naming only password fields (`password`, `*_password`: Django's password
  validators, such as common passwords, likeness to the email or all digits, and a current
  password only the server knows), or `400 invalid_token` (the contract's code for a wrong,
  used or expired one-time token).
- A case whose body Schemathesis labelled wrongly. Its coverage phase builds "only the required
  properties" from `required` alone, ignoring `anyOf` (so `{}` is called valid where one of
  two fields is required), judges a file's bytes against the schema's `type: string` (so a
  valid multipart body is called invalid), and calls a form field invalid for a number or a
  list it put there, which a form can only carry as text; and Werkzeug, the in-process
  transport, writes an empty text field without the line break that ends it, so Django drops
  the field (an empty plate sent properly is refused: see tests/vehicles/test_views.py). Such
  a body is judged again with the schema's own validator, as the app receives it (files as the
  strings the schema says, other form values as text, empty multipart fields left out); where
  that verdict contradicts the label, the failure is not counted.

Unknown query parameters are ignored by the API, as the first release decided (a client
adding a tracking parameter must not break). Schemathesis sends them, and by its own rule does
not count a case whose only fault is a parameter the schema does not declare; every other way
a request can break the schema (unknown body fields where the schema forbids them included)
must be refused.

The account operations must not destroy the fuzzed owner for the cases that follow: the owner's
password is random, so no generated case can delete the account or change its password or
email (those cases are refused, as documented), and every case gets an access token minted for
the owner's current token version, so a generated `logout-all` (which succeeds) does not turn
every later case into a `401`.
"""

import base64
import io
import json
import os
import secrets
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.jsonschema import make_validator
from schemathesis.core.parameters import ParameterLocation
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.transport.serialization import Binary

from minbil.accounts.tokens import TOKEN_VERSION_CLAIM
from minbil.wsgi import application
from tests.factories import UserFactory
from vehicles.services import link_vehicle

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
# The sender API's operations take a service token (security scheme `internalToken`).
SERVICE_TOKEN = secrets.token_urlsafe(32)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    positive_data_acceptance,
    negative_data_rejection,
]
# The checks that judge only requests the schema allows, or only those it forbids.
POSITIVE_ONLY, NEGATIVE_ONLY = positive_data_acceptance, negative_data_rejection

# Requests sent per operation and cases judged per check, printed at the end of the run
# (see tests/conftest.py).
CASES_PER_OPERATION: Counter[str] = Counter()
CASES_PER_CHECK: Counter[str] = Counter()


# --- The schema, and what it cannot describe ----------------------------------------------------

# The schema the running app serves, loaded through its WSGI entry point.
schema = schemathesis.openapi.from_wsgi("/api/schema?format=json", application)
schema.config.generation.update(
    allow_x00=False,
    with_security_parameters=False,
    database="none",  # every run starts afresh, and nothing is written into the repository
)


def photo_bytes(fmt: str, width: int, height: int, red: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (red, 120, 200)).save(out, fmt)
    return out.getvalue()


PHOTOS = st.builds(
    photo_bytes,
    st.sampled_from(["JPEG", "PNG", "WEBP"]),
    st.integers(1, 64),
    st.integers(1, 64),
    st.integers(0, 255),
)
schemathesis.openapi.format("binary", PHOTOS)
schemathesis.openapi.format("byte", PHOTOS.map(lambda data: base64.b64encode(data).decode()))


@schema.hook
def map_case(context, case):
    """A valid request that sends both plate aliases names one vehicle with them."""
    if case.meta is not None and case.meta.generation.mode.is_positive:
        for values in (case.query, case.body):
            if isinstance(values, dict) and "registration_number" in values and "reg" in values:
                values["reg"] = values["registration_number"]
    return case


NOT_A_PHOTO = {"invalid_image", "unsupported_image_type"}


@schema.hook
def filter_failure(context, failure, case, response) -> bool:
    """Keeps every failure except the kinds the module docstring names, for its reasons."""
    if isinstance(failure, RejectedPositiveData):
        return not (
            refused_as_not_a_photo(response)
            or refused_for_secrets(response)
            or refused_for_map_keys(case, response)
            or not valid_as_the_app_receives_it(case)
        )
    if isinstance(failure, AcceptedNegativeData):
        return not (only_the_body_was_invalid(case) and valid_as_the_app_receives_it(case))
    return True


def refused_as_not_a_photo(response) -> bool:
    return response.status_code in (400, 415) and response.json()["error"]["code"] in NOT_A_PHOTO


def refused_for_secrets(response) -> bool:
    if response.status_code != 400:
        return False
    error = response.json()["error"]
    passwords = [key for key in error["details"] if key == "password" or key.endswith("_password")]
    return error["code"] == "invalid_token" or (
        bool(passwords) and passwords == [*error["details"]]
    )


def refused_for_map_keys(case, response) -> bool:
    """A `400` naming only keys inside maps (objects with `additionalProperties` and no
    `properties`), whose rules OpenAPI 3.0 has no keyword for."""
    if response.status_code != 400:
        return False
    body = case.operation.get_body_for_media_type(case.media_type)
    properties = _bundled(body.optimized_schema).get("properties") or {} if body else {}
    details = response.json()["error"]["details"]

    def is_map(name: str) -> bool:
        schema = properties.get(name) or {}
        return bool(schema.get("additionalProperties")) and "properties" not in schema

    return bool(details) and all(
        is_map(name) and isinstance(errors, dict) for name, errors in details.items()
    )


def _bundled(schema: dict) -> dict:
    """The schema a body's `$ref` names in Schemathesis' bundle (`#/x-bundled/...`)."""
    ref = schema.get("$ref", "")
    if ref.startswith("#/x-bundled/"):
        return schema["x-bundled"][ref.removeprefix("#/x-bundled/")]
    return schema


def only_the_body_was_invalid(case) -> bool:
    """Whether the body is the one part Schemathesis made invalid (query, path and headers
    are labelled right, so a case with any of them invalid is judged as labelled)."""
    invalid = {location for location, part in case.meta.components.items() if part.mode.is_negative}
    return invalid == {ParameterLocation.BODY}


def valid_as_the_app_receives_it(case) -> bool:
    """Whether the body, as the app receives it, is one the schema allows (see the module's
    docstring)."""
    body = case.operation.get_body_for_media_type(case.media_type)
    if body is None or not isinstance(case.body, dict):
        return case.meta.generation.mode.is_positive  # as Schemathesis labelled it
    received = case.body
    if case.media_type == "multipart/form-data":
        # A form has only text and files: whatever was generated arrives as text.
        received = {
            key: "(file)" if isinstance(value, Binary) else _as_form_text(value)
            for key, value in case.body.items()
            if isinstance(value, Binary) or value != ""
        }
    validator_class = case.operation.schema.adapter.jsonschema_validator_cls
    return make_validator(body.optimized_schema, validator_class).is_valid(received)


def _as_form_text(value) -> str:
    """A generated value as a multipart field carries it: text (JSON for lists and objects)."""
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, list | dict) else str(value)


# --- The run ----------------------------------------------------------------------------------


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
    settings.PHOTO_UPLOAD_THROTTLE_RATE = "1000000/hour"
    settings.MEDIA_ROOT = tmp_path  # generated photo uploads stay out of the project's media/
    settings.INTERNAL_API_TOKENS = [SERVICE_TOKEN]
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
    database=None,  # (Schemathesis' own setting is above; Hypothesis' default writes one)
)
def test_every_operation_honours_its_contract(case, owner):
    CASES_PER_OPERATION[case.operation.label] += 1
    positive = case.meta is None or case.meta.generation.mode.is_positive
    for check in CHECKS:
        if check is not (NEGATIVE_ONLY if positive else POSITIVE_ONLY):
            CASES_PER_CHECK[check.__name__] += 1
    schemes = {
        name for scheme in case.operation.definition.raw.get("security", []) for name in scheme
    }
    headers = (
        {"Authorization": f"Bearer {SERVICE_TOKEN}"}
        if "internalToken" in schemes
        else bearer(owner)
    )
    case.call_and_validate(headers=headers, checks=CHECKS)
