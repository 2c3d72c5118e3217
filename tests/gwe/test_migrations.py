"""Upgrading keeps what business users made and what visitors did: the business-event
definitions moved from the invitations app to the tracker's (gwe) with their rows, their
captured values and who may edit them; the events moved into weekly partitions."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import StateApps
from django.utils import timezone

from gwe.partitions import partition_for, week_of

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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_events_survive_the_partitioning_with_their_visits_versions():
    old = migrate([*AUTH, ("gwe", "0006_definitions_updated_at")])
    Visit, Page, Event = (old.get_model("gwe", name) for name in ("Visit", "Page", "Event"))
    visit = Visit.objects.create(id="v" * 22, global_visit_id="g" * 22)
    page = Page.objects.create(id="p" * 22, visit=visit, url="https://shop.example/")
    now = timezone.now()
    for weeks in range(3):
        Event.objects.create(
            id=f"e{weeks}".ljust(22, "x"),
            visit=visit,
            page=page,
            event_type="BUSINESS",
            event_name="AddToCart",
            timestamp=now - timedelta(weeks=weeks),
            client_event_id=f"c{weeks}",
        )
    version = Visit.objects.get(pk=visit.pk).events_version

    new = migrate([*AUTH, ("gwe", "0007_events_partitioned")])

    assert new.get_model("gwe", "Visit").objects.get(pk=visit.pk).events_version == version == 3
    stored = new.get_model("gwe", "Event").objects.order_by("id").values_list("id", flat=True)
    assert list(stored) == [f"e{w}".ljust(22, "x") for w in range(3)]
    new.get_model("gwe", "Event").objects.create(
        visit_id=visit.pk, page_id=page.pk, event_type="BUSINESS", event_name="Pricing"
    )
    assert new.get_model("gwe", "Visit").objects.get(pk=visit.pk).events_version == 4
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tableoid::regclass::text FROM gwe_event"
                " WHERE event_name = 'AddToCart' ORDER BY id"
            )
            tables = [table for (table,) in cursor.fetchall()]
        assert tables == [partition_for(week_of(now - timedelta(weeks=w))).name for w in range(3)]
    call_command("migrate", verbosity=0)
