"""Writes of the Notification Service: accept, expire, record deliveries."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from gwe import sql
from gwe.models import Page, Visit
from notifications.frames import published
from notifications.models import Delivery, Notification, NotifyRequest
from notifications.push import push_on_commit
from notifications.selectors import last_seq_statement


@dataclass(frozen=True)
class NotifyMessage:
    channel: str
    data: dict = field(default_factory=dict)
    page_id: str | None = None
    ttl_seconds: int | None = None


class UnknownTarget(Exception):
    """The visit, or a page of it, does not exist."""


class KeyReused(Exception):
    """An Idempotency-Key already sent with another visit."""


IDEMPOTENCY_KEPT = timedelta(days=1)


def notify_once(
    *, visit_id: str, messages: list[NotifyMessage], user_id: int, key: str
) -> tuple[list[Notification], bool]:
    """notifications_store, once per `key` of this user: a request sent again with the same
    key stores nothing and gets what the first stored (True: replayed). Raises UnknownTarget,
    KeyReused."""
    if sql.one(_visit_locked(), [visit_id]) is None:  # orders the same key's requests too
        raise UnknownTarget(f"unknown visit {visit_id}")
    earlier = NotifyRequest.objects.filter(
        user_id=user_id, key=key, created_at__gt=timezone.now() - IDEMPOTENCY_KEPT
    ).first()
    if earlier is not None:
        if earlier.visit_id != visit_id:
            raise KeyReused("this Idempotency-Key was sent with another visit")
        stored = Notification.objects.in_bulk(earlier.notification_ids)
        return [stored[pk] for pk in earlier.notification_ids if pk in stored], True
    notifications = notifications_store(visit_id=visit_id, messages=messages)
    NotifyRequest.objects.filter(user_id=user_id, key=key).delete()  # one older than a day
    NotifyRequest.objects.create(
        user_id=user_id,
        key=key,
        visit_id=visit_id,
        notification_ids=[n.pk for n in notifications],
    )
    return notifications, False


def notify_requests_forget() -> int:
    """The sweep: Idempotency-Keys older than a day are forgotten."""
    cutoff = timezone.now() - IDEMPOTENCY_KEPT
    return NotifyRequest.objects.filter(created_at__lt=cutoff).delete()[0]


def notify(*, visit_id: str, messages: list[NotifyMessage]) -> list[Notification]:
    """Store messages for a visit's pages, and push them once the transaction commits (the
    outermost one, when called inside another). Raises UnknownTarget; never fails because
    the bus is away: stored, they reach the pages by replay."""
    with transaction.atomic(savepoint=False):
        notifications = notifications_store(visit_id=visit_id, messages=messages)
        push_on_commit([published(n) for n in notifications])
    return notifications


@transaction.atomic(savepoint=False)  # all or nothing, in the caller's transaction if any
def notifications_store(*, visit_id: str, messages: list[NotifyMessage]) -> list[Notification]:
    """Store messages for a visit's pages, numbered in order; the caller pushes them once
    this has committed. Raises UnknownTarget."""
    # Locking the visit orders concurrent notifies: sequence numbers commit in order.
    if sql.one(_visit_locked(), [visit_id]) is None:
        raise UnknownTarget(f"unknown visit {visit_id}")
    page_ids = {m.page_id for m in messages if m.page_id}
    if page_ids:
        known = set(
            Page.objects.filter(visit_id=visit_id, pk__in=page_ids).values_list("pk", flat=True)
        )
        if unknown := sorted(page_ids - known):
            raise UnknownTarget(f"{unknown[0]} is not a page of visit {visit_id}")
    last = sql.one(last_seq_statement(), [visit_id])[0] or 0  # type: ignore[index]
    now = timezone.now()
    default_ttl = settings.GWE_NOTIFY_TTL_SECONDS
    notifications = [
        Notification(
            visit_id=visit_id,
            page_id=message.page_id,
            seq=last + number,
            channel=message.channel,
            data=message.data,
            created_at=now,
            expires_at=now + timedelta(seconds=message.ttl_seconds or default_ttl),
        )
        for number, message in enumerate(messages, start=1)
    ]
    sql.insert(notifications)  # one statement, as bulk_create's, without compiling it
    return notifications


def _visit_locked() -> str:
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return f"SELECT 1 FROM {sql.quoted(Visit._meta.db_table)} WHERE id = %s{lock}"


Receipts = Mapping[tuple[str, str], Iterable[str]]  # (visit ID, page ID) → notification IDs


@transaction.atomic
def deliveries_record(*, receipts: Receipts) -> int:
    """Record that pages received notifications of their visits (each page once): all the
    receipts of a while in one transaction. Receipts for another visit's notifications
    are ignored. Returns how many notifications were updated."""
    claimed = [(nid, visit, page) for (visit, page), ids in receipts.items() for nid in ids]
    visit_of = dict(
        Notification.objects.filter(pk__in={nid for nid, _, _ in claimed}).values_list(
            "pk", "visit_id"
        )
    )
    now = timezone.now()
    deliveries = [
        Delivery(notification_id=nid, page_id=page, delivered_at=now)
        for nid, visit, page in claimed
        if visit_of.get(nid) == visit
    ]
    if not deliveries:
        return 0
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)
    counts = (
        Delivery.objects.filter(notification=OuterRef("pk"))
        .values("notification")
        .annotate(count=Count("*"))
        .values("count")
    )
    return Notification.objects.filter(pk__in={d.notification_id for d in deliveries}).update(
        delivered_count=Subquery(counts), first_delivered_at=Coalesce("first_delivered_at", now)
    )


def notifications_expire() -> int:
    """Mark the notifications that expired before any page received them."""
    return Notification.objects.filter(
        expired_at__isnull=True, delivered_count=0, expires_at__lte=timezone.now()
    ).update(expired_at=F("expires_at"))
