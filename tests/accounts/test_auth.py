"""
The contract's auth table: register, token, refresh; their separate per-IP throttles and the
token endpoint's per-email throttle.
"""

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


@pytest.mark.parametrize(
    "body, accept_language, language",
    [
        ({}, None, "en"),
        ({}, "nb-NO,nb;q=0.9,en;q=0.5", "nb"),
        ({}, "de-DE", "en"),
        ({"language": "nb"}, "en", "nb"),
    ],
)
def test_register_stores_the_language_given_else_the_requests(
    api_client, body, accept_language, language
):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}

    response = api_client.post(
        REGISTER_URL,
        {"email": "kari@example.com", "password": PASSWORD, **body},
        format="json",
        **headers,
    )

    assert response.status_code == 201
    assert User.objects.get().language == language


def test_register_refuses_an_unknown_language(api_client):
    response = register(api_client, email="kari@example.com", password=PASSWORD, language="sv")

    assert response.status_code == 400
    assert "language" in response.json()["error"]["details"]
    assert not User.objects.exists()


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
        (" " * 8, "only of spaces"),
        ("\t \n  \t \n  ", "only of spaces"),
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


@override_settings(AUTH_THROTTLE_RATE="3/minute")
def test_register_token_and_refresh_each_have_their_own_budget():
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    for _ in range(4):
        client.post(TOKEN_URL, {}, format="json")
    assert client.post(TOKEN_URL, {}, format="json").status_code == 429

    assert client.post(REGISTER_URL, {}, format="json").status_code == 400
    assert client.post(REFRESH_URL, {}, format="json").status_code == 400


def test_the_default_ip_budget_is_120_a_minute(settings):
    assert settings.AUTH_THROTTLE_RATE == "120/minute"
    assert settings.LOGIN_EMAIL_THROTTLE_RATE == "10/minute"


def test_60_owners_behind_one_nat_all_get_tokens_within_a_minute():
    """A carrier NAT carries many owners: one IP, 60 accounts, 60 sign-ins, none throttled."""
    owners = UserFactory.create_batch(60)
    nat = APIClient(REMOTE_ADDR="198.51.100.1")

    statuses = [
        nat.post(
            TOKEN_URL, {"email": owner.email, "password": DEFAULT_PASSWORD}, format="json"
        ).status_code
        for owner in owners
    ]

    assert statuses == [200] * 60


def test_the_11th_attempt_for_one_email_within_a_minute_is_429_from_any_ip():
    UserFactory(email="kari@example.com")
    statuses = [
        APIClient(REMOTE_ADDR=f"203.0.113.{i}")
        .post(TOKEN_URL, {"email": "kari@example.com", "password": "wrong"}, format="json")
        .status_code
        for i in range(10)
    ]

    throttled = APIClient(REMOTE_ADDR="203.0.113.99").post(
        TOKEN_URL, {"email": " KARI@example.com", "password": DEFAULT_PASSWORD}, format="json"
    )

    assert statuses == [401] * 10
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "throttled"
    other = APIClient(REMOTE_ADDR="203.0.113.99").post(
        TOKEN_URL, {"email": UserFactory().email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert other.status_code == 200


@override_settings(AUTH_THROTTLE_RATE="2/minute")
def test_forged_forwarded_for_does_not_dodge_the_throttle():
    client = APIClient(REMOTE_ADDR="203.0.113.9")
    statuses = [
        client.post(TOKEN_URL, {}, format="json", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code
        for i in range(3)
    ]

    assert statuses == [400, 400, 429]
