import logging

from django.apps import AppConfig

logger = logging.getLogger("vehicles")


class VehiclesConfig(AppConfig):
    name = "vehicles"
    verbose_name = "Vehicles"

    def ready(self) -> None:
        from vehicles import photo_cleanup  # noqa: F401 (connects the post_delete receiver)
        from vehicles.vegvesen import describe_mode

        logger.info("Vehicle register: %s", describe_mode())
