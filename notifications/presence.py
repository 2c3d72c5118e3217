"""Which pages are open: those with a live channel to GWE (a tracker socket subscribed to its
visit, a poll waiting for notifications), or whose channel closed less than
GWE_PRESENCE_GRACE_SECONDS ago.

Each process keeps the pages it holds channels to, and tells the database every third of the
grace period (`presence_heartbeat`, a sweep): a page's `seen_at` is when a process last
vouched for it, so a page whose process died is gone too, one grace period later. Pages not
seen within the grace period are given their end (`pages_close_gone`); a visit with no page
left is off the site (`Visit.objects.on_site`)."""

from collections import Counter

from django.db.models import F
from django.utils import timezone

from gwe.models import Page, presence_cutoff

CHUNK = 500  # page ids per UPDATE (SQLite's parameter limit)


class Presence:
    """The pages this process holds live channels to (a page may have two for a moment: the
    socket that reconnects and the one that has not closed yet)."""

    def __init__(self) -> None:
        self.open: Counter[str] = Counter()

    def opened(self, page_id: str) -> None:
        self.open[page_id] += 1

    def closed(self, page_id: str) -> None:
        self.open[page_id] -= 1
        if self.open[page_id] <= 0:
            del self.open[page_id]

    def pages(self) -> list[str]:
        return list(self.open)  # a copy: the loop may change it while a thread reads


presence = Presence()


def pages_seen(page_ids: list[str], *, now=None) -> int:
    """Record that these pages have a live channel now."""
    now = now or timezone.now()
    return sum(
        Page.objects.filter(pk__in=page_ids[i : i + CHUNK]).update(seen_at=now)
        for i in range(0, len(page_ids), CHUNK)
    )


def presence_heartbeat() -> int:
    """This process vouches for the pages it holds channels to (a sweep)."""
    return pages_seen(presence.pages())


def pages_close_gone(*, now=None) -> int:
    """Pages whose live channel has been gone past the grace period end when last seen."""
    gone = Page.objects.filter(end_time__isnull=True, seen_at__lt=presence_cutoff(now))
    return gone.update(end_time=F("seen_at"))
