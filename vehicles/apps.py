import logging

from django.apps import AppConfig
from django.core import checks

logger = logging.getLogger("vehicles")


class VehiclesConfig(AppConfig):
    name = "vehicles"
    verbose_name = "Vehicles"

    def ready(self) -> None:
        from vehicles.register import check_mode, describe_mode

        checks.register(check_mode, "vehicles")
        logger.info("Vehicle register: %s", describe_mode())
