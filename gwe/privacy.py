"""What GWE holds of a visitor, exported and erased together (SPEC §9), and the retention that
purges old visits.

A visit's pages, events, invitations, rule decisions, notifications and their deliveries go
with it by the database's cascade. What outlives tracking data on purpose (a chat's
transcript, a message the visitor left, kept by visit id) belongs to an app that says so here:
each app that keeps such data registers a `Holding`, what it exports and erases of a set of
visits, so that this module needs no knowledge of them (apps.py of each app)."""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Model, Prefetch
from django.utils import timezone

from gwe import partitions
from gwe.models import Event, Identity, Page, Visit
from gwe.selectors import EVENT_ORDER
from gwe.serializers import event_json, iso, visit_json

logger = logging.getLogger(__name__)

PURGE_BATCH = 500  # visits erased in one transaction


@dataclass(frozen=True)
class Holding:
    kind: str  # as the export names it: "chats"
    export: Callable[[list[str]], list[dict[str, Any]]]  # visit ids → rows
    erase: Callable[[list[str]], dict[str, int]]  # visit ids → {kind: deleted}


_holdings: dict[str, Holding] = {}


def holding(kind: str, *, export, erase) -> None:
    """An app keeps data of visits that does not go with them by cascade."""
    _holdings[kind] = Holding(kind, export, erase)


def _kind(model: type[Model]) -> str:
    """A model's rows as the counts name them: "engagement decisions" → "engagementDecisions"."""
    first, *rest = str(model._meta.verbose_name_plural).split()
    return first + "".join(word.capitalize() for word in rest)


def counts_said(deleted: dict[str, int]) -> str:
    """`{"visits": 3, "pages": 8}` as people read it: "8 pages, 3 visits"."""
    return ", ".join(f"{count} {kind}" for kind, count in sorted(deleted.items()))


def visits_export(visit_ids: list[str]) -> dict[str, Any]:
    """Everything held of these visits, as JSON-ready data."""
    # As the History API shows them (gwe/serializers.py), with when each was last active.
    visits = (
        Visit.objects.filter(pk__in=visit_ids)
        .order_by("start_time")
        .prefetch_related(Prefetch("pages", queryset=Page.objects.order_by("start_time", "id")))
    )
    events = Event.objects.filter(visit_id__in=visit_ids).select_related("visit")
    now = timezone.now()
    exported: dict[str, Any] = {
        "visits": [
            {**visit_json(visit, now=now, events=False), "lastActivity": iso(visit.last_activity)}
            for visit in visits
        ],
        "events": [event_json(event) for event in events.order_by(*EVENT_ORDER)],
    }
    for kind, held in _holdings.items():
        exported[kind] = held.export(visit_ids)
    return exported


@transaction.atomic
def visits_erase(visit_ids: list[str]) -> dict[str, int]:
    """Erase these visits and all that hangs on them; what was deleted, by kind."""
    deleted: dict[str, int] = {}
    for held in _holdings.values():
        for kind, count in held.erase(visit_ids).items():
            deleted[kind] = deleted.get(kind, 0) + count
    identities = set(
        Visit.objects.filter(pk__in=visit_ids, identity__isnull=False).values_list(
            "identity_id", flat=True
        )
    )
    _, by_model = Visit.objects.filter(pk__in=visit_ids).delete()
    for label, count in by_model.items():
        deleted[_kind(apps.get_model(label))] = count
    # An identity goes with its last visit: nothing else holds it.
    alone = Identity.objects.filter(pk__in=identities, visits__isnull=True)
    deleted["identities"] = alone.delete()[0] if identities else 0
    return {kind: count for kind, count in deleted.items() if count}


def identity_export(identity_id: str) -> dict[str, Any] | None:
    identity = Identity.objects.filter(pk=identity_id).first()
    if identity is None:
        return None
    visit_ids = list(identity.visits.values_list("pk", flat=True))
    about = {
        "identityID": identity.pk,
        "attributes": identity.attributes,
        "firstSeen": identity.first_seen,
        "lastSeen": identity.last_seen,
    }
    return {"identity": about, **visits_export(visit_ids)}


def identity_erase(identity_id: str) -> dict[str, int] | None:
    """None for an identity GWE does not know."""
    if not Identity.objects.filter(pk=identity_id).exists():
        return None
    return identities_erase([identity_id])


@transaction.atomic
def identities_erase(identity_ids: list[str]) -> dict[str, int]:
    """Erase these identities with all their visits and what hangs on them."""
    visits = Visit.objects.filter(identity_id__in=identity_ids).values_list("pk", flat=True)
    deleted = visits_erase(list(visits))
    # Also those with no visit left: they are what was asked to go.
    if gone := Identity.objects.filter(pk__in=identity_ids).delete()[0]:
        deleted["identities"] = deleted.get("identities", 0) + gone
    return deleted


# ---- retention --------------------------------------------------------------------------


def retention_cutoff(days: int | None = None, now=None):
    """Visits whose last activity is before this are purged; None: keep everything."""
    days = settings.GWE_RETENTION_DAYS if days is None else days
    if days <= 0:
        return None
    return (now or timezone.now()) - timedelta(days=days)


def old_visit_batches(cutoff, batch: int = PURGE_BATCH) -> Iterator[list[str]]:
    while ids := list(
        Visit.objects.filter(last_activity__lt=cutoff)
        .order_by("last_activity")
        .values_list("pk", flat=True)[:batch]
    ):
        yield ids


def visits_purge(
    days: int | None = None, *, progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Erase the visits older than GWE_RETENTION_DAYS (or `days`), a batch at a time; on
    PostgreSQL first drop the weeks of events that are all older (a day's margin, so that a
    visit that spans the cutoff keeps its first events). The counts, also logged."""
    cutoff = retention_cutoff(days)
    if cutoff is None:
        return {}
    total = Visit.objects.filter(last_activity__lt=cutoff).count()
    deleted: dict[str, int] = {}
    dropped = partitions.events_partitions_drop_before(cutoff - timedelta(days=1))
    if dropped:
        deleted["eventPartitions"] = len(dropped)
    done = 0
    for ids in old_visit_batches(cutoff):
        for kind, count in visits_erase(ids).items():
            deleted[kind] = deleted.get(kind, 0) + count
        done += len(ids)
        if progress is not None:
            progress(done, total)
    if deleted:
        logger.info(
            "retention (%s days): purged %s",
            days if days is not None else settings.GWE_RETENTION_DAYS,
            counts_said(deleted),
        )
    return deleted
