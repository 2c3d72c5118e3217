"""A page's subscription to its visit's notifications: a follower of the visit's topic,
mixed into the tracker's transports (the WebSocket, the long poll). A subscription is the
page's live channel: while it lasts, the page is open (notifications/presence.py)."""

from functools import partial

from gwe.commits import written
from notifications.deliveries import get_recorder
from notifications.follower import SequencedFollower
from notifications.presence import pages_seen, presence
from notifications.selectors import notifications_missed
from notifications.topics import visit_topic


class NotificationSubscriber(SequencedFollower):
    """Delivers each notification of the visit to the page once and in order: those for the
    whole visit and those for this page; the rest only moves its sequence number on."""

    subscribed_visit: str | None = None
    subscribed_page: str | None = None

    async def notifications_subscribe(
        self, *, visit_id: str, page_id: str, last_seq: int | None, seen_now: bool = False
    ) -> int:
        """What the page missed after `last_seq` comes first (with None: what no page of the
        visit has received yet). Returns the visit's last sequence number. `seen_now`: the
        page was started live a moment ago, so the database already has it seen."""
        await self.notifications_unsubscribe()
        if not hasattr(self, "followed"):
            self.following_init()
        self.subscribed_visit, self.subscribed_page = visit_id, page_id
        presence.opened(page_id)
        if not seen_now:
            await written(pages_seen, [page_id])
        replay = partial(_missed, visit_id=visit_id, page_id=page_id)
        return await self.follow(
            visit_topic(visit_id), after=last_seq, replay=replay, page_id=page_id
        )

    async def notifications_unsubscribe(self) -> None:
        """The channel closes (or the page moves on): the page is open for the grace period
        from now, unless it comes back."""
        if self.subscribed_visit is not None and self.subscribed_page is not None:
            page_id = self.subscribed_page
            self.unfollow(visit_topic(self.subscribed_visit))
            self.subscribed_visit = self.subscribed_page = None
            presence.closed(page_id)
            await written(pages_seen, [page_id])

    def notifications_received(self, notification_ids: list[str]) -> None:
        if self.subscribed_visit and self.subscribed_page:
            get_recorder().add(self.subscribed_visit, self.subscribed_page, notification_ids)


def _missed(after_seq: int | None, *, visit_id: str, page_id: str):
    return notifications_missed(visit_id=visit_id, page_id=page_id, after_seq=after_seq)
