"""
`python manage.py seed_demo`: demo accounts for a local run, created idempotently.

Passwords are random and printed only when an account is created (or with
`--reset-passwords`), because `make run` listens on every interface.
"""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

User = get_user_model()

DEMO_OWNER_EMAIL = "demo@minbil.no"
DEMO_ADMIN_EMAIL = "admin@minbil.no"


class Command(BaseCommand):
    help = "Create the demo car owner and an admin user if they do not exist yet."

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give the demo accounts new random passwords and print them.",
        )

    @transaction.atomic
    def handle(self, *args, reset_passwords: bool = False, **options):
        accounts = [
            (DEMO_OWNER_EMAIL, {"name": "Demo Bileier"}),
            (DEMO_ADMIN_EMAIL, {"name": "MinBil Admin", "is_staff": True, "is_superuser": True}),
        ]
        for email, fields in accounts:
            user, created = User.objects.get_or_create(email=email, defaults=fields)
            if created or reset_passwords:
                password = secrets.token_urlsafe(12)
                user.set_password(password)
                user.save(update_fields=["password"])
                self.stdout.write(self.style.SUCCESS(f"{email}  password: {password}"))
            else:
                self.stdout.write(f"{email}  exists (password unchanged; --reset-passwords)")
