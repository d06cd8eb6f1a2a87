"""
`python manage.py send_inspection_reminders [--dry-run]`: the daily EU-kontroll reminder run,
now. Safe to run at any time and beside the scheduled run: a reminder already sent is never
sent again.
"""

from typing import Any

from django.core.management.base import BaseCommand

from vehicles.reminders import send_inspection_reminders


class Command(BaseCommand):
    help = (
        "Send the EU-kontroll reminders due today (30 days, 7 days, overdue), each once per "
        "owner, vehicle and deadline. Vehicles with register data older than 7 days are "
        "refreshed first. Emails are queued for the job engine's workers."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List the reminders due, from the stored data; refresh and send nothing.",
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        run = send_inspection_reminders(dry_run=dry_run)
        if dry_run:
            for reminder in run.planned:
                self.stdout.write(
                    f"  {reminder.link.vehicle.display_registration_number:<10} "
                    f"{reminder.deadline.isoformat()}  {reminder.step:<8} "
                    f"owner #{reminder.link.user_id}"
                )
            self.stdout.write(
                f"Dry run: {len(run.planned)} reminder(s) due; nothing refreshed or sent."
            )
            return
        self.stdout.write(run.describe())
