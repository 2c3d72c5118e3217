import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from gwe import tracker
from gwe.origins import origin_allowed, scope_header
from gwe.protocol import ProtocolError, decode


class TrackerConsumer(AsyncWebsocketConsumer):
    """One browser tab's tracker: each message in, one reply out (docs/tracker-protocol.md)."""

    async def connect(self):
        if not origin_allowed(scope_header(self.scope, b"origin")):
            await self.close()  # before accept: the handshake is refused with 403
            return
        self.user_agent = scope_header(self.scope, b"user-agent") or ""
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None):
        raw = text_data if text_data is not None else bytes_data
        try:
            message = decode(raw, max_bytes=settings.GWE_TRACKER_MAX_BYTES)
            reply = await self.handle(message)
        except ProtocolError as exc:
            reply = exc.as_reply()
        await self.send(text_data=json.dumps(reply))

    @database_sync_to_async
    def handle(self, message):
        return tracker.handle(message, user_agent=self.user_agent)


class NoopConsumer(AsyncWebsocketConsumer):
    """The benchmarks' baseline: a socket that answers without doing any work."""

    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data='{"type":"ack"}')
