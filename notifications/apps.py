from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from minbil.accounts.export import register_export_section
        from minbil.accounts.signout import register_sign_out
        from notifications import checks  # noqa: F401 (registers the system checks)
        from notifications.selectors import devices_of, exported_deliveries, exported_preferences
        from notifications.serializers import (
            DeviceOutputSerializer,
            ExportedDeliverySerializer,
            ExportedPreferencesSerializer,
        )
        from notifications.services import forget_device, forget_devices

        # The owner's data export includes their preferences and what they changed.
        register_export_section(
            "notification_preferences",
            source=exported_preferences,
            serializer=ExportedPreferencesSerializer,
        )
        # ... what was sent to them, as the delivery log has it.
        register_export_section(
            "notifications_sent",
            source=exported_deliveries,
            serializer=ExportedDeliverySerializer,
            many=True,
        )
        # ... and the devices that get their pushes.
        register_export_section(
            "push_devices", source=devices_of, serializer=DeviceOutputSerializer, many=True
        )
        # Signing an app out stops its pushes; signing out everywhere stops them all.
        register_sign_out(device=forget_device, everywhere=forget_devices)
