"""
`python manage.py seed_demo [--reset] [--reset-passwords]`: demo data for a local run.

- `demo@minbil.no`, a car owner with the sandbox vehicles linked (one with a nickname) and
  a few notification preferences changed from the defaults;
- `support@minbil.no`, staff in the Support group (view-only admin, plus refreshing);
- `admin@minbil.no`, a superuser.

Only what is missing is created: the demo owner's vehicles and preferences are set up when
the account is created and never again (its links, nicknames, photos and preferences are the
owner's from then on), so `make run` runs this on every start; the Support account is made
staff in the Support group if it is not. `--reset` restores the demo owner's links and
preferences explicitly. Passwords are random and printed only when an account is created (or with
`--reset-passwords`), because `make run` listens on every interface.
"""

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from minbil.accounts.models import SUPPORT_GROUP
from minbil.errors import DomainError
from notifications.models import NotificationPreference
from notifications.services import update_preferences
from vehicles import register
from vehicles.models import VehicleLink
from vehicles.services import link_vehicle

User = get_user_model()

DEMO_OWNER_EMAIL = "demo@minbil.no"
DEMO_SUPPORT_EMAIL = "support@minbil.no"
DEMO_ADMIN_EMAIL = "admin@minbil.no"

# The sandbox register's vehicles (vehicles/register/samples), the first one nicknamed.
DEMO_VEHICLES = [("BT57225", "Familiebilen"), ("EL12345", None), ("KH45678", None)]
DEMO_PREFERENCES = {
    "booking.updated": {"email": False},
    "message.new": {"email": False},
    "rating.reminder": {"push": False},
}


class Command(BaseCommand):
    help = (
        "Create the demo car owner (with the sandbox vehicles linked), a Support staff "
        "user and an admin user if they do not exist yet (existing ones are left as they "
        "are; --reset restores the demo state); print new passwords."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Restore the demo owner's links, nicknames and preferences to the demo state.",
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give the demo accounts new random passwords and print them.",
        )

    @transaction.atomic
    def handle(self, *args, reset: bool = False, reset_passwords: bool = False, **options):
        support_group = Group.objects.filter(name=SUPPORT_GROUP).first()
        if support_group is None:
            raise CommandError(f'The "{SUPPORT_GROUP}" group is missing: run migrate first.')

        owner, owner_created = self._account(
            DEMO_OWNER_EMAIL, {"name": "Demo Bileier"}, reset_passwords
        )
        support, _ = self._account(
            DEMO_SUPPORT_EMAIL, {"name": "MinBil Kundeservice", "is_staff": True}, reset_passwords
        )
        self._account(
            DEMO_ADMIN_EMAIL,
            {"name": "MinBil Admin", "is_staff": True, "is_superuser": True},
            reset_passwords,
        )
        # The demo's Support login needs this role; it is no owner's data.
        if not support.is_staff:
            support.is_staff = True
            support.save(update_fields=["is_staff"])
        support.groups.add(support_group)

        if owner_created or reset:
            if reset:
                # Their photo files follow after the commit (vehicles.photo_cleanup).
                VehicleLink.objects.filter(user=owner).delete()
                NotificationPreference.objects.filter(user=owner).delete()
            self._link_demo_vehicles(owner)
            update_preferences(user=owner, changes=DEMO_PREFERENCES)
        else:
            self.stdout.write(f"{DEMO_OWNER_EMAIL}  left as it is (--reset restores the demo)")

    def _account(self, email: str, fields: dict, reset_password: bool) -> tuple[Any, bool]:
        user, created = User.objects.get_or_create(email=email, defaults=fields)
        if created or reset_password:
            password = secrets.token_urlsafe(12)
            user.set_password(password)
            user.save(update_fields=["password"])
            self.stdout.write(self.style.SUCCESS(f"{email}  password: {password}"))
        else:
            self.stdout.write(f"{email}  exists (password unchanged; --reset-passwords)")
        return user, created

    def _link_demo_vehicles(self, owner) -> None:
        if register.configured_mode() == register.LIVE:
            # The demo plates are sandbox data; never ask the live register about them.
            self.stdout.write("Live register configured: the demo owner gets no sample vehicles.")
            return
        linked = []
        for plate, nickname in DEMO_VEHICLES:
            try:
                link, _ = link_vehicle(user=owner, registration_number=plate, nickname=nickname)
            except DomainError as exc:
                self.stdout.write(self.style.WARNING(f"{plate}: not linked. {exc.message}"))
                continue
            linked.append(str(link.vehicle))
        self.stdout.write(f"{DEMO_OWNER_EMAIL}  vehicles: {', '.join(linked) or 'none'}")
