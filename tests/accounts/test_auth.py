"""The contract's auth table: register, token, refresh; the per-IP throttle."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import DEFAULT_PASSWORD, UserFactory

User = get_user_model()
pytestmark = pytest.mark.django_db

REGISTER_URL = "/api/auth/register"
TOKEN_URL = "/api/auth/token"
REFRESH_URL = "/api/auth/token/refresh"
PASSWORD = "a-long-unusual-passphrase"


def register(client, **body):
    return client.post(REGISTER_URL, body, format="json")


def test_register_creates_account_and_answers_201_with_the_user(api_client):
    response = register(
        api_client, email="Kari.Nordmann@Example.NO", password=PASSWORD, name="Kari"
    )

    assert response.status_code == 201
    data = response.json()["data"]
    user = User.objects.get()
    assert data == {"id": user.id, "email": "kari.nordmann@example.no", "name": "Kari"}
    assert user.check_password(PASSWORD)
    assert user.password != PASSWORD
    assert not user.is_staff


def test_register_name_is_optional(api_client):
    response = register(api_client, email="nameless@example.com", password=PASSWORD)

    assert response.status_code == 201
    assert response.json()["data"]["name"] == ""


def test_register_with_taken_email_in_any_case_is_409_and_creates_nothing(api_client):
    UserFactory(email="taken@example.com")

    response = register(api_client, email="TAKEN@example.com", password=PASSWORD)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"
    assert "email" in response.json()["error"]["details"]
    assert User.objects.count() == 1


def test_database_refuses_case_variants_of_an_email():
    UserFactory(email="unique@example.com")

    with pytest.raises(IntegrityError), transaction.atomic():
        # Bypasses the manager's normalisation, as a raw write would.
        User.objects.bulk_create([User(email="Unique@Example.com")])


@pytest.mark.parametrize(
    "password, fragment",
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("83749261538", "entirely numeric"),
        ("kari.nordmann.example", "too similar"),
    ],
)
def test_register_applies_django_password_validators(api_client, password, fragment):
    response = register(api_client, email="kari.nordmann@example.com", password=password)

    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert any(fragment in message for message in body["error"]["details"]["password"])
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"password": PASSWORD}, "email"),
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "a@example.com"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "name": "x" * 151}, "name"),
    ],
)
def test_register_rejects_bad_input_with_field_details(api_client, body, field):
    response = api_client.post(REGISTER_URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert not User.objects.exists()


def test_token_pair_through_the_real_endpoints_authenticates_api_calls(api_client):
    register(api_client, email="flow@example.com", password=PASSWORD)

    tokens = api_client.post(
        TOKEN_URL, {"email": "Flow@Example.com", "password": PASSWORD}, format="json"
    )

    assert tokens.status_code == 200
    assert set(tokens.json()) == {"access", "refresh"}  # the JWT library's body, no envelope
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.json()['access']}")
    assert client.get("/api/co/settings/notifications").status_code == 200


def test_token_with_wrong_password_is_401_envelope(api_client):
    user = UserFactory()

    response = api_client.post(
        TOKEN_URL, {"email": user.email, "password": "wrong-password"}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "no_active_account"
    assert "meta" in response.json()


def test_token_for_inactive_user_is_401(api_client):
    user = UserFactory(is_active=False)

    response = api_client.post(
        TOKEN_URL, {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 401


def test_token_without_fields_is_400(api_client):
    response = api_client.post(TOKEN_URL, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"email", "password"}


def obtain(client, user) -> dict:
    response = client.post(
        TOKEN_URL, {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert response.status_code == 200
    return response.json()


def test_refresh_rotates_and_the_old_refresh_token_stops_working(api_client):
    user = UserFactory()
    first = obtain(api_client, user)

    refreshed = api_client.post(REFRESH_URL, {"refresh": first["refresh"]}, format="json")

    assert refreshed.status_code == 200
    assert set(refreshed.json()) == {"access", "refresh"}
    assert refreshed.json()["refresh"] != first["refresh"]
    reused = api_client.post(REFRESH_URL, {"refresh": first["refresh"]}, format="json")
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "token_not_valid"
    again = api_client.post(REFRESH_URL, {"refresh": refreshed.json()["refresh"]}, format="json")
    assert again.status_code == 200


def test_refresh_with_garbage_is_401(api_client):
    response = api_client.post(REFRESH_URL, {"refresh": "garbage"}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_refresh_token_of_a_deleted_user_is_401_not_500(api_client):
    user = UserFactory()
    tokens = obtain(api_client, user)
    user.delete()

    response = api_client.post(REFRESH_URL, {"refresh": tokens["refresh"]}, format="json")

    assert response.status_code == 401


def test_access_token_is_refused_as_a_refresh_token(api_client):
    tokens = obtain(api_client, UserFactory())

    response = api_client.post(REFRESH_URL, {"refresh": tokens["access"]}, format="json")

    assert response.status_code == 401


def test_refresh_token_is_refused_as_an_access_token(api_client):
    tokens = obtain(api_client, UserFactory())
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['refresh']}")

    assert api_client.get("/api/co/settings/notifications").status_code == 401


def test_expired_access_token_is_401(api_client):
    token = AccessToken.for_user(UserFactory())
    token.set_exp(lifetime=timedelta(seconds=-1))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = api_client.get("/api/co/settings/notifications")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


@override_settings(AUTH_THROTTLE_RATE="3/minute")
@pytest.mark.parametrize("url", [REGISTER_URL, TOKEN_URL, REFRESH_URL])
def test_auth_endpoints_are_throttled_per_client_ip(url):
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    for _ in range(3):
        assert client.post(url, {}, format="json").status_code != 429

    throttled = client.post(url, {}, format="json")

    assert throttled.status_code == 429
    body = throttled.json()
    assert body["error"]["code"] == "throttled"
    assert int(throttled["Retry-After"]) > 0
    assert body["error"]["details"]["retry_after"] > 0
    other_ip = APIClient(REMOTE_ADDR="203.0.113.8")
    assert other_ip.post(url, {}, format="json").status_code == 400


@override_settings(AUTH_THROTTLE_RATE="2/minute")
def test_forged_forwarded_for_does_not_dodge_the_throttle():
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    statuses = [
        client.post(TOKEN_URL, {}, format="json", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code
        for i in range(3)
    ]

    assert statuses == [400, 400, 429]
