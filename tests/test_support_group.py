"""
The "Support" group made by data migrations: view-only (the delivery log and the reminders
issued included), plus refreshing from the register and deleting an owner's account.
"""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from minbil.accounts.models import SUPPORT_GROUP

SUPPORT_PERMISSIONS = {
    "accounts.delete_account",
    "accounts.view_user",
    "notifications.view_delivery",
    "notifications.view_notification",
    "notifications.view_notificationpreference",
    "vehicles.refresh_vehicle",
    "vehicles.view_vehicle",
    "vehicles.view_inspectionreminder",
    "vehicles.view_vehicledatachange",
    "vehicles.view_vehiclelink",
}


def permissions_of(group: Group) -> set[str]:
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


@pytest.mark.django_db
def test_the_migrations_create_the_support_group_with_view_refresh_and_delete_permissions():
    """View-only everywhere, the delivery log and the reminders issued included."""
    assert permissions_of(Group.objects.get(name=SUPPORT_GROUP)) == SUPPORT_PERMISSIONS


@pytest.mark.django_db(transaction=True)
def test_the_support_group_migration_can_be_reversed_and_reapplied():
    call_command("migrate", "vehicles", "0003", verbosity=0)
    assert not Group.objects.filter(name=SUPPORT_GROUP).exists()

    call_command("migrate", verbosity=0)

    assert permissions_of(Group.objects.get(name=SUPPORT_GROUP)) == SUPPORT_PERMISSIONS
