"""
The delivery log in the admin, as support staff use it: a user's latest deliveries on their
page, the log searchable by email and by plate as owners write it, read-only for Support.
"""

import pytest
from django.utils import timezone

from notifications.delivery import dispatch
from notifications.models import Delivery, Notification
from notifications.services import NotificationRequest, notify, update_preferences
from tests.factories import UserFactory, VehicleFactory, VehicleLinkFactory
from vehicles.reminders import send_inspection_reminders

pytestmark = pytest.mark.django_db

LOG = "/admin/notifications/delivery/"


def reminder(user, plate: str) -> Delivery:
    notification, _ = notify(
        NotificationRequest(
            user_id=user.pk,
            event="inspection.due",
            idempotency_key=f"test:{user.pk}:{plate}",
            title="EU-kontroll",
            reference=plate,
        )
    )
    return notification.deliveries.get()


def deliver_all() -> None:
    dispatch.deliver(notification_ids=Notification.objects.values_list("pk", flat=True))


def listed_references(page: str) -> list[str]:
    return [plate for plate in ("BT57225", "EL12345", "KH45678") if plate in page]


@pytest.mark.parametrize("term", ["BT57225", "bt 57225", "BT-57225", "kari@example.com"])
def test_the_log_is_searchable_by_plate_as_written_and_by_email(support_client, term):
    kari = UserFactory(email="kari@example.com")
    reminder(kari, "BT57225")
    reminder(UserFactory(email="ola@example.com"), "EL12345")

    page = support_client.get(LOG, {"q": term}).content.decode()

    assert listed_references(page) == ["BT57225"]


def test_a_users_page_shows_their_latest_deliveries_and_why(support_client):
    kari = UserFactory(email="kari@example.com")
    reminder(kari, "BT57225")
    deliver_all()
    update_preferences(user=kari, changes={"inspection.due": {"email": False}})
    reminder(kari, "KH45678")
    deliver_all()
    reminder(UserFactory(), "EL12345")

    page = support_client.get(f"/admin/accounts/user/{kari.pk}/change/").content.decode()

    assert "Notifications sent" in page
    assert listed_references(page) == ["BT57225", "KH45678"]
    assert page.count("<td>Sent</td>") == 1
    assert page.count("<td>Skipped by preference</td>") == 1
    assert "The owner turned this event off for this channel." in page
    assert f"?notification__user__id__exact={kari.pk}" in page


def test_the_log_is_read_only_for_support(support_client):
    delivery = reminder(UserFactory(), "BT57225")

    detail = support_client.get(f"{LOG}{delivery.pk}/change/")
    posted = support_client.post(f"{LOG}{delivery.pk}/change/", {"status": "sent"})

    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert posted.status_code == 403
    assert support_client.get(f"{LOG}add/").status_code == 403
    assert support_client.post(f"{LOG}{delivery.pk}/delete/").status_code == 403
    delivery.refresh_from_db()
    assert delivery.status == "queued"


def test_a_vehicles_page_lists_the_reminders_issued(support_client):
    link = VehicleLinkFactory(vehicle=VehicleFactory(next_inspection_due=timezone.localdate()))
    send_inspection_reminders()

    page = support_client.get(f"/admin/vehicles/vehicle/{link.vehicle.pk}/change/").content.decode()

    assert "EU-kontroll reminders" in page
    assert link.user.email in page
    assert "7 days before" in page
