"""
EU-kontroll reminders (`vehicles/reminders.py`): each step once per owner, vehicle, deadline
and step, only the latest step that applies, a refresh of old data first, and the email in
the owner's language. Delivery runs in Celery's eager mode when the transaction commits.
"""

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.models import Delivery, Notification
from notifications.services import delete_old_notifications, update_preferences
from tests.factories import DeviceFactory, UserFactory, VehicleFactory, VehicleLinkFactory
from tests.threads import run_at_once
from tests.vehicles.conftest import REGISTER_URL, sample
from vehicles.models import InspectionReminder, VehicleDataChange
from vehicles.reminders import send_inspection_reminders

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def days(n: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=n)


def link_due_in(n: int, *, user=None, nickname: str = "", **vehicle):
    """A link to a vehicle whose EU-kontroll deadline is `n` days from today."""
    vehicle = VehicleFactory(next_inspection_due=days(n), **vehicle)
    return VehicleLinkFactory(user=user or UserFactory(), vehicle=vehicle, nickname=nickname)


@pytest.fixture
def remind(django_capture_on_commit_callbacks):
    """Runs the reminders (as on `today`) and delivers what they queued, as a worker would."""

    def run(today: datetime.date = TODAY):
        with django_capture_on_commit_callbacks(execute=True):
            return send_inspection_reminders(today=today)

    return run


def steps_sent() -> list[tuple[str, str]]:
    return list(
        InspectionReminder.objects.order_by("created_at", "pk").values_list("deadline", "step")
    )


def test_each_step_goes_out_once_as_the_deadline_nears(remind):
    deadline = days(40)
    link_due_in(40)

    for offset in (0, 10, 10, 20, 33, 39, 40, 41, 45, 100):
        remind(TODAY + datetime.timedelta(days=offset))

    assert steps_sent() == [(deadline, "30_days"), (deadline, "7_days"), (deadline, "overdue")]
    assert len(mail.outbox) == 3
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.parametrize(
    "due_in, step",
    [
        (30, "30_days"),
        (20, "30_days"),
        (8, "30_days"),
        (7, "7_days"),
        (0, "7_days"),
        (-1, "overdue"),
        (-400, "overdue"),
    ],
)
def test_only_the_latest_step_that_applies_is_sent(remind, due_in, step):
    link_due_in(due_in)

    run = remind()

    assert run.sent == 1
    assert [s for _, s in steps_sent()] == [step]
    assert len(mail.outbox) == 1


def test_a_deadline_more_than_30_days_away_sends_nothing(remind):
    link_due_in(31)

    assert remind().sent == 0
    assert not mail.outbox


def test_a_missed_day_never_causes_a_burst(remind):
    """Reminded at 30 days, then no run until 3 days before: one 7-day reminder, nothing else."""
    link_due_in(30)
    remind()

    remind(days(27))

    assert [s for _, s in steps_sent()] == ["30_days", "7_days"]
    assert len(mail.outbox) == 2


def test_a_changed_deadline_starts_a_new_series(remind):
    link = link_due_in(5)
    remind()
    link.vehicle.next_inspection_due = days(25)  # the register moved it (say, a correction)
    link.vehicle.save()

    remind()

    assert steps_sent() == [(days(5), "7_days"), (days(25), "30_days")]
    assert len(mail.outbox) == 2


def test_every_owner_of_a_shared_vehicle_is_reminded_once(remind):
    shared = link_due_in(10)
    VehicleLinkFactory(vehicle=shared.vehicle)

    assert remind().sent == 2
    assert remind().sent == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        shared.vehicle.links.values_list("user__email", flat=True)
    )


@pytest.mark.parametrize(
    "vehicle, user",
    [
        ({"inspection_required": False}, {}),
        ({"registration_status_code": "AVREGISTRERT"}, {}),
        ({"registration_status_code": "VRAKET"}, {}),
        ({"next_inspection_due": None}, {}),
        ({}, {"is_active": False}),
    ],
    ids=["no-inspection-duty", "deregistered", "scrapped", "no-deadline", "inactive-owner"],
)
def test_who_gets_no_reminder(remind, vehicle, user):
    vehicle = VehicleFactory(**{"next_inspection_due": days(3), **vehicle})
    VehicleLinkFactory(vehicle=vehicle, user=UserFactory(**user))

    assert remind().sent == 0
    assert not mail.outbox


def test_an_owner_who_turned_the_event_off_gets_no_email_and_a_log_row_says_why(remind):
    link = link_due_in(10)
    update_preferences(user=link.user, changes={"inspection.due": {"email": False}})

    remind()

    assert not mail.outbox
    delivery = Delivery.objects.get()
    assert delivery.status == "skipped_by_preference"
    assert delivery.channel == "email"
    assert delivery.notification.reference == link.vehicle.registration_number
    assert "turned this event off" in delivery.reason


def test_reminder_email_in_norwegian(remind):
    owner = UserFactory(language="nb", name="Kari")
    vehicle = VehicleFactory(
        registration_number="BT57225",
        make="VOLKSWAGEN",
        model="PASSAT VARIANT GTE",
        next_inspection_due=days(20),
    )
    VehicleLinkFactory(user=owner, vehicle=vehicle, nickname="Familiebilen")

    remind()

    message = mail.outbox[0]
    date = days(20).strftime("%d.%m.%Y")
    name = "Familiebilen (BT 57225, VOLKSWAGEN PASSAT VARIANT GTE)"
    assert message.subject == f"EU-kontroll innen {date}: {name}"
    assert message.to == [owner.email]
    assert "Hei Kari," in message.body
    assert (
        f"Fristen for EU-kontroll (periodisk kjøretøykontroll) av {name} er {date}: om 20 dager."
        in message.body
    )
    assert "bestill EU-kontroll på et verksted før fristen" in message.body
    html, content_type = message.alternatives[0]
    assert content_type == "text/html"
    assert '<html lang="nb">' in html and date in html and "Familiebilen" in html


def test_the_reminders_push_is_in_the_owners_language(remind, fcm):
    owner = UserFactory(language="nb", name="Kari")
    device = DeviceFactory(user=owner)
    vehicle = VehicleFactory(
        registration_number="BT57225", make="TOYOTA", model="RAV4", next_inspection_due=days(-3)
    )
    VehicleLinkFactory(user=owner, vehicle=vehicle)

    remind()

    (push,) = fcm.messages
    assert push.token == device.token
    assert push.title == "Fristen for EU-kontroll er passert: BT 57225 (TOYOTA RAV4)"
    assert push.body.startswith("Fristen er passert.")
    assert push.data["event"] == "inspection.due" and push.data["step"] == "overdue"


def test_no_reminder_is_sent_inside_the_owners_quiet_hours(remind, fcm):
    owner = UserFactory()
    DeviceFactory(user=owner)
    link_due_in(20, user=owner)
    local = timezone.localtime()
    update_preferences(
        user=owner,
        changes={},
        quiet_hours=(
            (local - datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0),
            (local + datetime.timedelta(hours=1)).time().replace(second=0, microsecond=0),
        ),
    )

    remind()

    assert mail.outbox == [] and fcm.messages == []
    assert set(Delivery.objects.values_list("status", flat=True)) == {"delayed"}


def test_reminder_email_in_english_with_an_iso_date(remind):
    owner = UserFactory(language="en", name="")
    VehicleLinkFactory(
        user=owner,
        vehicle=VehicleFactory(
            registration_number="EL12345",
            make="VOLKSWAGEN",
            model="E-GOLF",
            next_inspection_due=days(-3),
        ),
    )

    remind()

    message = mail.outbox[0]
    assert message.subject == "EU-kontroll deadline passed: EL 12345 (VOLKSWAGEN E-GOLF)"
    assert message.body.startswith("Hi,\n")
    assert f"was {days(-3).isoformat()}, and the vehicle register does not show" in message.body
    assert "as soon as you can" in message.body


def test_every_reminder_email_carries_one_click_unsubscribe(remind, settings):
    settings.PUBLIC_BASE_URL = "https://api.minbil.test"
    link_due_in(1)

    remind()

    headers = mail.outbox[0].extra_headers
    assert headers["List-Unsubscribe"].startswith("<https://api.minbil.test/unsubscribe/")
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = headers["List-Unsubscribe"][1:-1]
    assert url in mail.outbox[0].body  # the footer links the same page
    delivery = Delivery.objects.get()
    assert delivery.provider_message_id == headers["Message-ID"]
    assert delivery.address == mail.outbox[0].to[0]


def test_a_run_costs_the_same_queries_for_few_and_many_due_owners():
    def queries(owners: int) -> int:
        for _ in range(owners):
            link_due_in(12)
        with CaptureQueriesContext(connection) as run:
            sent = send_inspection_reminders().sent
        assert sent == owners
        return len(run.captured_queries)

    assert queries(1) == queries(40)


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_send_each_reminder_exactly_once():
    for _ in range(12):
        link_due_in(5)
    shared = link_due_in(-2)
    VehicleLinkFactory(vehicle=shared.vehicle)

    results = run_at_once(
        [send_inspection_reminders, send_inspection_reminders, send_inspection_reminders]
    )

    assert sum(run.sent for run in results) == 14
    assert InspectionReminder.objects.count() == 14
    assert Notification.objects.count() == 14
    assert Delivery.objects.count() == 14
    assert len(mail.outbox) == 14  # each delivered once (eager, after each run's commit)


# --- Refreshing old data first ------------------------------------------------------------------


def stale_link(deadline: datetime.date, *, fetched_days_ago: int = 10):
    """KH45678 (its sample), stored with `deadline`, fetched `fetched_days_ago` days ago."""
    vehicle = VehicleFactory(
        registration_number="KH45678",
        next_inspection_due=deadline,
        data_fetched_at=timezone.now() - datetime.timedelta(days=fetched_days_ago),
    )
    return VehicleLinkFactory(vehicle=vehicle)


def register_answers(live_register, deadline: str) -> None:
    payload = sample("KH45678")
    payload["kjoretoydataListe"][0]["periodiskKjoretoyKontroll"]["kontrollfrist"] = deadline
    live_register.get(REGISTER_URL, json=payload)


def test_old_data_is_refreshed_first_so_a_deadline_already_met_is_not_reminded_of(
    remind, live_register
):
    link = stale_link(days(4))
    register_answers(live_register, days(730).isoformat())  # it passed: two years on

    run = remind()

    assert run.sent == 0 and run.refreshed == 1
    assert not mail.outbox
    link.vehicle.refresh_from_db()
    assert link.vehicle.next_inspection_due == days(730)
    change = VehicleDataChange.objects.get()
    assert change.source == "job"
    assert len(live_register.calls) == 1


def test_refreshed_data_that_still_says_due_is_reminded_of(remind, live_register):
    stale_link(days(4))
    register_answers(live_register, days(4).isoformat())

    run = remind()

    assert (run.sent, run.refreshed) == (1, 1)
    assert len(mail.outbox) == 1


def test_fresh_data_is_not_refreshed(remind, live_register):
    stale_link(days(4), fetched_days_ago=6)

    assert remind().sent == 1
    assert not live_register.calls


@pytest.mark.parametrize(
    "deadline_in, held",
    [
        (7, True),  # the 7-day step began today: wait for the register
        (6, True),  # began yesterday: still waiting
        (5, False),  # two days late: sent from the stored data
        (-1, True),  # overdue since today
        (-3, False),
    ],
)
def test_a_failed_refresh_holds_the_reminder_for_at_most_two_days(
    remind, live_register, deadline_in, held
):
    stale_link(days(deadline_in))
    live_register.get(REGISTER_URL, status=503)

    run = remind()

    assert run.refresh_failed == 1
    assert (run.held, run.sent) == ((1, 0) if held else (0, 1))
    assert len(mail.outbox) == (0 if held else 1)


def test_a_spent_batch_share_holds_recent_reminders_without_calling_the_register(
    remind, live_register, settings
):
    settings.REGISTER_DAILY_BUDGET = 10
    settings.REGISTER_BATCH_SHARE = 0.0
    stale_link(days(30))
    register_answers(live_register, days(30).isoformat())

    run = remind()

    assert (run.held, run.sent, run.refresh_failed) == (1, 0, 1)
    assert not live_register.calls


def test_a_reminder_is_not_sent_again_after_the_delivery_log_is_cleaned_up(remind):
    link_due_in(-10)
    remind()
    Notification.objects.update(created_at=timezone.now() - datetime.timedelta(days=200))
    delete_old_notifications(days=180)

    run = remind(days(30))  # still overdue, the same deadline

    assert run.sent == 0
    assert len(mail.outbox) == 1
    assert not Notification.objects.exists()


def test_the_owners_export_lists_the_reminders_and_what_was_sent(remind):
    link = link_due_in(3)
    link_due_in(4)  # someone else's
    remind()
    client = APIClient()
    client.force_authenticate(link.user)

    document = client.get("/api/co/me/export").json()["data"]

    [reminder] = document["inspection_reminders"]
    assert reminder["registration_number"] == link.vehicle.registration_number
    assert (reminder["deadline"], reminder["step"]) == (days(3).isoformat(), "7_days")
    [sent] = document["notifications_sent"]
    assert sent["event"] == "inspection.due"
    assert sent["reference"] == link.vehicle.registration_number
    assert (sent["channel"], sent["status"], sent["address"]) == ("email", "sent", link.user.email)
