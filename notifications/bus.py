"""The bus: how something stored for a topic reaches the sockets that follow the topic, in
whichever process they are.

A topic names a stream: `visit:<id>` for a visit's notifications (its pages follow it),
`chat:<id>` and `agent:<user id>` for the built-in chat. One subscription per process (Redis
pub/sub with REDIS_URL, in-process otherwise), a map from topic to the local followers, and
every frame encoded once, by the sender. The bus itself may lose a message (a process
restarting, Redis away): followers notice the gap in the topic's sequence, or are told the
bus reconnected, and read what they missed from the database (notifications/follower.py).
So the bus only has to be fast; the database makes it reliable.
"""

import asyncio
import contextvars
import json
import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings

logger = logging.getLogger(__name__)

CHANNEL = "gwe:bus"


class BusUnavailable(Exception):
    """The bus could not take a message (Redis away). Raised only to notifications/push.py,
    which keeps it from everyone else: what was stored reaches its followers by replay."""


@dataclass(frozen=True)
class Published:
    """One item on a topic, as its followers receive it."""

    topic: str
    seq: int  # its number in the topic; 0: not stored (typing), never replayed
    frame: str  # exactly what the socket receives
    page_id: str | None = None  # a visit's notification for one of its pages only
    id: str = ""  # the stored item's id

    def as_wire(self) -> list:
        return [self.topic, self.seq, self.frame, self.page_id, self.id]

    @classmethod
    def from_wire(cls, item: list) -> "Published":
        return cls(*item)


class Follower(Protocol):
    async def published(self, messages: list[Published]) -> None: ...

    async def maybe_missed(self) -> None: ...


class Bus:
    name = "in-process"

    def __init__(self) -> None:
        self.followers: dict[str, set[Follower]] = defaultdict(set)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.tasks: set[asyncio.Future] = set()  # held, or the loop may collect them mid-way

    def run(self, coroutine) -> None:
        task = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def follow(self, topic: str, follower: Follower) -> None:
        self.loop = asyncio.get_running_loop()
        self.followers[topic].add(follower)

    def unfollow(self, topic: str, follower: Follower) -> None:
        followers = self.followers.get(topic)
        if followers is not None:
            followers.discard(follower)
            if not followers:
                del self.followers[topic]

    def publish(self, messages: list[Published]) -> None:
        """Send to every process; safe from any thread. Raises BusUnavailable."""
        raise NotImplementedError

    async def apublish(self, messages: list[Published]) -> None:
        """Send to every process, from the event loop. Raises BusUnavailable."""
        self.publish(messages)

    def healthy(self) -> bool:
        return True

    def dispatch(self, messages: list[Published]) -> None:
        """Hand messages to this process's followers of their topics (on the loop)."""
        by_topic: dict[str, list[Published]] = defaultdict(list)
        for message in messages:
            if message.topic in self.followers:
                by_topic[message.topic].append(message)
        for topic, topic_messages in by_topic.items():
            for follower in tuple(self.followers.get(topic, ())):
                self.run(follower.published(topic_messages))

    def tell_all_maybe_missed(self) -> None:
        every = {follower for followers in self.followers.values() for follower in followers}
        for follower in every:
            self.run(follower.maybe_missed())


class LocalBus(Bus):
    """One process: publishing hands messages straight to the event loop."""

    def publish(self, messages: list[Published]) -> None:
        loop = self.loop
        if loop is None or loop.is_closed():
            return  # no socket has ever followed here: pages read from the database
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self.dispatch(messages)
        else:
            # A fresh context: the publishing thread's would mark the followers' tasks as
            # running inside that thread's sync_to_async call, and their database reads
            # would then refuse to run.
            loop.call_soon_threadsafe(self.dispatch, messages, context=contextvars.Context())


class RedisBus(Bus):
    """Several processes: one Redis pub/sub channel, one subscription per process."""

    name = "redis"
    RETRY_MAX = 5.0

    def __init__(self, url: str) -> None:
        super().__init__()
        import redis

        self.url = url
        self.publisher = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.async_publishers: dict[asyncio.AbstractEventLoop, object] = {}
        # Pushes from the event loop waiting for the PUBLISH on its way (apublish).
        self.outgoing: dict[asyncio.AbstractEventLoop, list] = {}
        self.sending: dict[asyncio.AbstractEventLoop, bool] = {}
        self.listener: asyncio.Task | None = None
        self.connected = False

    def follow(self, topic: str, follower: Follower) -> None:
        super().follow(topic, follower)
        if (
            self.listener is None
            or self.listener.done()
            or self.listener.get_loop() is not self.loop
        ):
            self.listener = asyncio.ensure_future(self.listen())

    def publish(self, messages: list[Published]) -> None:
        import redis

        payload = json.dumps([m.as_wire() for m in messages])
        try:
            self.publisher.publish(CHANNEL, payload)
        except redis.RedisError as exc:
            raise BusUnavailable(f"Redis is not reachable: {exc}") from exc

    async def apublish(self, messages: list[Published]) -> None:
        """Pushes of the same moment go out together: while one PUBLISH is on its way, the
        next ones gather and follow in one message (a list of items, in order)."""
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        waiting = self.outgoing.setdefault(loop, [])
        waiting.append((messages, done))
        if len(waiting) == 1 and not self.sending.get(loop):
            self.sending[loop] = True
            self.run(self.send_outgoing(loop))
        await done

    async def send_outgoing(self, loop: asyncio.AbstractEventLoop) -> None:
        import redis.asyncio as aioredis
        from redis.exceptions import RedisError

        publisher = self.async_publishers.get(loop)
        if publisher is None:
            publisher = aioredis.Redis.from_url(
                self.url, socket_timeout=2, socket_connect_timeout=2
            )
            self.async_publishers = {loop: publisher}  # one loop per server process
        try:
            while batch := self.outgoing.pop(loop, []):
                payload = json.dumps([m.as_wire() for messages, _ in batch for m in messages])
                try:
                    await publisher.publish(CHANNEL, payload)  # type: ignore[attr-defined]
                except (RedisError, OSError) as exc:
                    failed = BusUnavailable(f"Redis is not reachable: {exc}")
                    for _, done in batch:
                        if not done.done():
                            done.set_exception(failed)
                    continue
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)
        finally:
            self.sending[loop] = False

    def healthy(self) -> bool:
        import redis

        try:
            return bool(self.publisher.ping())
        except redis.RedisError:
            return False

    async def listen(self) -> None:
        import redis.asyncio as aioredis
        from redis.exceptions import RedisError

        delay = 0.1
        while True:
            client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    if not self.connected:
                        self.connected = True
                        # Anything published while we were away is in the database.
                        self.tell_all_maybe_missed()
                    delay = 0.1
                    async for item in pubsub.listen():
                        if item["type"] == "message":
                            self.dispatch(
                                [Published.from_wire(m) for m in json.loads(item["data"])]
                            )
            except (RedisError, OSError) as exc:
                if self.connected:
                    logger.warning("the bus lost Redis (%s); reconnecting", exc)
                self.connected = False
            finally:
                await client.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.RETRY_MAX)


_bus: Bus | None = None
_bus_lock = threading.Lock()


def get_bus() -> Bus:
    global _bus
    with _bus_lock:
        if _bus is None:
            _bus = RedisBus(settings.REDIS_URL) if settings.REDIS_URL else LocalBus()
        return _bus


def reset_bus() -> None:
    """Forget the process's bus (tests that change REDIS_URL)."""
    global _bus
    with _bus_lock:
        _bus = None
