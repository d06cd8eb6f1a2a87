"""
The catalogue of notification events and channels, and their defaults.

This is the only place that knows which events exist. Everything else (validation, the
API's full `preferences` object, `allows`/`recipients`, the admin grid) is derived from it.
"""

from django.db import models


class Event(models.TextChoices):
    BOOKING_REQUESTED = "booking.requested", "Booking requested"
    BOOKING_ACCEPTED = "booking.accepted", "Booking accepted"
    BOOKING_DECLINED = "booking.declined", "Booking declined"
    BOOKING_UPDATED = "booking.updated", "Booking updated"
    BOOKING_COMPLETED = "booking.completed", "Booking completed"
    MESSAGE_NEW = "message.new", "New message"
    RATING_REMINDER = "rating.reminder", "Rating reminder"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    PUSH = "push", "Push"


EVENTS: tuple[str, ...] = tuple(Event.values)
CHANNELS: tuple[str, ...] = tuple(Channel.values)

# What a user who never changed anything receives: everything, on both channels.
DEFAULTS: dict[str, dict[str, bool]] = {
    event: {channel: True for channel in CHANNELS} for event in EVENTS
}


def default_for(event: str, channel: str) -> bool:
    """The default of one event on one channel; `KeyError` for an unknown pair."""
    return DEFAULTS[event][channel]
