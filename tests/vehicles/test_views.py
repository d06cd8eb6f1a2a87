"""`/api/co/vehicles`: every row of the contract's table and its error cases."""

import datetime

import pytest
import requests
import responses
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import UserFactory, VehicleFactory, VehicleLinkFactory
from tests.vehicles.conftest import REGISTER_URL, sample
from vehicles.models import Vehicle, VehicleLink

pytestmark = pytest.mark.django_db

URL = "/api/co/vehicles"

SUMMARY_KEYS = {
    "registration_number",
    "display",
    "nickname",
    "is_primary",
    "make",
    "model",
    "model_year",
    "fuel_type",
    "color",
    "image_url",
    "thumbnail_url",
    "next_inspection_due",
    "inspection_status",
    "linked_at",
    "updated_at",
}
DETAIL_KEYS = SUMMARY_KEYS | {
    "vin",
    "first_registered_at",
    "first_registered_in_norway_at",
    "registration_status",
    "vehicle_group",
    "body_type",
    "engine_power_kw",
    "engine_displacement_cc",
    "transmission",
    "seats",
    "doors",
    "length_mm",
    "width_mm",
    "height_mm",
    "curb_weight_kg",
    "max_total_weight_kg",
    "max_trailer_weight_braked_kg",
    "max_trailer_weight_unbraked_kg",
    "co2_g_per_km",
    "tyres",
    "last_inspection_approved",
    "data_fetched_at",
}


def link(client, plate="BT57225", **body):
    return client.post(URL, {"registration_number": plate, **body}, format="json")


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ago(**kwargs) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**kwargs)


# --- POST /api/co/vehicles -------------------------------------------------------------------


def test_linking_a_new_plate_fetches_the_register_and_answers_201_detail(auth_client, user):
    response = link(auth_client, " bt-57 225 ", nickname="Familiebilen")

    assert response.status_code == 201
    data = response.json()["data"]
    assert set(data) == DETAIL_KEYS
    assert data["registration_number"] == "BT57225"
    assert data["display"] == "BT 57225"
    assert data["nickname"] == "Familiebilen"
    assert data["is_primary"] is True  # the first vehicle
    assert (data["make"], data["model"], data["model_year"]) == (
        "VOLKSWAGEN",
        "PASSAT VARIANT GTE",
        2021,
    )
    assert data["fuel_type"] == "Bensin/Elektrisk"
    assert data["engine_power_kw"] == 115.0
    assert data["next_inspection_due"] == "2027-03-18"
    assert data["first_registered_at"] == "2021-03-18"
    assert data["tyres"][0]["axles"][0]["tyre_size"] == "215/55R17"
    assert data["image_url"] is None and data["thumbnail_url"] is None
    assert data["data_fetched_at"].endswith("Z")
    vehicle = Vehicle.objects.get(registration_number="BT57225")
    assert vehicle.register_payload == sample("BT57225")
    assert VehicleLink.objects.get(user=user).vehicle == vehicle


def test_missing_register_data_is_null_never_absent(auth_client):
    data = link(auth_client, "EL12345").json()["data"]

    assert set(data) == DETAIL_KEYS
    assert data["engine_displacement_cc"] is None
    assert data["nickname"] is None


def test_the_reg_alias_and_multipart_bodies_work(auth_client):
    assert auth_client.post(URL, {"reg": "EL12345"}, format="json").status_code == 201

    response = auth_client.post(
        URL, {"registration_number": "KH 45678", "nickname": "Tur"}, format="multipart"
    )

    assert response.status_code == 201
    assert response.json()["data"]["nickname"] == "Tur"


def test_linking_again_is_idempotent_200_and_unchanged(auth_client, live_register):
    live_register.get(REGISTER_URL, json=sample("BT57225"))
    first = link(auth_client, nickname="Original").json()["data"]

    again = link(auth_client, "bt57225", nickname="Changed?")

    assert again.status_code == 200
    assert again.json()["data"] == first
    assert VehicleLink.objects.count() == 1
    assert len(live_register.calls) == 1


def test_linking_again_costs_one_query_after_the_user_row(api_client, django_assert_num_queries):
    user = UserFactory()
    link = VehicleLinkFactory(user=user)
    VehicleLinkFactory.create_batch(3, user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    plate = link.vehicle.registration_number

    with django_assert_num_queries(2):  # the token's user, then the link with its vehicle
        response = api_client.post(URL, {"registration_number": plate}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["registration_number"] == plate


def test_a_stored_vehicle_is_linked_without_calling_the_register(auth_client, live_register):
    other = client_for(UserFactory())
    live_register.get(REGISTER_URL, json=sample("KH45678"))
    assert link(other, "KH45678").status_code == 201

    response = link(auth_client, "KH45678")

    assert response.status_code == 201
    assert len(live_register.calls) == 1
    assert Vehicle.objects.count() == 1


def test_the_second_vehicle_is_not_primary(auth_client):
    link(auth_client, "BT57225")

    data = link(auth_client, "EL12345").json()["data"]

    assert data["is_primary"] is False


def test_no_register_data_is_404_worded_as_no_data_and_stores_nothing(auth_client):
    response = link(auth_client, "ZZ99999")

    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "vehicle_not_found"
    assert "no data available" in error["message"].lower()
    assert "not exist" not in error["message"].lower()
    assert not Vehicle.objects.exists()
    assert not VehicleLink.objects.exists()


@pytest.mark.parametrize(
    "mock_kwargs, status, code",
    [
        ({"status": 503}, 503, "register_unavailable"),
        ({"body": requests.ReadTimeout()}, 503, "register_unavailable"),
        ({"status": 429}, 503, "register_quota_exhausted"),
        ({"status": 422, "headers": {"Retry-After": "90"}}, 503, "register_quota_exhausted"),
        ({"status": 403}, 502, "register_error"),
        ({"status": 200, "body": "<html>"}, 502, "register_error"),
    ],
)
def test_register_failures_map_to_the_contract_and_store_nothing(
    auth_client, live_register, mock_kwargs, status, code
):
    live_register.get(REGISTER_URL, **mock_kwargs)

    response = link(auth_client)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    if status == 503:
        assert int(response["Retry-After"]) > 0
    assert not Vehicle.objects.exists()
    assert not VehicleLink.objects.exists()


@pytest.mark.parametrize("plate", ["B", "AB123456", "BT_57225", "<b>x</b>", ""])
def test_invalid_plate_is_400_before_any_register_call(auth_client, live_register, plate):
    response = link(auth_client, plate)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_registration_number"
    assert "registration_number" in response.json()["error"]["details"]
    assert not live_register.calls


def test_missing_plate_is_400(auth_client):
    response = auth_client.post(URL, {"nickname": "x"}, format="json")

    assert response.status_code == 400
    assert "registration_number" in response.json()["error"]["details"]


@pytest.mark.parametrize("body_format", ["json", "multipart"])
def test_an_empty_plate_is_400_not_a_missing_one(auth_client, body_format):
    # DRF reads an empty optional form field as absent; a plate is never left out that way.
    response = auth_client.post(
        URL, {"registration_number": "BT57225", "reg": ""}, format=body_format
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_registration_number"
    assert set(response.json()["error"]["details"]) == {"reg"}
    assert not VehicleLink.objects.exists()


def test_conflicting_plate_keys_are_400(auth_client):
    response = auth_client.post(
        URL, {"registration_number": "BT57225", "reg": "EL12345"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_registration_number"
    assert not VehicleLink.objects.exists()


@pytest.mark.parametrize("nickname", ["x" * 61, " " + "x" * 60, "x" * 59 + "  "])
def test_too_long_nickname_is_400_and_stores_nothing(auth_client, nickname):
    # As the schema's maxLength says: counted as sent, before surrounding spaces are trimmed.
    response = link(auth_client, nickname=nickname)

    assert response.status_code == 400
    assert "nickname" in response.json()["error"]["details"]
    assert not Vehicle.objects.exists()


@override_settings(MAX_VEHICLES_PER_USER=3)
def test_the_vehicle_limit_is_409_without_calling_the_register(auth_client, user, live_register):
    VehicleLinkFactory.create_batch(3, user=user)

    response = link(auth_client)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "vehicle_limit_reached"
    assert not live_register.calls
    assert VehicleLink.objects.filter(user=user).count() == 3


@override_settings(REGISTER_LOOKUP_THROTTLE_RATE="2/hour")
def test_register_lookups_are_throttled_per_user(auth_client):
    VehicleFactory(registration_number="AB12345")
    assert link(auth_client, "BT57225").status_code == 201
    assert link(auth_client, "ZZ99999").status_code == 404  # a failed look-up counts too

    throttled = link(auth_client, "EL12345")
    stored = link(auth_client, "AB12345")  # no look-up needed: not throttled

    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "register_lookup_throttled"
    assert int(throttled["Retry-After"]) > 0
    assert stored.status_code == 201
    assert link(client_for(UserFactory()), "EL12345").status_code == 201  # per user


# --- GET /api/co/vehicles ---------------------------------------------------------------------


def test_list_is_primary_first_then_most_recently_updated(auth_client, user):
    old = VehicleLinkFactory(user=user)
    primary = VehicleLinkFactory(user=user, is_primary=True)
    recent = VehicleLinkFactory(user=user)
    VehicleLink.objects.filter(pk=old.pk).update(updated_at=ago(days=3))
    VehicleLink.objects.filter(pk=primary.pk).update(updated_at=ago(days=9))
    VehicleLink.objects.filter(pk=recent.pk).update(updated_at=ago(days=1))
    VehicleLinkFactory()  # someone else's

    response = auth_client.get(URL)

    assert response.status_code == 200
    data = response.json()["data"]
    assert [item["registration_number"] for item in data] == [
        primary.vehicle.registration_number,
        recent.vehicle.registration_number,
        old.vehicle.registration_number,
    ]
    assert all(set(item) == SUMMARY_KEYS for item in data)


def test_list_is_empty_for_a_new_user(auth_client):
    assert auth_client.get(URL).json()["data"] == []


@pytest.mark.parametrize("count", [1, 20])
def test_list_query_count_does_not_grow_with_rows(api_client, django_assert_num_queries, count):
    user = UserFactory()
    VehicleLinkFactory.create_batch(count, user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")

    # One query authenticates the token's user, one reads the links with their vehicles.
    with django_assert_num_queries(2):
        response = api_client.get(URL)

    assert len(response.json()["data"]) == count


# --- GET /api/co/vehicles?registration_number= ------------------------------------------------


@pytest.mark.parametrize("query", ["registration_number=KH45678", "reg=kh%2045678", "reg=KH-45678"])
def test_detail_by_query_parameter(auth_client, query):
    link(auth_client, "KH45678")

    response = auth_client.get(f"{URL}?{query}")

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == DETAIL_KEYS
    assert data["registration_number"] == "KH45678"
    assert data["inspection_status"] == "overdue"  # deadline 2026-05-31 has passed


def test_detail_with_both_parameters_from_the_excerpt(auth_client):
    link(auth_client, "BT57225")

    response = auth_client.get(f"{URL}?registration_number=BT57225&reg=BT57225")

    assert response.status_code == 200
    assert response.json()["data"]["vin"] == "WVWSYNTH0ME000001"


def test_detail_with_the_excerpts_rendered_query_string(auth_client):
    link(auth_client, "BT57225")

    # The excerpt shows `&reg=` rendered as `®=`; clients copy that verbatim.
    response = auth_client.get(f"{URL}?registration_number=BT57225®=BT57225")

    assert response.status_code == 200
    assert response.json()["data"]["registration_number"] == "BT57225"


def test_rendered_query_string_naming_two_plates_is_400(auth_client):
    response = auth_client.get(f"{URL}?registration_number=BT57225®=EL12345")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_registration_number"


def test_detail_of_an_unlinked_plate_is_404(auth_client):
    VehicleFactory(registration_number="AB12345")

    response = auth_client.get(f"{URL}?reg=AB12345")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "vehicle_not_linked"


def test_detail_with_an_invalid_plate_is_400(auth_client):
    assert auth_client.get(f"{URL}?reg=not-a-plate!").status_code == 400


def test_restful_detail_alias(auth_client):
    link(auth_client, "EL12345")

    response = auth_client.get(f"{URL}/el12345")

    assert response.status_code == 200
    assert response.json()["data"]["model"] == "E-GOLF"


# --- PUT /api/co/vehicles/<reg> --------------------------------------------------------------


def test_update_sets_the_nickname_and_only_that(auth_client, user):
    created = link(auth_client, "BT57225", nickname="Old").json()["data"]

    response = auth_client.put(f"{URL}/BT57225", {"nickname": "Ny"}, format="json")

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["nickname"] == "Ny"
    assert data["updated_at"] > created["updated_at"]
    assert {k: v for k, v in data.items() if k not in {"nickname", "updated_at"}} == {
        k: v for k, v in created.items() if k not in {"nickname", "updated_at"}
    }


@pytest.mark.parametrize("cleared", [None, ""])
def test_update_with_null_or_empty_nickname_clears_it(auth_client, cleared):
    link(auth_client, "BT57225", nickname="Old")

    response = auth_client.put(f"{URL}/BT57225", {"nickname": cleared}, format="json")

    assert response.json()["data"]["nickname"] is None
    assert VehicleLink.objects.get().nickname == ""


def test_update_without_fields_changes_nothing(auth_client):
    link(auth_client, "BT57225", nickname="Keep")

    response = auth_client.put(f"{URL}/BT57225", {}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["nickname"] == "Keep"


def test_update_accepts_multipart(auth_client):
    link(auth_client, "BT57225")

    response = auth_client.put(f"{URL}/BT57225", {"nickname": "Form"}, format="multipart")

    assert response.json()["data"]["nickname"] == "Form"


@pytest.mark.parametrize(
    "body",
    ["--b--\r\n", "\r\nNone--b--\r\n", "garbage"],
    ids=["no-parts", "text-before-the-end", "no-boundary"],
)
def test_a_multipart_body_without_parts_is_400_and_changes_nothing(auth_client, body):
    link(auth_client, "BT57225", nickname="Keep")

    response = auth_client.generic(
        "PUT", f"{URL}/BT57225", body, content_type="multipart/form-data; boundary=b"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert VehicleLink.objects.get().nickname == "Keep"


def test_update_with_a_bad_nickname_changes_nothing(auth_client):
    link(auth_client, "BT57225", nickname="Keep")

    response = auth_client.put(f"{URL}/BT57225", {"nickname": "x" * 61}, format="json")

    assert response.status_code == 400
    assert VehicleLink.objects.get().nickname == "Keep"


def test_update_of_an_unlinked_plate_is_404(auth_client):
    assert auth_client.put(f"{URL}/BT57225", {"nickname": "x"}, format="json").status_code == 404


# --- DELETE /api/co/vehicles?registration_number= ----------------------------------------------


def test_unlink_removes_only_the_link(auth_client, user):
    link(auth_client, "BT57225")
    other = client_for(UserFactory())
    link(other, "BT57225")

    response = auth_client.delete(f"{URL}?registration_number=BT57225&reg=BT57225")

    assert response.status_code == 200
    assert response.json()["data"] == {"registration_number": "BT57225", "new_primary": None}
    assert not VehicleLink.objects.filter(user=user).exists()
    assert Vehicle.objects.filter(registration_number="BT57225").exists()
    assert other.get(f"{URL}?reg=BT57225").status_code == 200


def test_unlinking_primary_promotes_the_most_recently_updated(auth_client, user):
    primary = VehicleLinkFactory(user=user, is_primary=True)
    older = VehicleLinkFactory(user=user)
    newer = VehicleLinkFactory(user=user)
    VehicleLink.objects.filter(pk=older.pk).update(updated_at=ago(days=5))
    VehicleLink.objects.filter(pk=newer.pk).update(updated_at=ago(days=2))

    response = auth_client.delete(f"{URL}?reg={primary.vehicle.registration_number}")

    assert response.json()["data"]["new_primary"] == newer.vehicle.registration_number
    newer.refresh_from_db()
    older.refresh_from_db()
    assert newer.is_primary and not older.is_primary


def test_unlinking_a_non_primary_keeps_the_primary(auth_client, user):
    primary = VehicleLinkFactory(user=user, is_primary=True)
    other = VehicleLinkFactory(user=user)

    response = auth_client.delete(f"{URL}?reg={other.vehicle.registration_number}")

    assert response.json()["data"]["new_primary"] is None
    primary.refresh_from_db()
    assert primary.is_primary


def test_unlink_with_the_excerpts_rendered_query_string(auth_client, user):
    link(auth_client, "BT57225")

    response = auth_client.delete(f"{URL}?registration_number=BT57225®=BT57225")

    assert response.status_code == 200
    assert not VehicleLink.objects.filter(user=user).exists()


def test_unlink_without_a_parameter_is_400(auth_client):
    response = auth_client.delete(URL)

    assert response.status_code == 400
    assert "registration_number" in response.json()["error"]["details"]


def test_unlink_of_an_unlinked_plate_is_404(auth_client):
    assert auth_client.delete(f"{URL}?reg=BT57225").status_code == 404


def test_restful_unlink_alias(auth_client, user):
    link(auth_client, "BT57225")

    response = auth_client.delete(f"{URL}/BT57225")

    assert response.status_code == 200
    assert not VehicleLink.objects.filter(user=user).exists()


# --- POST /api/co/vehicles/refresh/<reg> ------------------------------------------------------


def test_refresh_refetches_and_answers_the_new_data(auth_client, live_register):
    live_register.get(REGISTER_URL, json=sample("KH45678"))
    before = link(auth_client, "KH45678").json()["data"]
    renewed = sample("KH45678")
    renewed["kjoretoydataListe"][0]["periodiskKjoretoyKontroll"] = {
        "kontrollfrist": "2028-05-31",
        "sistGodkjent": "2026-11-20",
    }
    live_register.replace(responses.GET, REGISTER_URL, json=renewed)

    response = auth_client.post(f"{URL}/refresh/KH45678")

    assert response.status_code == 200
    data = response.json()["data"]
    assert data["next_inspection_due"] == "2028-05-31"
    assert data["last_inspection_approved"] == "2026-11-20"
    assert data["inspection_status"] == "ok"
    assert data["data_fetched_at"] > before["data_fetched_at"]
    assert Vehicle.objects.get().register_payload == renewed


@pytest.mark.parametrize(
    "mock_kwargs, status",
    [
        ({"status": 503}, 503),
        ({"status": 429}, 503),
        ({"status": 401}, 502),
        ({"status": 404}, 404),
    ],
)
def test_failed_refresh_leaves_the_stored_data_exactly_as_it_was(
    auth_client, live_register, mock_kwargs, status
):
    live_register.get(REGISTER_URL, json=sample("BT57225"))
    link(auth_client, "BT57225")
    stored = Vehicle.objects.values().get()
    live_register.replace(responses.GET, REGISTER_URL, **mock_kwargs)

    response = auth_client.post(f"{URL}/refresh/BT57225")

    assert response.status_code == status
    assert Vehicle.objects.values().get() == stored


def test_refresh_of_an_unlinked_plate_is_404_without_calling_the_register(
    auth_client, live_register
):
    VehicleFactory(registration_number="AB12345")

    response = auth_client.post(f"{URL}/refresh/AB12345")

    assert response.status_code == 404
    assert not live_register.calls


@override_settings(REGISTER_LOOKUP_THROTTLE_RATE="1/hour")
def test_refresh_counts_against_the_lookup_throttle(auth_client):
    link(auth_client, "BT57225")

    response = auth_client.post(f"{URL}/refresh/BT57225")

    assert response.status_code == 429


# --- POST /api/co/vehicles/set-primary ----------------------------------------------------------


@pytest.mark.parametrize("key", ["registration_number", "reg"])
def test_set_primary_moves_the_flag(auth_client, user, key):
    link(auth_client, "BT57225")
    link(auth_client, "EL12345")

    response = auth_client.post(f"{URL}/set-primary", {key: "el 12345"}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["registration_number"] == "EL12345"
    assert response.json()["data"]["is_primary"] is True
    primaries = VehicleLink.objects.filter(user=user, is_primary=True)
    assert [p.vehicle.registration_number for p in primaries] == ["EL12345"]
    assert auth_client.get(URL).json()["data"][0]["registration_number"] == "EL12345"


def test_set_primary_on_the_primary_is_a_no_op_200(auth_client):
    link(auth_client, "BT57225")

    response = auth_client.post(f"{URL}/set-primary", {"reg": "BT57225"}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["is_primary"] is True


def test_set_primary_of_an_unlinked_plate_is_404_and_changes_nothing(auth_client, user):
    link(auth_client, "BT57225")
    VehicleFactory(registration_number="AB12345")

    response = auth_client.post(f"{URL}/set-primary", {"reg": "AB12345"}, format="json")

    assert response.status_code == 404
    assert VehicleLink.objects.get(user=user).is_primary


def test_set_primary_without_a_plate_is_400(auth_client):
    assert auth_client.post(f"{URL}/set-primary", {}, format="json").status_code == 400


# --- Every route: anonymous 401, another user's link 404 ---------------------------------------

ROUTES = [
    ("get", URL, None),
    ("get", f"{URL}?reg=BT57225", None),
    ("get", f"{URL}/BT57225", None),
    ("post", URL, {"registration_number": "BT57225"}),
    ("put", f"{URL}/BT57225", {"nickname": "mine now"}),
    ("delete", f"{URL}?reg=BT57225", None),
    ("delete", f"{URL}/BT57225", None),
    ("post", f"{URL}/refresh/BT57225", None),
    ("post", f"{URL}/set-primary", {"registration_number": "BT57225"}),
]


@pytest.mark.parametrize("method, url, body", ROUTES)
def test_anonymous_gets_401_on_every_route(api_client, method, url, body):
    response = getattr(api_client, method)(url, body, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


# Every route that addresses one link (the list and linking are covered below).
LINK_ROUTES = [route for route in ROUTES if route[1] != URL]


@pytest.mark.parametrize("method, url, body", LINK_ROUTES)
def test_another_users_link_answers_like_an_unlinked_plate(auth_client, method, url, body):
    owner = UserFactory()
    link(client_for(owner), "BT57225", nickname="Owner's")
    VehicleFactory(registration_number="AB12345")  # stored, linked by nobody
    unlinked_body = body and {key: "AB12345" for key in body if key == "registration_number"}
    unlinked = getattr(auth_client, method)(
        url.replace("BT57225", "AB12345"), unlinked_body or body, format="json"
    )

    response = getattr(auth_client, method)(url, body, format="json")

    assert response.status_code == unlinked.status_code == 404
    assert response.json()["error"] == unlinked.json()["error"]
    assert response.json()["error"]["code"] == "vehicle_not_linked"
    owned = VehicleLink.objects.get(user=owner)
    assert (owned.nickname, owned.is_primary) == ("Owner's", True)


def test_the_list_never_shows_another_users_links(auth_client):
    link(client_for(UserFactory()), "BT57225")

    assert auth_client.get(URL).json()["data"] == []


def test_linking_someone_elses_plate_creates_a_separate_link(auth_client, user):
    owner = UserFactory()
    link(client_for(owner), "BT57225", nickname="Owner's")

    response = link(auth_client, "BT57225")

    assert response.status_code == 201
    assert response.json()["data"]["nickname"] is None
    assert VehicleLink.objects.filter(vehicle__registration_number="BT57225").count() == 2
