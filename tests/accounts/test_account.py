"""
`/api/co/me`: the profile, the email and password changes, account deletion and the data
export. Each answers only for the token's own user.
"""

import base64
import io

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from notifications.models import NotificationPreference
from notifications.services import update_preferences
from tests.accounts.conftest import ME_URL, bearer, obtain, refresh
from tests.factories import DEFAULT_PASSWORD, UserFactory, VehicleFactory, VehicleLinkFactory
from vehicles.models import Vehicle, VehicleLink

User = get_user_model()
pytestmark = pytest.mark.django_db

PASSWORD_URL = f"{ME_URL}/password"
EXPORT_URL = f"{ME_URL}/export"
NEW_PASSWORD = "a-brand-new-unusual-passphrase"


@pytest.fixture
def owner(db):
    return UserFactory(email="kari@example.com", name="Kari", language="en")


@pytest.fixture
def client(owner) -> APIClient:
    return bearer(obtain(owner)["access"])


# --- Profile -----------------------------------------------------------------------------------


def test_profile_shows_the_owner(client, owner):
    response = client.get(ME_URL)

    assert response.status_code == 200
    assert response.json()["data"] == {
        "id": owner.pk,
        "email": "kari@example.com",
        "name": "Kari",
        "language": "en",
        "date_joined": owner.date_joined.isoformat().replace("+00:00", "Z"),
    }
    assert response["X-Request-ID"] == response.json()["meta"]["request_id"]


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
@pytest.mark.parametrize("url", [ME_URL, PASSWORD_URL, EXPORT_URL])
def test_every_account_operation_needs_a_token(method, url):
    if (url, method) not in {
        (ME_URL, "get"),
        (ME_URL, "patch"),
        (ME_URL, "delete"),
        (EXPORT_URL, "get"),
    }:
        method = "post"
    response = getattr(APIClient(), method)(url, {}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_patch_changes_name_and_language_only(client, owner):
    response = client.patch(ME_URL, {"name": "Kari Nordmann", "language": "nb"}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Kari Nordmann"
    assert response.json()["data"]["language"] == "nb"
    owner.refresh_from_db()
    assert (owner.name, owner.language, owner.email) == ("Kari Nordmann", "nb", "kari@example.com")


def test_an_empty_patch_changes_nothing(client, owner):
    response = client.patch(ME_URL, {}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Kari"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"language": "sv"}, "language"),
        ({"language": 1}, "language"),
        ({"name": "x" * 151}, "name"),
        ({"name": 5}, "name"),
        ({"email": "not-an-email", "current_password": DEFAULT_PASSWORD}, "email"),
        ({"email": "new@example.com"}, "current_password"),
    ],
)
def test_bad_profile_input_is_400_and_changes_nothing(client, owner, body, field):
    response = client.patch(ME_URL, {"name": "Changed", **body}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["details"]
    owner.refresh_from_db()
    assert (owner.name, owner.email, owner.language) == ("Kari", "kari@example.com", "en")


def test_changing_the_email_needs_the_current_password(client, owner):
    response = client.patch(
        ME_URL,
        {"email": " Kari.N@Example.com", "current_password": DEFAULT_PASSWORD},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["data"]["email"] == "kari.n@example.com"
    owner.refresh_from_db()
    assert owner.email == "kari.n@example.com"
    assert obtain(owner)["access"]


def test_a_wrong_current_password_changes_nothing(client, owner):
    response = client.patch(
        ME_URL,
        {"name": "Mallory", "email": "mallory@example.com", "current_password": "wrong"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "current_password" in response.json()["error"]["details"]
    owner.refresh_from_db()
    assert (owner.name, owner.email) == ("Kari", "kari@example.com")


def test_an_email_taken_in_any_case_is_409_and_changes_nothing(client, owner):
    UserFactory(email="ola@example.com")

    response = client.patch(
        ME_URL,
        {"name": "Kari N", "email": "OLA@example.com", "current_password": DEFAULT_PASSWORD},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"
    owner.refresh_from_db()
    assert (owner.name, owner.email) == ("Kari", "kari@example.com")


def test_another_users_token_sees_and_changes_only_that_user(client, owner):
    other = UserFactory(name="Ola")
    other_client = bearer(obtain(other)["access"])

    assert other_client.get(ME_URL).json()["data"]["id"] == other.pk
    other_client.patch(ME_URL, {"name": "Changed"}, format="json")

    owner.refresh_from_db()
    assert owner.name == "Kari"


# --- Password change ---------------------------------------------------------------------------


def test_password_change_gives_this_device_a_new_pair_and_signs_out_the_others(owner):
    phone, tablet = obtain(owner), obtain(owner)

    response = bearer(phone["access"]).post(
        PASSWORD_URL,
        {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )

    assert response.status_code == 200
    pair = response.json()["data"]
    assert set(pair) == {"access", "refresh"}
    for device in (phone, tablet):
        assert bearer(device["access"]).get(ME_URL).status_code == 401
        assert refresh(device["refresh"]).status_code == 401
    assert bearer(pair["access"]).get(ME_URL).status_code == 200
    assert refresh(pair["refresh"]).status_code == 200
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"current_password": "wrong", "new_password": NEW_PASSWORD}, "current_password"),
        ({"current_password": DEFAULT_PASSWORD, "new_password": "short"}, "new_password"),
        ({"current_password": DEFAULT_PASSWORD, "new_password": " " * 12}, "new_password"),
        (
            {"current_password": DEFAULT_PASSWORD, "new_password": "kari@example.com"},
            "new_password",
        ),
        ({"current_password": DEFAULT_PASSWORD}, "new_password"),
        ({"new_password": NEW_PASSWORD}, "current_password"),
        ({"current_password": DEFAULT_PASSWORD, "new_password": 12345678901}, "new_password"),
    ],
)
def test_a_refused_password_change_changes_nothing(owner, device_of_owner, body, field):
    response = bearer(device_of_owner["access"]).post(PASSWORD_URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["details"]
    owner.refresh_from_db()
    assert owner.check_password(DEFAULT_PASSWORD)
    assert bearer(device_of_owner["access"]).get(ME_URL).status_code == 200
    assert refresh(device_of_owner["refresh"]).status_code == 200


@pytest.fixture
def device_of_owner(owner) -> dict:
    return obtain(owner)


# --- Deletion ----------------------------------------------------------------------------------


def test_deleting_the_account_removes_the_owner_and_their_data_but_not_shared_vehicles(owner):
    device = obtain(owner)
    partner = UserFactory()
    car = VehicleFactory(registration_number="BT57225")
    VehicleLinkFactory(user=owner, vehicle=car, is_primary=True)
    VehicleLinkFactory(user=partner, vehicle=car, is_primary=True)
    update_preferences(user=owner, changes={"message.new": {"push": False}})

    response = bearer(device["access"]).delete(
        ME_URL, {"password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["data"]["detail"]
    assert not User.objects.filter(pk=owner.pk).exists()
    assert not VehicleLink.objects.filter(user_id=owner.pk).exists()
    assert not NotificationPreference.objects.filter(user_id=owner.pk).exists()
    assert not OutstandingToken.objects.filter(user_id=owner.pk).exists()
    assert Vehicle.objects.filter(pk=car.pk).exists()
    assert VehicleLink.objects.filter(user=partner, vehicle=car).exists()
    assert bearer(device["access"]).get(ME_URL).status_code == 401
    assert refresh(device["refresh"]).status_code == 401


def jpeg() -> str:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(out, "JPEG")
    return base64.b64encode(out.getvalue()).decode()


def test_deleting_the_account_removes_the_owners_photo_files(
    owner, storage, django_capture_on_commit_callbacks
):
    client = bearer(obtain(owner)["access"])
    partner = UserFactory()
    partner_client = bearer(obtain(partner)["access"])
    for each in (client, partner_client):
        linked = each.post(
            "/api/co/vehicles", {"registration_number": "BT57225", "image": jpeg()}, format="json"
        )
        assert linked.status_code == 201
    mine = VehicleLink.objects.get(user=owner)
    theirs = VehicleLink.objects.get(user=partner)
    assert len(storage.files()) == 4

    with django_capture_on_commit_callbacks(execute=True):
        response = client.delete(ME_URL, {"password": DEFAULT_PASSWORD}, format="json")

    assert response.status_code == 200
    assert mine.photo.name not in storage.files()
    assert storage.files() == {theirs.photo.name, theirs.photo_thumbnail.name}


@pytest.mark.parametrize("body", [{"password": "wrong"}, {}, {"password": 1}])
def test_deletion_without_the_right_password_is_400_and_deletes_nothing(client, owner, body):
    VehicleLinkFactory(user=owner)

    response = client.delete(ME_URL, body, format="json")

    assert response.status_code == 400
    assert "password" in response.json()["error"]["details"]
    assert User.objects.filter(pk=owner.pk).exists()
    assert VehicleLink.objects.filter(user=owner).count() == 1
    assert client.get(ME_URL).status_code == 200


def test_another_users_deletion_leaves_this_account(client, owner):
    other = UserFactory()

    bearer(obtain(other)["access"]).delete(ME_URL, {"password": DEFAULT_PASSWORD}, format="json")

    assert not User.objects.filter(pk=other.pk).exists()
    assert client.get(ME_URL).status_code == 200


# --- Export ------------------------------------------------------------------------------------


def test_export_is_one_attachment_with_everything_the_owner_stored(client, owner):
    car = VehicleFactory(registration_number="BT57225")
    VehicleLinkFactory(user=owner, vehicle=car, nickname="Familiebilen", is_primary=True)
    VehicleLinkFactory(user=owner, vehicle=VehicleFactory(registration_number="EL12345"))
    update_preferences(user=owner, changes={"message.new": {"push": False}})

    response = client.get(EXPORT_URL)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="minbil-export-')
    document = response.json()["data"]
    assert document["account"]["email"] == "kari@example.com"
    assert document["account"]["name"] == "Kari"
    assert set(document["account"]) == {
        "id",
        "email",
        "name",
        "language",
        "date_joined",
        "last_login",
    }
    plates = {v["registration_number"]: v for v in document["vehicles"]}
    assert set(plates) == {"BT57225", "EL12345"}
    assert plates["BT57225"]["nickname"] == "Familiebilen"
    assert plates["BT57225"]["is_primary"] is True
    assert plates["EL12345"]["nickname"] is None
    assert set(plates["BT57225"]) == {
        "registration_number",
        "nickname",
        "is_primary",
        "linked_at",
        "updated_at",
        "image_url",
        "thumbnail_url",
    }
    preferences = document["notification_preferences"]
    assert preferences["effective"]["message.new"] == {"email": True, "push": False}
    assert [(c["event"], c["channel"], c["enabled"]) for c in preferences["changed"]] == [
        ("message.new", "push", False)
    ]


def test_export_holds_nothing_of_another_user_who_linked_the_same_vehicle(client, owner):
    car = VehicleFactory(registration_number="BT57225")
    VehicleLinkFactory(user=owner, vehicle=car, nickname="Min bil", is_primary=True)
    partner = UserFactory(email="ola@example.com", name="Ola Partner")
    VehicleLinkFactory(user=partner, vehicle=car, nickname="Olas bil", is_primary=True)
    update_preferences(user=partner, changes={"booking.requested": {"email": False}})

    text = client.get(EXPORT_URL).content.decode()

    assert "Min bil" in text
    for foreign in ("ola@example.com", "Ola Partner", "Olas bil"):
        assert foreign not in text
    assert '"changed":[]' in text


def test_export_queries_do_not_grow_with_the_number_of_vehicles(client, owner):
    VehicleLinkFactory(user=owner, is_primary=True)
    with CaptureQueriesContext(connection) as one:
        client.get(EXPORT_URL)
    VehicleLinkFactory.create_batch(10, user=owner)
    with CaptureQueriesContext(connection) as eleven:
        client.get(EXPORT_URL)

    assert len(one) == len(eleven)
