"""
WSGI entry point, used by gunicorn (`minbil.wsgi:application`).

gunicorn runs no system checks itself, so they run here, once per worker as it loads the app:
a configuration that `manage.py check` would refuse (no register mode chosen, for one) stops
the worker before it serves a single request, and gunicorn exits.
"""

import gc
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

# What start-up built (modules, URLs, models, admin: about 90 000 objects) lives as long as the
# worker. Frozen out of the garbage collector's way, a full collection scans only what requests
# allocate: well under a millisecond instead of some 40 ms that every thread of the worker
# waits through (it showed as the tail of `make bench-register-outage`).
gc.freeze()
