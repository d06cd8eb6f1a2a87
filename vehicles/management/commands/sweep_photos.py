"""
`python manage.py sweep_photos [--dry-run] [--older-than MINUTES]`: deletes stored photo files
that no vehicle link references (left behind when a process died between writing a photo and
committing its link). Files younger than `--older-than` (60 minutes by default) are kept, so
uploads in flight are safe. Works on local storage and S3; safe to run at any time.
"""

import argparse
import datetime

from django.core.management.base import BaseCommand

from vehicles.photo_cleanup import sweep_orphan_photos


def _minutes(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"must be a whole number of minutes, not {value!r}")
    return int(value)


class Command(BaseCommand):
    help = "Delete stored photo files that no vehicle link references."

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=_minutes,
            default=60,
            metavar="MINUTES",
            help="Only files last written more than this many minutes ago (default 60).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="List the orphans, delete nothing."
        )

    def handle(self, *args, older_than: int, dry_run: bool, **options):
        result = sweep_orphan_photos(
            older_than=datetime.timedelta(minutes=older_than), dry_run=dry_run
        )
        verb = "would remove" if dry_run else "removed"
        for name in result.orphans:
            self.stdout.write(f"{verb} {name}")
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {len(result.orphans)} orphan file(s); kept {result.referenced} "
                f"referenced and {result.too_recent} newer than {older_than} min"
            )
        )
