"""
The owner's list is built from rows (`vehicle_summaries_for` + `summaries`), not through
`VehicleLinkSummarySerializer`, which documents it: both must give the same answer for every
kind of link and vehicle, photos and missing register data included.
"""

import datetime

import pytest
from django.test import RequestFactory
from django.utils import timezone

from tests.factories import UserFactory, VehicleFactory, VehicleLinkFactory
from vehicles.selectors import vehicle_links_for, vehicle_summaries_for
from vehicles.serializers import VehicleLinkSummarySerializer, summaries

pytestmark = pytest.mark.django_db


def both(user):
    request = RequestFactory().get("/api/co/vehicles")
    links = vehicle_links_for(user=user)
    documented = VehicleLinkSummarySerializer(links, many=True, context={"request": request}).data
    return summaries(vehicle_summaries_for(user=user), request), [dict(item) for item in documented]


def test_every_kind_of_link_is_listed_as_the_serializer_documents_it():
    user = UserFactory()
    today = timezone.localdate()
    VehicleLinkFactory(user=user, is_primary=True, nickname="Familiebilen")
    VehicleLinkFactory(
        user=user, photo="photos/a b+c.jpg", photo_thumbnail="photos/thumbs/a b+c.jpg"
    )
    VehicleLinkFactory(
        user=user,
        vehicle=VehicleFactory(
            make=None,
            model=None,
            model_year=None,
            fuel_type=None,
            color=None,
            next_inspection_due=None,
            inspection_required=None,
        ),
    )
    for days in (-1, 0, 60, 61):
        VehicleLinkFactory(
            user=user, vehicle=VehicleFactory(next_inspection_due=today + datetime.timedelta(days))
        )
    VehicleLinkFactory(user=user, vehicle=VehicleFactory(inspection_required=False))
    VehicleLinkFactory(user=user, vehicle=VehicleFactory(registration_number="EL12345"))
    VehicleLinkFactory()  # someone else's

    listed, documented = both(user)

    assert len(listed) == 9
    assert listed == documented
    assert [list(item) for item in listed] == [list(item) for item in documented]  # key order
    statuses = {item["inspection_status"] for item in listed}
    assert statuses == {"ok", "due_soon", "overdue", "not_required", "unknown"}


def test_a_link_with_microseconds_and_a_new_user_match_too():
    user = UserFactory()
    link = VehicleLinkFactory(user=user)
    type(link).objects.filter(pk=link.pk).update(
        created_at=datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC)
    )

    listed, documented = both(user)

    assert listed == documented
    assert listed[0]["linked_at"] == "2026-01-02T03:04:05.678901Z"
    assert both(UserFactory()) == ([], [])
