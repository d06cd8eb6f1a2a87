"""
Every operation accepts exactly the request content types its schema documents; any other is
`415 unsupported_media_type` in the error envelope. Read from the committed schema, so new
operations are covered as they are added.
"""

import json
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from tests.api.conftest import caller_of
from tests.api.test_envelope import assert_error_envelope

pytestmark = pytest.mark.django_db

SCHEMA = yaml.safe_load((Path(settings.BASE_DIR) / "openapi.yaml").read_text(encoding="utf-8"))
BODIES = {
    "application/json": (json.dumps({"nickname": "x"}), "application/json"),
    "multipart/form-data": (encode_multipart(BOUNDARY, {"nickname": "x"}), MULTIPART_CONTENT),
    "application/x-www-form-urlencoded": ("nickname=x", "application/x-www-form-urlencoded"),
    "text/plain": ("nickname=x", "text/plain"),
}


def operations_with_a_body():
    for path, item in SCHEMA["paths"].items():
        for method, operation in item.items():
            documented = set(operation.get("requestBody", {}).get("content", {}))
            if documented:
                label = f"{method.upper()} {path}"
                yield pytest.param(method, path, caller_of(operation), documented, id=label)


@pytest.mark.parametrize("method, path, caller, documented", list(operations_with_a_body()))
def test_each_operation_takes_exactly_its_documented_content_types(
    request, method, path, caller, documented
):
    client = request.getfixturevalue(caller)
    url = path.replace("{reg}", "BT57225")
    assert documented <= set(BODIES), f"add a body for {documented - set(BODIES)}"

    for media_type, (body, content_type) in BODIES.items():
        response = client.generic(method.upper(), url, body, content_type=content_type)
        if media_type in documented:
            assert response.status_code != 415, (media_type, response.content)
        else:
            assert_error_envelope(response, 415, "unsupported_media_type")


def test_set_primary_is_json_only(owner_client):
    response = owner_client.post(
        "/api/co/vehicles/set-primary", {"registration_number": "BT57225"}, format="multipart"
    )

    assert_error_envelope(response, 415, "unsupported_media_type")
