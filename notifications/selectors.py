from django.db.models import Max, Q
from django.utils import timezone

from notifications.bus import Published
from notifications.frames import published
from notifications.models import Notification


def notifications_missed(
    *, visit_id: str, page_id: str, after_seq: int | None
) -> tuple[list[Published], int]:
    """What a page has not received yet, oldest first, and the visit's last sequence number.

    With `after_seq` (the last the page saw): everything for it after that. Without (a page
    that has seen nothing yet): what no page has received. Expired ones never."""
    for_this_page = Q(page__isnull=True) | Q(page_id=page_id)
    pending = Notification.objects.filter(
        for_this_page, visit_id=visit_id, expires_at__gt=timezone.now()
    )
    if after_seq is None:
        pending = pending.filter(delivered_count=0)
    else:
        pending = pending.filter(seq__gt=after_seq)
    missed = [published(n) for n in pending.order_by("seq")]
    last = Notification.objects.filter(visit_id=visit_id).aggregate(last=Max("seq"))["last"]
    return missed, last or 0
