"""Long polls: what a page that cannot keep a WebSocket receives over HTTP, one answer at a time
(the tracker's notifications, the visitor's chat).

A poll is a follower of its topics for the length of one request: what it missed comes from
the database at once, as on a socket; otherwise it waits for the first live item, a moment
more for those that come with it, and answers them all in one body, made of the frames as
their sender encoded them. The client then polls again from the last number it was given, so
sequence numbers, replay and de-duplication are the socket's own (notifications/follower.py).

A client that goes away mid-poll ends the wait at once: the server's `http.disconnect` is read
while the poll waits, not only after it has answered.

Between one answer and the next poll, stored items wait in the database; what is not stored
(the adviser typing) is kept by the process for a few seconds, for the next poll of the topic
to take (`Lingering`)."""

import asyncio
import json

from channels.generic.http import AsyncHttpConsumer
from django.conf import settings

from notifications.bus import Published, get_bus
from notifications.consumers import DirectDispatch
from notifications.follower import SequencedFollower

# Once something has arrived, how long to wait for what comes with it (one answer, not one
# per notification of a burst).
GATHER_SECONDS = 0.05
# How long what is not stored (typing) waits after an answer for the topic's next poll.
LINGER_SECONDS = 5.0


def poll_seconds() -> float:
    """How long a poll waits for something to arrive before answering with nothing."""
    return settings.GWE_LONG_POLL_SECONDS


class Lingering:
    """Follows a topic between one poll's answer and the next, for the items that are not
    stored and so cannot be replayed (typing). A stored item makes them stale (the adviser's
    message ends their typing) and reaches the next poll by its number."""

    def __init__(self, topic: str) -> None:
        self.topic, self.frames = topic, list[str]()
        get_bus().follow(topic, self)
        self.expiry = asyncio.get_running_loop().call_later(LINGER_SECONDS, self.end)

    async def published(self, messages: list[Published]) -> None:
        for message in messages:
            if message.seq:
                self.frames.clear()
            else:
                self.frames.append(message.frame)

    async def maybe_missed(self) -> None:
        pass

    def end(self) -> list[str]:
        self.expiry.cancel()
        get_bus().unfollow(self.topic, self)
        if _lingering.get(self.topic) is self:
            del _lingering[self.topic]
        return self.frames


_lingering: dict[str, Lingering] = {}


def linger(topic: str) -> None:
    if (before := _lingering.get(topic)) is not None:
        before.end()
    _lingering[topic] = Lingering(topic)


def lingered(topic: str) -> list[str]:
    """The unstored frames that came for the topic since its last poll answered."""
    lingering = _lingering.get(topic)
    return lingering.end() if lingering is not None else []


class Collector(SequencedFollower):
    """A follower that keeps what it is delivered, for one answer, and wakes the waiter."""

    def following_init(self) -> None:
        super().following_init()
        self.collected: list[str] = []
        self.arrived = asyncio.Event()

    async def follow(self, topic: str, **kwargs) -> int:
        last = await super().follow(topic, **kwargs)
        if frames := lingered(topic):
            self.collected += frames
            self.arrived.set()
        return last

    async def deliver(self, message: Published) -> None:
        self.collected.append(message.frame)
        self.arrived.set()

    async def take(self, topic: str) -> tuple[list[str], int]:
        """The frames collected and the topic's last number accounted for, and the topic is
        no longer followed: nothing can arrive between the two that the answer would miss."""
        async with self.sequence_lock:
            frames, self.collected = self.collected, []
            followed = self.followed.get(topic)
            last = followed.last_seq if followed is not None else 0
            self.unfollow(topic)
            linger(topic)
        return frames, last


class LongPollConsumer(DirectDispatch, Collector, AsyncHttpConsumer):
    """An HTTP consumer that may hold its request open until something is collected."""

    async def __call__(self, scope, receive, send):
        # Read again while the poll waits: once the body is in, the server's next message can
        # only be `http.disconnect` (ASGI), and Channels would read it only after `handle`.
        self.receive_from_server = receive
        await super().__call__(scope, receive, send)

    async def wait_for_items(self) -> bool:
        """Until something has been collected (and GATHER_SECONDS more), or the poll's time
        is up. False when the client went away meanwhile: there is nobody to answer."""
        if self.collected:
            return True  # what was missed: at once
        arrived = asyncio.ensure_future(self.arrived.wait())
        gone = asyncio.ensure_future(self.client_gone())
        try:
            await asyncio.wait(
                {arrived, gone},
                timeout=poll_seconds(),
                return_when=asyncio.FIRST_COMPLETED,
            )
            if gone.done():
                return False
            if arrived.done():
                await asyncio.sleep(GATHER_SECONDS)
            return True
        finally:
            arrived.cancel()
            gone.cancel()

    async def client_gone(self) -> None:
        while (await self.receive_from_server())["type"] != "http.disconnect":
            pass


def compose(fields: dict, key: str, frames: list[str]) -> bytes:
    """A JSON object of `fields` and, under `key`, a list of frames as their sender encoded
    them: they are joined, never decoded and encoded again."""
    head = json.dumps(fields, separators=(",", ":"))[:-1]
    comma = "," if fields else ""
    return f'{head}{comma}"{key}":[{",".join(frames)}]}}'.encode()
