"""
The "Support" group: staff who answer car owners' questions through the admin. They may
view users, vehicle links, vehicles, their change records and notification preferences, and
refresh vehicles from the register; they cannot add, change or delete anything.

Permissions normally appear only in `post_migrate`, after every migration has run, so on a
fresh database they do not exist yet here: `create_permissions` makes the ones missing for
the three apps, from the models as they are at this point of the migration history.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Support"
PERMISSIONS = [
    ("accounts", "view_user"),
    ("vehicles", "view_vehicle"),
    ("vehicles", "view_vehiclelink"),
    ("vehicles", "view_vehicledatachange"),
    ("vehicles", "refresh_vehicle"),
    ("notifications", "view_notificationpreference"),
]


def create_support_group(apps, schema_editor):
    db = schema_editor.connection.alias
    for app_label in sorted({app_label for app_label, _ in PERMISSIONS}):
        # The installed app config only passes the "has models" check; the models and
        # their permissions are read from `apps`, the historical state.
        create_permissions(
            global_apps.get_app_config(app_label), apps=apps, using=db, verbosity=0
        )
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(db).get_or_create(name=GROUP_NAME)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(
            Permission.objects.using(db).get(content_type__app_label=app_label, codename=codename)
        )


def delete_support_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("notifications", "0001_initial"),
        ("vehicles", "0003_vehicle_refresh_permission"),
    ]

    operations = [
        migrations.RunPython(create_support_group, delete_support_group),
    ]
