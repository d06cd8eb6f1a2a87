"""
Shared fixtures: API and admin clients, users, a clean cache for every test, a local SMTP
server and an FCM stand-in, and the photo storage under test (local files, then S3 on
moto's server, started once for the suite).
"""

import io
import time

import boto3
import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.test import Client
from PIL import Image
from rest_framework.test import APIClient

from minbil.accounts.models import SUPPORT_GROUP
from tests.factories import UserFactory
from tests.servers import Inbox, free_port
from vehicles.photos import PHOTO_DIRECTORY


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Every test stores its photos in a folder of its own, never in the repository."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clean_cache():
    """Throttle counters live in the cache; no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def auth_client(user) -> APIClient:
    """A client authenticated as `user` (the token endpoint itself is tested separately)."""
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def superuser(db):
    return UserFactory(email="root@minbil.test", is_staff=True, is_superuser=True)


@pytest.fixture
def support_user(db):
    """A staff member in the Support group, as the data migration made it."""
    staff = UserFactory(email="support@minbil.test", is_staff=True)
    staff.groups.add(Group.objects.get(name=SUPPORT_GROUP))
    return staff


@pytest.fixture
def superuser_client(superuser) -> Client:
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def support_client(support_user) -> Client:
    client = Client()
    client.force_login(support_user)
    return client


@pytest.fixture
def smtp_inbox(settings):
    """A real SMTP server on localhost (aiosmtpd), and the app's email settings pointed at it."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def fcm(settings, tmp_path):
    """
    A stand-in for FCM's send and token endpoints on a local port, with a service account
    for them, and the app's push settings pointed at it.
    """
    from notifications.delivery import push
    from notifications.delivery.fcm_standin import FcmStandIn

    with FcmStandIn(tmp_path) as standin:
        settings.FCM_CREDENTIALS_FILE = str(standin.credentials_file)
        settings.FCM_API_URL = standin.url
        settings.FCM_TIMEOUT_SECONDS = 5
        push.client.cache_clear()  # the process's client holds the access token
        yield standin
    push.client.cache_clear()


@pytest.fixture(scope="session")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(params=["local", "s3"])
def storage(request, settings, tmp_path):
    """The default storage under test; `files()` lists what is stored under photos."""
    if request.param == "local":
        settings.MEDIA_ROOT = tmp_path
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "minbil.storage.SignedURLFileSystemStorage",
                "OPTIONS": {"location": str(tmp_path)},
            },
        }
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        bucket = f"photos-{time.time_ns()}"
        credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        boto3.client(
            "s3", endpoint_url=endpoint, region_name="us-east-1", **credentials
        ).create_bucket(Bucket=bucket)
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": bucket,
                    "endpoint_url": endpoint,
                    "region_name": "us-east-1",
                    "access_key": "testing",
                    "secret_key": "testing",
                    "default_acl": "private",
                    "file_overwrite": False,
                    "signature_version": "s3v4",
                },
            },
        }

    class Stored:
        @staticmethod
        def files() -> set[str]:
            if not default_storage.exists(PHOTO_DIRECTORY) and request.param == "local":
                return set()
            _, names = default_storage.listdir(PHOTO_DIRECTORY)
            return {f"{PHOTO_DIRECTORY}/{name}" for name in names}

        @staticmethod
        def image(name: str) -> Image.Image:
            with default_storage.open(name) as fh:
                img = Image.open(io.BytesIO(fh.read()))
                img.load()
                return img

    return Stored


def pytest_terminal_summary(terminalreporter):
    """Prints how many requests the contract fuzzer sent to each operation, and how many
    cases each of its checks judged."""
    import sys

    fuzz = sys.modules.get("tests.api.test_fuzz")
    counts = getattr(fuzz, "CASES_PER_OPERATION", None)
    if counts:
        terminalreporter.section("contract fuzzing: generated requests per operation")
        for label, count in sorted(counts.items()):
            terminalreporter.write_line(f"{count:6d}  {label}")
        terminalreporter.write_line(f"{sum(counts.values()):6d}  in total")
        terminalreporter.section("contract fuzzing: cases judged per check")
        for check, count in fuzz.CASES_PER_CHECK.items():
            terminalreporter.write_line(f"{count:6d}  {check}")
