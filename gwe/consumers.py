import json
import math
import time
from collections.abc import Awaitable, Callable

from channels.generic.http import AsyncHttpConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from gwe import tracker
from gwe.commits import written
from gwe.limits import limits, per_socket, scope_client
from gwe.protocol import ProtocolError, decode, parse_poll, parse_received, parse_subscribe
from notifications.consumers import DirectDispatch
from notifications.longpoll import LongPollConsumer, compose
from notifications.origins import origin_allowed, refused_without_origin, scope_header
from notifications.subscriber import NotificationSubscriber
from notifications.topics import visit_topic

# A page this socket started live this recently is seen by the database already (page_start).
JUST_STARTED_SECONDS = 2.0


class TrackerConsumer(DirectDispatch, NotificationSubscriber, AsyncWebsocketConsumer):
    """One browser tab's tracker: each message in, one reply out (docs/tracker-protocol.md),
    and the notifications of the tab's visit pushed to it."""

    async def connect(self):
        if await refused_without_origin(self):
            return
        if not origin_allowed(scope_header(self.scope, b"origin")):
            await self.close()  # before accept: the handshake is refused with 403
            return
        self.user_agent = scope_header(self.scope, b"user-agent") or ""
        self.client = scope_client(self.scope)
        self.allowance = per_socket()  # GWE_LIMIT_MESSAGES_PER_SECOND
        self.pages = {}
        self.started: tuple[str, float] | None = None  # the page it last started, and when
        await self.accept()

    async def disconnect(self, code):
        await self.notifications_unsubscribe()

    async def receive(self, text_data=None, bytes_data=None):
        raw = text_data if text_data is not None else bytes_data
        try:
            if wait := self.allowance.take(None):
                raise ProtocolError(429, "too many messages on this socket", retry_after=wait)
            message = decode(raw, max_bytes=settings.GWE_TRACKER_MAX_BYTES)
            kind = message.get("type") if isinstance(message, dict) else None
            if kind == "received":
                self.notifications_received(parse_received(message))
                return
            if kind == "subscribe":
                reply = await self.subscribe(message)
            else:
                reply = await self.handle(message)
                if reply.get("type") == "ids":
                    self.started = (reply["pageID"], time.monotonic())
        except ProtocolError as exc:
            reply = exc.as_reply()
        await self.send(text_data=json.dumps(reply))

    async def subscribe(self, message: dict) -> dict:
        visit_id, page_id, last_seq = parse_subscribe(message)
        page, started_at = self.started or ("", 0.0)
        last_seq = await self.notifications_subscribe(
            visit_id=visit_id,
            page_id=page_id,
            last_seq=last_seq,
            seen_now=page == page_id and time.monotonic() - started_at < JUST_STARTED_SECONDS,
        )
        return {"type": "subscribed", "pageID": page_id, "lastSeq": last_seq}

    async def handle(self, message):
        return await written(
            tracker.handle,
            message,
            user_agent=self.user_agent,
            pages=self.pages,
            live=True,
            client=self.client,
        )


class TrackerHttp:
    """What the tracker's HTTP endpoints share: the origin check, CORS, POST only.

    Consumers rather than Django views: they are the hot path, and Django's middleware
    would add a dozen thread switches to every beacon. So they answer CORS themselves. Any
    content type is read as JSON: a `text/plain` body needs no preflight."""

    scope: dict
    send_response: Callable[..., Awaitable[None]]
    client: str  # who is asking (gwe/limits.py), read once per request

    async def handle(self, body: bytes) -> None:
        origin = scope_header(self.scope, b"origin")
        if not origin_allowed(origin):
            await self.reply(403, {"error": "this origin may not send tracking data"}, origin=None)
            return
        method = self.scope["method"]
        if method == "OPTIONS":
            await self.send_response(204, b"", headers=self.cors_headers(origin, preflight=True))
            return
        if method != "POST":
            allow = [(b"Allow", b"POST, OPTIONS")]
            await self.reply(405, {"error": "use POST"}, origin=origin, headers=allow)
            return
        self.client = scope_client(self.scope)
        if wait := limits().http.take(self.client):
            refusal = {"error": "too many requests from this address: wait and send again"}
            await self.reply(429, refusal, origin=origin, retry_after=wait)
            return
        await self.answer(body, origin=origin)

    async def answer(self, body: bytes, *, origin: str | None) -> None:
        raise NotImplementedError

    async def reply(
        self,
        status: int,
        body: dict | bytes,
        *,
        origin: str | None,
        retry_after: float | None = None,
        headers: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        headers = [
            (b"Content-Type", b"application/json"),
            *self.cors_headers(origin),
            *(headers or []),
        ]
        if retry_after is not None:
            headers.append((b"Retry-After", str(math.ceil(retry_after)).encode()))
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        await self.send_response(status, raw, headers=headers)

    @staticmethod
    def cors_headers(origin: str | None, *, preflight: bool = False) -> list[tuple[bytes, bytes]]:
        if not origin:
            return []
        headers = [(b"Access-Control-Allow-Origin", origin.encode()), (b"Vary", b"Origin")]
        if preflight:
            headers += [
                (b"Access-Control-Allow-Methods", b"POST, OPTIONS"),
                (b"Access-Control-Allow-Headers", b"Content-Type"),
                (b"Access-Control-Max-Age", b"86400"),
            ]
        return headers


class TrackerHttpConsumer(TrackerHttp, DirectDispatch, AsyncHttpConsumer):
    """The tracker over HTTP: the fallback when WebSockets are blocked, and beacons."""

    async def answer(self, body: bytes, *, origin: str | None) -> None:
        try:
            message = decode(body, max_bytes=settings.GWE_TRACKER_MAX_BYTES)
            user_agent = scope_header(self.scope, b"user-agent") or ""
            replies = await written(
                tracker.handle_batch,
                message,
                user_agent=user_agent,
                client=self.client,
            )
        except ProtocolError as exc:
            await self.reply(exc.status, {"error": exc.message}, origin=origin)
        except tracker.BatchError as exc:
            refused = {"error": exc.error.message, "index": exc.index}
            await self.reply(
                exc.error.status, refused, origin=origin, retry_after=exc.error.retry_after
            )
        else:
            await self.reply(200, {"replies": replies}, origin=origin)


class TrackerPollConsumer(TrackerHttp, NotificationSubscriber, LongPollConsumer):
    """The page's notifications over HTTP, when it cannot keep a WebSocket: one long poll is
    one subscription (docs/tracker-protocol.md). Between polls the page stays open for the
    presence grace period, as a socket that reconnects does."""

    async def answer(self, body: bytes, *, origin: str | None) -> None:
        try:
            poll = parse_poll(decode(body, max_bytes=settings.GWE_TRACKER_MAX_BYTES))
        except ProtocolError as exc:
            await self.reply(exc.status, {"error": exc.message}, origin=origin)
            return
        await self.notifications_subscribe(
            visit_id=poll.visit_id, page_id=poll.page_id, last_seq=poll.last_seq
        )
        self.notifications_received(poll.received)
        if not await self.wait_for_items():
            return  # the page went away: disconnect() ends the subscription
        frames, last_seq = await self.take(visit_topic(poll.visit_id))
        await self.notifications_unsubscribe()
        answer = compose({"type": "poll", "lastSeq": last_seq}, "notifications", frames)
        await self.reply(200, answer, origin=origin)

    async def disconnect(self) -> None:
        await self.notifications_unsubscribe()


class NoopConsumer(DirectDispatch, AsyncWebsocketConsumer):
    """The benchmarks' baseline: a socket that answers without doing any work."""

    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data='{"type":"ack"}')


class NoopHttpConsumer(DirectDispatch, AsyncHttpConsumer):
    """The benchmarks' baseline over HTTP: the tracker's path, without the work."""

    async def handle(self, body: bytes) -> None:
        await self.send_response(
            200, b'{"replies":[]}', headers=[(b"Content-Type", b"application/json")]
        )
