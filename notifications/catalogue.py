"""
The catalogue of notification events and channels, and their defaults.

This is the only place that knows which events exist (the published excerpt's seven, which
always stay, and those added since). Everything else (validation, the
API's full `preferences` object, `allows`/`recipients`, the admin grid) is derived from it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.TextChoices):
    """Labels are shown to owners (the unsubscribe page) and to staff, in their language."""

    BOOKING_REQUESTED = "booking.requested", _("Booking requested")
    BOOKING_ACCEPTED = "booking.accepted", _("Booking accepted")
    BOOKING_DECLINED = "booking.declined", _("Booking declined")
    BOOKING_UPDATED = "booking.updated", _("Booking updated")
    BOOKING_COMPLETED = "booking.completed", _("Booking completed")
    MESSAGE_NEW = "message.new", _("New message")
    RATING_REMINDER = "rating.reminder", _("Rating reminder")
    # Added since the first release: clients must tolerate events they do not know.
    INSPECTION_DUE = "inspection.due", _("EU-kontroll due")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    PUSH = "push", _("Push")


EVENTS: tuple[str, ...] = tuple(Event.values)
# The events of the published API excerpt: they always stay in the catalogue.
FIRST_RELEASE_EVENTS: tuple[str, ...] = (
    "booking.requested",
    "booking.accepted",
    "booking.declined",
    "booking.updated",
    "booking.completed",
    "message.new",
    "rating.reminder",
)
CHANNELS: tuple[str, ...] = tuple(Channel.values)

# What other MinBil services send through the sender API (`/api/internal/notifications`):
# their events. `inspection.due` is this backend's own (the EU-kontroll reminders).
SENT_BY_SERVICES: tuple[str, ...] = FIRST_RELEASE_EVENTS
# Reminders are never news: during the owner's quiet hours they wait on every channel, where
# anything else waits only on push (an email is not delayed).
REMINDERS: frozenset[str] = frozenset({Event.RATING_REMINDER, Event.INSPECTION_DUE})

# What a user who never changed anything receives: everything, on both channels.
DEFAULTS: dict[str, dict[str, bool]] = {
    event: {channel: True for channel in CHANNELS} for event in EVENTS
}


def default_for(event: str, channel: str) -> bool:
    """The default of one event on one channel; `KeyError` for an unknown pair."""
    return DEFAULTS[event][channel]
