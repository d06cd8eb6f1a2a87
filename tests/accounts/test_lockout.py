"""
The admin's login locks an account after 10 failures for 15 minutes, even with the right
password; staff can unlock it. The API's token endpoint is neither counted nor locked.
"""

import datetime

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
ATTEMPTS = "/admin/axes/accessattempt/"


@pytest.fixture
def staff(db):
    return UserFactory(email="support@minbil.no", is_staff=True, is_superuser=True)


def admin_login(email: str, password: str, ip: str = "203.0.113.5"):
    return Client(REMOTE_ADDR=ip).post(LOGIN, {"username": email, "password": password})


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def fail_10_times(email: str) -> None:
    for i in range(10):
        response = admin_login(email, f"wrong-{i}", ip=f"203.0.113.{i}")
        assert response.status_code in (200, 429)


def test_the_right_password_logs_in(staff):
    assert logged_in(admin_login(staff.email, DEFAULT_PASSWORD))


def test_9_failures_still_let_the_right_password_in(staff):
    for i in range(9):
        assert admin_login(staff.email, f"wrong-{i}").status_code == 200

    assert logged_in(admin_login(staff.email, DEFAULT_PASSWORD))


def test_10_failures_lock_the_account_even_with_the_right_password_from_any_ip(staff):
    fail_10_times(staff.email)

    locked = admin_login(staff.email, DEFAULT_PASSWORD, ip="198.51.100.77")

    assert locked.status_code == 429
    assert "Account locked" in locked.content.decode()
    assert not logged_in(admin_login(staff.email.upper(), DEFAULT_PASSWORD))


def test_the_lock_ends_after_15_minutes(staff):
    fail_10_times(staff.email)
    assert admin_login(staff.email, DEFAULT_PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - datetime.timedelta(minutes=15, seconds=1)
    )

    assert logged_in(admin_login(staff.email, DEFAULT_PASSWORD))


def test_a_locked_account_does_not_lock_others(staff):
    other = UserFactory(email="admin@minbil.no", is_staff=True, is_superuser=True)
    fail_10_times(staff.email)

    assert logged_in(admin_login(other.email, DEFAULT_PASSWORD))


def test_an_administrator_unlocks_an_account(staff, superuser_client):
    fail_10_times(staff.email)
    assert admin_login(staff.email, DEFAULT_PASSWORD).status_code == 429
    attempt = AccessAttempt.objects.filter(username=staff.email).first()

    page = superuser_client.get(ATTEMPTS)
    response = superuser_client.post(
        ATTEMPTS, {"action": "unlock", "_selected_action": [attempt.pk]}, follow=True
    )

    assert "Unlock the selected accounts" in page.content.decode()
    assert response.status_code == 200
    assert f"Unlocked: {staff.email}." in response.content.decode()
    assert logged_in(admin_login(staff.email, DEFAULT_PASSWORD))


def test_support_cannot_unlock(staff, support_client):
    fail_10_times(staff.email)
    attempt = AccessAttempt.objects.filter(username=staff.email).first()

    support_client.post(ATTEMPTS, {"action": "unlock", "_selected_action": [attempt.pk]})

    assert AccessAttempt.objects.filter(username=staff.email).exists()


def test_api_token_failures_are_not_counted_and_never_lock_the_token_endpoint(staff, settings):
    settings.LOGIN_EMAIL_THROTTLE_RATE = "1000/minute"  # the API's own limit, lifted here
    api = APIClient()
    for i in range(12):
        response = api.post(
            "/api/auth/token", {"email": staff.email, "password": f"x{i}"}, format="json"
        )
        assert response.status_code == 401

    assert not AccessAttempt.objects.exists()
    signed_in = api.post(
        "/api/auth/token", {"email": staff.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert signed_in.status_code == 200
    assert logged_in(admin_login(staff.email, DEFAULT_PASSWORD))


def test_an_admin_lock_does_not_lock_the_api(staff):
    fail_10_times(staff.email)

    response = APIClient().post(
        "/api/auth/token", {"email": staff.email, "password": DEFAULT_PASSWORD}, format="json"
    )

    assert response.status_code == 200
