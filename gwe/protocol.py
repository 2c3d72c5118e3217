"""Parsing and validation of the tracker's messages (docs/tracker-protocol.md).

Everything a page sends is checked here, before anything is stored, so that a
malformed message is refused whole with a clear reason.
"""

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils import timezone

from gwe.ids import is_valid_id
from gwe.json_input import MalformedJSON, loads
from gwe.models import SERVER_EVENTS, EventType
from gwe.tokens import BadToken, page_token_read, visit_token_names
from gwe.validators import EVENT_NAME

MAX_URL = 2048
# The largest whole number a browser's JSON keeps exactly, and far within what a database
# column holds (a larger one was an OverflowError in the query: 500).
MAX_SEQ = 2**53 - 1
MAX_TITLE = 512
MAX_CLIENT_ID = 64
MAX_DATA_KEYS = 100
CLOCK_SKEW_AHEAD = timedelta(minutes=1)
CLOCK_SKEW_BEHIND = timedelta(days=1)


class ProtocolError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        event_id: str | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.event_id = event_id
        self.retry_after = retry_after  # seconds, for a 429

    def as_reply(self) -> dict:
        reply: dict = {"type": "error", "status": self.status, "message": self.message}
        if self.event_id is not None:
            reply["id"] = self.event_id
        if self.retry_after is not None:
            reply["retryAfter"] = math.ceil(self.retry_after)
        return reply


@dataclass(frozen=True)
class PageMessage:
    url: str
    title: str = ""
    referrer: str = ""
    language_code: str = ""
    visit_id: str | None = None
    global_visit_id: str | None = None
    resume_page_id: str | None = None
    resume_visit_id: str | None = None
    timestamp: datetime = field(default_factory=timezone.now)
    polls: bool = False  # over HTTP: the page will poll for its notifications (a live channel)


@dataclass(frozen=True)
class EventMessage:
    visit_id: str
    page_id: str
    client_id: str
    event_name: str
    event_type: str
    data: dict
    timestamp: datetime
    url: str | None = None
    title: str | None = None
    # False when the message had no usable time and the server gave it its own: a resend
    # then gets another time, so the event is looked up by its client id first.
    client_time: bool = True


def decode(raw: str | bytes, *, max_bytes: int) -> Any:
    if len(raw) > max_bytes:
        raise ProtocolError(413, f"message is larger than {max_bytes} bytes")
    try:
        return loads(raw)
    except MalformedJSON as exc:
        raise ProtocolError(400, str(exc)) from None


def parse_page(message: dict) -> PageMessage:
    url = _url(message.get("url"), "url", required=True)
    resume_page_id = resume_visit_id = None
    if message.get("token") is not None or message.get("pageID") is not None:
        resume_visit_id, resume_page_id = _token(message.get("token"))
        if message.get("pageID") != resume_page_id:
            raise ProtocolError(403, "pageID does not match the token")
    return PageMessage(
        url=url,
        title=_text(message.get("title"), "title", MAX_TITLE),
        referrer=_url(message.get("referrer"), "referrer", required=False),
        language_code=_text(message.get("languageCode"), "languageCode", 35),
        visit_id=_joined_visit(message),
        global_visit_id=_optional_id(message.get("globalVisitID"), "globalVisitID"),
        resume_page_id=resume_page_id,
        resume_visit_id=resume_visit_id,
        timestamp=_timestamp(message.get("timestamp")),
        polls=_flag(message.get("poll"), "poll"),
    )


def _joined_visit(message: dict) -> str | None:
    """The visit a new page joins: the one it names, if it also holds that visit's token (the
    browser's cookie has both); a new visit otherwise."""
    visit_id = _optional_id(message.get("visitID"), "visitID")
    if visit_id is None or not visit_token_names(message.get("visitToken"), visit_id):
        return None
    return visit_id


def parse_event(message: dict) -> EventMessage:
    client_id = message.get("id")
    if not isinstance(client_id, str) or not 0 < len(client_id) <= MAX_CLIENT_ID:
        raise ProtocolError(400, f"id must be a string of 1 to {MAX_CLIENT_ID} characters")
    try:
        visit_id, page_id = _token(message.get("token"))
        name = message.get("eventName")
        if not isinstance(name, str) or not EVENT_NAME.fullmatch(name):
            raise ProtocolError(
                400,
                "eventName must start with a letter and use letters, digits and _ . : - "
                "(at most 128 characters)",
            )
        if name in SERVER_EVENTS:
            raise ProtocolError(400, f"{name} is recorded by the server: a page may not send it")
        event_type = message.get("eventType", EventType.BUSINESS)
        if event_type not in EventType.values:
            raise ProtocolError(400, "eventType must be BUSINESS or SYSTEM")
        data = message.get("data", {})
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ProtocolError(400, "data must be a JSON object")
        if len(data) > MAX_DATA_KEYS:
            raise ProtocolError(400, f"data has more than {MAX_DATA_KEYS} keys")
        when = _client_time(message.get("timestamp"))
        return EventMessage(
            visit_id=visit_id,
            page_id=page_id,
            client_id=client_id,
            event_name=name,
            event_type=event_type,
            data=data,
            timestamp=when or timezone.now(),
            client_time=when is not None,
            url=_url(message.get("url"), "url", required=False) or None,
            title=_text(message.get("title"), "title", MAX_TITLE) or None,
        )
    except ProtocolError as exc:
        exc.event_id = client_id
        raise


def parse_subscribe(message: dict) -> tuple[str, str, int | None]:
    """(visit_id, page_id, last_seq) of a page asking for its visit's notifications."""
    visit_id, page_id = _token(message.get("token"))
    last_seq = message.get("lastSeq")
    return visit_id, page_id, None if last_seq is None else sequence_number(last_seq, "lastSeq")


def sequence_number(value: object, name: str) -> int:
    """The last number a page or a console has of a topic (lastSeq, after)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEQ:
        raise ProtocolError(400, f"{name} must be a whole number from 0 to {MAX_SEQ}")
    return value


def parse_received(message: dict, *, key: str = "ids") -> list[str]:
    ids = message.get(key)
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids) or len(ids) > 100:
        raise ProtocolError(400, f"{key} must be a list of at most 100 notification ids")
    return ids


def parse_receipts(message: dict) -> tuple[str, str, list[str]]:
    """(visit_id, page_id, ids) of receipts sent by themselves over HTTP: without a socket's
    subscription to say whose they are, the page's token says."""
    visit_id, page_id = _token(message.get("token"))
    return visit_id, page_id, parse_received(message)


@dataclass(frozen=True)
class PollMessage:
    visit_id: str
    page_id: str
    last_seq: int | None
    received: list[str]


def parse_poll(message: object) -> PollMessage:
    """A page's long poll for its notifications: a subscription, and the receipts of what the
    last poll brought."""
    if not isinstance(message, dict):
        raise ProtocolError(400, "a poll must be a JSON object")
    visit_id, page_id, last_seq = parse_subscribe(message)
    received = [] if message.get("received") is None else parse_received(message, key="received")
    return PollMessage(visit_id, page_id, last_seq, received)


def _token(token: object) -> tuple[str, str]:
    try:
        return page_token_read(token)
    except BadToken as exc:
        raise ProtocolError(403, f"bad page token: {exc}") from None


def _flag(value: object, name: str) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ProtocolError(400, f"{name} must be true or false")
    return value


def _optional_id(value: object, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not is_valid_id(value):
        raise ProtocolError(400, f"{name} is not a well-formed id")
    return value  # type: ignore[return-value]


def _text(value: object, name: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ProtocolError(400, f"{name} must be a string")
    return value[:limit]


def _url(value: object, name: str, *, required: bool) -> str:
    if value is None or value == "":
        if required:
            raise ProtocolError(400, f"{name} is required")
        return ""
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ProtocolError(400, f"{name} must be an http(s) URL")
    if len(value) > MAX_URL:
        raise ProtocolError(400, f"{name} is longer than {MAX_URL} characters")
    return value


def _timestamp(value: object) -> datetime:
    return _client_time(value) or timezone.now()


def _client_time(value: object) -> datetime | None:
    """The client's time (milliseconds since the epoch), unless missing or out of bounds (a
    clock that is off: the server's time is taken)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(400, "timestamp must be a number: milliseconds since the epoch")
    try:
        when = datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    now = timezone.now()
    if now - CLOCK_SKEW_BEHIND <= when <= now + CLOCK_SKEW_AHEAD:
        return when
    return None
