"""
Password reset by email: the request (always `202`), the email through a real SMTP
connection to a local server, the confirm operation, and the page behind the link.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from kombu.exceptions import OperationalError as BrokerError
from rest_framework.test import APIClient

from minbil import mail
from minbil.accounts import services
from minbil.accounts.tasks import send_password_reset
from minbil.celery import app as celery_app
from minbil.mail import EmailNotSent
from tests.accounts.conftest import ME_URL, bearer, obtain, refresh
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.servers import free_port

User = get_user_model()
pytestmark = pytest.mark.django_db

RESET_URL = "/api/auth/password-reset"
CONFIRM_URL = "/api/auth/password-reset/confirm"
NEW_PASSWORD = "a-brand-new-unusual-passphrase"
LINK = re.compile(r"http://localhost:5000/reset\?uid=(?P<uid>[\w-]+)&token=(?P<token>[\w-]+)")


@pytest.fixture
def eager_retries(monkeypatch):
    """Celery's eager mode runs a task's retries at once, but only when it lets errors be."""
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)


def ask_for_reset(address: str, **client_kwargs):
    return APIClient(**client_kwargs).post(RESET_URL, {"email": address}, format="json")


def confirm(uid: str, token: str, new_password: str = NEW_PASSWORD):
    return APIClient().post(
        CONFIRM_URL, {"uid": uid, "token": token, "new_password": new_password}, format="json"
    )


def parts(message) -> tuple[str, str]:
    """The plain-text and HTML bodies of a multipart/alternative message."""
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_reset_end_to_end_through_a_real_smtp_connection(smtp_inbox, settings):
    owner = UserFactory(email="kari@example.com", name="Kari")
    old_device = obtain(owner)

    response = ask_for_reset("  KARI@Example.com ")

    assert response.status_code == 202
    assert response.json()["data"]["detail"]
    assert smtp_inbox.received.wait(5)
    (message,) = smtp_inbox.messages
    assert message["To"] == "kari@example.com"
    assert message["From"] == settings.DEFAULT_FROM_EMAIL
    assert message["Subject"] == "Reset your MinBil password"
    text, html = parts(message)
    link = LINK.search(text)
    assert link, text
    assert "Hi Kari," in text
    assert link.group(0).replace("&", "&amp;") in html

    confirmed = confirm(link["uid"], link["token"])

    assert confirmed.status_code == 200
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    assert bearer(old_device["access"]).get(ME_URL).status_code == 401
    assert refresh(old_device["refresh"]).status_code == 401
    assert obtain(owner, NEW_PASSWORD)["access"]
    reused = confirm(link["uid"], link["token"], "yet-another-unusual-passphrase")
    assert reused.status_code == 400
    assert reused.json()["error"]["code"] == "invalid_token"
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)


@pytest.mark.parametrize("address", ["nobody@example.com", "inactive@example.com"])
def test_no_account_answers_202_and_sends_nothing(mailoutbox, address):
    UserFactory(email="inactive@example.com", is_active=False)

    response = ask_for_reset(address)

    assert response.status_code == 202
    assert response.json()["data"] == ask_for_reset("kari@example.com").json()["data"]
    assert mailoutbox == []


def test_an_unreachable_smtp_server_still_answers_202_and_logs(settings, caplog, eager_retries):
    """The answer never tells whether the account exists, not even by failing."""
    UserFactory(email="kari@example.com")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    settings.EMAIL_TIMEOUT = 2

    response = ask_for_reset("kari@example.com")

    assert response.status_code == 202
    assert "accounts/email/password_reset" in caplog.text
    assert "token=" not in caplog.text


def test_the_request_only_queues_the_email_for_a_worker(monkeypatch, mailoutbox):
    owner = UserFactory(email="kari@example.com")
    queued = []
    monkeypatch.setattr(send_password_reset, "delay", queued.append)

    known = ask_for_reset("kari@example.com")
    unknown = ask_for_reset("nobody@example.com")

    assert (known.status_code, unknown.status_code) == (202, 202)
    assert queued == [owner.pk]
    assert mailoutbox == []  # nothing is sent by the request itself


def test_an_unreachable_job_broker_still_answers_202_and_logs(monkeypatch, caplog):
    UserFactory(email="kari@example.com")

    def unreachable(user_id):
        raise BrokerError("Connection refused")

    monkeypatch.setattr(send_password_reset, "delay", unreachable)

    response = ask_for_reset("kari@example.com")

    assert response.status_code == 202
    assert "not queued" in caplog.text


def test_smtp_trouble_is_retried_by_the_job(monkeypatch, mailoutbox, eager_retries):
    UserFactory(email="kari@example.com")
    real_send, failures = mail.send_email, []

    def flaky_send(**kwargs):
        if len(failures) < 2:
            failures.append(kwargs["template"])
            raise EmailNotSent(kwargs["template"], reason="timed out", transient=True)
        real_send(**kwargs)

    monkeypatch.setattr(services, "send_email", flaky_send)

    assert ask_for_reset("kari@example.com").status_code == 202

    assert len(failures) == 2
    assert [message.to for message in mailoutbox] == [["kari@example.com"]]
    assert LINK.search(mailoutbox[0].body)


def test_a_refused_email_is_not_retried(monkeypatch, caplog):
    UserFactory(email="kari@example.com")
    attempts = []

    def refused(**kwargs):
        attempts.append(1)
        raise EmailNotSent(kwargs["template"], reason="550 mailbox unavailable", transient=False)

    monkeypatch.setattr(services, "send_email", refused)

    assert ask_for_reset("kari@example.com").status_code == 202
    assert attempts == [1]
    assert "not sent: 550 mailbox unavailable" in caplog.text


@pytest.mark.parametrize(
    "body", [{}, {"email": "not-an-email"}, {"email": 5}, {"email": "x" * 250 + "@a.no"}]
)
def test_reset_with_bad_input_is_400(mailoutbox, body):
    response = APIClient().post(RESET_URL, body, format="json")

    assert response.status_code == 400
    assert "email" in response.json()["error"]["details"]
    assert mailoutbox == []


def test_resets_are_throttled_per_email_from_any_ip(settings, mailoutbox):
    settings.PASSWORD_RESET_EMAIL_THROTTLE_RATE = "3/hour"
    UserFactory(email="kari@example.com")
    statuses = [
        ask_for_reset("kari@example.com", REMOTE_ADDR=f"203.0.113.{i}").status_code
        for i in range(4)
    ]

    assert statuses == [202, 202, 202, 429]
    assert len(mailoutbox) == 3
    assert ask_for_reset("ola@example.com", REMOTE_ADDR="203.0.113.9").status_code == 202


def test_resets_are_throttled_per_ip(settings):
    settings.AUTH_THROTTLE_RATE = "2/minute"
    client = APIClient(REMOTE_ADDR="203.0.113.7")
    statuses = [
        client.post(RESET_URL, {"email": f"{i}@example.com"}, format="json").status_code
        for i in range(3)
    ]

    assert statuses == [202, 202, 429]


def reset_link(mailoutbox, owner) -> re.Match:
    ask_for_reset(owner.email)
    return LINK.search(mailoutbox[-1].body)


@pytest.mark.parametrize(
    "uid, token",
    [
        ("MQ", "wrong-token"),
        ("not-base64!", "x"),
        ("OTk5OTk5", "x"),  # a user id that does not exist
        ("", ""),
    ],
)
def test_a_wrong_link_is_400_invalid_token(uid, token):
    owner = UserFactory()

    response = confirm(uid, token)

    assert response.status_code == 400
    assert response.json()["error"]["code"] in ("invalid_token", "validation_error")
    owner.refresh_from_db()
    assert owner.check_password(DEFAULT_PASSWORD)


def test_another_users_token_does_not_open_this_account(mailoutbox):
    owner, other = UserFactory(), UserFactory()
    link = reset_link(mailoutbox, other)
    owners_uid = reset_link(mailoutbox, owner)["uid"]

    response = confirm(owners_uid, link["token"])

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_token"
    owner.refresh_from_db()
    assert owner.check_password(DEFAULT_PASSWORD)


def test_an_expired_link_is_400_invalid_token(mailoutbox, settings):
    owner = UserFactory()
    link = reset_link(mailoutbox, owner)
    settings.PASSWORD_RESET_TIMEOUT = -1

    response = confirm(link["uid"], link["token"])

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_token"


@pytest.mark.parametrize("weak", ["short", " " * 10, "1234567890123"])
def test_a_weak_new_password_is_400_and_the_link_still_works(mailoutbox, weak):
    owner = UserFactory()
    link = reset_link(mailoutbox, owner)

    refused = confirm(link["uid"], link["token"], weak)

    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "validation_error"
    assert "new_password" in refused.json()["error"]["details"]
    assert confirm(link["uid"], link["token"]).status_code == 200


# --- The page behind the link ------------------------------------------------------------------


def page_link(mailoutbox, owner) -> str:
    return reset_link(mailoutbox, owner).group(0).removeprefix("http://localhost:5000")


def test_the_reset_page_is_a_self_contained_form(client, mailoutbox):
    owner = UserFactory()

    response = client.get(page_link(mailoutbox, owner))

    assert response.status_code == 200
    page = response.content.decode()
    assert '<input type="password" id="new_password"' in page
    nonce = re.search(r'<style nonce="([^"]+)">', page)[1]
    csp = response["Content-Security-Policy"]
    assert f"style-src 'nonce-{nonce}'" in csp
    assert "default-src 'none'" in csp
    assert "form-action 'self'" in csp
    assert response["Referrer-Policy"] == "no-referrer"
    assert not re.search(r"(src|href)=\"https?:", page)
    assert "<script" not in page


def test_the_reset_page_sets_the_password_once(client, mailoutbox):
    owner = UserFactory()
    url = page_link(mailoutbox, owner)
    uid_token = dict(re.findall(r"(uid|token)=([\w-]+)", url))

    done = client.post(
        "/reset", {**uid_token, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}
    )

    assert done.status_code == 200
    assert "Your password is changed" in done.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(NEW_PASSWORD)
    again = client.get(url)
    assert again.status_code == 400
    assert "wrong, already used or expired" in again.content.decode()


@pytest.mark.parametrize(
    "typed, again, message",
    [
        (NEW_PASSWORD, "something-else-entirely", "not the same"),
        ("short", "short", "too short"),
        (" " * 10, " " * 10, "only of spaces"),
    ],
)
def test_the_reset_page_refuses_what_the_api_refuses(client, mailoutbox, typed, again, message):
    owner = UserFactory()
    uid_token = dict(re.findall(r"(uid|token)=([\w-]+)", page_link(mailoutbox, owner)))

    response = client.post(
        "/reset", {**uid_token, "new_password": typed, "new_password_again": again}
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    owner.refresh_from_db()
    assert owner.check_password(DEFAULT_PASSWORD)


def test_the_reset_page_with_a_wrong_link_says_so(client):
    response = client.get("/reset?uid=MQ&token=nope")

    assert response.status_code == 400
    assert "wrong, already used or expired" in response.content.decode()
