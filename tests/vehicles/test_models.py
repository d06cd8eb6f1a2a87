"""Vehicle and link rules that hold in the database and the model itself."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from tests.factories import UserFactory, VehicleFactory, VehicleLinkFactory
from vehicles.models import Vehicle

TODAY = datetime.date(2026, 11, 28)


@pytest.mark.parametrize(
    "required, due, status",
    [
        (True, TODAY + datetime.timedelta(days=61), "ok"),
        (True, TODAY + datetime.timedelta(days=60), "due_soon"),
        (True, TODAY, "due_soon"),
        (True, TODAY - datetime.timedelta(days=1), "overdue"),
        (False, None, "not_required"),
        (True, None, "unknown"),
        (None, None, "unknown"),
    ],
)
def test_inspection_status_comes_from_the_registers_deadline_only(required, due, status):
    vehicle = Vehicle(inspection_required=required, next_inspection_due=due)

    assert vehicle.inspection_status(TODAY) == status


@pytest.mark.django_db
def test_database_allows_one_primary_link_per_user():
    user = UserFactory()
    VehicleLinkFactory(user=user, is_primary=True)
    VehicleLinkFactory(user=user, is_primary=False)

    with pytest.raises(IntegrityError), transaction.atomic():
        VehicleLinkFactory(user=user, is_primary=True)


@pytest.mark.django_db
def test_database_allows_one_link_per_user_and_vehicle():
    link = VehicleLinkFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        VehicleLinkFactory(user=link.user, vehicle=link.vehicle)


@pytest.mark.django_db
def test_database_allows_one_vehicle_per_plate():
    VehicleFactory(registration_number="BT57225")

    with pytest.raises(IntegrityError), transaction.atomic():
        VehicleFactory(registration_number="BT57225")
