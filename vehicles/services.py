"""
Writes on vehicles and links: link, update, unlink, set primary, refresh from the register
(one vehicle, or many with a per-vehicle outcome), and a look-up that stores nothing.

Register calls and photo processing happen outside database transactions (a slow register
never holds a lock); every multi-row write is one transaction that first locks the owner's
row, so one user's link, unlink and set-primary requests are serialised (on SQLite,
`BEGIN IMMEDIATE` does the same for every writer). The database constraints stay the last
line of defence.

Photo files follow the database: new files are written before the transaction and deleted
again if it fails; replaced or removed files are deleted only once it has committed (those
of a deleted link by `vehicles.photo_cleanup`, whatever deleted it).
"""

import datetime
import logging
import math
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from minbil.api.throttling import RegisterLookupThrottle
from minbil.errors import Conflict, DomainError
from vehicles import photo_budget, photos, vegvesen
from vehicles.models import ChangeSource, Vehicle, VehicleDataChange, VehicleLink, describe_changes
from vehicles.plates import normalize_registration_number
from vehicles.selectors import VehicleNotLinked, find_vehicle_link, get_vehicle_link

logger = logging.getLogger(__name__)

UNSET: Any = object()
PhotoSource = bytes | UploadedFile | None


class VehicleLimitReached(Conflict):
    code = "vehicle_limit_reached"
    message = "You have linked the maximum number of vehicles. Unlink one to add another."


class RegisterLookupThrottled(DomainError):
    status_code = 429
    code = "register_lookup_throttled"
    message = "Too many vehicle register look-ups. Try again later."


@dataclass(frozen=True)
class UnlinkResult:
    registration_number: str
    new_primary: str | None


def link_vehicle(
    *, user, registration_number: str, nickname: str | None = None, photo: PhotoSource = None
) -> tuple[VehicleLink, bool]:
    """
    Links a canonical plate to the user: `(link, True)` when new, `(link, False)` when the
    user already had it (unchanged: the nickname and photo given are not applied). The
    register is called only for a plate not stored yet; nothing is stored when it or the
    photo fails. The user's first vehicle becomes primary.
    """
    existing = find_vehicle_link(user=user, registration_number=registration_number)
    if existing is not None:
        return existing, False
    _ensure_below_limit(user)
    processed = _process_upload(user, photo) if photo is not None else None
    vehicle = Vehicle.objects.filter(registration_number=registration_number).first()
    if vehicle is None:
        vehicle = _store_vehicle_from_register(user=user, registration_number=registration_number)

    stored = photos.save_photo(processed) if processed else None
    created = False
    try:
        with transaction.atomic():
            _lock_owner(user)
            if not VehicleLink.objects.filter(user=user, vehicle=vehicle).exists():
                _ensure_below_limit(user)
                has_primary = VehicleLink.objects.filter(user=user, is_primary=True).exists()
                VehicleLink.objects.create(
                    user=user,
                    vehicle=vehicle,
                    nickname=nickname or "",
                    photo=stored.image if stored else "",
                    photo_thumbnail=stored.thumbnail if stored else "",
                    is_primary=not has_primary,
                )
                created = True
    except IntegrityError:  # a concurrent request linked it first
        pass
    finally:
        if stored and not created:
            photos.delete_files(stored.names)
    return get_vehicle_link(user=user, registration_number=registration_number), created


def update_vehicle_link(
    *, user, registration_number: str, nickname: Any = UNSET, photo: Any = UNSET
) -> VehicleLink:
    """
    Changes only what is given: `None` or `""` clears the nickname, `photo=None` removes the
    photo, a new photo replaces it. All or nothing: a bad photo changes nothing.
    """
    link = get_vehicle_link(user=user, registration_number=registration_number)
    replace_photo = photo is not UNSET
    processed = _process_upload(user, photo) if replace_photo and photo is not None else None
    stored = photos.save_photo(processed) if processed else None
    committed = False
    try:
        with transaction.atomic():
            # Locked, and read inside the transaction: the files this request replaces are
            # exactly the ones it unlinks, even when two uploads race.
            link = VehicleLink.objects.select_for_update().filter(pk=link.pk).first()
            if link is None:  # unlinked by a concurrent request meanwhile
                raise VehicleNotLinked()
            changed = []
            if nickname is not UNSET:
                link.nickname = nickname or ""
                changed.append("nickname")
            if replace_photo:
                replaced = (link.photo.name, link.photo_thumbnail.name)
                link.photo = stored.image if stored else ""
                link.photo_thumbnail = stored.thumbnail if stored else ""
                changed += ["photo", "photo_thumbnail"]
                transaction.on_commit(lambda: photos.delete_files(replaced))
            if changed:
                link.save(update_fields=[*changed, "updated_at"])
        committed = True
    finally:
        if stored and not committed:
            photos.delete_files(stored.names)
    return get_vehicle_link(user=user, registration_number=registration_number)


@transaction.atomic
def set_primary_vehicle(*, user, registration_number: str) -> VehicleLink:
    """Makes one link the user's primary; the previous primary is demoted in the same step."""
    _lock_owner(user)
    link = get_vehicle_link(user=user, registration_number=registration_number)
    if not link.is_primary:
        # Demote first: the conditional unique index allows one primary at any moment.
        VehicleLink.objects.filter(user=user, is_primary=True).update(is_primary=False)
        link.is_primary = True
        link.save(update_fields=["is_primary", "updated_at"])
    return link


@transaction.atomic
def unlink_vehicle(*, user, registration_number: str) -> UnlinkResult:
    """
    Removes the user's link (never the shared vehicle). If it was primary, the remaining
    link updated most recently becomes primary.
    """
    _lock_owner(user)
    link = get_vehicle_link(user=user, registration_number=registration_number)
    link.delete()  # its photo files go after the commit (vehicles.photo_cleanup)
    successor = None
    if link.is_primary:
        successor = (
            VehicleLink.objects.filter(user=user)
            .select_related("vehicle")
            .order_by("-updated_at", "-pk")
            .first()
        )
        if successor is not None:
            VehicleLink.objects.filter(pk=successor.pk).update(is_primary=True)
    return UnlinkResult(
        registration_number=registration_number,
        new_primary=successor.vehicle.registration_number if successor else None,
    )


def refresh_vehicle_link(*, user, registration_number: str) -> VehicleLink:
    """Re-fetches the register data of a vehicle the user has linked."""
    link = get_vehicle_link(user=user, registration_number=registration_number)
    _consume_register_lookup(user)
    refresh_vehicle(vehicle=link.vehicle)
    return get_vehicle_link(user=user, registration_number=registration_number)


def refresh_vehicle(
    *, vehicle: Vehicle, source: str = ChangeSource.API
) -> dict[str, tuple[Any, Any]]:
    """
    Replaces a vehicle's register data with a fresh look-up and returns what changed as
    `{field: (old, new)}`. A change is also recorded as a `VehicleDataChange` marked with
    `source` (`api`, `admin`, `command`), in the same transaction as the update. If the
    register fails, the exception propagates and the stored data stays exactly as it was.
    """
    result = vegvesen.lookup(vehicle.registration_number)
    fields = asdict(result.data)
    now = timezone.now()
    with transaction.atomic():
        # Compared with the row as stored now, not as the caller loaded it: a long batch or
        # two concurrent refreshes must not record a change against stale values.
        current = Vehicle.objects.select_for_update().only(*fields).get(pk=vehicle.pk)
        changes = {
            name: (getattr(current, name), value)
            for name, value in fields.items()
            if getattr(current, name) != value
        }
        Vehicle.objects.filter(pk=vehicle.pk).update(
            **fields, register_payload=result.payload, data_fetched_at=now, updated_at=now
        )
        if changes:
            VehicleDataChange.objects.create(
                vehicle_id=vehicle.pk,
                fetched_at=now,
                changes=change_record(changes),
                source=source,
            )
    return changes


def change_record(changes: dict[str, tuple[Any, Any]]) -> dict[str, dict[str, Any]]:
    """`{field: (old, new)}` as stored in `VehicleDataChange.changes`: JSON, dates in ISO."""
    return {
        name: {"old": _json_value(old), "new": _json_value(new)}
        for name, (old, new) in changes.items()
    }


class RefreshStatus(StrEnum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"
    QUOTA_EXHAUSTED = "quota_exhausted"
    FAILED = "failed"


@dataclass(frozen=True)
class RefreshOutcome:
    """How one vehicle's refresh went, for callers that refresh many and report on each."""

    vehicle: Vehicle
    status: RefreshStatus
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    message: str = ""
    retry_after: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.status in (RefreshStatus.CHANGED, RefreshStatus.UNCHANGED)

    @property
    def summary(self) -> str:
        """What changed, or why it failed, in one line (the plate not included)."""
        if self.succeeded:
            return describe_changes(change_record(self.changes))
        if self.status == RefreshStatus.QUOTA_EXHAUSTED and self.retry_after:
            wait = describe_wait(self.retry_after)
            return f"The register's daily look-up quota is used up; it resets in {wait}."
        return self.message


def attempt_vehicle_refresh(*, vehicle: Vehicle, source: str) -> RefreshOutcome:
    """
    `refresh_vehicle`, with every failure turned into an outcome instead of an exception,
    so one vehicle's failure never ends a batch (the admin action, `refresh_vehicles`).
    A spent quota comes back as `QUOTA_EXHAUSTED` with `retry_after`: the quota is shared,
    so the caller should stop there.
    """
    try:
        changes = refresh_vehicle(vehicle=vehicle, source=source)
    except vegvesen.VehicleNotFound as exc:
        return RefreshOutcome(vehicle, RefreshStatus.NOT_FOUND, message=exc.message)
    except vegvesen.RegisterQuotaExhausted as exc:
        return RefreshOutcome(
            vehicle,
            RefreshStatus.QUOTA_EXHAUSTED,
            message=exc.message,
            retry_after=exc.retry_after,
        )
    except vegvesen.RegisterUnavailable as exc:
        return RefreshOutcome(vehicle, RefreshStatus.UNAVAILABLE, message=exc.message)
    except vegvesen.RegisterError as exc:
        return RefreshOutcome(vehicle, RefreshStatus.FAILED, message=exc.message)
    except Exception:
        # Deliberately broad: a batch reports a bug on one vehicle and goes on (logged in
        # full here; the message shown to staff carries no internals).
        logger.exception("Refreshing vehicle %s failed unexpectedly", vehicle.pk)
        return RefreshOutcome(
            vehicle, RefreshStatus.FAILED, message="Unexpected error (see the server log)."
        )
    status = RefreshStatus.CHANGED if changes else RefreshStatus.UNCHANGED
    return RefreshOutcome(vehicle, status, changes=changes)


def look_up_plate(*, raw_plate: str) -> vegvesen.LookupResult:
    """
    Normalises a plate and looks it up in the configured register (live or sandbox),
    storing nothing: for developers checking what the register says.
    """
    return vegvesen.lookup(normalize_registration_number(raw_plate))


def describe_wait(seconds: int) -> str:
    """`Retry-After` seconds for people: `3 h 12 min`, `5 min`, `40 s`."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.date) else value


def _store_vehicle_from_register(*, user, registration_number: str) -> Vehicle:
    _consume_register_lookup(user)
    result = vegvesen.lookup(registration_number)
    # Two users linking the same new plate at once: the unique plate decides, one row wins.
    vehicle, _ = Vehicle.objects.get_or_create(
        registration_number=registration_number,
        defaults={
            **asdict(result.data),
            "register_payload": result.payload,
            "data_fetched_at": timezone.now(),
        },
    )
    return vehicle


def _consume_register_lookup(user) -> None:
    throttle = RegisterLookupThrottle(user.pk)
    if not throttle.allow_request(None, None):
        wait = throttle.wait()
        raise RegisterLookupThrottled(retry_after=math.ceil(wait) if wait else None)


def _process_upload(user, photo: bytes | UploadedFile) -> photos.ProcessedPhoto:
    """A photo the user sends, counted against their upload rate before it is decoded."""
    photo_budget.spend_upload(user.pk)
    return photos.process_photo(photo)


def _ensure_below_limit(user) -> None:
    limit = settings.MAX_VEHICLES_PER_USER
    if VehicleLink.objects.filter(user=user).count() >= limit:
        raise VehicleLimitReached(details={"max_vehicles": limit})


def _lock_owner(user) -> None:
    """Serialises one user's link writes (a no-op on SQLite, where BEGIN IMMEDIATE does it)."""
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
