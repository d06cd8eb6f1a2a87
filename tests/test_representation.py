"""
`represent`, and the detail the views build by hand (`detail`), give what the serializer's
`.data` gives, for every kind of vehicle.
"""

from dataclasses import asdict

import pytest
from django.test import RequestFactory

from minbil.api.representation import represent
from tests.factories import VehicleFactory, VehicleLinkFactory
from vehicles.register.parser import parse_payload
from vehicles.register.sandbox import get_payload, sample_plates
from vehicles.selectors import find_vehicle_link
from vehicles.serializers import VehicleLinkDetailSerializer, detail

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


def represented(link, request):
    return represent(VehicleLinkDetailSerializer, link, {"request": request})


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
@pytest.mark.parametrize("build", [detail, represented])
def test_the_detail_is_what_the_serializer_gives(vehicle, photo, build):
    link = VehicleLinkFactory(
        vehicle=VehicleFactory(**vehicle), nickname="Hytta", photo=photo, photo_thumbnail=photo
    )
    link = find_vehicle_link(user=link.user, registration_number=link.vehicle.registration_number)
    context = {"request": RequestFactory().get("/")}

    answer = build(link, context["request"])

    expected = VehicleLinkDetailSerializer(link, context=context).data
    assert answer == expected
    assert list(answer) == list(expected)
    assert (answer["image_url"] is None) == (not photo)


@pytest.mark.parametrize("plate", sample_plates())
def test_every_sandbox_vehicle_is_detailed_as_the_serializer_gives(plate):
    fields = asdict(parse_payload(get_payload(plate)))
    link = VehicleLinkFactory(vehicle=VehicleFactory(registration_number=plate, **fields))
    stored = find_vehicle_link(user=link.user, registration_number=plate)
    request = RequestFactory().get("/")

    for instance in (link, stored):  # as the link was just saved, and as it is read back
        answer = detail(instance, request)
        expected = VehicleLinkDetailSerializer(instance, context={"request": request}).data
        assert answer == expected
        assert list(answer) == list(expected)
