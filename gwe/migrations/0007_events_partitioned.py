"""The events table partitioned by week on PostgreSQL (gwe/partitions.py), and
without the events' single-column indexes on visit and page, which served no query.

A partitioned table's unique constraints hold the partition key, so an event is stored once
per page, client id *and time*: the tracker resends an event with the time it first gave it
(gwe/services.py looks an event up first when the server chose its time). On PostgreSQL the
table is rebuilt as a partitioned one with the same columns, indexes, constraints and
trigger, and its rows copied; backwards, the other way. SQLite keeps its plain table."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

from gwe.partitions import (
    DEFAULT,
    TABLE,
    WEEK,
    first_week,
    partition_create,
    partition_for,
    week_of,
)

OLD = f"{TABLE}_unpartitioned"
VERSION_TRIGGER = (
    f'CREATE TRIGGER gwe_event_version AFTER INSERT OR DELETE ON "{TABLE}"'
    " FOR EACH ROW EXECUTE FUNCTION gwe_event_version()"
)


# SQLite alters a table by building it anew, without its triggers: migration 0005's again.
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS gwe_event_inserted AFTER INSERT ON "{TABLE}" BEGIN
        UPDATE gwe_visit SET events_version = events_version + 1 WHERE id = NEW.visit_id;
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS gwe_event_deleted AFTER DELETE ON "{TABLE}" BEGIN
        UPDATE gwe_visit SET events_version = events_version + 1 WHERE id = OLD.visit_id;
    END""",
]


def partition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            _rebuild(cursor, partitioned=True)
    else:
        sqlite_triggers(apps, schema_editor)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            _rebuild(cursor, partitioned=False)


def sqlite_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement)


def _rebuild(cursor, *, partitioned: bool) -> None:
    cursor.execute(
        "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = to_regclass(%s) AND contype IN ('p', 'u', 'f')",
        [TABLE],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes"
        " WHERE schemaname = current_schema() AND tablename = %s",
        [TABLE],
    )
    named = {name for name, _, _ in constraints}
    indexes = [(name, sql) for name, sql in cursor.fetchall() if name not in named]

    cursor.execute(f'ALTER TABLE "{TABLE}" RENAME TO "{OLD}"')
    cursor.execute(f'DROP TRIGGER IF EXISTS gwe_event_version ON "{OLD}"')
    for name, _, _ in constraints:
        cursor.execute(f'ALTER TABLE "{OLD}" DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')

    by = ' PARTITION BY RANGE ("timestamp")' if partitioned else ""
    cursor.execute(f'CREATE TABLE "{TABLE}" (LIKE "{OLD}" INCLUDING DEFAULTS){by}')
    for name, kind, definition in constraints:
        if kind == "p":
            definition = 'PRIMARY KEY (id, "timestamp")' if partitioned else "PRIMARY KEY (id)"
        cursor.execute(f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{name}" {definition}')
    for _, sql in indexes:
        cursor.execute(sql)
    if partitioned:
        _partitions_create(cursor)

    cursor.execute(f'INSERT INTO "{TABLE}" SELECT * FROM "{OLD}"')
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # checked now: the table is altered next
    cursor.execute(f'DROP TABLE "{OLD}" CASCADE')
    cursor.execute(VERSION_TRIGGER)


def _partitions_create(cursor) -> None:
    """The weeks of the events there are, to GWE_EVENT_PARTITIONS_AHEAD weeks from now."""
    cursor.execute(f'SELECT min("timestamp") FROM "{OLD}"')
    now = timezone.now()
    oldest = cursor.fetchone()[0] or now
    week = min(week_of(oldest), first_week(now))
    last = week_of(now) + settings.GWE_EVENT_PARTITIONS_AHEAD * WEEK
    cursor.execute(f'CREATE TABLE "{DEFAULT}" PARTITION OF "{TABLE}" DEFAULT')
    while week <= last:
        partition_create(cursor, partition_for(week))
        week += WEEK


class Migration(migrations.Migration):
    dependencies = [("gwe", "0006_definitions_updated_at")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, sqlite_triggers),  # after going back
        # The (visit, timestamp) and (page, timestamp) indexes serve every query of these.
        migrations.AlterField(
            model_name="event",
            name="page",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="gwe.page",
            ),
        ),
        migrations.AlterField(
            model_name="event",
            name="visit",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="gwe.visit",
            ),
        ),
        migrations.RemoveConstraint(model_name="event", name="event_once_per_client_id"),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.UniqueConstraint(
                fields=["page", "client_event_id", "timestamp"], name="event_once_per_client_id"
            ),
        ),
        migrations.RunPython(partition, unpartition),
    ]
