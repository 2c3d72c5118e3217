"""The business-event definitions moved to the gwe app (gwe/migrations/0004): the tables
went with them; only this app's record of the models goes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("invitations", "0006_words_take_visitor"),
        ("gwe", "0004_business_event_definitions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="CapturedValue"),
                migrations.DeleteModel(name="BusinessEventDefinition"),
            ],
        ),
    ]
