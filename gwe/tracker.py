"""The tracker's messages turned into service calls and replies, whatever the transport."""

from django.conf import settings
from django.db import transaction

from gwe import services
from gwe.limits import limits
from gwe.protocol import ProtocolError, parse_event, parse_page, parse_receipts
from gwe.selectors import tracker_definitions
from gwe.services import PageContext
from gwe.tokens import visit_token
from notifications.services import deliveries_record

MAX_BATCH = 50
PAGES_REMEMBERED = 8  # per socket: the current page and a few before (SPA route changes)


class BatchError(Exception):
    def __init__(self, index: int, error: ProtocolError):
        super().__init__(error.message)
        self.index = index
        self.error = error


def handle(
    message: object,
    *,
    user_agent: str = "",
    pages: dict[str, PageContext] | None = None,
    live: bool = False,
    client: str = "",
) -> dict:
    """The reply to one message; raises ProtocolError when it is refused.

    `pages` is a transport's memory of the pages it started, so that their events need
    no look-up; the HTTP transport has none. `live`: the transport is the page's live
    channel (a WebSocket), so a page it starts can be pushed to at once; over HTTP, a page
    that says it will poll (`poll: true`) is live too."""
    if not isinstance(message, dict):
        raise ProtocolError(400, "a message must be a JSON object")
    kind = message.get("type")
    if kind == "event":
        parsed = parse_event(message)
        context = pages.get(parsed.page_id) if pages is not None else None
        event = services.event_record(message=parsed, context=context)
        return {"type": "ack", "id": event.client_event_id, "eventID": event.pk}
    if kind == "page":
        page = parse_page(message)
        if page.visit_id is None and page.resume_page_id is None:
            _visit_allowed(client)
        started = services.page_start(message=page, user_agent=user_agent, live=live or page.polls)
        if pages is not None:
            pages[started.page.pk] = started.context
            while len(pages) > PAGES_REMEMBERED:
                pages.pop(next(iter(pages)))
        return {
            "type": "ids",
            "visitID": started.visit.pk,
            "visitToken": visit_token(started.visit.pk),
            "globalVisitID": started.visit.global_visit_id,
            "pageID": started.page.pk,
            "token": started.token,
            "newVisit": started.new_visit,
            "resumed": started.resumed,
            "visitTimeout": settings.GWE_VISIT_TIMEOUT_SECONDS,
            "definitions": tracker_definitions(),
        }
    if kind == "received":
        # Over HTTP (a socket's receipts go to its subscription, notifications/subscriber.py).
        visit_id, page_id, ids = parse_receipts(message)
        deliveries_record(receipts={(visit_id, page_id): set(ids)})
        return {"type": "received"}
    if kind == "ping":
        return {"type": "pong"}
    raise ProtocolError(400, f"unknown message type {kind!r}")


def _visit_allowed(client: str) -> None:
    """A page that starts a visit counts against its client's GWE_LIMIT_VISITS_PER_MINUTE."""
    wait = limits().visits.take(client)
    if wait:
        raise ProtocolError(
            429,
            f"too many visits started from {client}: wait {wait:.0f} s",
            retry_after=wait,
        )


def handle_batch(body: object, *, user_agent: str = "", client: str = "") -> list[dict]:
    """Replies to one message or a list of them, all stored or none (BatchError)."""
    messages = body if isinstance(body, list) else [body]
    if not messages:
        raise BatchError(0, ProtocolError(400, "no messages"))
    if len(messages) > MAX_BATCH:
        raise BatchError(MAX_BATCH, ProtocolError(413, f"more than {MAX_BATCH} messages"))
    with transaction.atomic():
        replies = []
        for index, message in enumerate(messages):
            try:
                replies.append(handle(message, user_agent=user_agent, client=client))
            except ProtocolError as exc:
                raise BatchError(index, exc) from exc
        return replies
