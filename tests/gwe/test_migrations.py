"""Upgrading keeps what business users made: the business-event definitions moved from the
invitations app to the tracker's (gwe) with their rows, their captured values and who may
edit them."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps

AUTH = [
    ("contenttypes", "0002_remove_content_type_name"),
    ("auth", "0012_alter_user_first_name_max_length"),
]
BEFORE = [*AUTH, ("gwe", "0003_page_seen_at"), ("invitations", "0006_words_take_visitor")]
AFTER = [
    *AUTH,
    ("gwe", "0004_business_event_definitions"),
    ("invitations", "0007_business_event_definitions_moved"),
]


def migrate(targets) -> StateApps:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_definitions_and_their_permissions_survive_the_move():
    old = migrate(BEFORE)
    Definition = old.get_model("invitations", "BusinessEventDefinition")
    Value = old.get_model("invitations", "CapturedValue")
    ContentType = old.get_model("contenttypes", "ContentType")
    Permission = old.get_model("auth", "Permission")
    User = old.get_model("auth", "User")
    definition = Definition.objects.create(name="AddToCart", trigger="click", selector="button")
    Value.objects.create(definition=definition, name="sku", source="attribute", attribute="x")
    kind, _ = ContentType.objects.get_or_create(
        app_label="invitations", model="businesseventdefinition"
    )
    may_edit, _ = Permission.objects.get_or_create(
        content_type=kind,
        codename="change_businesseventdefinition",
        defaults={"name": "Can change"},
    )
    User.objects.create(username="marketer").user_permissions.add(may_edit)

    new = migrate(AFTER)

    moved = new.get_model("gwe", "BusinessEventDefinition").objects.get(name="AddToCart")
    assert [v.name for v in moved.values.all()] == ["sku"]
    user = new.get_model("auth", "User").objects.get(username="marketer")
    [permission] = user.user_permissions.all()
    assert (permission.content_type.app_label, permission.codename) == (
        "gwe",
        "change_businesseventdefinition",
    )
    call_command("migrate", verbosity=0)  # and on to the latest, for the tests that follow
