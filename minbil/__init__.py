"""The MinBil project package. Loads the Celery app with Django, as Celery documents."""

from minbil.celery import app as celery_app

__all__ = ("celery_app",)
