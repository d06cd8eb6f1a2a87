"""
Races between real requests on real threads, each with its own database connection (and, in
the PostgreSQL run, the shared Redis cache).
"""

import contextlib
import threading
from collections import Counter
from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory, VehicleLinkFactory
from tests.threads import run_at_once
from vehicles import services
from vehicles.models import Vehicle, VehicleLink
from vehicles.register.standin import Behaviour

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


# --- Single flight: one register call for concurrent look-ups of a plate ------------------------


def test_8_users_linking_one_new_plate_at_once_make_one_register_call(standin_register):
    register = standin_register(Behaviour.ANSWER, delay=0.5)  # every request overlaps the call
    users = UserFactory.create_batch(8)

    statuses = run_at_once(
        [
            lambda user=user: (
                client_for(user).post(URL, {"reg": "EK12345"}, format="json").status_code
            )
            for user in users
        ]
    )

    assert statuses == [201] * 8
    assert register.calls == 1
    vehicle = Vehicle.objects.get()
    assert vehicle.registration_number == "EK12345"
    assert VehicleLink.objects.filter(vehicle=vehicle).count() == 8


def test_a_failed_call_is_shared_too_and_stores_nothing(standin_register, settings):
    settings.VEGVESEN_TIMEOUT_SECONDS = 1.0
    settings.REGISTER_DEADLINE_SECONDS = 1.0
    register = standin_register(Behaviour.HANG)
    users = UserFactory.create_batch(8)

    responses = run_at_once(
        [
            lambda user=user: client_for(user).post(URL, {"reg": "EK12345"}, format="json")
            for user in users
        ]
    )

    assert [r.status_code for r in responses] == [503] * 8
    assert {r.json()["error"]["code"] for r in responses} == {"register_unavailable"}
    assert register.calls == 1  # one attempt fills the whole deadline
    assert not Vehicle.objects.exists()


# --- The vehicle limit, re-checked inside the transaction --------------------------------------


def test_a_user_at_19_links_linking_six_new_plates_at_once_gets_exactly_one(
    standin_register, settings, monkeypatch
):
    settings.MAX_VEHICLES_PER_USER = 20
    standin_register(Behaviour.ANSWER, delay=0.3)  # all six pass the first check, then race
    user = UserFactory()
    VehicleLinkFactory.create_batch(19, user=user)
    plates = [f"EK{10000 + i}" for i in range(6)]
    # Every request reaches the owner's lock at the same moment, inside its transaction, so
    # only a re-check made after taking the lock can see the others' links. (On SQLite,
    # BEGIN IMMEDIATE lets one transaction in at a time: the first waits out the barrier.)
    together = threading.Barrier(len(plates))
    lock_owner = services._lock_owner

    def lock_owner_together(owner) -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            together.wait(timeout=2)
        lock_owner(owner)

    monkeypatch.setattr(services, "_lock_owner", lock_owner_together)

    responses = run_at_once(
        [
            lambda plate=plate: client_for(user).post(URL, {"reg": plate}, format="json")
            for plate in plates
        ]
    )

    assert sorted(r.status_code for r in responses) == [201, 409, 409, 409, 409, 409]
    refused = [r.json()["error"] for r in responses if r.status_code == 409]
    assert {error["code"] for error in refused} == {"vehicle_limit_reached"}
    assert VehicleLink.objects.filter(user=user).count() == 20
    assert Vehicle.objects.filter(registration_number__in=plates).count() == 6  # kept, unlinked
