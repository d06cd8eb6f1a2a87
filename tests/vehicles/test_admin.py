"""The support admin for vehicles, links and change records, for superusers and Support."""

import datetime
import re

import pytest
from django.contrib import messages
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from responses import matchers

from notifications.models import NotificationPreference
from tests.factories import UserFactory, VehicleFactory, VehicleLinkFactory
from tests.vehicles.conftest import API_KEY, REGISTER_URL, sample, store_sample
from vehicles.admin import MAX_VEHICLES_PER_REFRESH
from vehicles.models import InspectionStatus, Vehicle, VehicleDataChange, VehicleLink

pytestmark = pytest.mark.django_db

VEHICLES = "/admin/vehicles/vehicle/"
LINKS = "/admin/vehicles/vehiclelink/"
CHANGES = "/admin/vehicles/vehicledatachange/"
TODAY = timezone.localdate


def make_vehicle():
    vehicle = VehicleFactory()
    VehicleLinkFactory(vehicle=vehicle)
    return vehicle


def make_change():
    return VehicleDataChange.objects.create(
        vehicle=VehicleFactory(),
        fetched_at=timezone.now(),
        source="command",
        changes={"next_inspection_due": {"old": "2026-05-31", "new": "2028-05-31"}},
    )


def make_preference():
    return NotificationPreference.objects.create(
        user=UserFactory(), event="message.new", channel="push", enabled=False
    )


# Every model support looks at: its admin path and a factory of one row.
ADMIN_PAGES = {
    "vehicle": (VEHICLES, make_vehicle),
    "vehiclelink": (LINKS, VehicleLinkFactory),
    "vehicledatachange": (CHANGES, make_change),
    "user": ("/admin/accounts/user/", UserFactory),
    "notificationpreference": ("/admin/notifications/notificationpreference/", make_preference),
}


def action(client, pks, name="refresh_from_register"):
    return client.post(
        VEHICLES, {"action": name, "_selected_action": [str(pk) for pk in pks], "index": "0"}
    )


def messages_of(response) -> list[tuple[int, str]]:
    return [(m.level, str(m)) for m in get_messages(response.wsgi_request)]


def plate_param(plate: str):
    return [matchers.query_param_matcher({"kjennemerke": plate})]


# --- Every page renders, for both roles, in a constant number of queries -----------------------


@pytest.mark.parametrize("role", ["superuser_client", "support_client"])
@pytest.mark.parametrize("model", ADMIN_PAGES)
def test_changelist_and_change_page_render(request, role, model):
    client = request.getfixturevalue(role)
    path, factory = ADMIN_PAGES[model]
    obj = factory()

    assert client.get(path).status_code == 200
    assert client.get(f"{path}{obj.pk}/change/").status_code == 200


@pytest.mark.parametrize("role", ["superuser_client", "support_client"])
@pytest.mark.parametrize("model", ADMIN_PAGES)
def test_changelist_queries_do_not_grow_with_rows(request, role, model, django_assert_num_queries):
    client = request.getfixturevalue(role)
    path, factory = ADMIN_PAGES[model]
    factory()
    client.get(path)  # warm the per-process caches (content types, site)
    with CaptureQueriesContext(connection) as one_row:
        assert client.get(path).status_code == 200
    for _ in range(19):
        factory()

    with django_assert_num_queries(len(one_row.captured_queries)):
        response = client.get(path)

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 20


def test_support_sees_view_only_pages_without_a_save_button(support_client):
    vehicle = make_vehicle()
    link = vehicle.links.get()

    for path in (f"{VEHICLES}{vehicle.pk}/change/", f"{LINKS}{link.pk}/change/"):
        content = support_client.get(path).content.decode()
        assert 'name="_save"' not in content
        assert "Delete" not in content


def test_support_cannot_change_add_or_delete(support_client):
    link = VehicleLinkFactory(nickname="Before")
    change_url = f"{LINKS}{link.pk}/change/"

    assert support_client.post(change_url, {"nickname": "After"}).status_code == 403
    assert support_client.get(f"{LINKS}{link.pk}/delete/").status_code == 403
    assert support_client.post(f"{LINKS}{link.pk}/delete/", {"post": "yes"}).status_code == 403
    assert support_client.get(f"{LINKS}add/").status_code == 403
    assert support_client.get(f"{VEHICLES}{link.vehicle.pk}/delete/").status_code == 403
    link.refresh_from_db()
    assert link.nickname == "Before"


def test_support_cannot_delete_through_the_bulk_action(support_client):
    link = VehicleLinkFactory()

    response = support_client.get(LINKS)

    assert "delete_selected" not in response.content.decode()
    support_client.post(
        LINKS, {"action": "delete_selected", "_selected_action": [link.pk], "post": "yes"}
    )
    assert VehicleLink.objects.filter(pk=link.pk).exists()


def test_superuser_edits_a_nickname_and_the_admin_log_records_it(superuser_client, superuser):
    link = VehicleLinkFactory(nickname="Rude word")

    response = superuser_client.post(f"{LINKS}{link.pk}/change/", {"nickname": "Familiebilen"})

    assert response.status_code == 302
    link.refresh_from_db()
    assert link.nickname == "Familiebilen"
    entry = LogEntry.objects.get(user=superuser, object_id=str(link.pk))
    assert entry.action_flag == CHANGE
    assert "Nickname" in entry.get_change_message()


def test_deleting_a_primary_link_in_the_admin_hands_the_primary_on(superuser_client, superuser):
    owner = UserFactory()
    primary = VehicleLinkFactory(user=owner, is_primary=True)
    other = VehicleLinkFactory(user=owner)

    response = superuser_client.post(f"{LINKS}{primary.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not VehicleLink.objects.filter(pk=primary.pk).exists()
    other.refresh_from_db()
    assert other.is_primary
    assert LogEntry.objects.filter(user=superuser, action_flag=DELETION).exists()


def test_vehicles_are_neither_added_nor_edited_in_the_admin(superuser_client):
    vehicle = VehicleFactory(make="VOLKSWAGEN")

    assert superuser_client.get(f"{VEHICLES}add/").status_code == 403
    superuser_client.post(f"{VEHICLES}{vehicle.pk}/change/", {"make": "TESLA"})

    vehicle.refresh_from_db()
    assert vehicle.make == "VOLKSWAGEN"


# --- Search and filters ------------------------------------------------------------------------


@pytest.mark.parametrize("term", ["bt 57225", "BT57225", "bt-57 225", "bt 572", "WVWSYNTH0ME"])
def test_vehicle_search_by_plate_in_any_spacing_or_case_and_by_vin(support_client, term):
    store_sample("BT57225")
    store_sample("EL12345")

    response = support_client.get(VEHICLES, {"q": term})

    assert [v.registration_number for v in response.context["cl"].result_list] == ["BT57225"]


@pytest.mark.parametrize("term", ["bt 57225", "owner-of-bt@example.com"])
def test_link_search_by_plate_with_spaces_and_by_owner_email(support_client, term):
    wanted = VehicleLinkFactory(
        vehicle=VehicleFactory(registration_number="BT57225"),
        user=UserFactory(email="owner-of-bt@example.com"),
    )
    VehicleLinkFactory(vehicle=VehicleFactory(registration_number="EL12345"))

    response = support_client.get(LINKS, {"q": term})

    assert list(response.context["cl"].result_list) == [wanted]


def test_change_search_by_plate_with_spaces(support_client):
    wanted = make_change()
    make_change()

    response = support_client.get(CHANGES, {"q": wanted.vehicle.display_registration_number})

    assert list(response.context["cl"].result_list) == [wanted]


def test_inspection_status_filter_matches_the_models_status(support_client):
    today = TODAY()
    VehicleFactory(next_inspection_due=today + datetime.timedelta(days=61))
    VehicleFactory(next_inspection_due=today + datetime.timedelta(days=60))
    VehicleFactory(next_inspection_due=today)
    VehicleFactory(next_inspection_due=today - datetime.timedelta(days=1))
    VehicleFactory(inspection_required=False, next_inspection_due=None)
    VehicleFactory(inspection_required=True, next_inspection_due=None)
    VehicleFactory(inspection_required=None, next_inspection_due=None)

    for status in ("ok", "due_soon", "overdue", "not_required", "unknown"):
        response = support_client.get(VEHICLES, {"inspection": status})
        listed = {v.pk for v in response.context["cl"].result_list}
        expected = {v.pk for v in Vehicle.objects.all() if v.inspection_status(today) == status}
        assert listed == expected, status
        assert listed


def test_fuel_type_and_registration_status_filters(support_client):
    store_sample("BT57225")  # Bensin/Elektrisk
    store_sample("KH45678", registration_status="Avregistrert")

    by_fuel = support_client.get(VEHICLES, {"fuel_type": "Bensin/Elektrisk"})
    by_status = support_client.get(VEHICLES, {"registration_status": "Avregistrert"})

    assert [v.registration_number for v in by_fuel.context["cl"].result_list] == ["BT57225"]
    assert [v.registration_number for v in by_status.context["cl"].result_list] == ["KH45678"]


# --- What support reads on a vehicle's page ----------------------------------------------------


def test_vehicle_page_shows_owners_payload_and_recent_changes(support_client):
    vehicle = store_sample("BT57225")
    owner = UserFactory(email="kari@example.com")
    VehicleLinkFactory(vehicle=vehicle, user=owner, nickname="Familiebilen", is_primary=True)
    VehicleDataChange.objects.create(
        vehicle=vehicle,
        fetched_at=timezone.now(),
        source="admin",
        changes={"next_inspection_due": {"old": "2025-03-18", "new": "2027-03-18"}},
    )

    response = support_client.get(f"{VEHICLES}{vehicle.pk}/change/")

    content = response.content.decode()
    assert "kari@example.com" in content
    assert "Familiebilen" in content
    assert '<pre class="register-payload"' in content
    assert "&quot;kjoretoydataListe&quot;: [\n    {" in content  # pretty-printed, escaped
    assert f'<div class="readonly">{InspectionStatus(vehicle.inspection_status()).label}</div>' in (
        content
    )
    assert "next inspection due 2025-03-18 → 2027-03-18" in content


def test_user_supplied_text_is_escaped(support_client):
    link = VehicleLinkFactory(nickname="<script>alert(1)</script>")

    content = support_client.get(f"{VEHICLES}{link.vehicle.pk}/change/").content.decode()

    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content


def test_photo_thumbnail_is_shown_when_there_is_one(support_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with_photo = VehicleLinkFactory(photo_thumbnail="links/1/thumb.jpg", photo="links/1/p.jpg")
    VehicleLinkFactory()

    listing = support_client.get(LINKS).content.decode()
    page = support_client.get(f"{LINKS}{with_photo.pk}/change/").content.decode()

    # Signed like every local photo URL (`&` escaped in HTML).
    assert '<img src="/media/links/1/thumb.jpg?expires=' in listing
    assert re.search(r'thumb\.jpg\?expires=\d+&amp;signature=[\w-]+" height="60"', listing)
    assert "—" in listing  # the link without a photo
    assert '<img src="/media/links/1/p.jpg?expires=' in page


# --- "Refresh from register" ---------------------------------------------------------------------


def renewed_kh45678() -> dict:
    payload = sample("KH45678")
    payload["kjoretoydataListe"][0]["periodiskKjoretoyKontroll"] = {
        "kontrollfrist": "2028-05-31",
        "sistGodkjent": "2026-11-20",
    }
    return payload


def test_refresh_action_reports_what_changed_and_logs_it(
    support_client, support_user, live_register
):
    vehicle = store_sample("KH45678")
    live_register.get(REGISTER_URL, json=renewed_kh45678())

    response = action(support_client, [vehicle.pk])

    assert response.status_code == 302
    assert messages_of(response) == [
        (
            messages.SUCCESS,
            "KH 45678: refreshed from the register; changed next inspection due "
            "2026-05-31 → 2028-05-31; last inspection approved 2024-05-21 → 2026-11-20.",
        )
    ]
    vehicle.refresh_from_db()
    assert vehicle.next_inspection_due == datetime.date(2028, 5, 31)
    assert vehicle.data_changes.get().source == "admin"
    entry = LogEntry.objects.get(user=support_user)
    assert entry.action_flag == CHANGE
    assert entry.get_change_message().startswith("Refreshed from register: next inspection due")


def test_refresh_action_without_changes_says_so(superuser_client):
    vehicle = store_sample("BT57225")  # the sandbox answers the same payload

    response = action(superuser_client, [vehicle.pk])

    assert messages_of(response) == [
        (messages.SUCCESS, "BT 57225: refreshed from the register; nothing changed.")
    ]


def test_refresh_action_leaves_freshly_fetched_vehicles_alone_and_says_so(
    support_client, live_register, settings
):
    settings.REGISTER_REFRESH_MIN_AGE_SECONDS = 600
    fresh = store_sample("BT57225", data_fetched_at=timezone.now() - datetime.timedelta(minutes=2))
    stale = store_sample("KH45678")  # a day old
    live_register.get(REGISTER_URL, json=renewed_kh45678(), match=plate_param("KH45678"))

    response = action(support_client, [fresh.pk, stale.pk])

    reported = messages_of(response)
    assert reported[0] == (
        messages.INFO,
        "BT 57225: Fetched 2 min ago; not fetched again within 10 min.",
    )
    assert reported[1][0] == messages.SUCCESS and reported[1][1].startswith("KH 45678: refreshed")
    assert len(live_register.calls) == 1


def test_refresh_action_reports_no_data_and_goes_on(support_client, live_register):
    gone = store_sample("BT57225")
    other = store_sample("KH45678")
    live_register.get(REGISTER_URL, json=sample("not_available"), match=plate_param("BT57225"))
    live_register.get(REGISTER_URL, json=renewed_kh45678(), match=plate_param("KH45678"))
    before = Vehicle.objects.values().get(pk=gone.pk)

    response = action(support_client, [gone.pk, other.pk])

    reported = messages_of(response)
    assert reported[0] == (
        messages.WARNING,
        "BT 57225: no data available in the register (unknown, shielded or deregistered); "
        "the stored data is unchanged.",
    )
    assert reported[1][0] == messages.SUCCESS and reported[1][1].startswith("KH 45678: refreshed")
    assert Vehicle.objects.values().get(pk=gone.pk) == before


def test_refresh_action_stops_at_a_spent_quota(support_client, live_register):
    first = store_sample("BT57225")
    second = store_sample("KH45678")
    live_register.get(REGISTER_URL, status=429, headers={"Retry-After": "7200"})

    response = action(support_client, [first.pk, second.pk])

    assert messages_of(response) == [
        (
            messages.ERROR,
            "BT 57225: not refreshed. The register's daily look-up quota is used up; "
            "it resets in 2 h 0 min. The stored data is unchanged.",
        ),
        (messages.WARNING, "Stopped; not refreshed: KH 45678."),
    ]
    assert len(live_register.calls) == 1
    assert not VehicleDataChange.objects.exists()


def test_refresh_action_stops_when_the_register_is_unavailable(support_client, live_register):
    first = store_sample("BT57225")
    second = store_sample("KH45678")
    live_register.get(REGISTER_URL, status=503)

    response = action(support_client, [first.pk, second.pk])

    levels = [level for level, _ in messages_of(response)]
    assert levels == [messages.ERROR, messages.WARNING]
    assert "not answering" in messages_of(response)[0][1]


def test_refresh_action_never_answers_500(support_client, monkeypatch):
    vehicle = store_sample("BT57225")

    def broken_lookup(registration_number):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("vehicles.register.refresh.lookup", broken_lookup)

    response = action(support_client, [vehicle.pk])

    assert response.status_code == 302
    assert messages_of(response) == [
        (
            messages.ERROR,
            "BT 57225: not refreshed. Unexpected error (see the server log). "
            "The stored data is unchanged.",
        )
    ]
    assert support_client.get(response.url).status_code == 200


def test_refresh_action_refuses_too_many_vehicles_at_once(superuser_client, live_register):
    vehicles = [VehicleFactory() for _ in range(MAX_VEHICLES_PER_REFRESH + 1)]

    response = action(superuser_client, [v.pk for v in vehicles])

    assert messages_of(response)[0][0] == messages.ERROR
    assert not live_register.calls


def test_refresh_action_needs_the_refresh_permission(db, live_register):
    from django.contrib.auth.models import Permission
    from django.test import Client

    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_vehicle"))
    client = Client()
    client.force_login(viewer)
    vehicle = store_sample("BT57225")

    assert "refresh_from_register" not in client.get(VEHICLES).content.decode()
    action(client, [vehicle.pk])
    assert not live_register.calls


# --- The register's key never reaches a page ---------------------------------------------------


def test_no_admin_page_shows_the_register_api_key(superuser_client, live_register):
    assert API_KEY  # the live_register fixture configured it as settings.VEGVESEN_API_KEY
    vehicle = store_sample("KH45678")
    link = VehicleLinkFactory(vehicle=vehicle)
    live_register.get(REGISTER_URL, json=renewed_kh45678())
    refreshed = action(superuser_client, [vehicle.pk])
    change = vehicle.data_changes.get()
    pages = [
        "/admin/",
        VEHICLES,
        f"{VEHICLES}{vehicle.pk}/change/",
        f"{VEHICLES}{vehicle.pk}/history/",
        LINKS,
        f"{LINKS}{link.pk}/change/",
        CHANGES,
        f"{CHANGES}{change.pk}/change/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{link.user.pk}/change/",
        "/admin/notifications/notificationpreference/",
        "/admin/vehicles/",
    ]

    assert API_KEY not in superuser_client.get(refreshed.url).content.decode()
    for path in pages:
        response = superuser_client.get(path)
        assert response.status_code == 200, path
        assert API_KEY not in response.content.decode(), path
