"""
Conditional GET on the vehicle list, a vehicle's detail and the notification settings: a strong
`ETag` of the data (never of `meta`), `304` without a body for `If-None-Match`, and
`Cache-Control: private, no-cache`; a write changes the tag, so the next read shows it.
"""

import pytest
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from minbil.accounts.tokens import AccountRefreshToken
from minbil.api.conditional import etag_of
from tests.factories import UserFactory, VehicleLinkFactory

pytestmark = pytest.mark.django_db

LIST = "/api/co/vehicles"
SETTINGS = "/api/co/settings/notifications"
READS = [LIST, f"{LIST}/BT57225", f"{LIST}?registration_number=BT57225", SETTINGS]


@pytest.fixture
def owner():
    user = UserFactory()
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {AccountRefreshToken.for_user(user).access_token}"
    )
    for plate in ("BT57225", "EL12345"):
        assert client.post(LIST, {"registration_number": plate}, format="json").status_code == 201
    VehicleLinkFactory(user=user, photo="photos/x.jpg", photo_thumbnail="photos/thumbs/x.jpg")
    client.user = user
    return client


def data_of(response):
    body = response.json()
    return body if response.wsgi_request.path == SETTINGS else body["data"]


@pytest.mark.parametrize("url", READS)
def test_a_read_carries_a_strong_etag_of_its_data_and_cache_control(owner, url):
    first, second = owner.get(url), owner.get(url)

    assert first.status_code == second.status_code == 200
    assert first["ETag"] == second["ETag"] == etag_of(data_of(first))
    assert first["ETag"].startswith('"') and first["ETag"].endswith('"')
    assert first["Cache-Control"] == "private, no-cache"
    if url != SETTINGS:
        assert first.json()["meta"]["request_id"] != second.json()["meta"]["request_id"]


@pytest.mark.parametrize("url", READS)
def test_the_body_is_byte_for_byte_what_the_renderer_makes_of_it(owner, url):
    # The data is encoded once, for the tag, and the envelope is built around those bytes.
    response = owner.get(url)

    assert response.content == JSONRenderer().render(response.json())


def test_indented_json_is_given_when_asked_for(owner):
    response = owner.get(LIST, HTTP_ACCEPT="application/json; indent=2")

    assert response.status_code == 200
    assert response.content.startswith(b'{\n  "data": [\n    {')
    assert response["ETag"] == etag_of(response.json()["data"])


@pytest.mark.parametrize("url", READS)
@pytest.mark.parametrize("given", ["{tag}", "W/{tag}", '"other", {tag}', "*"])
def test_if_none_match_with_the_tag_is_304_without_a_body(owner, url, given):
    etag = owner.get(url)["ETag"]

    response = owner.get(url, HTTP_IF_NONE_MATCH=given.format(tag=etag))

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"] == "private, no-cache"
    assert response["X-Request-ID"]


@pytest.mark.parametrize("url", READS)
@pytest.mark.parametrize("given", ['"other"', "not a tag", ""])
def test_another_tag_answers_200_with_the_data(owner, url, given):
    response = owner.get(url, HTTP_IF_NONE_MATCH=given)

    assert response.status_code == 200
    assert data_of(response)


@pytest.mark.parametrize(
    "url, write",
    [
        (LIST, lambda c: c.patch(f"{LIST}/BT57225", {"nickname": "Bobilen"}, format="json")),
        (LIST, lambda c: c.post(f"{LIST}/set-primary", {"reg": "EL12345"}, format="json")),
        (LIST, lambda c: c.delete(f"{LIST}/BT57225")),
        (f"{LIST}/BT57225", lambda c: c.patch(f"{LIST}/BT57225", {"nickname": "B"}, format="json")),
        (SETTINGS, lambda c: c.put(SETTINGS, {"message.new": {"push": False}}, format="json")),
    ],
)
def test_after_a_write_the_old_tag_answers_200_with_the_change(owner, url, write):
    before = owner.get(url)

    assert write(owner).status_code == 200
    after = owner.get(url, HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert data_of(after) != data_of(before)


def test_a_deactivated_owner_is_refused_even_with_a_current_tag(owner):
    etag = owner.get(LIST)["ETag"]
    owner.user.is_active = False
    owner.user.save()

    response = owner.get(LIST, HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 401


@pytest.mark.parametrize("url", [LIST, SETTINGS])
def test_writes_answer_without_a_tag(owner, url):
    response = (
        owner.put(SETTINGS, {"message.new": {"push": False}}, format="json")
        if url == SETTINGS
        else owner.post(LIST, {"registration_number": "BT57225"}, format="json")
    )

    assert response.status_code == 200
    assert "ETag" not in response
