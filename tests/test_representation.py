"""`represent` gives what the serializer's `.data` gives, for every kind of vehicle."""

import pytest
from django.test import RequestFactory

from minbil.api.representation import represent
from tests.factories import VehicleFactory, VehicleLinkFactory
from vehicles.selectors import find_vehicle_link
from vehicles.serializers import VehicleLinkDetailSerializer

pytestmark = pytest.mark.django_db

TYRES = [
    {
        "axles": [
            {
                "axle": 1,
                "tyre_size": "215/55R17",
                "load_index": "94",
                "speed_rating": "V",
                "rim_size": "7JX17",
                "rim_offset": "45",
                "twin": False,
                "extra": "dropped",
            }
        ]
    },
    {"axles": [{"axle": 2}]},
]


@pytest.mark.parametrize(
    "vehicle",
    [
        {},
        {"tyres": TYRES, "engine_power_kw": 110, "co2_g_per_km": 0, "seats": 5},
        {
            field: None
            for field in (
                "make",
                "model",
                "vin",
                "next_inspection_due",
                "inspection_required",
                "data_fetched_at",
                "color",
            )
        },
    ],
)
@pytest.mark.parametrize("photo", ["", "photos/a b.jpg"])
def test_the_detail_is_what_the_serializer_gives(vehicle, photo):
    link = VehicleLinkFactory(
        vehicle=VehicleFactory(**vehicle), nickname="Hytta", photo=photo, photo_thumbnail=photo
    )
    link = find_vehicle_link(user=link.user, registration_number=link.vehicle.registration_number)
    context = {"request": RequestFactory().get("/")}

    answer = represent(VehicleLinkDetailSerializer, link, context)

    expected = VehicleLinkDetailSerializer(link, context=context).data
    assert answer == expected
    assert list(answer) == list(expected)
    assert (answer["image_url"] is None) == (not photo)
