"""
Users in the support admin: search, linked vehicles, the preference grid, deleting an
account, and times on a 24-hour clock.
"""

import datetime
import re

import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from rest_framework.test import APIClient

from notifications.services import update_preferences
from tests.factories import DEFAULT_PASSWORD, UserFactory, VehicleFactory, VehicleLinkFactory
from vehicles.models import Vehicle, VehicleLink

User = get_user_model()

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"


def grid_cells(content: str) -> list[str]:
    """The text of the preference grid's cells, row by row, without the event column."""
    table = re.search(r'<table class="notification-grid">.*?</table>', content, re.S)[0]
    return re.findall(
        r"<td(?: class=\"changed\")?>((?:<strong>)?o[nf]+(?:</strong> \(changed\))?)</td>", table
    )


@pytest.mark.parametrize("term", ["kari.nordmann@example", "Nordmann"])
def test_users_are_searchable_by_email_and_name(support_client, term):
    kari = UserFactory(email="kari.nordmann@example.com", name="Kari Nordmann")
    UserFactory(email="ola@example.com", name="Ola")

    response = support_client.get(USERS, {"q": term})

    assert list(response.context["cl"].result_list) == [kari]


def test_user_page_lists_their_linked_vehicles(support_client):
    """'My partner can't see our car': the car is linked to one account, not the other."""
    owner = UserFactory(email="kari@example.com")
    partner = UserFactory(email="ola@example.com")
    car = VehicleFactory(registration_number="BT57225")
    VehicleLinkFactory(user=owner, vehicle=car, nickname="Familiebilen", is_primary=True)

    owner_page = support_client.get(f"{USERS}{owner.pk}/change/").content.decode()
    partner_page = support_client.get(f"{USERS}{partner.pk}/change/").content.decode()

    assert "Linked vehicles" in owner_page
    assert "BT 57225" in owner_page
    assert "Familiebilen" in owner_page
    assert "BT 57225" not in partner_page


def test_preference_grid_marks_values_that_differ_from_the_defaults(support_client):
    user = UserFactory()
    update_preferences(
        user=user, changes={"booking.requested": {"push": False}, "message.new": {"email": False}}
    )

    content = support_client.get(f"{USERS}{user.pk}/change/").content.decode()

    cells = grid_cells(content)
    assert len(cells) == 8 * 2  # the excerpt's seven events and inspection.due
    assert "EU-kontroll due <code>inspection.due</code>" in content
    assert cells[:2] == ["on", "<strong>off</strong> (changed)"]  # booking.requested
    assert cells.count("<strong>off</strong> (changed)") == 2
    assert cells.count("on") == 14


def test_preference_grid_of_a_user_who_changed_nothing_is_all_defaults(support_client):
    user = UserFactory()

    cells = grid_cells(support_client.get(f"{USERS}{user.pk}/change/").content.decode())

    assert cells == ["on"] * 16


def test_support_cannot_change_a_user(support_client):
    user = UserFactory(name="Kari")

    page = support_client.get(f"{USERS}{user.pk}/change/").content.decode()
    response = support_client.post(f"{USERS}{user.pk}/change/", {"name": "Mallory"})

    assert 'name="_save"' not in page
    assert response.status_code == 403
    user.refresh_from_db()
    assert user.name == "Kari"
    assert support_client.get(f"{USERS}{user.pk}/password/").status_code == 403


def test_superuser_changes_to_a_user_are_in_the_admin_log(superuser_client, superuser):
    user = UserFactory(name="Kari", email="kari@example.com")

    response = superuser_client.post(
        f"{USERS}{user.pk}/change/",
        {
            "email": "kari@example.com",
            "name": "Kari Nordmann",
            "language": "nb",
            "is_active": "on",
            "vehicle_links-TOTAL_FORMS": "0",
            "vehicle_links-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.name == "Kari Nordmann"
    assert user.language == "nb"
    entry = LogEntry.objects.get(user=superuser, object_id=str(user.pk))
    assert entry.action_flag == CHANGE
    assert "Name" in entry.get_change_message()


def test_only_staff_who_may_change_users_see_the_password_row(support_client, superuser_client):
    user = UserFactory()

    support_page = support_client.get(f"{USERS}{user.pk}/change/").content.decode()
    superuser_page = superuser_client.get(f"{USERS}{user.pk}/change/").content.decode()

    assert "Reset password" not in support_page
    assert "Reset password" in superuser_page


# --- Deleting an account from the admin ----------------------------------------------------------


def delete_account_url(user) -> str:
    return f"{USERS}{user.pk}/delete-account/"


def test_support_deletes_an_account_after_a_confirmation_page(support_client, support_user):
    owner = UserFactory(email="kari@example.com")
    car = VehicleFactory(registration_number="BT57225")
    VehicleLinkFactory(user=owner, vehicle=car, is_primary=True)
    update_preferences(user=owner, changes={"message.new": {"push": False}})

    user_page = support_client.get(f"{USERS}{owner.pk}/change/").content.decode()
    confirmation = support_client.get(delete_account_url(owner))
    response = support_client.post(delete_account_url(owner), follow=True)

    assert delete_account_url(owner) in user_page
    assert confirmation.status_code == 200
    assert "kari@example.com" in confirmation.content.decode()
    assert response.status_code == 200
    assert "The account kari@example.com and all its data were deleted." in (
        response.content.decode()
    )
    assert not User.objects.filter(pk=owner.pk).exists()
    assert not VehicleLink.objects.filter(vehicle=car).exists()
    assert Vehicle.objects.filter(pk=car.pk).exists()
    entry = LogEntry.objects.get(user=support_user, object_id=str(owner.pk))
    assert entry.action_flag == DELETION
    assert entry.object_repr == "kari@example.com"


def test_the_confirmation_page_alone_deletes_nothing(support_client):
    owner = UserFactory()

    support_client.get(delete_account_url(owner))

    assert User.objects.filter(pk=owner.pk).exists()


def test_admin_deletion_signs_the_owner_out_at_once(support_client):
    owner = UserFactory()
    client = APIClient()
    tokens = client.post(
        "/api/auth/token", {"email": owner.email, "password": DEFAULT_PASSWORD}, format="json"
    ).json()

    support_client.post(delete_account_url(owner))

    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert client.get("/api/co/me").status_code == 401
    refreshed = APIClient().post(
        "/api/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json"
    )
    assert refreshed.status_code == 401


def test_staff_without_the_permission_cannot_delete_accounts(db):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_user"))
    client = Client()
    client.force_login(viewer)
    owner = UserFactory()

    page = client.get(f"{USERS}{owner.pk}/change/").content.decode()
    response = client.post(delete_account_url(owner))

    assert delete_account_url(owner) not in page
    assert response.status_code == 403
    assert User.objects.filter(pk=owner.pk).exists()


def test_the_generic_delete_is_off_so_every_deletion_uses_the_service(superuser_client):
    owner = UserFactory()

    response = superuser_client.post(f"{USERS}{owner.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert User.objects.filter(pk=owner.pk).exists()


def test_user_admin_date_and_time_use_a_24_hour_clock_in_oslo(superuser_client):
    owner = UserFactory(
        date_joined=datetime.datetime(2026, 1, 15, 22, 30, tzinfo=datetime.UTC)  # 23:30 in Oslo
    )

    english = superuser_client.get(USERS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    norwegian = superuser_client.get(USERS, HTTP_ACCEPT_LANGUAGE="nb").content.decode()

    assert "Jan. 15, 2026, 23:30" in english
    assert "15. januar 2026 23:30" in norwegian
    assert owner.email in english
