"""Following topics: each stored item once, in order, whatever the bus loses.

Every stored item of a topic has the topic's next sequence number (a visit's notifications,
a chat's messages). A follower keeps, per topic, the last number it has accounted for; an
item after a gap, or a bus that reconnected, sends it to the database for what it missed
(the topic's replay), and an item it already has is dropped. Items that are not stored
(typing, "your chats changed") carry number 0 and are passed on as they come.

The page's tracker socket, the page's long poll and the chat's sockets are all followers;
they say how an item is sent (`deliver`)."""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from channels.db import database_sync_to_async

from notifications.bus import Published, get_bus

# What a topic's follower missed after a sequence number (None: after what no one has
# received), and the topic's last number. Runs in a worker thread: it reads the database.
Replay = Callable[[int | None], tuple[list[Published], int]]


@dataclass
class Followed:
    last_seq: int
    replay: Replay | None  # None: a topic of unstored items only
    page_id: str | None = None  # a visit's page: what is for its other pages is skipped


class SequencedFollower:
    send: Callable[..., Awaitable[None]]  # the consumer's

    def following_init(self) -> None:
        self.followed: dict[str, Followed] = {}
        self.sequence_lock = asyncio.Lock()

    async def follow(
        self,
        topic: str,
        *,
        after: int | None,
        replay: Replay | None,
        page_id: str | None = None,
    ) -> int:
        """Follow the topic from the item after `after`; what was missed is sent first, and
        live items wait for it. Returns the last number accounted for."""
        get_bus().follow(topic, self)
        async with self.sequence_lock:
            followed = self.followed[topic] = Followed(after or 0, replay, page_id)
            await self._replay(topic, followed, since=after)
            return followed.last_seq

    def unfollow(self, topic: str) -> None:
        if self.followed.pop(topic, None) is not None:
            get_bus().unfollow(topic, self)

    def unfollow_all(self) -> None:
        for topic in tuple(getattr(self, "followed", ())):
            self.unfollow(topic)

    async def deliver(self, message: Published) -> None:
        await self.send(text_data=message.frame)

    async def published(self, messages: list[Published]) -> None:
        """The bus's call, for the topics followed here."""
        async with self.sequence_lock:
            for message in messages:
                followed = self.followed.get(message.topic)
                if followed is None:
                    continue
                if message.seq == 0:
                    await self.deliver(message)
                elif message.seq > followed.last_seq + 1:
                    await self.catch_up(message.topic)
                elif message.seq == followed.last_seq + 1:
                    followed.last_seq = message.seq
                    if message.page_id in (None, followed.page_id):
                        await self.deliver(message)

    async def maybe_missed(self) -> None:
        """The bus's call when it may have lost items (it reconnected)."""
        async with self.sequence_lock:
            for topic in tuple(self.followed):
                await self.catch_up(topic)

    async def caught_up(self, topic: str) -> None:
        """Read the topic now (the sender sees what it just did, whatever the bus does)."""
        async with self.sequence_lock:
            await self.catch_up(topic)

    async def catch_up(self, topic: str) -> None:
        """Send what the topic has after the last item accounted for (lock held)."""
        followed = self.followed.get(topic)
        if followed is not None:
            await self._replay(topic, followed, since=followed.last_seq)

    async def _replay(self, topic: str, followed: Followed, *, since: int | None) -> None:
        if followed.replay is None:
            return
        missed, last = await database_sync_to_async(followed.replay)(since)
        if self.followed.get(topic) is not followed:
            return  # unfollowed while we were reading
        for message in missed:
            if message.seq > followed.last_seq:
                followed.last_seq = message.seq
                await self.deliver(message)
        followed.last_seq = max(followed.last_seq, last)
