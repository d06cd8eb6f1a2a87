"""
One-click unsubscribe (RFC 8058): `POST` with `List-Unsubscribe=One-Click` turns the event's
email off without a login and answers 200; `GET` shows a page with a button and changes
nothing; tampered and foreign tokens change nothing.
"""

import re

import pytest
from django.core import signing
from django.test import Client

from notifications.selectors import allows
from notifications.unsubscribe import SALT, unsubscribe_url
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def client() -> Client:
    # Mail clients post without a session or CSRF token: so does this one.
    return Client(enforce_csrf_checks=True)


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_the_url_is_under_the_public_base_url(settings, user):
    settings.PUBLIC_BASE_URL = "https://api.minbil.test"

    url = unsubscribe_url(user_id=user.pk, event="inspection.due")

    assert url.startswith("https://api.minbil.test/unsubscribe/")


def test_one_click_post_turns_that_events_email_off_and_answers_200(client, user):
    path = path_of(unsubscribe_url(user_id=user.pk, event="inspection.due"))

    response = client.post(path, ONE_CLICK, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert not allows(user, "inspection.due", "email")
    assert allows(user, "inspection.due", "push")  # only that event's email
    assert allows(user, "booking.accepted", "email")
    assert f"{user.email} gets no more “EU-kontroll due” emails" in response.content.decode()


def test_one_click_post_as_multipart_works_too(client, user):
    path = path_of(unsubscribe_url(user_id=user.pk, event="message.new"))

    response = client.post(path, {"List-Unsubscribe": "One-Click"})  # multipart/form-data

    assert response.status_code == 200
    assert not allows(user, "message.new", "email")


def test_get_shows_a_button_and_changes_nothing(client, user):
    path = path_of(unsubscribe_url(user_id=user.pk, event="inspection.due"))

    response = client.get(path)

    assert response.status_code == 200
    page = response.content.decode()
    assert '<form method="post" action="">' in page
    assert '<input type="hidden" name="List-Unsubscribe" value="One-Click">' in page
    assert "<script" not in page and "http" not in page.split("<body>")[1]
    assert allows(user, "inspection.due", "email")
    csp = response["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'; style-src 'nonce-")
    assert "form-action 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_a_post_without_the_one_click_body_changes_nothing(client, user):
    path = path_of(unsubscribe_url(user_id=user.pk, event="inspection.due"))

    response = client.post(path, "", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert allows(user, "inspection.due", "email")


def tampered(token: str) -> str:
    """The token with its payload naming another user (the signature no longer fits)."""
    payload, rest = token.split(":", 1)
    other = signing.b64_encode(b'[999,"inspection.due"]').decode()
    assert other != payload
    return f"{other}:{rest}"


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(
            lambda user: tampered(signing.dumps([user.pk, "inspection.due"], salt=SALT)),
            id="tampered",
        ),
        pytest.param(
            lambda user: signing.dumps([user.pk, "inspection.due"], salt="accounts.other"),
            id="other-salt",
        ),
        pytest.param(
            lambda user: signing.dumps(
                [user.pk, "inspection.due"], salt=SALT, key="another-deployments-secret-key"
            ),
            id="other-secret-key",
        ),
        pytest.param(
            lambda user: signing.dumps([user.pk, "booking.exploded"], salt=SALT), id="unknown-event"
        ),
        pytest.param(lambda user: signing.dumps({"user": user.pk}, salt=SALT), id="wrong-shape"),
        pytest.param(lambda user: "nonsense", id="garbage"),
    ],
)
def test_tampered_and_foreign_tokens_change_nothing(client, user, make_token):
    victim = UserFactory()
    path = f"/unsubscribe/{make_token(user)}"

    response = client.post(path, ONE_CLICK, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert "This unsubscribe link is not valid" in response.content.decode()
    for someone in (user, victim):
        assert allows(someone, "inspection.due", "email")


def test_a_deleted_account_link_changes_nothing(client):
    gone = UserFactory()
    path = path_of(unsubscribe_url(user_id=gone.pk, event="inspection.due"))
    gone.delete()

    response = client.post(path, ONE_CLICK, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400


def test_the_page_speaks_the_users_language(client):
    owner = UserFactory(language="nb")
    path = path_of(unsubscribe_url(user_id=owner.pk, event="inspection.due"))

    question = client.get(path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    done = client.post(
        path, ONE_CLICK, content_type="application/x-www-form-urlencoded"
    ).content.decode()

    assert '<html lang="nb">' in question
    assert f"Slutte å sende e-poster om «Frist for EU-kontroll» til {owner.email}?" in question
    assert "Stopp disse e-postene" in question
    assert f"Ferdig: {owner.email} får ikke flere e-poster om «Frist for EU-kontroll»." in done


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_refused(client, user, method):
    path = path_of(unsubscribe_url(user_id=user.pk, event="inspection.due"))

    assert getattr(client, method)(path).status_code == 405
    assert allows(user, "inspection.due", "email")
