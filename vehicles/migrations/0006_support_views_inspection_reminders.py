"""
The Support group may view the EU-kontroll reminders issued for a vehicle, and nothing more.
The group is made by 0004_support_group.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Support"
CODENAMES = ["view_inspectionreminder"]


def grant(apps, schema_editor):
    db = schema_editor.connection.alias
    # On a fresh database the permissions do not exist yet (see 0004).
    create_permissions(
        global_apps.get_app_config("vehicles"), apps=apps, using=db, verbosity=0
    )
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(db).get_or_create(name=GROUP_NAME)
    group.permissions.add(
        *Permission.objects.using(db).filter(
            content_type__app_label="vehicles", codename__in=CODENAMES
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    group = Group.objects.using(db).filter(name=GROUP_NAME).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.using(db).filter(
                content_type__app_label="vehicles", codename__in=CODENAMES
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("vehicles", "0005_inspection_reminders"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
