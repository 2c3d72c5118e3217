from django.db import connection
from django.utils import timezone

from gwe import sql
from notifications.bus import Published
from notifications.frames import published
from notifications.models import Notification


def notifications_missed(
    *, visit_id: str, page_id: str, after_seq: int | None
) -> tuple[list[Published], int]:
    """What a page has not received yet, oldest first, and the visit's last sequence number.

    With `after_seq` (the last the page saw): everything for it after that. Without (a page
    that has seen nothing yet): what no page has received. Expired ones never."""
    # Every page start asks this: written out once, as the ORM would (gwe/sql.py).
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params: list[object] = [visit_id, now, page_id]
    if after_seq is None:
        query = _MISSED_UNDELIVERED()
    else:
        query, params = _MISSED_AFTER(), [*params, after_seq]
    missed = [published(n) for n in Notification.objects.raw(query, params)]
    last = sql.one(last_seq_statement(), [visit_id])[0]  # type: ignore[index]
    return missed, last or 0


def _missed(condition: str) -> str:
    columns = ", ".join(sql.quoted(str(f.column)) for f in Notification._meta.concrete_fields)
    return (
        f"SELECT {columns} FROM {sql.quoted(Notification._meta.db_table)}"
        " WHERE visit_id = %s AND expires_at > %s AND (page_id IS NULL OR page_id = %s)"
        f" AND {condition} ORDER BY seq"
    )


def _MISSED_UNDELIVERED() -> str:
    return _missed("delivered_count = 0")


def _MISSED_AFTER() -> str:
    return _missed("seq > %s")


def last_seq_statement() -> str:
    """A visit's last notification number (a visit's notifications are numbered in order)."""
    return f"SELECT MAX(seq) FROM {sql.quoted(Notification._meta.db_table)} WHERE visit_id = %s"
