import logging

from django.apps import AppConfig

logger = logging.getLogger("vehicles")


class VehiclesConfig(AppConfig):
    name = "vehicles"
    verbose_name = "Vehicles"

    def ready(self) -> None:
        from minbil.accounts.export import register_export_section
        from vehicles import photo_cleanup  # noqa: F401 (connects the post_delete receiver)
        from vehicles.selectors import vehicle_links_for
        from vehicles.serializers import ExportedVehicleLinkSerializer
        from vehicles.vegvesen import describe_mode

        # The owner's data export lists what they stored about each linked vehicle.
        register_export_section(
            "vehicles",
            source=vehicle_links_for,
            serializer=ExportedVehicleLinkSerializer,
            many=True,
        )

        logger.info("Vehicle register: %s", describe_mode())
