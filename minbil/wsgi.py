"""
WSGI entry point, used by gunicorn (`minbil.wsgi:application`).

gunicorn runs no system checks itself, so they run here, once per worker as it loads the app:
a configuration that `manage.py check` would refuse (no register mode chosen, for one) stops
the worker before it serves a single request, and gunicorn exits.
"""

import os

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minbil.settings.base")

application = get_wsgi_application()

_errors = [message for message in checks.run_checks() if message.is_serious()]
if _errors:
    raise ImproperlyConfigured(
        "System check refused to start:\n" + "\n".join(str(error) for error in _errors)
    )
