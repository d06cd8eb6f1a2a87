"""
gunicorn's settings for the image (and `make bench-outages`), read from the environment.
gunicorn loads this file from the working directory by itself.

Each worker thread holds at most one database connection (CONN_MAX_AGE keeps it open), so
one container uses at most WEB_CONCURRENCY x GUNICORN_THREADS connections (README).
Logging: the app writes one access line per request, so gunicorn's own access log is off,
and gunicorn's lines use the app's format (ISO-8601 UTC, LOG_FORMAT=json for JSON).
"""

import ctypes
import ctypes.util
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


def _return_large_buffers_to_the_system(threshold: int = 128 * 1024) -> None:
    """
    glibc only: buffers of `threshold` bytes or more (request bodies, decoded photos) are
    mapped on their own and go back to the system when freed. By default glibc raises this
    threshold after the first such buffer is freed and keeps later ones in per-thread arenas,
    so each thread that once handled a photo keeps its memory, and a worker's resident memory
    climbs with its threads rather than with the photos in flight (`make bench-images`).
    Workers inherit the setting from the master.
    """
    libc = ctypes.util.find_library("c")
    mallopt = getattr(ctypes.CDLL(libc), "mallopt", None) if libc else None
    if mallopt is not None:
        m_mmap_threshold = -3
        mallopt(m_mmap_threshold, threshold)


_return_large_buffers_to_the_system()
