"""Visit.events_version, bumped by the database on every insert or delete of the visit's
events, whoever writes them (invitations/memory.py)."""

from django.db import migrations, models

SQLITE = [
    """CREATE TRIGGER gwe_event_inserted AFTER INSERT ON gwe_event BEGIN
        UPDATE gwe_visit SET events_version = events_version + 1 WHERE id = NEW.visit_id;
    END""",
    """CREATE TRIGGER gwe_event_deleted AFTER DELETE ON gwe_event BEGIN
        UPDATE gwe_visit SET events_version = events_version + 1 WHERE id = OLD.visit_id;
    END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS gwe_event_inserted",
    "DROP TRIGGER IF EXISTS gwe_event_deleted",
]
POSTGRESQL = [
    """CREATE FUNCTION gwe_event_version() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            UPDATE gwe_visit SET events_version = events_version + 1 WHERE id = OLD.visit_id;
            RETURN OLD;
        END IF;
        UPDATE gwe_visit SET events_version = events_version + 1 WHERE id = NEW.visit_id;
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER gwe_event_version AFTER INSERT OR DELETE ON gwe_event
        FOR EACH ROW EXECUTE FUNCTION gwe_event_version()""",
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS gwe_event_version ON gwe_event",
    "DROP FUNCTION IF EXISTS gwe_event_version()",
]


def triggers(apps, schema_editor):
    for statement in _statements(schema_editor, forward=True):
        schema_editor.execute(statement)


def no_triggers(apps, schema_editor):
    for statement in _statements(schema_editor, forward=False):
        schema_editor.execute(statement)


def _statements(schema_editor, *, forward: bool) -> list[str]:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        return SQLITE if forward else SQLITE_REVERSE
    if vendor == "postgresql":
        return POSTGRESQL if forward else POSTGRESQL_REVERSE
    raise NotImplementedError(f"GWE runs on SQLite or PostgreSQL, not {vendor}")


class Migration(migrations.Migration):
    dependencies = [("gwe", "0004_business_event_definitions")]

    operations = [
        migrations.AddField(
            model_name="visit",
            name="events_version",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.RunPython(triggers, no_triggers),
    ]
