"""
The sender API other MinBil services call, end to end: `202` at once, the email at a local
SMTP server and the push at the FCM stand-in, the status from the delivery log,
idempotency, and who may call it (service tokens only: an owner's JWT is `401`).
"""

import secrets

import pytest
import requests
import schemathesis
from django.core import mail
from rest_framework.test import APIClient
from schemathesis.core.transport import Response

from minbil.wsgi import application
from notifications.models import Delivery, Notification
from notifications.services import update_preferences
from tests.accounts.conftest import obtain
from tests.factories import DeviceFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/internal/notifications"
SERVICE_TOKEN = secrets.token_urlsafe(32)
SCHEMA = schemathesis.openapi.from_wsgi("/api/schema?format=json", application)


@pytest.fixture(autouse=True)
def _service_tokens(settings):
    settings.INTERNAL_API_TOKENS = [secrets.token_urlsafe(32), SERVICE_TOKEN]


def service(token: str = SERVICE_TOKEN) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def body(**fields) -> dict:
    return {
        "email": "kari@example.com",
        "event": "booking.accepted",
        "title": "Bestillingen er bekreftet",
        "body": "Verkstedet venter deg mandag kl. 08:00.",
        "data": {"booking_id": "8812"},
        "idempotency_key": "booking:8812:accepted",
        **fields,
    }


def documented(response, method: str, path: str) -> None:
    """The answer is exactly as the served OpenAPI schema says (status, headers, body)."""
    answer = Response(
        status_code=response.status_code,
        headers={name: [value] for name, value in response.headers.items()},
        content=response.content,
        request=requests.Request(method, f"http://testserver{path}").prepare(),
        elapsed=0.0,
        verify=True,
    )
    SCHEMA.find_operation_by_label(f"{method} {path}").validate_response(answer)


@pytest.fixture
def kari(db):
    return UserFactory(email="kari@example.com", name="Kari", language="nb")


def test_a_notification_goes_out_by_email_and_push_end_to_end(
    kari, smtp_inbox, fcm, django_capture_on_commit_callbacks
):
    device = DeviceFactory(user=kari)

    with django_capture_on_commit_callbacks(execute=True):
        response = service().post(URL, body(), format="json")

    assert response.status_code == 202
    notification_id = response.json()["data"]["id"]
    assert response.json()["data"]["idempotency_key"] == "booking:8812:accepted"
    documented(response, "POST", URL)
    assert smtp_inbox.received.wait(5)
    (email,) = smtp_inbox.messages
    assert email["To"] == "kari@example.com"
    assert email["Subject"] == "Bestillingen er bekreftet"
    text = email.get_body(preferencelist=("plain",)).get_content()
    assert "Hei Kari," in text  # the owner's language around the text as given
    assert "Verkstedet venter deg mandag kl. 08:00." in text
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/unsubscribe/" in email["List-Unsubscribe"]
    (push,) = fcm.messages
    assert (push.token, push.title, push.body) == (
        device.token,
        "Bestillingen er bekreftet",
        "Verkstedet venter deg mandag kl. 08:00.",
    )
    assert push.data == {"event": "booking.accepted", "booking_id": "8812"}

    status = service().get(f"{URL}/{notification_id}")

    assert status.status_code == 200
    documented(status, "GET", f"{URL}/{{notification_id}}")
    data = status.json()["data"]
    assert (data["id"], data["user_id"], data["event"]) == (
        notification_id,
        kari.pk,
        "booking.accepted",
    )
    assert data["idempotency_key"] == "booking:8812:accepted"
    (by_email,) = data["channels"]["email"]
    (by_push,) = data["channels"]["push"]
    assert (by_email["status"], by_email["device"], by_email["attempts"]) == ("sent", None, 1)
    assert (by_push["status"], by_push["device"]) == ("sent", f"android …{device.token[-8:]}")


def test_the_answer_comes_before_anything_is_sent(kari, fcm):
    DeviceFactory(user=kari)

    response = service().post(URL, body(), format="json")  # the transaction never commits

    assert response.status_code == 202
    assert mail.outbox == [] and fcm.messages == []
    assert set(Delivery.objects.values_list("channel", "status")) == {
        ("email", "queued"),
        ("push", "queued"),
    }
    state = service().get(f"{URL}/{response.json()['data']['id']}").json()["data"]
    assert [d["status"] for d in state["channels"]["push"]] == ["queued"]


def test_the_same_key_again_answers_200_with_the_first_id_and_sends_nothing_more(
    kari, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = service().post(URL, body(), format="json")
    with django_capture_on_commit_callbacks(execute=True):
        again = service().post(URL, body(), format="json")

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["data"]["id"] == first.json()["data"]["id"]
    documented(again, "POST", URL)
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_the_same_key_with_another_notification_is_refused(kari):
    first = service().post(URL, body(), format="json")

    other = service().post(URL, body(title="Bestillingen er avlyst"), format="json")

    assert other.status_code == 409
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    documented(other, "POST", URL)
    assert Notification.objects.get().pk == first.json()["data"]["id"]
    assert Notification.objects.get().title == "Bestillingen er bekreftet"


def test_the_owner_may_be_named_by_id_or_by_email_in_any_case(kari):
    fields = {k: v for k, v in body().items() if k != "email"}

    by_id = service().post(
        URL, {**fields, "user_id": kari.pk, "idempotency_key": "a"}, format="json"
    )
    by_email = service().post(
        URL, body(email="KARI@Example.com", idempotency_key="b"), format="json"
    )

    assert (by_id.status_code, by_email.status_code) == (202, 202)
    assert list(Notification.objects.values_list("user_id", flat=True)) == [kari.pk, kari.pk]


def test_a_preference_turned_off_is_honoured(kari, fcm, django_capture_on_commit_callbacks):
    DeviceFactory(user=kari)
    update_preferences(user=kari, changes={"booking.accepted": {"email": False}})

    with django_capture_on_commit_callbacks(execute=True):
        response = service().post(URL, body(), format="json")

    state = service().get(f"{URL}/{response.json()['data']['id']}").json()["data"]
    assert state["channels"]["email"][0]["status"] == "skipped_by_preference"
    assert state["channels"]["push"][0]["status"] == "sent"
    assert mail.outbox == [] and len(fcm.messages) == 1


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Token {SERVICE_TOKEN}", f"Bearer {SERVICE_TOKEN} extra"],
)
def test_anything_but_a_service_token_is_401(kari, authorization):
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)

    response = client.post(URL, body(), format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="internal"'
    assert not Notification.objects.exists()


def test_an_owners_jwt_is_401(kari):
    access = obtain(kari)["access"]

    sent = service(access).post(URL, body(), format="json")
    read = service(access).get(f"{URL}/1")

    assert (sent.status_code, read.status_code) == (401, 401)
    assert not Notification.objects.exists()


def test_a_service_token_opens_nothing_of_the_owners_api(kari):
    assert service().get("/api/co/me").status_code == 401


def test_no_service_token_configured_refuses_every_call(kari, settings):
    settings.INTERNAL_API_TOKENS = []

    assert service().post(URL, body(), format="json").status_code == 401


@pytest.mark.parametrize("owner", [{"email": "nobody@example.com"}, {"email": "gone@example.com"}])
def test_an_unknown_or_inactive_owner_is_404(kari, owner):
    UserFactory(email="gone@example.com", is_active=False)

    response = service().post(URL, body(**owner), format="json")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "user_not_found"
    documented(response, "POST", URL)
    assert not Notification.objects.exists()


def test_an_unknown_user_id_is_404(kari):
    fields = {k: v for k, v in body().items() if k != "email"}

    response = service().post(URL, {**fields, "user_id": kari.pk + 1000}, format="json")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "change, field",
    [
        ({"event": "booking.exploded"}, "event"),
        ({"event": "inspection.due"}, "event"),  # this backend's own reminders
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"body": "x" * 2001}, "body"),
        ({"idempotency_key": "has spaces"}, "idempotency_key"),
        ({"idempotency_key": "k" * 191}, "idempotency_key"),
        ({"data": {"n": 1}}, "data"),
        ({"data": {f"k{i}": "v" for i in range(11)}}, "data"),
        ({"data": {"k": "v" * 201}}, "data"),
        ({"data": {"from": "x"}}, "data"),
        ({"data": {"google.c.a": "x"}}, "data"),
        ({"data": {"": "x"}}, "data"),
        ({"data": {"k" * 65: "x"}}, "data"),
        ({"data": ["a"]}, "data"),
        ({"user_id": 1}, "user_id"),  # with the email: one of the two
        ({"email": "not an email"}, "email"),
        ({"email": None}, "email"),
    ],
)
def test_invalid_requests_are_400_and_store_nothing(kari, change, field):
    response = service().post(URL, body(**change), format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert field in response.json()["error"]["details"]
    documented(response, "POST", URL)
    assert not Notification.objects.exists()


@pytest.mark.parametrize("missing", ["event", "title", "body", "idempotency_key"])
def test_missing_fields_are_400(kari, missing):
    fields = {k: v for k, v in body().items() if k != missing}

    response = service().post(URL, fields, format="json")

    assert response.status_code == 400
    assert missing in response.json()["error"]["details"]


def test_neither_user_id_nor_email_is_400(kari):
    fields = {k: v for k, v in body().items() if k != "email"}

    response = service().post(URL, fields, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"user_id", "email"}


def test_an_unknown_notification_is_404(kari):
    response = service().get(f"{URL}/999999")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "notification_not_found"
    documented(response, "GET", f"{URL}/{{notification_id}}")
