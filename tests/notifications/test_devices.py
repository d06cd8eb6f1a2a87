"""
`/api/co/devices`: registering (an idempotent upsert; a token moves to its new owner; at most
20 per owner), listing and removing; validation; signing out removes the session's device or
all of them; support sees devices without their tokens; the data export lists them.
"""

import datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from minbil.accounts.services import delete_account
from notifications.models import Device
from notifications.services import MAX_DEVICES_PER_USER
from tests.accounts.conftest import bearer, obtain
from tests.factories import DEFAULT_PASSWORD, DeviceFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/co/devices"
TOKEN = "dQw4w9WgXcQ:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqxh9pzcKlo_Df3" + "a" * 90


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def register(client, token: str = TOKEN, **fields):
    return client.post(URL, {"token": token, "platform": "android", **fields}, format="json")


def test_registering_is_an_idempotent_upsert(auth_client, user):
    first = register(auth_client, app_version="4.2.1 (512)")
    again = register(auth_client, platform="ios", app_version="4.3.0")

    assert first.status_code == 201 and again.status_code == 200
    data = again.json()["data"]
    assert data["token"] == TOKEN
    assert (data["platform"], data["app_version"]) == ("ios", "4.3.0")
    assert data["registered_at"] == first.json()["data"]["registered_at"]
    assert data["last_registered_at"] >= data["registered_at"]
    assert data["last_pushed_at"] is None
    assert Device.objects.get().user == user


def test_the_list_shows_the_owners_devices_newest_first(auth_client, user):
    older = DeviceFactory(user=user, last_registered_at=timezone.now() - datetime.timedelta(days=1))
    newer = DeviceFactory(user=user)
    DeviceFactory()  # someone else's

    response = auth_client.get(URL)

    assert response.status_code == 200
    assert [d["token"] for d in response.json()["data"]] == [newer.token, older.token]


def test_a_token_registered_by_another_account_moves_to_the_new_one():
    kari, ola = UserFactory(), UserFactory()
    register(client_for(kari))

    response = register(client_for(ola))

    assert response.status_code == 201
    assert Device.objects.get().user == ola
    assert client_for(kari).get(URL).json()["data"] == []


def test_the_owner_keeps_the_20_devices_registered_last(auth_client, user):
    long_ago = timezone.now() - datetime.timedelta(days=30)
    oldest = DeviceFactory(user=user, last_registered_at=long_ago)
    DeviceFactory.create_batch(
        MAX_DEVICES_PER_USER - 1,
        user=user,
        last_registered_at=long_ago + datetime.timedelta(days=1),
    )

    assert register(auth_client).status_code == 201

    assert Device.objects.filter(user=user).count() == MAX_DEVICES_PER_USER
    assert not Device.objects.filter(pk=oldest.pk).exists()
    assert Device.objects.filter(user=user, token=TOKEN).exists()


def test_removing_a_device(auth_client, user):
    DeviceFactory(user=user, token=TOKEN)

    response = auth_client.delete(f"{URL}/{TOKEN}")

    assert response.status_code == 200
    assert response.json()["data"]["token"] == TOKEN
    assert not Device.objects.exists()
    again = auth_client.delete(f"{URL}/{TOKEN}")
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "device_not_found"


def test_another_owners_device_answers_like_a_missing_one(auth_client):
    DeviceFactory(token=TOKEN)

    response = auth_client.delete(f"{URL}/{TOKEN}")
    missing = auth_client.delete(f"{URL}/{'b' * 40}")

    assert (response.status_code, response.json()["error"]) == (404, missing.json()["error"])
    assert Device.objects.filter(token=TOKEN).exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"token": "too-short", "platform": "android"}, "token"),
        ({"token": "a" * 513, "platform": "android"}, "token"),
        ({"token": "spaces are not " + "a" * 20, "platform": "android"}, "token"),
        ({"token": "æøå" + "a" * 30, "platform": "android"}, "token"),
        ({"token": 12345678901234567890123, "platform": "android"}, "token"),
        ({"token": TOKEN, "platform": "windows"}, "platform"),
        ({"token": TOKEN, "platform": ["ios"]}, "platform"),
        ({"token": TOKEN, "platform": "ios", "app_version": "x" * 33}, "app_version"),
        ({"token": TOKEN, "platform": "ios", "app_version": "<script>"}, "app_version"),
        ({"platform": "ios"}, "token"),
        ({"token": TOKEN}, "platform"),
    ],
)
def test_invalid_devices_are_refused_and_nothing_is_stored(auth_client, body, field):
    response = auth_client.post(URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["details"]
    assert not Device.objects.exists()


def test_anonymous_is_401(api_client):
    assert api_client.get(URL).status_code == 401
    assert (
        api_client.post(URL, {"token": TOKEN, "platform": "ios"}, format="json").status_code == 401
    )
    assert api_client.delete(f"{URL}/{TOKEN}").status_code == 401


# --- Signing out -------------------------------------------------------------------------------


def test_logout_with_the_device_token_removes_that_device(user):
    session = obtain(user)
    this, other = DeviceFactory(user=user, token=TOKEN), DeviceFactory(user=user)

    response = APIClient().post(
        "/api/auth/logout", {"refresh": session["refresh"], "device_token": TOKEN}, format="json"
    )

    assert response.status_code == 200
    assert list(Device.objects.values_list("pk", flat=True)) == [other.pk]
    assert not Device.objects.filter(pk=this.pk).exists()


def test_logout_without_a_device_token_keeps_the_devices(user):
    session = obtain(user)
    DeviceFactory(user=user)

    APIClient().post("/api/auth/logout", {"refresh": session["refresh"]}, format="json")

    assert Device.objects.count() == 1


def test_logout_with_an_expired_session_still_stops_the_push(user):
    DeviceFactory(user=user, token=TOKEN)

    response = APIClient().post(
        "/api/auth/logout", {"refresh": "not-a-valid-token", "device_token": TOKEN}, format="json"
    )

    assert response.status_code == 200
    assert not Device.objects.exists()


def test_signing_out_everywhere_removes_every_device(user):
    session = obtain(user)
    DeviceFactory.create_batch(2, user=user)
    kept = DeviceFactory()

    response = bearer(session["access"]).post("/api/auth/logout-all")

    assert response.status_code == 200
    assert list(Device.objects.values_list("pk", flat=True)) == [kept.pk]


def test_a_new_password_removes_every_device(user):
    session = obtain(user)
    DeviceFactory.create_batch(2, user=user)

    response = bearer(session["access"]).post(
        "/api/co/me/password",
        {"current_password": DEFAULT_PASSWORD, "new_password": "another-long-passphrase"},
        format="json",
    )

    assert response.status_code == 200
    assert not Device.objects.exists()


def test_deleting_the_account_removes_its_devices(user):
    DeviceFactory.create_batch(2, user=user)
    kept = DeviceFactory()

    delete_account(user=user)

    assert list(Device.objects.values_list("pk", flat=True)) == [kept.pk]


# --- Support and the export ----------------------------------------------------------------------


def test_support_sees_the_devices_on_the_users_page_without_tokens(support_client, user):
    device = DeviceFactory(user=user, platform="ios", app_version="4.2.1 (512)")

    page = support_client.get(f"/admin/accounts/user/{user.pk}/change/").content.decode()

    assert "Push devices" in page
    assert "iOS" in page and "4.2.1 (512)" in page
    assert f"…{device.token[-8:]}" in page
    assert device.token not in page


def test_the_export_lists_the_devices(user):
    device = DeviceFactory(user=user)

    export = client_for(user).get("/api/co/me/export").json()["data"]

    (exported,) = export["push_devices"]
    assert exported["token"] == device.token
    assert exported["platform"] == "android"
    assert export["notification_preferences"]["quiet_hours"] is None
