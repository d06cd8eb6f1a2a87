"""Model factories for the suite."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    email = factory.Sequence(lambda n: f"owner{n}@example.com")
    name = factory.Faker("name")
    password = factory.django.Password(DEFAULT_PASSWORD)


class VehicleFactory(factory.django.DjangoModelFactory):
    """A stored vehicle, as if fetched from the register earlier."""

    class Meta:
        model = "vehicles.Vehicle"

    registration_number = factory.Sequence(lambda n: f"AB{10000 + n}")
    vin = factory.Sequence(lambda n: f"WVWZZZTEST{n:07d}")
    make = "VOLKSWAGEN"
    model = "GOLF"
    model_year = 2019
    fuel_type = "Bensin"
    color = "Rød"
    registration_status = "Registrert"
    registration_status_code = "REGISTRERT"
    inspection_required = True
    next_inspection_due = factory.LazyFunction(
        lambda: timezone.localdate() + datetime.timedelta(days=400)
    )
    data_fetched_at = factory.LazyFunction(timezone.now)
    register_payload = factory.LazyAttribute(lambda v: {"kjoretoydataListe": [{}]})


class VehicleLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "vehicles.VehicleLink"

    user = factory.SubFactory(UserFactory)
    vehicle = factory.SubFactory(VehicleFactory)


class DeviceFactory(factory.django.DjangoModelFactory):
    """An app installation registered for push, with a token shaped like FCM's."""

    class Meta:
        model = "notifications.Device"

    user = factory.SubFactory(UserFactory)
    token = factory.Sequence(lambda n: f"fcm{n:05d}:APA91b{'x' * 140}{n:08d}")
    platform = "android"
    app_version = "4.2.1 (512)"
