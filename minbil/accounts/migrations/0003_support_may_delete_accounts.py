"""
Support staff may delete an owner's account from the admin (`accounts.delete_account`),
through the same service as the app's own deletion; the Support group stays view-only
otherwise. The group itself is made by vehicles' 0004_support_group, hence the dependency.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_NAME = "Support"


def grant(apps, schema_editor):
    db = schema_editor.connection.alias
    # On a fresh database the permission does not exist yet (see vehicles' 0004).
    create_permissions(global_apps.get_app_config("accounts"), apps=apps, using=db, verbosity=0)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(db).get_or_create(name=GROUP_NAME)
    group.permissions.add(
        Permission.objects.using(db).get(
            content_type__app_label="accounts", codename="delete_account"
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
                content_type__app_label="accounts", codename="delete_account"
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_language_token_version_delete_account"),
        ("vehicles", "0004_support_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
