from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from minbil.accounts.export import register_export_section
        from notifications.selectors import exported_deliveries, exported_preferences
        from notifications.serializers import (
            ExportedDeliverySerializer,
            ExportedPreferencesSerializer,
        )

        # The owner's data export includes their preferences and what they changed.
        register_export_section(
            "notification_preferences",
            source=exported_preferences,
            serializer=ExportedPreferencesSerializer,
        )
        # ... and what was sent to them, as the delivery log has it.
        register_export_section(
            "notifications_sent",
            source=exported_deliveries,
            serializer=ExportedDeliverySerializer,
            many=True,
        )
