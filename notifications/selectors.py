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
        which = "delivered_count = 0"
    else:
        which, params = "seq > %s", [*params, after_seq]
    where = f"{MISSED_FOR_PAGE} AND {which} ORDER BY seq"
    missed = [published(n) for n in sql.select(Notification, where, params)]
    last = sql.one(last_seq_statement(), [visit_id])[0]  # type: ignore[index]
    return missed, last or 0


# The visit's notifications still to be had by one of its pages (visit, now, page).
MISSED_FOR_PAGE = "visit_id = %s AND expires_at > %s AND (page_id IS NULL OR page_id = %s)"


def last_seq_statement() -> str:
    """A visit's last notification number (a visit's notifications are numbered in order)."""
    return f"SELECT MAX(seq) FROM {sql.quoted(Notification._meta.db_table)} WHERE visit_id = %s"
