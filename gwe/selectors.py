"""Reads of the tracking domain: a visit's history, as the History API and the admin show it;
the business-event definitions, as the tracker reads them.

Each returns None when the visit, page or identity does not exist, so that callers can tell
"unknown" (404) from "nothing matches" (an empty list). Events come oldest first, and each
event's `visit` is already loaded: serializing one costs no query.
"""

from datetime import datetime, timedelta

from django.db import connections
from django.db.models import BooleanField, F, Func, Prefetch, QuerySet, Value
from django.utils import timezone

from gwe.models import BusinessEventDefinition, CapturedValue, Event, Identity, Page, Visit
from gwe.protocol import CLOCK_SKEW_AHEAD, CLOCK_SKEW_BEHIND
from gwe.refreshed import Refreshed, edits_of

EVENT_ORDER = ("timestamp", "id")


def visit_get(*, visit_id: str) -> Visit | None:
    """The visit with its pages (`visit.pages.all()`) and events, oldest first: 3 queries."""
    return (
        Visit.objects.filter(pk=visit_id)
        .prefetch_related(
            Prefetch("pages", queryset=Page.objects.order_by("start_time", "id")),
            Prefetch("events", queryset=Event.objects.order_by(*EVENT_ORDER)),
        )
        .first()
    )


def visit_events(
    *,
    visit_id: str,
    event_name: str | None = None,
    event_type: str | None = None,
    category: str | None = None,
    url: str | None = None,
    age: int | None = None,
) -> QuerySet[Event] | None:
    """The visit's events that match every filter given: `category` is one of the event's
    categories, `url` is part of the event's URL (any case), `age` in seconds."""
    visit = Visit.objects.filter(pk=visit_id).first()
    if visit is None:
        return None
    # Through the related manager, each event's `visit` is this instance: no join, no query.
    events = visit.events.filter(timestamp__gte=_earliest(visit.start_time)).order_by(*EVENT_ORDER)
    if event_name:
        events = events.filter(event_name=event_name)
    if event_type:
        events = events.filter(event_type=event_type)
    if url:
        events = events.filter(url__icontains=url)
    if age is not None:
        events = events.filter(timestamp__gte=timezone.now() - timedelta(seconds=age))
    if category:
        events = _in_category(events, category)
    return events


def page_events(*, page_id: str) -> QuerySet[Event] | None:
    """One page view's events, oldest first."""
    page = Page.objects.select_related("visit").filter(pk=page_id).first()
    if page is None:
        return None
    events = page.visit.events.filter(page=page, timestamp__gte=_earliest(page.start_time))
    return events.order_by(*EVENT_ORDER)


def _earliest(start: datetime) -> datetime:
    """No event of a visit or page started then is older: an event's time is the client's
    within the clock skew allowed, or the server's. On PostgreSQL the bound leaves out the
    weeks of the events table before it (gwe/partitions.py)."""
    return start - CLOCK_SKEW_BEHIND - CLOCK_SKEW_AHEAD


def identity_visits(*, identity_id: str) -> QuerySet[Visit] | None:
    """The identity's visits, newest first, each with its pages."""
    identity = Identity.objects.filter(pk=identity_id).first()
    if identity is None:
        return None
    return identity.visits.order_by("-start_time", "id").prefetch_related(
        Prefetch("pages", queryset=Page.objects.order_by("start_time", "id"))
    )


def _in_category(events: QuerySet[Event], category: str) -> QuerySet[Event]:
    """Events whose category list holds `category` (exactly, as a whole element)."""
    if connections[events.db].features.supports_json_field_contains:
        return events.filter(category__contains=[category])
    return events.filter(_JsonListHolds(F("category"), Value(category)))


class _JsonListHolds(Func):
    """SQLite has no JSON containment (`__contains`); json_each lists a JSON array's
    elements, one of which must equal the value."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, *args, **kwargs):
        json_list, value = self.get_source_expressions()
        list_sql, list_params = compiler.compile(json_list)
        value_sql, value_params = compiler.compile(value)
        sql = f"EXISTS (SELECT 1 FROM json_each({list_sql}) AS item WHERE item.value = {value_sql})"
        return sql, (*list_params, *value_params)


def tracker_definitions() -> list[dict]:
    """The enabled business-event definitions, as the tracker reads them (every page start:
    kept by the process, read again within a second of an edit)."""
    return _definitions.get()[0]


def _definitions_load() -> tuple[list[dict], frozenset[str]]:
    definitions = BusinessEventDefinition.objects.filter(enabled=True).prefetch_related("values")
    timers = BusinessEventDefinition.objects.filter(trigger=BusinessEventDefinition.Trigger.TIMER)
    return _as_tracker_reads(definitions), frozenset(timers.values_list("name", flat=True))


def _as_tracker_reads(definitions) -> list[dict]:
    return [
        {
            "name": d.name,
            "action": d.action,
            "selector": d.selector,
            "urlPattern": d.url_pattern,
            "maxPerPage": d.max_per_page,
            "values": [
                {
                    "name": v.name,
                    "source": v.source,
                    "selector": v.selector,
                    "attribute": v.attribute,
                }
                for v in d.values.all()
            ],
        }
        for d in definitions
    ]


_definitions = Refreshed(
    _definitions_load, lambda: edits_of(BusinessEventDefinition, CapturedValue)
)


def forget_definitions() -> None:
    _definitions.forget()


def timer_event_names() -> frozenset[str]:
    """Names of the timer events, the SYSTEM events a page may report."""
    return _definitions.get()[1]
