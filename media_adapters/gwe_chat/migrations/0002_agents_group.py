from django.db import migrations


def create_group(apps, schema_editor):
    # The group whose members work in the agent console (/agent/) and are routed chats.
    apps.get_model("auth", "Group").objects.get_or_create(name="agents")


class Migration(migrations.Migration):
    dependencies = [
        ("gwe_chat", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
