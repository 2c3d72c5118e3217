"""The bus over a Channels layer (GWE_BUS=channels): the same contract as notifications/bus.py,
carried by `channels_redis.pubsub.RedisPubSubChannelLayer` with REDIS_URL, by
InProcessChannelLayer without it.

One channel per process, opened once on the serving loop; a group per topic, which that
channel joins when the topic gets its first follower here and leaves with the last; one
receive loop on the channel hands what arrives to the local followers (Bus.dispatch). Each
frame is still encoded once, by the sender: the layer carries the bus's items as they are.
"""

import asyncio
import contextvars
import logging
import uuid
from collections import defaultdict
from concurrent.futures import Future
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import BaseChannelLayer

from notifications.bus import Bus, BusUnavailable, Follower, Published

logger = logging.getLogger(__name__)

ITEMS = "gwe.bus"  # the layer message that carries a push: {"type": ITEMS, "items": [...]}
PROBE = "gwe.bus.probe"  # the process's message to itself: its subscriptions are live
SEND_TIMEOUT = 10.0  # how long a worker thread waits at most for the serving loop to send


def group_name(topic: str) -> str:
    """Channels' group names allow letters, digits, '-', '_' and '.' only."""
    return "gwe." + topic.replace(":", ".")


class InProcessChannelLayer(BaseChannelLayer):
    """A channel layer for one process that keeps every message until it is received.

    Channels' InMemoryChannelLayer drops a message once a channel holds `capacity` (100),
    forgets messages after `expiry` (60 s) and group members after `group_expiry` (a day),
    and copies every message for every member. This one has unbounded queues, no expiry, and
    hands each message over as it is (the bus never changes what it sends)."""

    extensions = ["groups", "flush"]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.channels: dict[str, asyncio.Queue] = {}
        self.groups: dict[str, set[str]] = defaultdict(set)

    def _queue(self, channel: str) -> asyncio.Queue:
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = asyncio.Queue()
        return queue

    async def new_channel(self, prefix: str = "specific.") -> str:
        channel = f"{prefix}inprocess!{uuid.uuid4().hex}"
        self._queue(channel)
        return channel

    async def send(self, channel: str, message: dict) -> None:
        self.require_valid_channel_name(channel)
        self._queue(channel).put_nowait(message)

    async def receive(self, channel: str) -> dict:
        self.require_valid_channel_name(channel)
        return await self._queue(channel).get()

    async def group_add(self, group: str, channel: str) -> None:
        self.require_valid_group_name(group)
        self.require_valid_channel_name(channel)
        self.groups[group].add(channel)

    async def group_discard(self, group: str, channel: str) -> None:
        self.require_valid_group_name(group)
        members = self.groups.get(group)
        if members is not None:
            members.discard(channel)
            if not members:
                del self.groups[group]

    async def group_send(self, group: str, message: dict) -> None:
        self.require_valid_group_name(group)
        for channel in self.groups.get(group, ()):
            self._queue(channel).put_nowait(message)

    async def flush(self) -> None:
        self.channels.clear()
        self.groups.clear()


class ChannelLayerBus(Bus):
    """The bus over a channel layer: here the in-process one, whose calls never fail and
    never wait (RedisLayerBus adds what a layer over the network needs)."""

    name = "channels-in-process"

    def __init__(self, layer: Any) -> None:
        super().__init__()
        self.layer = layer
        self.channel: str | None = None
        self.serving: asyncio.Task | None = None
        self.keeper: asyncio.Task | None = None
        self.joined: set[str] = set()  # topics whose group the channel is in
        self.to_check: dict[str, None] = {}  # topics whose membership may be wrong, in order
        self.check_now = asyncio.Event()

    # Following ----------------------------------------------------------------------------

    def follow(self, topic: str, follower: Follower) -> None:
        first = topic not in self.followers
        super().follow(topic, follower)
        if self.serving is None or self.serving.done() or self.serving.get_loop() is not self.loop:
            self.start()
        elif first:
            self.check(topic)

    def unfollow(self, topic: str, follower: Follower) -> None:
        super().unfollow(topic, follower)
        if topic not in self.followers and topic in self.joined:
            self.check(topic)

    def check(self, topic: str) -> None:
        self.to_check[topic] = None
        self.check_now.set()

    def start(self) -> None:
        """Serve on the running loop: a fresh channel, and every followed topic joined."""
        for task in (self.serving, self.keeper):
            if task is not None and not task.done() and task.get_loop() is self.loop:
                task.cancel()
        self.channel = None
        self.joined = set()
        self.to_check = dict.fromkeys(self.followers)
        self.check_now = asyncio.Event()
        self.serving = asyncio.ensure_future(self.serve())

    async def serve(self) -> None:
        self.channel = await self.open_channel()
        self.keeper = asyncio.ensure_future(self.keep_groups())
        self.opened()
        await self.receive_loop(self.channel)

    async def open_channel(self) -> str:
        return await self.layer.new_channel()

    def opened(self) -> None:
        """The channel is open: join the followed topics."""
        self.check_now.set()

    async def keep_groups(self) -> None:
        """Join and leave topics' groups one at a time, in the order they changed: a topic
        left and followed again while its join was under way ends up joined."""
        while True:
            await self.check_now.wait()
            self.check_now.clear()
            while self.to_check:
                await self.ready()
                topic = next(iter(self.to_check))
                del self.to_check[topic]
                await self.join_or_leave(topic)

    async def ready(self) -> None:
        """Until the layer can take a join (in-process: always)."""

    async def join_or_leave(self, topic: str) -> None:
        if topic in self.followers and topic not in self.joined:
            await self.layer.group_add(group_name(topic), self.channel)
            self.joined.add(topic)
            self.joined_now(topic)
        elif topic not in self.followers and topic in self.joined:
            self.joined.discard(topic)
            await self.layer.group_discard(group_name(topic), self.channel)

    def joined_now(self, topic: str) -> None:
        """In-process, a join takes effect before anything published after the follow."""

    async def receive_loop(self, channel: str) -> None:
        while True:
            message = await self.layer.receive(channel)
            try:
                if message["type"] == ITEMS:
                    self.dispatch([Published.from_wire(item) for item in message["items"]])
                elif message["type"] == PROBE:
                    self.probed(message["n"])
            except Exception:  # one bad message must not stop the bus
                logger.exception("the bus could not read a message: %.200r", message)

    def probed(self, number: int) -> None:
        pass

    # Publishing ---------------------------------------------------------------------------

    def publish(self, messages: list[Published]) -> None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None:
            # Sync code on an event loop cannot wait for it: the send goes out next.
            self.run(self.apublish_logged(messages))
            return
        loop = self.loop
        if loop is None or loop.is_closed() or not loop.is_running():
            self.publish_elsewhere(messages)
        else:
            self.hand_over(loop, messages)

    def publish_elsewhere(self, messages: list[Published]) -> None:
        """No loop serves sockets here: in one process nobody is listening (pages read from
        the database when they subscribe)."""

    def hand_over(self, loop: asyncio.AbstractEventLoop, messages: list[Published]) -> None:
        """From a worker thread to the serving loop, whose layer this is. In-process a send
        never fails and never waits, so the thread does not wait either; the sends keep their
        order (each runs in one step). A fresh context, as in LocalBus.publish."""
        loop.call_soon_threadsafe(self.send_soon, messages, None, context=contextvars.Context())

    def send_soon(self, messages: list[Published], done: Future | None) -> None:
        """On the loop: send, and tell the waiting thread how it went."""
        task = asyncio.ensure_future(self.apublish(messages))
        self.tasks.add(task)

        def finished(task: asyncio.Future) -> None:
            self.tasks.discard(task)
            if done is None:
                if not task.cancelled() and task.exception() is not None:
                    logger.warning("not pushed now: %s", task.exception())
            elif task.cancelled():
                done.cancel()
            elif task.exception() is not None:
                done.set_exception(task.exception())  # type: ignore[arg-type]
            else:
                done.set_result(None)

        task.add_done_callback(finished)

    async def apublish_logged(self, messages: list[Published]) -> None:
        try:
            await self.apublish(messages)
        except BusUnavailable as exc:
            logger.warning("not pushed now (%s); followers read it when the bus is back", exc)

    async def apublish(self, messages: list[Published]) -> None:
        by_topic: dict[str, list[list]] = defaultdict(list)
        for message in messages:
            by_topic[message.topic].append(message.as_wire())
        for topic, items in by_topic.items():
            await self.layer.group_send(group_name(topic), {"type": ITEMS, "items": items})


class RedisLayerBus(ChannelLayerBus):
    """The bus over RedisPubSubChannelLayer: each topic's group is a Redis pub/sub channel
    that this process subscribes to while it has followers of the topic.

    What the layer does not say, this adds: a push that cannot go out raises BusUnavailable;
    a join takes a Redis round trip, so the topic's followers read what was stored meanwhile;
    and after the layer's connection to Redis comes back (redis-py reconnects and subscribes
    again by itself, silently), followers read what they may have missed, as with RedisBus."""

    name = "channels-redis"
    RETRY_MAX = 5.0
    PROBE_WAIT = 1.0

    def __init__(self, url: str) -> None:
        import redis
        from channels_redis.pubsub import RedisPubSubChannelLayer
        from redis.exceptions import RedisError

        self.url = url
        # What the layer raises when Redis is away (asyncio's TimeoutError is an OSError).
        self.errors: tuple[type[Exception], ...] = (RedisError, OSError)
        # Every connection the layer opens calls connection_made once it is ready: that is
        # how a reconnection shows.
        host = {
            "address": url,
            "socket_connect_timeout": 2,
            "socket_timeout": 2,
            "redis_connect_func": self.connection_made,
        }
        super().__init__(RedisPubSubChannelLayer(hosts=[host], prefix="gwe"))
        self.pinger = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.live = asyncio.Event()  # the channel's subscriptions are known to be in place
        self.generation = 0  # counts the layer's connections made on the serving loop
        self.probe_number = 0
        self.probe_back = asyncio.Event()
        self.prober: asyncio.Task | None = None

    @property
    def connected(self) -> bool:
        return self.live.is_set()

    def start(self) -> None:
        self.live = asyncio.Event()
        self.prober = None
        self.probe_back = asyncio.Event()
        super().start()

    async def open_channel(self) -> str:
        delay = 0.1
        while True:
            try:
                return await self.layer.new_channel()
            except self.errors as exc:
                logger.warning("the bus cannot reach Redis (%s); retrying", exc)
                # The layer keeps a half-made channel; start it afresh.
                await self.layer.flush()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.RETRY_MAX)

    def opened(self) -> None:
        self.confirm()  # then the followed topics are joined

    async def ready(self) -> None:
        await self.live.wait()

    async def join_or_leave(self, topic: str) -> None:
        try:
            await super().join_or_leave(topic)
        except self.errors as exc:
            # A join is tried again once Redis is back. A leave is not (the layer has
            # forgotten the membership): the subscription stays, and what it brings is
            # dropped on arrival, nobody here being in the group.
            self.to_check[topic] = None
            self.lost(f"Redis is not reachable: {exc}")

    def joined_now(self, topic: str) -> None:
        # A push stored after the follower read the database but published before Redis had
        # this subscription would otherwise be missed until the topic's next item.
        for follower in tuple(self.followers.get(topic, ())):
            self.run(follower.maybe_missed())

    async def connection_made(self, connection: Any) -> None:
        await connection.on_connect()  # what redis-py does when given no function of ours
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if loop is self.loop and self.channel is not None:
            # A new connection once serving means one was lost (or, rarely, the pool added
            # one): redis-py subscribes again right after this; confirm before telling.
            self.generation += 1
            self.lost("its connection to Redis was made again")

    def lost(self, reason: str) -> None:
        if self.connected:
            logger.warning("the bus may have lost messages (%s); followers will read them", reason)
        self.live.clear()
        self.confirm()

    def confirm(self) -> None:
        if self.channel is not None and (self.prober is None or self.prober.done()):
            self.prober = asyncio.ensure_future(self.until_confirmed())

    async def until_confirmed(self) -> None:
        """Send to our own channel until it comes back: redis-py subscribes to every channel
        and group again in one command, so once ours is live, all are. Then the followers of
        joined topics read what they may have missed, and the others join."""
        delay = 0.1
        while True:
            generation = self.generation
            self.probe_number += 1
            self.probe_back.clear()
            try:
                await self.layer.send(self.channel, {"type": PROBE, "n": self.probe_number})
                async with asyncio.timeout(self.PROBE_WAIT):
                    await self.probe_back.wait()
            except self.errors:  # TimeoutError too: the probe did not come back
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.RETRY_MAX)
                continue
            if generation == self.generation:
                break
        self.live.set()
        # Anything published while we were away is in the database. A topic not joined yet
        # is read when it is (joined_now).
        told: set[Follower] = set()
        for topic in self.joined:
            told.update(self.followers.get(topic, ()))
        for follower in told:
            self.run(follower.maybe_missed())
        for topic in self.followers:
            if topic not in self.joined:
                self.check(topic)

    def probed(self, number: int) -> None:
        if number == self.probe_number:
            self.probe_back.set()

    def publish_elsewhere(self, messages: list[Published]) -> None:
        # Before any socket here (a management command, or before the first page): from a
        # worker thread of the serving loop, on that loop; otherwise on a short-lived loop
        # with a connection of its own.
        async_to_sync(self.apublish)(messages)

    def hand_over(self, loop: asyncio.AbstractEventLoop, messages: list[Published]) -> None:
        # The thread waits for the send, so that BusUnavailable reaches the caller as it does
        # with RedisBus. In a fresh context (LocalBus.publish says why): a reconnection seen
        # by this send starts the tasks that tell followers.
        done: Future = Future()
        loop.call_soon_threadsafe(self.send_soon, messages, done, context=contextvars.Context())
        try:
            done.result(timeout=SEND_TIMEOUT)
        except TimeoutError as exc:
            raise BusUnavailable(f"the bus did not send within {SEND_TIMEOUT:.0f} s") from exc

    async def apublish(self, messages: list[Published]) -> None:
        try:
            await super().apublish(messages)
        except self.errors as exc:
            if asyncio.get_running_loop() is self.loop:
                self.lost(f"Redis is not reachable: {exc}")
            raise BusUnavailable(f"Redis is not reachable: {exc}") from exc

    def healthy(self) -> bool:
        try:
            return bool(self.pinger.ping())
        except self.errors:
            return False
