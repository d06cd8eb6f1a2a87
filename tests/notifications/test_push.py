"""
Push through FCM's HTTP v1 API, against a local stand-in of it and of Google's token
endpoint: the message, the access token, one message per device, what FCM's errors do
(devices removed, retries after `Retry-After`), preferences and quiet hours, the console
backend, and queries that do not grow with the owner's devices.
"""

import datetime
import json

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import tasks
from notifications.delivery import dispatch
from notifications.delivery.fcm_standin import (
    AUDIENCE,
    PROJECT_ID,
    SCOPE,
    invalid_token,
    permission_denied,
    quota_exceeded,
    unavailable,
    unregistered,
)
from notifications.models import Delivery, Device, Notification
from notifications.quiet_hours import OSLO, quiet_until
from notifications.services import NotificationRequest, notify, update_preferences
from tests.factories import DeviceFactory, UserFactory

pytestmark = pytest.mark.django_db


def request(user, key: str = "message:1:new", **fields) -> NotificationRequest:
    return NotificationRequest(
        **{
            "user_id": user.pk,
            "event": "message.new",
            "idempotency_key": key,
            "title": "Ny melding fra verkstedet",
            "body": "Bilen din er klar for henting.",
            "data": {"thread_id": "77"},
            **fields,
        }
    )


def deliver_all() -> dict:
    return dispatch.deliver(notification_ids=Notification.objects.values_list("pk", flat=True))


def pushes():
    return Delivery.objects.filter(channel="push").order_by("pk")


def test_a_push_arrives_with_title_body_data_and_the_access_token(fcm, user):
    device = DeviceFactory(user=user)
    notify(request(user))

    assert deliver_all() == {"sent": 2}  # the email and the push

    (message,) = fcm.messages
    assert message.token == device.token
    assert (message.title, message.body) == (
        "Ny melding fra verkstedet",
        "Bilen din er klar for henting.",
    )
    assert message.data == {"event": "message.new", "thread_id": "77"}
    assert message.bearer == fcm.access_tokens[0]
    (claims,) = fcm.assertions  # the JWT assertion, verified with the key's public half
    assert claims["iss"] == fcm.client_email and claims["aud"] == AUDIENCE
    assert claims["scope"] == SCOPE
    delivery = pushes().get()
    assert delivery.status == "sent"
    assert delivery.provider_message_id == f"projects/{PROJECT_ID}/messages/1"
    assert delivery.address == f"android …{device.token[-8:]}"
    assert delivery.device_id == device.pk
    device.refresh_from_db()
    assert device.last_pushed_at is not None
    assert len(mail.outbox) == 1


def test_the_access_token_is_fetched_once_and_shared_by_later_batches(fcm, user):
    DeviceFactory(user=user)
    for n in range(3):
        notify(request(user, key=f"k{n}"))
        deliver_all()

    assert len(fcm.messages) == 3
    assert len(fcm.access_tokens) == 1
    assert {m.bearer for m in fcm.messages} == set(fcm.access_tokens)


def test_each_device_gets_its_own_message_and_delivery(fcm, user):
    devices = DeviceFactory.create_batch(3, user=user)
    DeviceFactory()  # someone else's

    notify(request(user))
    deliver_all()

    assert sorted(m.token for m in fcm.messages) == sorted(d.token for d in devices)
    assert [d.device_id for d in pushes()] == [d.pk for d in devices]
    assert set(pushes().values_list("status", flat=True)) == {"sent"}


def test_an_owner_without_devices_gets_the_email_and_no_push(fcm, user):
    notify(request(user))

    assert deliver_all() == {"sent": 1}
    assert not pushes().exists()
    assert fcm.sends == 0


@pytest.mark.parametrize("answer", [unregistered(), invalid_token()], ids=["404", "400"])
def test_a_device_fcm_no_longer_knows_is_removed(fcm, user, answer):
    gone, kept = DeviceFactory.create_batch(2, user=user)
    fcm.script(gone.token, answer)
    notify(request(user))

    deliver_all()

    assert not Device.objects.filter(pk=gone.pk).exists()
    assert Device.objects.filter(pk=kept.pk).exists()
    failed = pushes().get(target=str(gone.pk))
    assert failed.status == "failed"
    assert "the device is gone; removed" in failed.reason
    assert failed.device_id is None and failed.address.endswith(gone.token[-8:])  # still shown
    assert [m.token for m in fcm.messages] == [kept.token]


def test_a_5xx_is_retried_no_sooner_than_its_retry_after(fcm, user):
    device = DeviceFactory(user=user)
    fcm.script(device.token, unavailable(retry_after="300"))
    notify(request(user))

    deliver_all()

    delivery = pushes().get()
    assert (delivery.status, delivery.attempts, delivery.reason) == (
        "retrying",
        1,
        "FCM 503 UNAVAILABLE",
    )
    assert delivery.next_attempt_at - timezone.now() > datetime.timedelta(seconds=290)
    assert deliver_all() == {}  # the email is sent; the push waits for its time
    assert tasks.retry_deliveries.apply().get() == {"queued_again": 0, "interrupted": 0}

    pushes().update(next_attempt_at=timezone.now())
    tasks.retry_deliveries.apply().get()

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("sent", 2)
    assert [m.token for m in fcm.messages] == [device.token]


def test_a_5xx_without_retry_after_backs_off_a_minute(fcm, user):
    device = DeviceFactory(user=user)
    fcm.script(device.token, unavailable())
    notify(request(user))

    deliver_all()

    wait = pushes().get().next_attempt_at - timezone.now()
    assert datetime.timedelta(seconds=40) < wait < datetime.timedelta(seconds=80)


def test_a_429_holds_back_the_rest_of_the_batch(fcm):
    owners = UserFactory.create_batch(3)
    devices = [DeviceFactory(user=owner) for owner in owners]
    fcm.script(devices[0].token, quota_exceeded(retry_after="120"))
    for owner in owners:
        notify(request(owner, key=f"m-{owner.pk}"))

    deliver_all()

    assert fcm.sends == 1  # the quota is the project's: no call after the 429
    assert set(pushes().values_list("status", flat=True)) == {"retrying"}
    for delivery in pushes():
        assert delivery.next_attempt_at - timezone.now() > datetime.timedelta(seconds=110)


def test_refused_credentials_are_logged_without_secrets_and_retried(fcm, user, caplog):
    device = DeviceFactory(user=user)
    fcm.script(device.token, permission_denied())
    notify(request(user))

    deliver_all()

    assert pushes().get().status == "retrying"
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert any("FCM refused the credentials" in e and fcm.client_email in e for e in errors)
    logged = caplog.text
    assert device.token not in logged
    assert fcm.access_tokens[0] not in logged
    assert "PRIVATE KEY" not in logged


def test_a_credentials_file_the_token_endpoint_refuses_is_logged_and_retried(
    fcm, user, settings, tmp_path, caplog
):
    (tmp_path / "other").mkdir()
    wrong = json.loads(fcm.credentials_file.read_text())
    another_key = type(fcm)(tmp_path / "other").service_account()["private_key"]
    (tmp_path / "wrong.json").write_text(json.dumps({**wrong, "private_key": another_key}))
    settings.FCM_CREDENTIALS_FILE = str(tmp_path / "wrong.json")
    DeviceFactory(user=user)
    notify(request(user))

    deliver_all()

    delivery = pushes().get()
    assert (delivery.status, delivery.reason) == (
        "retrying",
        "FCM credentials refused (token endpoint)",
    )
    assert "invalid_grant" in caplog.text and "PRIVATE KEY" not in caplog.text
    assert fcm.sends == 0


def test_an_unreadable_credentials_file_holds_pushes_back_and_says_why(settings, user, tmp_path):
    (tmp_path / "fcm.json").write_text("{}")
    settings.FCM_CREDENTIALS_FILE = str(tmp_path / "fcm.json")
    DeviceFactory(user=user)
    notify(request(user))

    assert deliver_all() == {"sent": 1, "retrying": 1}
    assert pushes().get().reason.startswith("FCM_CREDENTIALS_FILE has no type, project_id")


def test_push_turned_off_is_skipped_and_email_still_goes(fcm, user):
    DeviceFactory(user=user)
    update_preferences(user=user, changes={"message.new": {"push": False}})
    notify(request(user))

    assert deliver_all() == {"sent": 1, "skipped_by_preference": 1}
    assert pushes().get().status == "skipped_by_preference"
    assert fcm.messages == [] and len(mail.outbox) == 1


def test_a_device_signed_out_or_moved_before_sending_gets_nothing(fcm, user):
    signed_out, moved = DeviceFactory.create_batch(2, user=user)
    notify(request(user))
    signed_out.delete()
    Device.objects.filter(pk=moved.pk).update(user=UserFactory())  # an in-place move

    assert deliver_all() == {"sent": 1, "cancelled": 2}
    assert fcm.messages == []
    assert set(pushes().values_list("status", flat=True)) == {"cancelled"}


def test_without_credentials_the_push_is_written_to_the_log(settings, user, caplog):
    settings.FCM_CREDENTIALS_FILE = ""
    device = DeviceFactory(user=user)
    notify(request(user))

    assert deliver_all() == {"sent": 2}

    line = next(r.getMessage() for r in caplog.records if "Push (console" in r.getMessage())
    assert "Ny melding fra verkstedet" in line and '"thread_id": "77"' in line
    assert device.token not in line
    assert pushes().get().provider_message_id.startswith("console-")


def test_a_long_body_is_shortened_for_the_lock_screen(fcm, user):
    DeviceFactory(user=user)
    notify(request(user, body="Lang tekst. " * 100))

    deliver_all()

    (message,) = fcm.messages
    assert len(message.body) == 400 and message.body.endswith("…")
    assert mail.outbox[0].body.count("Lang tekst.") == 100  # the email has it all


def test_queries_per_notification_do_not_grow_with_the_owners_devices(fcm):
    def queries(devices: int) -> int:
        owner = UserFactory()
        DeviceFactory.create_batch(devices, user=owner)
        (created,) = [notify(request(owner, key=f"q-{owner.pk}"))[0].pk]
        with CaptureQueriesContext(connection) as run:
            outcome = dispatch.deliver(notification_ids=[created])
        assert outcome == {"sent": devices + 1}
        return len(run.captured_queries)

    assert queries(1) == queries(2) == queries(20)


# --- Quiet hours -------------------------------------------------------------------------------


def quiet_around_now(user) -> tuple[datetime.time, datetime.time]:
    """Quiet hours from an hour ago to an hour from now, Oslo wall-clock time."""
    local = timezone.now().astimezone(OSLO)
    start = (local - datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local + datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    update_preferences(user=user, changes={}, quiet_hours=(start, end))
    return start, end


def test_a_push_inside_quiet_hours_waits_for_their_end_and_email_does_not(fcm, user):
    DeviceFactory(user=user)
    start, end = quiet_around_now(user)
    notify(request(user))

    assert deliver_all() == {"sent": 1, "delayed": 1}

    assert len(mail.outbox) == 1 and fcm.messages == []
    delivery = pushes().get()
    assert delivery.status == "delayed"
    expected = quiet_until(timezone.now(), start, end)
    assert abs(delivery.next_attempt_at - expected) < datetime.timedelta(seconds=5)
    assert delivery.reason == f"Quiet hours until {end:%H:%M} (Europe/Oslo)."
    assert tasks.retry_deliveries.apply().get()["queued_again"] == 0  # not before the end

    # The end comes (the owner ends them early, and the time is up):
    update_preferences(user=user, changes={}, quiet_hours=None)
    pushes().update(next_attempt_at=timezone.now())
    tasks.retry_deliveries.apply().get()

    assert pushes().get().status == "sent" and len(fcm.messages) == 1


def test_a_reminder_waits_for_the_end_of_quiet_hours_on_every_channel(fcm, user):
    DeviceFactory(user=user)
    quiet_around_now(user)
    notify(request(user, event="rating.reminder"))

    assert deliver_all() == {"delayed": 2}
    assert mail.outbox == [] and fcm.messages == []


def test_a_delayed_push_is_held_again_when_the_quiet_hours_moved(fcm, user):
    DeviceFactory(user=user)
    quiet_around_now(user)
    notify(request(user))
    deliver_all()
    pushes().update(next_attempt_at=timezone.now())  # the first end comes, but they moved:
    quiet_around_now(user)

    tasks.retry_deliveries.apply().get()

    assert pushes().get().status == "delayed" and fcm.messages == []
