"""Races between real requests on real threads, each with its own database connection."""

from collections import Counter
from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory, VehicleLinkFactory
from tests.threads import run_at_once
from vehicles.models import Vehicle, VehicleLink

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/co/vehicles"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_40_concurrent_set_primary_calls_leave_exactly_one_primary():
    user = UserFactory()
    first = VehicleLinkFactory(user=user, is_primary=True).vehicle.registration_number
    second = VehicleLinkFactory(user=user).vehicle.registration_number

    def set_primary(plate: str) -> Callable[[], int]:
        return lambda: (
            client_for(user)
            .post(f"{URL}/set-primary", {"registration_number": plate}, format="json")
            .status_code
        )

    statuses = run_at_once([set_primary(first if i % 2 else second) for i in range(40)])

    assert statuses == [200] * 40
    assert VehicleLink.objects.filter(user=user, is_primary=True).count() == 1
    assert VehicleLink.objects.filter(user=user).count() == 2


def test_16_concurrent_links_of_one_new_plate_create_one_vehicle_and_one_link():
    user = UserFactory()

    statuses = run_at_once(
        [
            lambda: client_for(user).post(URL, {"reg": "BT57225"}, format="json").status_code
            for _ in range(16)
        ]
    )

    assert Counter(statuses) == {201: 1, 200: 15}
    assert Vehicle.objects.count() == 1
    link = VehicleLink.objects.get()
    assert (link.user, link.is_primary) == (user, True)


def test_users_linking_the_same_new_plate_at_once_share_one_vehicle():
    users = UserFactory.create_batch(8)

    statuses = run_at_once(
        [
            lambda user=user: (
                client_for(user)
                .post(URL, {"registration_number": "EL12345"}, format="json")
                .status_code
            )
            for user in users
        ]
    )

    assert statuses == [201] * 8
    assert Vehicle.objects.count() == 1
    assert VehicleLink.objects.filter(vehicle__registration_number="EL12345").count() == 8
    assert VehicleLink.objects.filter(is_primary=True).count() == 8  # each user's first


def test_concurrent_unlink_and_set_primary_keep_at_most_one_primary():
    user = UserFactory()
    links = [VehicleLinkFactory(user=user, is_primary=(i == 0)) for i in range(4)]
    plates = [link.vehicle.registration_number for link in links]

    def unlink(plate):
        return lambda: client_for(user).delete(f"{URL}?reg={plate}").status_code

    def set_primary(plate):
        return lambda: (
            client_for(user).post(f"{URL}/set-primary", {"reg": plate}, format="json").status_code
        )

    statuses = run_at_once(
        [unlink(plates[0]), set_primary(plates[1]), set_primary(plates[2]), unlink(plates[3])]
    )

    assert statuses == [200] * 4
    remaining = VehicleLink.objects.filter(user=user)
    assert remaining.count() == 2
    assert remaining.filter(is_primary=True).count() == 1
