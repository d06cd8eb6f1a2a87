"""
`python manage.py vehicle_lookup <plate> [--json]`: what the register (live or sandbox, as
configured) says about a plate, without storing anything.

A table of the parsed fields by default; `--json` prints only the raw payload, so it can be
piped to `jq`. Exit status 1, with one sentence on stderr, for an invalid plate, no data, a
spent quota, an unavailable register or a register error.
"""

import datetime
import json
from dataclasses import fields
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.management.base import BaseCommand, CommandError

from vehicles import register
from vehicles.models import Vehicle, describe_tyres
from vehicles.plates import InvalidRegistrationNumber, display_registration_number
from vehicles.services import look_up_plate


class Command(BaseCommand):
    help = (
        "Look a plate up in the register (live or sandbox, as configured) without storing "
        "anything: the parsed fields as a table, or the raw payload with --json."
    )

    def add_arguments(self, parser):
        parser.add_argument("plate", help="A registration number, any spacing: 'BT 57225'.")
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="Print the register's raw payload as JSON.",
        )

    def handle(self, *args: Any, plate: str, as_json: bool = False, **options: Any) -> None:
        try:
            result = look_up_plate(raw_plate=plate)
        except InvalidRegistrationNumber as exc:
            raise CommandError(f"{plate!r} is not a valid plate. {exc.message}") from None
        except register.VehicleNotFound:
            raise CommandError(
                f"No data available for {plate.strip()!r} in the register (unknown, shielded "
                "or deregistered)."
            ) from None
        except register.RegisterQuotaExhausted as exc:
            wait = (
                f"; it resets in {register.describe_wait(exc.retry_after)}"
                if exc.retry_after
                else ""
            )
            raise CommandError(f"The register's daily look-up quota is used up{wait}.") from None
        except (register.RegisterUnavailable, register.RegisterError) as exc:
            raise CommandError(exc.message) from None

        if as_json:
            self.stdout.write(json.dumps(result.payload, indent=2, ensure_ascii=False))
            return
        self.stdout.write(f"Register: {register.describe_mode()}")
        rows = [("plate", display_registration_number(result.registration_number))]
        rows += [
            (_label(field.name), _text(getattr(result.data, field.name)))
            for field in fields(result.data)
        ]
        width = max(len(label) for label, _ in rows)
        for label, value in rows:
            self.stdout.write(f"{label:<{width}}  {value}")


def _label(name: str) -> str:
    try:
        return str(Vehicle._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name.replace("_", " ")


def _text(value: Any) -> str:
    if value is None or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):  # the tyre table
        return describe_tyres(value)
    return str(value)
