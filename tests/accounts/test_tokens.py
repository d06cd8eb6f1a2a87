"""
Sign-out, on one device or everywhere, and what it does to tokens already issued; refresh
tokens that work exactly once, also when sent many times at once.
"""

from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken

from minbil.accounts.services import issue_tokens
from tests.accounts.conftest import ME_URL, bearer, obtain, refresh
from tests.factories import UserFactory
from tests.threads import run_at_once

pytestmark = pytest.mark.django_db

LOGOUT_URL = "/api/auth/logout"
LOGOUT_ALL_URL = "/api/auth/logout-all"


def test_logout_blacklists_the_refresh_token_and_answers_200(device):
    response = APIClient().post(LOGOUT_URL, {"refresh": device["refresh"]}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["detail"]
    assert "request_id" in response.json()["meta"]
    assert refresh(device["refresh"]).status_code == 401


@pytest.mark.parametrize("token", ["garbage", "eyJhbGciOiJIUzI1NiJ9.e30.x"])
def test_logout_with_an_unknown_token_is_still_200(token):
    response = APIClient().post(LOGOUT_URL, {"refresh": token}, format="json")

    assert response.status_code == 200
    assert not BlacklistedToken.objects.exists()


def test_logout_twice_is_200_both_times(device):
    first = APIClient().post(LOGOUT_URL, {"refresh": device["refresh"]}, format="json")
    second = APIClient().post(LOGOUT_URL, {"refresh": device["refresh"]}, format="json")

    assert (first.status_code, second.status_code) == (200, 200)
    assert BlacklistedToken.objects.count() == 1


def test_logout_needs_no_access_token_even_an_expired_one(device):
    """The app can always sign out: a stale bearer header does not get in the way."""
    client = bearer("expired.or.garbage")

    response = client.post(LOGOUT_URL, {"refresh": device["refresh"]}, format="json")

    assert response.status_code == 200
    assert refresh(device["refresh"]).status_code == 401


@pytest.mark.parametrize("body", [{}, {"refresh": 12}, {"refresh": None}])
def test_logout_with_bad_input_is_400(body):
    response = APIClient().post(LOGOUT_URL, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"]["refresh"]


def test_logout_of_one_device_leaves_the_others_signed_in(user):
    phone, tablet = obtain(user), obtain(user)

    APIClient().post(LOGOUT_URL, {"refresh": phone["refresh"]}, format="json")

    assert refresh(tablet["refresh"]).status_code == 200
    assert bearer(tablet["access"]).get(ME_URL).status_code == 200


def test_logout_all_refuses_every_access_and_refresh_token_at_once(user):
    phone, tablet = obtain(user), obtain(user)

    response = bearer(phone["access"]).post(LOGOUT_ALL_URL)

    assert response.status_code == 200
    for device in (phone, tablet):
        refused = bearer(device["access"]).get(ME_URL)
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "token_not_valid"
        assert refresh(device["refresh"]).status_code == 401
    assert bearer(obtain(user)["access"]).get(ME_URL).status_code == 200


def test_logout_all_blacklists_every_outstanding_refresh_token(user):
    for _ in range(3):
        obtain(user)
    other = obtain(UserFactory())

    bearer(obtain(user)["access"]).post(LOGOUT_ALL_URL)

    outstanding = OutstandingToken.objects.filter(user=user)
    assert outstanding.count() == 4
    assert BlacklistedToken.objects.filter(token__in=outstanding).count() == 4
    assert refresh(other["refresh"]).status_code == 200


def test_logout_all_costs_the_same_queries_for_1_or_20_tokens(user):
    def queries_of_logout_all(owner) -> int:
        access = obtain(owner)["access"]
        with CaptureQueriesContext(connection) as captured:
            assert bearer(access).post(LOGOUT_ALL_URL).status_code == 200
        return len(captured)

    busy = UserFactory()
    for _ in range(19):
        issue_tokens(user=busy)

    assert queries_of_logout_all(user) == queries_of_logout_all(busy)


def test_logout_all_without_a_token_is_401():
    response = APIClient().post(LOGOUT_ALL_URL)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_logout_all_by_another_user_leaves_this_user_signed_in(user, device):
    bearer(obtain(UserFactory())["access"]).post(LOGOUT_ALL_URL)

    assert bearer(device["access"]).get(ME_URL).status_code == 200
    assert refresh(device["refresh"]).status_code == 200


def test_tokens_issued_before_the_version_claim_count_as_version_0(user):
    """Tokens in the apps' hands when this release ships keep working until a sign-out."""
    legacy = AccessToken.for_user(user)  # simplejwt's own class: no version claim

    assert bearer(str(legacy)).get(ME_URL).status_code == 200
    bearer(obtain(user)["access"]).post(LOGOUT_ALL_URL)
    assert bearer(str(legacy)).get(ME_URL).status_code == 401


def test_the_profile_costs_one_query_token_check_included(user, device, django_assert_num_queries):
    client = bearer(device["access"])

    with django_assert_num_queries(1):  # the user row, read by the authentication
        response = client.get(ME_URL)

    assert response.status_code == 200


def test_a_rotated_refresh_token_is_itself_revocable(user, device):
    rotated = refresh(device["refresh"]).json()

    bearer(rotated["access"]).post(LOGOUT_ALL_URL)

    assert OutstandingToken.objects.filter(user=user).count() == 2
    assert refresh(rotated["refresh"]).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_8_parallel_refreshes_of_one_token_make_exactly_one_new_pair():
    """Rotation is single-use under any concurrency: one 200, seven 401."""
    user = UserFactory()
    token = obtain(user)["refresh"]

    statuses = run_at_once([lambda: refresh(token).status_code for _ in range(8)])

    assert Counter(statuses) == {200: 1, 401: 7}
    assert BlacklistedToken.objects.filter(token__jti__isnull=False).count() == 1
    assert (
        OutstandingToken.objects.filter(user=user).count() == 2
    )  # the first and its one successor
