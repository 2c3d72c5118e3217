"""The business-event definitions are the tracker's own configuration: they move from the
invitations app to this one, with their rows and their permissions."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

import gwe.validators


def carry_permissions(apps, schema_editor):
    """The content types move, so that who could edit definitions still can."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("businesseventdefinition", "capturedvalue"):
        if not ContentType.objects.filter(app_label="gwe", model=model).exists():
            ContentType.objects.filter(app_label="invitations", model=model).update(
                app_label="gwe"
            )


def carry_permissions_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in ("businesseventdefinition", "capturedvalue"):
        if not ContentType.objects.filter(app_label="invitations", model=model).exists():
            ContentType.objects.filter(app_label="gwe", model=model).update(
                app_label="invitations"
            )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("gwe", "0003_page_seen_at"),
        ("invitations", "0006_words_take_visitor"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="BusinessEventDefinition",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(help_text="The event name as it appears in the history, e.g. AddToCart.", max_length=128, unique=True, validators=[gwe.validators.validate_event_name])),
                        ("enabled", models.BooleanField(default=True)),
                        ("trigger", models.CharField(choices=[("click", "Click on an element"), ("submit", "Form submitted"), ("change", "Field changed"), ("mouseover", "Mouse over an element"), ("timer", "Time spent on the page")], default="click", max_length=16)),
                        ("selector", models.CharField(blank=True, help_text="Which elements to watch, e.g. button.add-to-cart. Not used by timers.", max_length=512, verbose_name="CSS selector")),
                        ("delay_seconds", models.PositiveIntegerField(blank=True, help_text="For a timer: seconds on the page before the event fires.", null=True, validators=[django.core.validators.MinValueValidator(1)])),
                        ("url_pattern", models.CharField(blank=True, help_text="Optional regular expression the page URL must match, e.g. /products/.", max_length=512, validators=[gwe.validators.validate_regex], verbose_name="only on URLs matching")),
                        ("max_per_page", models.PositiveIntegerField(default=0, help_text="How many times it may fire on one page; 0 means no limit.")),
                        ("description", models.TextField(blank=True)),
                    ],
                    options={"ordering": ["name"], "db_table": "invitations_businesseventdefinition"},
                ),
                migrations.CreateModel(
                    name="CapturedValue",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(help_text="Key in the event's data, e.g. sku.", max_length=64)),
                        ("source", models.CharField(choices=[("text", "Text of the element"), ("value", "Value of a form field"), ("attribute", "An attribute of the element"), ("url", "Page URL"), ("title", "Page title")], default="text", max_length=16)),
                        ("selector", models.CharField(blank=True, help_text="Where to read it; blank means the element that triggered the event.", max_length=512, verbose_name="CSS selector")),
                        ("attribute", models.CharField(blank=True, help_text="For 'attribute': its name, e.g. data-sku.", max_length=64)),
                        ("definition", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="values", to="gwe.businesseventdefinition")),
                    ],
                    options={
                        "ordering": ["id"],
                        "db_table": "invitations_capturedvalue",
                        "constraints": [models.UniqueConstraint(fields=("definition", "name"), name="value_name_unique")],
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name="businesseventdefinition", table=None),
        migrations.AlterModelTable(name="capturedvalue", table=None),
        migrations.RunPython(carry_permissions, carry_permissions_back),
    ]
