"""
The sandbox register: the sample payloads shipped in `samples/` (or `VEGVESEN_SANDBOX_DIR`),
read through the same parser as the live register's answers, so a developer needs no account
anywhere. Every plate without a sample gets the register's "no data" answer.
"""

from pathlib import Path
from typing import Any

from django.conf import settings

from vehicles.register.parser import load_payload

SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
NOT_AVAILABLE_SAMPLE = "not_available.json"


def get_payload(registration_number: str) -> Any:
    """The sample for a canonical plate, or the "no data" answer."""
    path = _directory() / f"{registration_number}.json"
    if not path.is_file():
        path = SAMPLES_DIR / NOT_AVAILABLE_SAMPLE
    return load_payload(path.read_bytes())


def sample_plates() -> list[str]:
    """The plates the sandbox knows, sorted."""
    return sorted(p.stem for p in _directory().glob("*.json") if p.name != NOT_AVAILABLE_SAMPLE)


def _directory() -> Path:
    return Path(settings.VEGVESEN_SANDBOX_DIR) if settings.VEGVESEN_SANDBOX_DIR else SAMPLES_DIR
