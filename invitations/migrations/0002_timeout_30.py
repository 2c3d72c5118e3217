from django.db import migrations


def create_timeout_30(apps, schema_editor):
    Definition = apps.get_model("invitations", "BusinessEventDefinition")
    Definition.objects.get_or_create(
        name="Timeout-30",
        defaults={
            "trigger": "timer",
            "delay_seconds": 30,
            "max_per_page": 1,
            "description": "Raised once a visitor has spent 30 seconds on a page.",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("invitations", "0001_initial")]

    operations = [migrations.RunPython(create_timeout_30, migrations.RunPython.noop)]
