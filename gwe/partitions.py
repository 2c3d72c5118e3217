"""The events table on PostgreSQL: partitioned by week of the event's time (declarative range
partitioning), so that old weeks are dropped whole and a visit's history is read from the
weeks it spans.

A week is Monday 00:00 UTC to the next Monday, in a table named `gwe_event_pYYYYMMDD` after
its first day. The server's sweep keeps GWE_EVENT_PARTITIONS_AHEAD weeks ready from the
current one; `gwe_event_default` takes any event no week is ready for (the sweep not run for
that long), so that no event is ever refused for want of a partition. SQLite keeps one
plain table: everything here does nothing there."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from gwe.protocol import CLOCK_SKEW_BEHIND

logger = logging.getLogger(__name__)

TABLE = "gwe_event"
DEFAULT = f"{TABLE}_default"
WEEK = timedelta(days=7)


@dataclass(frozen=True, order=True)
class Partition:
    name: str
    start: datetime
    end: datetime


def partitioned() -> bool:
    """Whether the events table is partitioned here (PostgreSQL, migrated)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [TABLE]
        )
        return cursor.fetchone() is not None


def week_of(when: datetime) -> datetime:
    """The Monday 00:00 UTC that starts `when`'s week."""
    day = when.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def partition_for(start: datetime) -> Partition:
    return Partition(f"{TABLE}_p{start:%Y%m%d}", start, start + WEEK)


def events_partitions() -> list[Partition]:
    """The weeks there are partitions for, oldest first (not the default partition)."""
    if not partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT child.relname FROM pg_inherits"
            " JOIN pg_class child ON child.oid = pg_inherits.inhrelid"
            " WHERE pg_inherits.inhparent = to_regclass(%s) AND child.relname <> %s",
            [TABLE, DEFAULT],
        )
        names = [row[0] for row in cursor.fetchall()]
    weeks = [datetime.strptime(n.removeprefix(f"{TABLE}_p"), "%Y%m%d") for n in names]
    return sorted((partition_for(w.replace(tzinfo=UTC)) for w in weeks), key=lambda p: p.start)


def first_week(now: datetime) -> datetime:
    """The earliest week an event stored now may belong to: a page's clock may be behind by
    up to a day (gwe/protocol.py), so on a Monday, the week before."""
    return week_of(now - CLOCK_SKEW_BEHIND)


def events_partitions_ensure(now: datetime | None = None, ahead: int | None = None) -> list[str]:
    """Create the partitions of this week (from the first week an event stored now may belong
    to) and of the `ahead` weeks after it that are missing (a sweep). The names created."""
    if not partitioned():
        return []
    ahead = settings.GWE_EVENT_PARTITIONS_AHEAD if ahead is None else ahead
    now = now or timezone.now()
    first, last = first_week(now), week_of(now) + ahead * WEEK
    there = {p.name for p in events_partitions()}
    weeks = (last - first) // WEEK + 1
    wanted = [partition_for(first + i * WEEK) for i in range(weeks)]
    created = []
    for partition in wanted:
        if partition.name not in there and _create(partition):
            created.append(partition.name)
    if created:
        logger.info("events partitions created: %s", ", ".join(created))
    return created


def partition_create(cursor, partition: Partition) -> None:
    cursor.execute(
        f'CREATE TABLE IF NOT EXISTS "{partition.name}" PARTITION OF "{TABLE}"'
        " FOR VALUES FROM (%s) TO (%s)",
        [partition.start, partition.end],
    )


def _create(partition: Partition) -> bool:
    """Create one week's partition; False when the default partition already holds events of
    that week (they stay there, still found by every query: the week is skipped)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            partition_create(cursor, partition)
    except DatabaseError as exc:
        logger.warning("events partition %s not created: %s", partition.name, exc)
        return False
    return True


def events_partitions_drop_before(cutoff: datetime) -> list[str]:
    """Drop the weeks of events that end before `cutoff` (retention, gwe/privacy.py): a whole
    week goes at once, without a row's delete. The names dropped."""
    dropped = []
    for partition in events_partitions():
        if partition.end > cutoff:
            break
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f'DROP TABLE IF EXISTS "{partition.name}"')
        dropped.append(partition.name)
    if dropped:
        logger.info("events partitions dropped (retention): %s", ", ".join(dropped))
    return dropped
