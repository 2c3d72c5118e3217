"""A page's subscription to its visit's notifications, mixed into the tracker's consumer."""

import asyncio
import logging
from collections.abc import Awaitable, Callable

from channels.db import database_sync_to_async

from notifications.bus import Published, get_bus
from notifications.deliveries import get_recorder
from notifications.selectors import notifications_missed

logger = logging.getLogger(__name__)


class NotificationSubscriber:
    """Delivers each notification of the visit to the page once and in order.

    `last_seq` is the last sequence number of the visit this page has accounted for
    (received, or seen to be for another tab). A gap, or a bus that reconnected, sends the
    page to the database for what it missed; so the bus may lose messages, the page not."""

    subscribed_visit: str | None = None
    subscribed_page: str | None = None
    send: Callable[..., Awaitable[None]]  # the consumer's

    async def notifications_subscribe(
        self, *, visit_id: str, page_id: str, last_seq: int | None
    ) -> int:
        await self.notifications_unsubscribe()
        self.subscribed_visit, self.subscribed_page = visit_id, page_id
        self.last_seq = last_seq or 0
        self.sequence_lock = asyncio.Lock()
        get_bus().follow(visit_id, self)
        # Taken before anything can be dispatched to us: live messages wait for the replay.
        async with self.sequence_lock:
            await self.catch_up(after_seq=last_seq)
        return self.last_seq

    async def notifications_unsubscribe(self) -> None:
        if self.subscribed_visit is not None:
            get_bus().unfollow(self.subscribed_visit, self)
            self.subscribed_visit = self.subscribed_page = None

    async def notifications_published(self, messages: list[Published]) -> None:
        async with self.sequence_lock:
            for message in messages:
                if message.seq <= self.last_seq or message.visit_id != self.subscribed_visit:
                    continue
                if message.seq > self.last_seq + 1:
                    await self.catch_up(after_seq=self.last_seq)
                    continue
                self.last_seq = message.seq
                if message.page_id in (None, self.subscribed_page):
                    await self.send(text_data=message.frame)

    async def notifications_maybe_missed(self) -> None:
        if self.subscribed_visit is None:
            return
        async with self.sequence_lock:
            await self.catch_up(after_seq=self.last_seq)

    async def catch_up(self, *, after_seq: int | None) -> None:
        visit_id, page_id = self.subscribed_visit, self.subscribed_page
        missed, last = await database_sync_to_async(notifications_missed)(
            visit_id=visit_id, page_id=page_id, after_seq=after_seq
        )
        if visit_id != self.subscribed_visit:
            return  # the page moved on while we were reading
        for message in missed:
            await self.send(text_data=message.frame)
        self.last_seq = max(self.last_seq, last)

    def notifications_received(self, notification_ids: list[str]) -> None:
        if self.subscribed_visit and self.subscribed_page:
            get_recorder().add(self.subscribed_visit, self.subscribed_page, notification_ids)
