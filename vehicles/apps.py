import logging

from django.apps import AppConfig
from django.core import checks

logger = logging.getLogger("vehicles")


class VehiclesConfig(AppConfig):
    name = "vehicles"
    verbose_name = "Vehicles"

    def ready(self) -> None:
        from minbil.accounts.export import register_export_section
        from minbil.api import health
        from vehicles import (
            photo_cleanup,  # noqa: F401 (connects the post_delete receiver)
            register,
        )
        from vehicles.selectors import inspection_reminders_for, vehicle_links_for
        from vehicles.serializers import (
            ExportedInspectionReminderSerializer,
            ExportedVehicleLinkSerializer,
        )

        checks.register(register.check_mode, "vehicles")
        # /healthz says which register answers; /readyz shows its breaker and budget.
        health.add_fact("register_mode", lambda: register.configured_mode() or "unconfigured")
        health.add_info("register", register.status)
        # The owner's data export lists what they stored about each linked vehicle.
        register_export_section(
            "vehicles",
            source=vehicle_links_for,
            serializer=ExportedVehicleLinkSerializer,
            many=True,
        )
        # ... and the EU-kontroll reminders issued to them.
        register_export_section(
            "inspection_reminders",
            source=inspection_reminders_for,
            serializer=ExportedInspectionReminderSerializer,
            many=True,
        )

        logger.info("Vehicle register: %s", register.describe_mode())
