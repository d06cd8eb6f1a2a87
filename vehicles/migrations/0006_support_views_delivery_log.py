"""
The Support group may view notifications, their delivery log and the EU-kontroll reminders
issued (to answer "why did I not get a reminder?"), and nothing more. The group is made by
0004_support_group, which this follows in granting permissions of more than one app.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Support"
PERMISSIONS = [
    ("notifications", "view_notification"),
    ("notifications", "view_delivery"),
    ("vehicles", "view_inspectionreminder"),
]


def _permissions(apps, db):
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.using(db).get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in PERMISSIONS
    ]


def grant(apps, schema_editor):
    db = schema_editor.connection.alias
    # On a fresh database the permissions do not exist yet (see 0004).
    for app_label in sorted({app_label for app_label, _ in PERMISSIONS}):
        create_permissions(
            global_apps.get_app_config(app_label), apps=apps, using=db, verbosity=0
        )
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.using(db).get_or_create(name=GROUP_NAME)
    group.permissions.add(*_permissions(apps, db))


def revoke(apps, schema_editor):
    db = schema_editor.connection.alias
    Group = apps.get_model("auth", "Group")
    group = Group.objects.using(db).filter(name=GROUP_NAME).first()
    if group is not None:
        group.permissions.remove(*_permissions(apps, db))


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_notification_delivery"),
        ("vehicles", "0005_inspection_reminders"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
