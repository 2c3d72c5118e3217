"""On PostgreSQL the events table is partitioned by week: each event lands in its week, the
sweep keeps the coming weeks ready, and a visit's history reads only the weeks it spans."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from gwe import selectors
from gwe.models import Event
from gwe.partitions import (
    DEFAULT,
    WEEK,
    events_partitions,
    events_partitions_ensure,
    partition_for,
    week_of,
)
from tests.support.factories import record_event, start_page

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the events table is partitioned on PostgreSQL only (make test-db)")


def table_of(event: Event) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM gwe_event WHERE id = %s", [event.pk])
        return cursor.fetchone()[0]


def test_an_event_is_stored_in_the_week_it_happened():
    started = start_page()
    sent = timezone.now() - timedelta(hours=20)

    event = record_event(started, timestamp=int(sent.timestamp() * 1000))

    assert table_of(event) == partition_for(week_of(sent)).name


def test_the_sweep_makes_the_coming_weeks_ready_once():
    later = week_of(timezone.now()) + 20 * WEEK + timedelta(days=3)  # a Thursday

    created = events_partitions_ensure(now=later, ahead=2)

    assert created == [partition_for(week_of(later) + i * WEEK).name for i in range(3)]
    assert events_partitions_ensure(now=later, ahead=2) == []
    assert set(created) <= {p.name for p in events_partitions()}


def test_on_a_monday_the_week_before_is_ready_for_a_page_whose_clock_is_behind():
    """A page's time may be up to a day behind the server's: an event sent late on Sunday
    may arrive on Monday (it went to the default partition on Mondays)."""
    monday = week_of(timezone.now()) + 30 * WEEK + timedelta(hours=1)

    created = events_partitions_ensure(now=monday, ahead=0)

    assert created == [
        partition_for(week_of(monday) - WEEK).name,
        partition_for(week_of(monday)).name,
    ]


def test_a_week_whose_events_wait_in_the_default_partition_is_left_there():
    started = start_page()
    later = week_of(timezone.now()) + 30 * WEEK + timedelta(days=3)
    waiting = Event.objects.create(
        visit=started.visit,
        page=started.page,
        event_type="BUSINESS",
        event_name="Late",
        timestamp=later,
    )
    assert table_of(waiting) == DEFAULT

    assert events_partitions_ensure(now=later, ahead=0) == []

    assert table_of(waiting) == DEFAULT
    assert Event.objects.filter(event_name="Late").count() == 1


def test_a_visits_history_reads_only_the_weeks_since_it_started():
    old = partition_for(week_of(timezone.now() - 6 * WEEK))
    events_partitions_ensure(now=old.start, ahead=0)
    started = start_page()
    record_event(started)

    events = selectors.visit_events(visit_id=started.visit.pk)
    assert events is not None
    plan = events.explain()

    assert partition_for(week_of(timezone.now())).name in plan
    assert old.name not in plan
    assert len(events) == 3
