"""
Writes on vehicles and links: link, update, unlink, set primary, refresh from the register,
and a look-up that stores nothing. The register itself (look-ups, their rules, refreshes and
change records) is `vehicles.register`.

Register calls and photo processing happen outside database transactions (a slow register
never holds a lock); every multi-row write is one transaction that first locks the owner's
row, so one user's link, unlink and set-primary requests are serialised (on SQLite,
`BEGIN IMMEDIATE` does the same for every writer). The database constraints stay the last
line of defence.

Photo files follow the database: new files are written before the transaction and deleted
again if it fails; replaced or removed files are deleted only once it has committed (those
of a link the unlink deletes by the unlink itself, of one deleted any other way by
`vehicles.photo_cleanup`).
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext_lazy as _

from minbil import prepared
from minbil.errors import Conflict
from vehicles import photo_budget, photos, register
from vehicles.models import ChangeSource, Vehicle, VehicleLink
from vehicles.plates import normalize_registration_number
from vehicles.selectors import (
    VehicleNotLinked,
    find_vehicle_link,
    get_vehicle_link,
    last_updated_link,
    link_state,
)

UNSET: Any = object()
PhotoSource = bytes | UploadedFile | None


class VehicleLimitReached(Conflict):
    code = "vehicle_limit_reached"
    message = _("You have linked the maximum number of vehicles. Unlink one to add another.")


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

    A link the user already has is answered after one query, the link itself: apps send the
    same link again far more often than a new plate, which costs one query more.
    """
    existing = find_vehicle_link(user=user, registration_number=registration_number)
    if existing is not None:
        return existing, False
    state = link_state(user=user, registration_number=registration_number)
    if state.linked:  # by a concurrent request since
        return get_vehicle_link(user=user, registration_number=registration_number), False
    _ensure_below_limit(user, links=state.links)
    processed = _process_upload(user, photo) if photo is not None else None
    vehicle_id = state.vehicle_id
    if vehicle_id is None:
        new = register.store_new_vehicle(registration_number=registration_number, user=user)
        vehicle_id = new.pk

    stored = photos.save_photo(processed) if processed else None
    created = False
    try:
        with transaction.atomic():
            _lock_owner(user)
            if not VehicleLink.objects.filter(user=user, vehicle_id=vehicle_id).exists():
                _ensure_below_limit(user)
                has_primary = VehicleLink.objects.filter(user=user, is_primary=True).exists()
                VehicleLink.objects.create(
                    user=user,
                    vehicle_id=vehicle_id,
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
    was_primary = _delete_link(user=user, registration_number=registration_number)
    new_primary = None
    if was_primary:
        successor = last_updated_link(user=user)
        if successor is not None:
            successor_id, new_primary = successor
            VehicleLink.objects.filter(pk=successor_id).update(is_primary=True)
    return UnlinkResult(registration_number=registration_number, new_primary=new_primary)


def refresh_vehicle_link(*, user, registration_number: str) -> VehicleLink:
    """
    Re-fetches the register data of a vehicle the user has linked; data fetched within the
    refresh minimum age is answered as stored, with no look-up.
    """
    link = get_vehicle_link(user=user, registration_number=registration_number)
    if register.fetched_recently(link.vehicle):
        return link
    register.refresh_vehicle(vehicle=link.vehicle, source=ChangeSource.API, user=user)
    return get_vehicle_link(user=user, registration_number=registration_number)


def look_up_plate(*, raw_plate: str) -> register.LookupResult:
    """
    Normalises a plate and looks it up in the configured register (live or sandbox),
    storing nothing: for developers checking what the register says.
    """
    return register.lookup(normalize_registration_number(raw_plate))


def _process_upload(user, photo: bytes | UploadedFile) -> photos.ProcessedPhoto:
    """A photo the user sends, counted against their upload rate before it is decoded."""
    photo_budget.spend_upload(user.pk)
    return photos.process_photo(photo)


def _ensure_below_limit(user, *, links: int | None = None) -> None:
    """Refuses a link beyond the limit; `links` is the user's count when already read."""
    limit = settings.MAX_VEHICLES_PER_USER
    if links is None:
        links = VehicleLink.objects.filter(user=user).count()
    if links >= limit:
        raise VehicleLimitReached(details={"max_vehicles": limit})


def _delete_link(*, user, registration_number: str) -> bool:
    """
    Deletes the user's link to a canonical plate in one statement and says whether it was the
    primary; `VehicleNotLinked` when there is none. Its photo files go once the transaction
    has committed, as `vehicles.photo_cleanup` does for every other delete.

    The ORM's delete would read the link and then delete it by id: on PostgreSQL a round trip
    and a third of the unlink's time more. SQLite (3.35 and newer) and PostgreSQL both know
    `DELETE ... RETURNING`.
    """
    link, vehicle = VehicleLink._meta, Vehicle._meta
    quote = connection.ops.quote_name
    # Identifiers from the models' metadata; the values are parameters.
    sql = (
        f"DELETE FROM {quote(link.db_table)} "  # noqa: S608
        f"WHERE {quote(link.get_field('user').column)} = %s "
        f"AND {quote(link.get_field('vehicle').column)} IN ("
        f"SELECT {quote(vehicle.pk.column)} FROM {quote(vehicle.db_table)} "
        f"WHERE {quote(vehicle.get_field('registration_number').column)} = %s) "
        f"RETURNING {quote(link.get_field('is_primary').column)}, "
        f"{quote(link.get_field('photo').column)}, "
        f"{quote(link.get_field('photo_thumbnail').column)}"
    )
    with prepared.cursor(connection) as cursor:  # on PostgreSQL, planned once per connection
        cursor.execute(sql, [user.pk, registration_number])
        row = cursor.fetchone()
    if row is None:
        raise VehicleNotLinked()
    was_primary, *files = row
    names = [name for name in files if name]
    if names:
        transaction.on_commit(lambda: photos.delete_files(names))
    return bool(was_primary)


_OWNER_ROW = prepared.PreparedQuery(
    lambda user_id: (
        get_user_model().objects.select_for_update().filter(pk=user_id).values_list("pk")
    ),
    user_id=prepared.ID,
)


def _lock_owner(user) -> None:
    """Serialises one user's link writes (a no-op on SQLite, where BEGIN IMMEDIATE does it)."""
    _OWNER_ROW.rows(user_id=user.pk)
