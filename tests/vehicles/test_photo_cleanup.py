"""
No orphan photo files: deleting a link in any way removes its files after the commit, and
`sweep_photos` removes stored files no link references (local storage and S3).
"""

import base64
import io
import os
import time
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image
from rest_framework.test import APIClient

from tests.factories import UserFactory
from vehicles.models import VehicleLink
from vehicles.photos import PHOTO_DIRECTORY

pytestmark = pytest.mark.django_db

URL = "/api/co/vehicles"


def jpeg() -> str:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 60)).save(out, "JPEG")
    return base64.b64encode(out.getvalue()).decode()


def owner_with_photo(plate: str = "BT57225"):
    owner = UserFactory()
    client = APIClient()
    client.force_authenticate(owner)
    response = client.post(URL, {"registration_number": plate, "image": jpeg()}, format="json")
    assert response.status_code == 201
    link = VehicleLink.objects.get(user=owner)
    return owner, {link.photo.name, link.photo_thumbnail.name}


def orphan(name: str) -> str:
    """A photo file no link references, as a killed upload leaves it."""
    return default_storage.save(f"{PHOTO_DIRECTORY}/{name}.jpg", ContentFile(b"\xff\xd8 orphan"))


def sweep(*args: str) -> str:
    out = StringIO()
    call_command("sweep_photos", *args, stdout=out)
    return out.getvalue()


# --- Deleting links, however it happens ------------------------------------------------------


def test_deleting_a_user_in_code_deletes_their_photo_files_after_the_commit(
    storage, django_capture_on_commit_callbacks
):
    owner, _ = owner_with_photo()
    _, others = owner_with_photo()

    with django_capture_on_commit_callbacks(execute=True):
        owner.delete()

    assert storage.files() == others


def test_deleting_a_user_in_the_admin_deletes_their_photo_files(
    storage, superuser, django_capture_on_commit_callbacks
):
    owner, _ = owner_with_photo()
    admin = Client()
    admin.force_login(superuser)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/admin/accounts/user/{owner.pk}/delete-account/")

    assert response.status_code == 302
    assert not type(owner).objects.filter(pk=owner.pk).exists()
    assert storage.files() == set()


@pytest.mark.parametrize("storage", ["local"], indirect=True)
def test_a_rolled_back_deletion_keeps_the_files(storage, django_capture_on_commit_callbacks):
    owner, files = owner_with_photo()
    owner_id = owner.pk

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        owner.delete()
        raise RuntimeError("the deletion failed later on")

    assert storage.files() == files
    assert VehicleLink.objects.filter(user_id=owner_id).exists()


# --- sweep_photos ----------------------------------------------------------------------------


def test_sweep_removes_orphans_and_keeps_referenced_files(storage):
    _, referenced = owner_with_photo()
    lost = {orphan("a" * 32), orphan("b" * 32)}

    out = sweep("--older-than", "0")

    assert storage.files() == referenced
    for name in lost:
        assert f"removed {name}" in out
    assert "removed 2 orphan file(s); kept 2 referenced and 0 newer than 0 min" in out


def test_sweep_keeps_recent_files_which_may_be_uploads_in_flight(storage):
    fresh = orphan("c" * 32)

    out = sweep()  # the default: only files older than 60 minutes

    assert storage.files() == {fresh}
    assert "removed 0 orphan file(s); kept 0 referenced and 1 newer than 60 min" in out


@pytest.mark.parametrize("storage", ["local"], indirect=True)
def test_sweep_removes_an_orphan_once_it_is_older_than_the_limit(storage, settings):
    old, fresh = orphan("d" * 32), orphan("e" * 32)
    two_hours_ago = time.time() - 2 * 3600
    os.utime(default_storage.path(old), (two_hours_ago, two_hours_ago))

    sweep("--older-than", "90")

    assert storage.files() == {fresh}


def test_dry_run_lists_orphans_and_deletes_nothing(storage):
    lost = orphan("f" * 32)

    out = sweep("--dry-run", "--older-than", "0")

    assert storage.files() == {lost}
    assert f"would remove {lost}" in out
    assert "would remove 1 orphan file(s)" in out


@pytest.mark.parametrize("storage", ["local"], indirect=True)
def test_sweep_with_no_photo_folder_yet_does_nothing(storage):
    assert "removed 0 orphan file(s)" in sweep("--older-than", "0")


@pytest.mark.parametrize("storage", ["local"], indirect=True)
def test_sweep_queries_do_not_grow_with_the_number_of_files(storage):
    orphan("0" * 32)
    with CaptureQueriesContext(connection) as one:
        sweep("--older-than", "0")
    for index in range(40):
        orphan(f"{index:032x}")
    with CaptureQueriesContext(connection) as many:
        sweep("--older-than", "0")

    assert len(many) == len(one) == 1


def test_older_than_must_be_whole_minutes():
    with pytest.raises(Exception, match="whole number of minutes"):
        call_command("sweep_photos", "--older-than", "-5")
