"""How chat messages reach the sockets that show them, in whichever process those are.

Over the notification bus (notifications/bus.py), under keys of their own: `chat:<id>` for
a chat's messages and typing, `agent:<user id>` for "your chats changed". The bus only maps
a key to the local followers and hands each a frame encoded once (its key field is named
`visit_id`, and a visit ID never holds a colon, so page and chat keys cannot meet): one
Redis subscription per process carries pages and chats alike.

As for notifications, the database is what makes delivery reliable: every message is
stored with the chat's next sequence number and pushed after commit; a follower that sees a
gap, or hears that the bus reconnected, reads what it missed. Typing is pushed, never stored:
sequence number 0, and lost without harm."""

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from functools import partial

from channels.db import database_sync_to_async
from django.db import transaction

from media_adapters.gwe_chat.models import ChatMessage
from media_adapters.gwe_chat.selectors import chat_messages_after
from notifications.bus import BusUnavailable, Published, get_bus

logger = logging.getLogger(__name__)

CHATS_CHANGED = '{"type":"chats-changed"}'


def chat_key(chat_id: str) -> str:
    return f"chat:{chat_id}"


def agent_key(user_id: int) -> str:
    return f"agent:{user_id}"


def encode(frame: dict) -> str:
    return json.dumps(frame, separators=(",", ":"))


def display_name(user) -> str:
    """What the visitor sees of an agent: their first name, else their user name."""
    return user.first_name or user.get_username()


def message_frame(message: ChatMessage) -> str:
    frame = {
        "type": "message",
        "chat": message.chat_id,
        "seq": message.seq,
        "sender": message.sender,
        "text": message.text,
        "sentAt": message.sent_at.isoformat(),
    }
    if message.agent is not None:
        frame["name"] = display_name(message.agent)
    if message.state:
        frame["state"] = message.state
    return encode(frame)


def typing_frame(chat_id: str, sender: str) -> Published:
    frame = encode({"type": "typing", "chat": chat_id, "sender": sender})
    return Published(chat_key(chat_id), None, 0, "", frame)


def message_published(message: ChatMessage) -> Published:
    return Published(chat_key(message.chat_id), None, message.seq, "", message_frame(message))


def agent_told(user_id: int) -> Published:
    return Published(agent_key(user_id), None, 0, "", CHATS_CHANGED)


def push_on_commit(items: list[Published]) -> None:
    """Push once the transaction that stored them commits (never what was rolled back)."""
    transaction.on_commit(partial(_publish, items))


def _publish(items: list[Published]) -> None:
    try:
        get_bus().publish(items)
    except BusUnavailable as exc:
        # Stored: followers read it when the bus is back, or when the page reconnects.
        logger.warning("chat messages not pushed now (%s)", exc)


async def push_now(items: list[Published]) -> None:
    """Push what is not stored (typing), from the event loop; lost if the bus is away."""
    with contextlib.suppress(BusUnavailable):
        await get_bus().apublish(items)


class ChatFollower:
    """Sends the messages of the chats this socket follows once each, in order.

    `followed` maps each chat to the last sequence number this socket has sent of it. A
    message after a gap, or a bus that reconnected, sends the socket to the database for what
    it missed, so the bus may lose a message and the socket still not."""

    send: Callable[..., Awaitable[None]]  # the consumer's

    def chats_init(self) -> None:
        self.followed: dict[str, int] = {}
        self.sequence_lock = asyncio.Lock()

    async def chat_follow(self, chat_id: str, *, after: int) -> None:
        get_bus().follow(chat_key(chat_id), self)
        # Held while reading: what the bus brings meanwhile waits, and is sent only if new.
        async with self.sequence_lock:
            self.followed[chat_id] = max(0, after)
            await self.chat_catch_up(chat_id)

    def chats_unfollow(self) -> None:
        for chat_id in getattr(self, "followed", {}):
            get_bus().unfollow(chat_key(chat_id), self)
        self.followed = {}

    async def notifications_published(self, messages: list[Published]) -> None:
        """The bus's call, for every key this socket follows."""
        async with self.sequence_lock:
            for message in messages:
                chat_id = message.visit_id.removeprefix("chat:")
                last = self.followed.get(chat_id)
                if last is None:
                    await self.other_published(message)
                elif message.seq == 0:
                    await self.send(text_data=message.frame)  # typing: not numbered
                elif message.seq > last + 1:
                    await self.chat_catch_up(chat_id)
                elif message.seq == last + 1:
                    self.followed[chat_id] = message.seq
                    await self.send(text_data=message.frame)

    async def other_published(self, message: Published) -> None:
        """A message under another key this socket follows (an agent's)."""

    async def notifications_maybe_missed(self) -> None:
        async with self.sequence_lock:
            for chat_id in tuple(self.followed):
                await self.chat_catch_up(chat_id)

    async def chat_catch_up(self, chat_id: str) -> None:
        missed = await database_sync_to_async(chat_messages_after)(
            chat_id=chat_id, after_seq=self.followed[chat_id]
        )
        for message in missed:
            if chat_id in self.followed and message.seq > self.followed[chat_id]:
                self.followed[chat_id] = message.seq
                await self.send(text_data=message_frame(message))
