"""
Register fixtures (sample payloads, a live register mocked at the HTTP level) and photo storage
(local files, and S3 on moto's server, started once for the suite).
"""

import copy
import datetime
import io
import json
import time
from dataclasses import asdict
from pathlib import Path

import boto3
import pytest
import responses
from django.core.files.storage import default_storage
from django.utils import timezone
from PIL import Image

from vehicles.models import Vehicle
from vehicles.photos import PHOTO_DIRECTORY
from vehicles.vegvesen import parse_payload
from vehicles.vegvesen.client import SAMPLES_DIR

REGISTER_URL = "https://register.test/enkeltoppslag/kjoretoydata"
API_KEY = "svv-test-key-7f3a9c-must-never-leak"


def sample(name: str) -> dict:
    """A fresh copy of a shipped sample payload (`BT57225`, `not_available`, ...)."""
    return copy.deepcopy(json.loads((Path(SAMPLES_DIR) / f"{name}.json").read_text("utf-8")))


@pytest.fixture
def live_register(settings, monkeypatch):
    """Live mode against a mocked register; backoff sleeps are skipped."""
    settings.VEGVESEN_API_KEY = API_KEY
    settings.VEGVESEN_API_URL = REGISTER_URL
    monkeypatch.setattr("vehicles.vegvesen.client.BACKOFF_SECONDS", 0)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def store_sample(name: str, **overrides) -> Vehicle:
    """A vehicle stored as if fetched from the register's sample `name` a day ago."""
    payload = sample(name)
    fields = {
        **asdict(parse_payload(payload)),
        "register_payload": payload,
        "data_fetched_at": timezone.now() - datetime.timedelta(days=1),
        **overrides,
    }
    return Vehicle.objects.create(registration_number=name, **fields)


# --- Photo storage: local files (signed URLs), then S3 ------------------------------------------


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
