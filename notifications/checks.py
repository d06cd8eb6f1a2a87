"""System checks of the push channel's configuration (run by `manage.py check`, `migrate`,
`runserver` and the WSGI entry point before it serves)."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from notifications.delivery.push import read_credentials


@register()
def push_credentials(app_configs, **kwargs):
    if not settings.FCM_CREDENTIALS_FILE:
        if settings.DEBUG:
            return []
        return [
            Warning(
                "Push notifications are written to the log, not sent: set "
                "FCM_CREDENTIALS_FILE to a Firebase service account's key file.",
                id="notifications.W001",
            )
        ]
    try:
        read_credentials(settings.FCM_CREDENTIALS_FILE)
    except ValueError as exc:
        return [Error(f"FCM_CREDENTIALS_FILE {exc}.", id="notifications.E001")]
    return []
