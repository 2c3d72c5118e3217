"""`POST /server/data/notification/notify/{visitID}`: how contact-center systems push.

The REST API's hot path, so an ASGI consumer rather than a Django view: authentication,
validation and the stored write run with the other writes of the moment (gwe/commits.py),
and the push goes out on the event loop once that has committed. The checks are the REST
API's own: its header authentication classes (Basic, Token), the notifications.add_notification
permission, the checks of NotifyItemSerializer (notifications/validation.py).
Once stored, notifications are accepted (202) whether or not the bus can push them now.
Under daphne a Django view would add a request object, middleware and a thread per request,
more than the notify itself costs (docs/benchmarks.md).
"""

import json
import math
from dataclasses import dataclass

from channels.exceptions import StopConsumer
from channels.generic.http import AsyncHttpConsumer
from django.conf import settings
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication
from rest_framework.settings import api_settings

from gwe.api_params import VISIT_ID
from gwe.commits import written
from gwe.json_input import MalformedJSON, loads
from gwe.limits import scope_client
from notifications import services, validation
from notifications.bus import Published
from notifications.consumers import DirectDispatch
from notifications.frames import published
from notifications.origins import scope_header
from notifications.push import push


class Refused(Exception):
    def __init__(self, status: int, body: dict, headers: list | None = None):
        super().__init__(body.get("error"))
        self.status, self.body, self.headers = status, body, headers or []


@dataclass
class HeaderRequest:
    """What the REST API's header authentication classes read of a request."""

    authorization: str
    client: str  # gwe/limits.py: who is asking, for the count of wrong passwords

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": self.authorization}

    @property
    def META(self) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": self.authorization, "REMOTE_ADDR": self.client}


class NotifyConsumer(DirectDispatch, AsyncHttpConsumer):
    received_bytes = 0

    async def http_request(self, message):
        # Refuse an oversized body as soon as it is known to be, without reading it all.
        self.received_bytes += len(message.get("body", b""))
        declared = scope_header(self.scope, b"content-length") or "0"
        limit = settings.GWE_NOTIFY_MAX_BYTES
        if self.received_bytes > limit or (declared.isdigit() and int(declared) > limit):
            await self.reply(too_large(f"request body is larger than {limit} bytes"))
            raise StopConsumer()
        await super().http_request(message)

    async def handle(self, body: bytes) -> None:
        if self.scope["method"] != "POST":
            await self.reply(Refused(405, {"error": "use POST"}, [(b"Allow", b"POST")]))
            return
        try:
            messages, replayed = await written(self.accept, body)
        except Refused as refusal:
            await self.reply(refusal)
            return
        if replayed:  # the same Idempotency-Key again: stored (and pushed) the first time
            headers = [(b"Idempotent-Replayed", b"true")]
            await self.respond(202, {"ids": [m.id for m in messages]}, headers)
            return
        # Stored: pushed now, or read by the pages from the database when the bus is back.
        await push(messages)
        await self.respond(202, {"ids": [m.id for m in messages]})

    def accept(self, body: bytes) -> tuple[list[Published], bool]:
        """Authenticate, authorize, validate and store, all or nothing."""
        visit_id = self.scope["url_route"]["kwargs"]["visit_id"]
        user = self.authenticate()
        if not user.has_perm("notifications.add_notification"):
            raise Refused(403, {"error": "You do not have permission to perform this action."})
        if not VISIT_ID.well_formed(visit_id):
            raise Refused(400, {"error": "invalid input", "fields": VISIT_ID.refusal})
        key = self.idempotency_key()
        messages = self.parse(body)
        replayed = False
        try:
            if key:
                notifications, replayed = services.notify_once(
                    visit_id=visit_id, messages=messages, user_id=user.pk, key=key
                )
            else:
                notifications = services.notifications_store(visit_id=visit_id, messages=messages)
        except services.UnknownTarget as exc:
            raise Refused(404, {"error": str(exc)}) from None
        except services.KeyReused as exc:
            raise Refused(409, {"error": str(exc)}) from None
        return [published(n) for n in notifications], replayed

    def idempotency_key(self) -> str:
        """The request's `Idempotency-Key`, if any: 1 to 255 visible ASCII characters."""
        key = scope_header(self.scope, b"idempotency-key")
        if key is None:
            return ""
        if not 0 < len(key) <= 255 or not key.isascii() or not key.isprintable():
            raise Refused(400, {"error": "Idempotency-Key must be 1 to 255 visible characters"})
        return key

    def authenticate(self):
        request = HeaderRequest(
            scope_header(self.scope, b"authorization") or "", scope_client(self.scope)
        )
        authenticators = [
            cls()
            for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES
            if not issubclass(cls, SessionAuthentication)  # server to server: no cookies
        ]
        try:
            for authenticator in authenticators:
                if (result := authenticator.authenticate(request)) is not None:
                    return result[0]
        except exceptions.AuthenticationFailed as exc:
            raise self.unauthorized(str(exc.detail), authenticators) from None
        except exceptions.Throttled as exc:
            wait = str(math.ceil(exc.wait or 1)).encode()
            raise Refused(429, {"error": str(exc.detail)}, [(b"Retry-After", wait)]) from None
        raise self.unauthorized("Authentication credentials were not provided.", authenticators)

    def unauthorized(self, message: str, authenticators: list) -> Refused:
        challenge = authenticators[0].authenticate_header(None).encode()
        return Refused(401, {"error": message}, [(b"WWW-Authenticate", challenge)])

    def parse(self, body: bytes) -> list[services.NotifyMessage]:
        try:
            items = loads(body)
        except MalformedJSON as exc:
            raise Refused(400, {"error": str(exc)}) from None
        items = items if isinstance(items, list) else [items]
        if len(items) > settings.GWE_NOTIFY_MAX_MESSAGES:
            raise too_large(f"more than {settings.GWE_NOTIFY_MAX_MESSAGES} messages")
        if not items:
            raise Refused(400, {"error": "send at least one message"})
        try:
            return validation.notify_messages(items, origin=self.own_origin())
        except validation.Invalid as invalid:
            raise Refused(400, {"error": "invalid input", "fields": invalid.errors}) from None

    def own_origin(self) -> str:
        host = scope_header(self.scope, b"host") or "{}:{}".format(
            *self.scope.get("server", ("", ""))
        )
        return f"{self.scope.get('scheme', 'http')}://{host}".lower()

    async def reply(self, refusal: Refused) -> None:
        await self.respond(refusal.status, refusal.body, refusal.headers)

    async def respond(self, status: int, body: dict, headers: list | None = None) -> None:
        headers = [(b"Content-Type", b"application/json"), *(headers or [])]
        await self.send_response(status, json.dumps(body).encode(), headers=headers)


def too_large(message: str) -> Refused:
    return Refused(413, {"error": message})
