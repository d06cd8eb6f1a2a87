import logging

from django.apps import AppConfig

logger = logging.getLogger("vehicles")


class VehiclesConfig(AppConfig):
    name = "vehicles"
    verbose_name = "Vehicles"

    def ready(self) -> None:
        from vehicles.register import describe_mode

        logger.info("Vehicle register: %s", describe_mode())
