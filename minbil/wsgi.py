"""WSGI entry point, used by gunicorn (`minbil.wsgi:application`)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minbil.settings.base")

application = get_wsgi_application()
