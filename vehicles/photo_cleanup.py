"""
Photo files never outlive their link.

- Deleting a `VehicleLink` through the ORM in any way (the admin, a user's deletion by
  cascade, code) deletes its two files once the transaction has committed. This is a
  `post_delete` receiver on purpose: it is storage housekeeping that must follow every
  delete, including cascades no service sees, not domain behaviour. The unlink service
  deletes its link in one SQL statement, which sends no signal, and schedules the same
  deletion itself (`vehicles.services`).
- `sweep_orphan_photos` finds stored photo files no link references (left by a process
  killed between writing the files and committing the link) and deletes them. Files newer
  than `older_than` are left alone: they may belong to an upload still in flight.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone

from vehicles import photos
from vehicles.models import VehicleLink

# Stored names looked up in the database per query: bounds both memory and query size.
SWEEP_BATCH_SIZE = 500


@receiver(post_delete, sender=VehicleLink, dispatch_uid="vehicles.delete_link_photos")
def delete_photos_of_deleted_link(sender, instance: VehicleLink, **kwargs) -> None:
    names = [name for name in (instance.photo.name, instance.photo_thumbnail.name) if name]
    if names:
        # After the commit: a rolled-back delete keeps its link, and so its files.
        transaction.on_commit(lambda: photos.delete_files(names))


@dataclass
class SweepResult:
    orphans: list[str] = field(default_factory=list)
    referenced: int = 0
    too_recent: int = 0


def sweep_orphan_photos(*, older_than: datetime.timedelta, dry_run: bool = False) -> SweepResult:
    """
    Deletes (or with `dry_run` only lists) photo files that no link references and that
    were last modified more than `older_than` ago.
    """
    result = SweepResult()
    cutoff = timezone.now() - older_than
    for batch in _batches(_stored_photo_names(), SWEEP_BATCH_SIZE):
        referenced = _referenced(batch)
        result.referenced += len(referenced)
        for name in batch:
            if name in referenced:
                continue
            if default_storage.get_modified_time(name) > cutoff:
                result.too_recent += 1
                continue
            result.orphans.append(name)
            if not dry_run:
                photos.delete_files([name])
    return result


def _stored_photo_names() -> Iterator[str]:
    try:
        _, files = default_storage.listdir(photos.PHOTO_DIRECTORY)
    except FileNotFoundError:  # local storage before the first upload
        return
    for name in sorted(files):
        yield f"{photos.PHOTO_DIRECTORY}/{name}"


def _referenced(names: list[str]) -> set[str]:
    """The names among `names` that some link uses, as its photo or its thumbnail."""
    links = VehicleLink.objects.filter(Q(photo__in=names) | Q(photo_thumbnail__in=names))
    used = {name for pair in links.values_list("photo", "photo_thumbnail") for name in pair}
    return used.intersection(names)


def _batches(names: Iterator[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for name in names:
        batch.append(name)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
