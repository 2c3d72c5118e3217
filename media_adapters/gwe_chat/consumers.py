"""The chat's sockets: the visitor's (the chat page, holding the chat's signed token) and the
agent's (the console, with the agent's session). They only move messages: what they do is in
services.py, what they read in selectors.py, how messages reach them in live.py.

Frames in and out are documented in docs/adapters.md ("GWE chat (built in)")."""

from functools import cached_property, partial
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from gwe.ids import is_valid_id
from gwe.limits import Limiter, per_socket
from gwe.protocol import MAX_SEQ, ProtocolError, decode, sequence_number
from media_adapters.gwe_chat import access, canned, left_messages, live, selectors, services, tokens
from media_adapters.gwe_chat.models import Sender
from notifications.bus import Published
from notifications.consumers import DirectDispatch
from notifications.follower import SequencedFollower
from notifications.longpoll import LongPollConsumer, compose
from notifications.origins import origin_allowed, refused_without_origin, scope_header
from notifications.push import push

MAX_FRAME_BYTES = 16 * 1024
# Close codes a page can read (after the handshake, so that a browser sees them).
FORBIDDEN = 4403
NOT_FOUND = 4404
SENT_OVER_HTTP = ("message", "typing", "end")  # a ping is the socket's own


class ChatFrames(SequencedFollower):
    """What a side of a chat does with a frame, whatever carries it (a socket, an HTTP
    request): one JSON object, handled by `on_<type>`. A refusal raises ProtocolError or
    services.ChatRefused; `refusal` says what the sender is told."""

    async def handle_message(self, message: object) -> None:
        if not isinstance(message, dict):
            raise ProtocolError(400, "send a JSON object")
        kind = message.get("type")
        named = kind.replace("-", "_") if isinstance(kind, str) else None
        handler = getattr(self, f"on_{named}", None) if named else None
        if handler is None:
            raise ProtocolError(400, f"unknown message type {kind!r}")
        await handler(message)

    async def chat_follow(self, chat_id: str, *, after: int) -> None:
        replay = partial(live.chat_replay, chat_id=chat_id)
        await self.follow(live.chat_topic(chat_id), after=max(0, after), replay=replay)


def refusal(exc: ProtocolError | services.ChatRefused) -> dict:
    """The error frame for a refused frame."""
    if isinstance(exc, ProtocolError):
        return exc.as_reply()
    return {"type": "error", "status": 409, "message": exc.message}


class ChatSocket(DirectDispatch, ChatFrames, AsyncWebsocketConsumer):
    """What both sides' sockets share: a refusal is an error frame, and the socket stays
    open."""

    @cached_property
    def allowance(self) -> Limiter:
        """This socket's GWE_LIMIT_MESSAGES_PER_SECOND."""
        return per_socket()

    async def receive(self, text_data=None, bytes_data=None):
        raw = text_data if text_data is not None else bytes_data
        try:
            if wait := self.allowance.take(None):
                raise ProtocolError(429, "too many messages on this socket", retry_after=wait)
            await self.handle_message(decode(raw or b"", max_bytes=MAX_FRAME_BYTES))
        except (ProtocolError, services.ChatRefused) as exc:
            await self.send_json(refusal(exc))

    async def send_json(self, frame: dict) -> None:
        await self.send(text_data=live.encode(frame))

    async def on_ping(self, message: dict) -> None:
        await self.send_json({"type": "pong"})


class VisitorChat(ChatFrames):
    """The visitor's side of one chat: what they may send, over the socket or over HTTP."""

    chat_id: str

    async def on_message(self, message: dict) -> None:
        text = message.get("text")
        if not isinstance(text, str):
            raise ProtocolError(400, "text must be a string")
        await self.post(text)
        # The sender sees its own message at once, whatever the bus does.
        await self.caught_up(live.chat_topic(self.chat_id))

    @database_sync_to_async
    def post(self, text: str) -> None:
        services.message_post(chat_id=self.chat_id, sender=Sender.VISITOR, text=text)

    async def on_typing(self, message: dict) -> None:
        await push([live.typing_frame(self.chat_id, Sender.VISITOR)])

    async def on_end(self, message: dict) -> None:
        await database_sync_to_async(services.chat_end)(chat_id=self.chat_id, by=Sender.VISITOR)
        await self.caught_up(live.chat_topic(self.chat_id))


class VisitorChatConsumer(VisitorChat, ChatSocket):
    """/server/ws/chat/<chat id>?token=...&after=<last seq>: the visitor's side of one chat.
    On connect, the messages after `after` come first, then the live ones."""

    async def connect(self):
        if await refused_without_origin(self):
            return
        if not origin_allowed(scope_header(self.scope, b"origin")):
            await self.close()  # before accept: the handshake is refused with 403
            return
        await self.accept()
        self.following_init()
        self.chat_id = self.scope["url_route"]["kwargs"]["chat_id"]
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        if not tokens.visitor_token_valid(self.chat_id, query.get("token", [""])[0]):
            await self.close(code=FORBIDDEN)
            return
        if not await database_sync_to_async(selectors.chat_exists)(chat_id=self.chat_id):
            await self.close(code=NOT_FOUND)
            return
        after = query.get("after", ["0"])[0]
        await self.chat_follow(
            self.chat_id, after=min(int(after), MAX_SEQ) if after.isdigit() else 0
        )
        read = await database_sync_to_async(selectors.chat_read_seq)(chat_id=self.chat_id)
        if read:
            await self.send_json({"type": "read", "chat": self.chat_id, "seq": read})

    async def disconnect(self, code):
        self.unfollow_all()


class VisitorChatHttp(VisitorChat, LongPollConsumer):
    """The visitor's side over HTTP, when the chat page cannot keep a WebSocket: a JSON body
    with the chat's token (the credential, as on the socket) and `after`, the last number the
    page has. Answers `{"messages": [frames as the socket sends them], "after": N}`."""

    async def handle(self, body: bytes) -> None:
        if not origin_allowed(scope_header(self.scope, b"origin")):
            await self.reply(403, {"error": "this origin may not open a chat"})
            return
        if self.scope["method"] != "POST":
            await self.reply(405, {"error": "use POST"}, headers=[(b"Allow", b"POST")])
            return
        self.following_init()
        self.chat_id = self.scope["url_route"]["kwargs"]["chat_id"]
        try:
            message = decode(body, max_bytes=MAX_FRAME_BYTES)
            if not isinstance(message, dict):
                raise ProtocolError(400, "send a JSON object")
            after = sequence_number(message.get("after", 0), "after")
            token = message.get("token")
            if not isinstance(token, str) or not tokens.visitor_token_valid(self.chat_id, token):
                raise ProtocolError(403, "this is not the chat's token")
            if not await database_sync_to_async(selectors.chat_exists)(chat_id=self.chat_id):
                raise ProtocolError(404, "no such chat")
            await self.chat_follow(self.chat_id, after=after)
            if not await self.exchange(message):
                return  # the page went away: nobody to answer
        except (ProtocolError, services.ChatRefused) as exc:
            error = refusal(exc)
            await self.reply(error["status"], {"error": error["message"]})
            return
        frames, last = await self.take(live.chat_topic(self.chat_id))
        await self.reply(200, compose({"after": last}, "messages", frames))

    async def exchange(self, message: dict) -> bool:
        """What the request does once the chat is followed; False: the client is gone."""
        raise NotImplementedError

    async def disconnect(self) -> None:
        self.unfollow_all()

    async def reply(
        self, status: int, body: dict | bytes, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        raw = body if isinstance(body, bytes) else live.encode(body).encode()
        headers = [(b"Content-Type", b"application/json"), *(headers or [])]
        await self.send_response(status, raw, headers=headers)


class VisitorChatPollConsumer(VisitorChatHttp):
    """POST /server/data/chat/<chat id>/poll `{"token", "after"}`: what came after `after`, at
    once, or the first frames to come (a message, the adviser typing) within the poll's
    time; an empty list when nothing did."""

    async def exchange(self, message: dict) -> bool:
        return await self.wait_for_items()


class VisitorChatSendConsumer(VisitorChatHttp):
    """POST /server/data/chat/<chat id> `{"token", "after", "type", "text"?}`: a frame of the
    socket's (message, typing, end), handled as the socket handles it; the answer carries what
    the sender sees at once (their own message, the chat ended)."""

    async def exchange(self, message: dict) -> bool:
        if message.get("type") not in SENT_OVER_HTTP:
            raise ProtocolError(400, f"unknown message type {message.get('type')!r}")
        await self.handle_message(message)
        return True


def message_ids(message: dict) -> list[str]:
    ids = message.get("ids")
    if not isinstance(ids, list) or not 0 < len(ids) <= 100 or not all(map(is_valid_id, ids)):
        raise ProtocolError(400, "ids must list 1 to 100 message IDs")
    return ids


class AgentConsumer(ChatSocket):
    """/server/ws/agent: an agent's console. Says who they are and lists their open chats
    (again whenever those change); follows the chats the console asks for, from the last
    message it has; carries the agent's messages, typing, answers, ends and availability."""

    async def connect(self):
        self.following_init()
        self.signed_in = False
        if not await access.agent_admitted(self):
            return
        self.signed_in = True
        await self.follow(live.agent_topic(self.user.pk), after=None, replay=None)
        await self.seen()
        await self.send_json({"type": "hello", **await self.status()})
        await self.follow(live.MESSAGES_LEFT, after=None, replay=None)
        await self.send_chats()
        await self.send_canned()
        await self.send_messages_left()

    async def disconnect(self, code):
        self.unfollow_all()
        if getattr(self, "signed_in", False):
            # Another console of the agent's, if any, says it is there at its next ping.
            await self.seen(connected=False)

    async def deliver(self, message: Published) -> None:
        if message.topic == live.agent_topic(self.user.pk):
            # Their chats changed, and maybe their status (set away after leaving one waiting).
            await self.send_json({"type": "status", **await self.status()})
            await self.send_chats()
        elif message.topic == live.MESSAGES_LEFT:
            await self.send_messages_left()
        else:
            await super().deliver(message)

    async def maybe_missed(self) -> None:
        await super().maybe_missed()
        await self.send_chats()
        await self.send_messages_left()

    async def send_messages_left(self) -> None:
        left = await database_sync_to_async(left_messages.messages_open)(user_id=self.user.pk)
        await self.send_json({"type": "messages-left", "messages": left})

    async def send_chats(self) -> None:
        chats = await database_sync_to_async(selectors.agent_chats)(user_id=self.user.pk)
        await self.send_json({"type": "chats", "chats": chats})

    async def on_ping(self, message: dict) -> None:
        await self.seen()
        await self.send_json({"type": "pong"})

    async def on_available(self, message: dict) -> None:
        available = message.get("available")
        if not isinstance(available, bool):
            raise ProtocolError(400, "available must be true or false")
        await database_sync_to_async(services.agent_set_available)(
            user=self.user, available=available
        )
        await self.send_json({"type": "status", **await self.status()})

    async def on_follow(self, message: dict) -> None:
        chat_id = await self.own_chat(message)
        await self.chat_follow(chat_id, after=sequence_number(message.get("after", 0), "after"))

    async def on_message(self, message: dict) -> None:
        chat_id = await self.own_chat(message)
        text = message.get("text")
        if not isinstance(text, str):
            raise ProtocolError(400, "text must be a string")
        await database_sync_to_async(services.message_post)(
            chat_id=chat_id, sender=Sender.AGENT, text=text, agent=self.user
        )
        await self.caught_up(live.chat_topic(chat_id))

    async def on_typing(self, message: dict) -> None:
        chat_id = await self.own_chat(message)
        await push([live.typing_frame(chat_id, Sender.AGENT)])

    async def on_answer(self, message: dict) -> None:
        chat_id = await self.own_chat(message)
        await database_sync_to_async(services.chat_answer)(chat_id=chat_id, agent=self.user)
        await self.caught_up(live.chat_topic(chat_id))

    async def on_end(self, message: dict) -> None:
        chat_id = await self.own_chat(message)
        await database_sync_to_async(services.chat_end)(
            chat_id=chat_id, by=Sender.AGENT, agent=self.user
        )
        await self.caught_up(live.chat_topic(chat_id))

    async def on_read(self, message: dict) -> None:
        chat_id = await self.own_chat(message)
        await database_sync_to_async(services.chat_read)(
            chat_id=chat_id, agent=self.user, seq=message.get("seq")
        )

    async def on_agents(self, message: dict) -> None:
        """Whom the chat may be passed to."""
        chat_id = await self.own_chat(message)
        agents = await database_sync_to_async(services.transfer_targets)(
            chat_id=chat_id, agent=self.user
        )
        await self.send_json({"type": "agents", "chat": chat_id, "agents": agents})

    async def on_transfer(self, message: dict) -> None:
        chat_id = await self.own_chat(message)
        await database_sync_to_async(services.chat_transfer)(
            chat_id=chat_id,
            agent=self.user,
            to_user_id=message.get("to"),
            note=message.get("note", ""),
        )
        self.unfollow(live.chat_topic(chat_id))
        await self.send_json({"type": "transferred", "chat": chat_id})

    async def on_canned_save(self, message: dict) -> None:
        try:
            await database_sync_to_async(canned.canned_save)(
                user=self.user, shortcut=message.get("shortcut"), text=message.get("text")
            )
        except canned.CannedRefused as exc:
            raise ProtocolError(400, exc.message) from None
        await self.send_canned()

    async def on_canned_delete(self, message: dict) -> None:
        await database_sync_to_async(canned.canned_delete)(
            user=self.user, shortcut=message.get("shortcut")
        )
        await self.send_canned()

    async def on_take(self, message: dict) -> None:
        """The agent answers these messages left (`ids`)."""
        ids = message_ids(message)
        await database_sync_to_async(left_messages.messages_take)(ids=ids, user=self.user)

    async def on_answered(self, message: dict) -> None:
        ids = message_ids(message)
        await database_sync_to_async(left_messages.messages_answered)(ids=ids, user=self.user)

    async def send_canned(self) -> None:
        replies = await database_sync_to_async(canned.canned_for)(user_id=self.user.pk)
        await self.send_json({"type": "canned", "responses": replies})

    async def own_chat(self, message: dict) -> str:
        chat_id = message.get("chat")
        if not isinstance(chat_id, str) or not chat_id:
            raise ProtocolError(400, "chat must be a chat ID")
        if live.chat_topic(chat_id) in self.followed:
            return chat_id
        chat = await database_sync_to_async(selectors.chat_for_agent)(
            chat_id=chat_id, user_id=self.user.pk
        )
        if chat is None:
            raise ProtocolError(404, "no such chat of yours")
        return chat_id

    async def status(self) -> dict:
        status = await database_sync_to_async(selectors.agent_status)(user_id=self.user.pk)
        return {
            "agent": {"id": self.user.pk, "name": live.display_name(self.user)},
            "available": status.available,
            "maxChats": status.max_chats,
        }

    async def seen(self, *, connected: bool = True) -> None:
        await database_sync_to_async(services.agent_seen)(user=self.user, connected=connected)
