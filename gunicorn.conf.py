"""
gunicorn's settings for the image (and `make bench-outages`), read from the environment.
gunicorn loads this file from the working directory by itself.

Each worker thread holds at most one database connection (CONN_MAX_AGE keeps it open), so
one container uses at most WEB_CONCURRENCY x GUNICORN_THREADS connections (README).
Logging: the app writes one access line per request, so gunicorn's own access log is off,
and gunicorn's lines use the app's format (ISO-8601 UTC, LOG_FORMAT=json for JSON).
"""

import os

from minbil.logs import logging_config

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
accesslog = None
logconfig_dict = logging_config(
    level=os.environ.get("LOG_LEVEL", "INFO"), fmt=os.environ.get("LOG_FORMAT", "text")
)
# No runtime control socket: nothing uses it, and instances on one host would share its path.
control_socket_disable = True
