"""Writes of the tracking domain: visits, pages, events and identities.

Every transport (WebSocket, HTTP, beacon) calls these, so a page behaves the same
whichever way its messages arrive.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from gwe import sql
from gwe.ids import new_id
from gwe.models import Event, EventType, Identity, Page, Visit
from gwe.protocol import EventMessage, PageMessage, ProtocolError
from gwe.selectors import timer_event_names
from gwe.tokens import page_token
from invitations import engine
from invitations.services import engagements_follow

IDENTITY_EVENTS = {"UserInfo", "SignIn"}
IDENTITY_KEYS = ("identityID", "userID", "userId", "email")
CLIENT_SYSTEM_EVENTS = {"PageExited", "ConsentWithdrawn"}  # what a page may send as SYSTEM


@dataclass(frozen=True)
class PageStarted:
    visit: Visit
    page: Page
    token: str
    new_visit: bool
    resumed: bool = False

    @property
    def context(self) -> "PageContext":
        return PageContext.of(self.page)


# All or nothing, in the caller's transaction when there is one (a savepoint of its own would
# cost two more round trips to the database for every page and event: the group commit
# already gives each write one, gwe/commits.py).
@transaction.atomic(savepoint=False)
def page_start(*, message: PageMessage, user_agent: str = "", live: bool) -> PageStarted:
    """Start a page view, in the visit the page names if it is still active, else a new one.
    `live`: the page has a live channel to receive what GWE pushes (its transport says so),
    so that it is open from the start (rules may invite it on PageEntered)."""
    if message.resume_page_id:
        resumed = _page_resume(message, live=live)
        if resumed is not None:
            return resumed
    now = timezone.now()
    visit = _active_visit(message.visit_id, now) if message.visit_id else None
    new_visit = visit is None
    if visit is None:
        visit = Visit(
            global_visit_id=message.global_visit_id or new_id(),
            start_time=min(now, message.timestamp),
            last_activity=now,
            user_agent=user_agent[:512],
            language_code=message.language_code,
        )
        sql.insert([visit])
    else:
        Visit.objects.filter(pk=visit.pk).update(last_activity=now)
    page = Page(
        visit=visit,
        url=message.url,
        title=message.title,
        referrer=message.referrer,
        start_time=message.timestamp,
        seen_at=now if live else None,
    )
    sql.insert([page])
    entered = _system_event("PageEntered", visit=visit, page=page, when=message.timestamp)
    if new_visit:
        # A microsecond apart, so that the history lists them in the order they happened.
        started = _system_event("VisitStarted", visit=visit, page=page, when=message.timestamp)
        entered.timestamp += timedelta(microseconds=1)
        sql.insert([started, entered])
    else:
        sql.insert([entered])
    engine.on_event(entered)
    if not new_visit:
        engagements_follow(page=page)
    return PageStarted(
        visit=visit,
        page=page,
        token=page_token(visit_id=visit.pk, page_id=page.pk),
        new_visit=new_visit,
    )


def _page_resume(message: PageMessage, *, live: bool) -> PageStarted | None:
    """The page a reconnecting tracker names, if its visit is still active."""
    page = (
        Page.objects.select_related("visit")
        .filter(pk=message.resume_page_id, visit_id=message.resume_visit_id)
        .first()
    )
    if page is None or not page.visit.is_active():
        return None
    now = timezone.now()
    Visit.objects.filter(pk=page.visit_id).update(last_activity=now)
    if live:
        Page.objects.filter(pk=page.pk).update(seen_at=now)
        page.seen_at = now
    return PageStarted(
        visit=page.visit,
        page=page,
        token=page_token(visit_id=page.visit_id, page_id=page.pk),
        new_visit=False,
        resumed=True,
    )


def _active_visit(visit_id: str, now: datetime) -> Visit | None:
    visit = Visit.objects.select_for_update().filter(pk=visit_id).first()
    if visit is None:
        return None
    if visit.is_active(now):
        return visit
    if visit.end_time is None:
        Visit.objects.filter(pk=visit.pk).update(end_time=visit.last_activity)
    return None


def _system_event(name: str, *, visit: Visit, page: Page, when: datetime) -> Event:
    return Event(
        event_type=EventType.SYSTEM,
        event_name=name,
        visit=visit,
        page=page,
        timestamp=when,
        url=page.url,
        title=page.title,
        referrer=page.referrer,
        category=engine.categories_of_page(url=page.url, title=page.title),
        language_code=visit.language_code,
    )


@dataclass
class PageContext:
    """What an event needs to know of its page. A WebSocket keeps one per page, so that
    an event costs a single INSERT; `last_activity` is what this process last knew."""

    visit_id: str
    page_id: str
    url: str
    title: str
    referrer: str
    language_code: str
    identity_id: str | None
    last_activity: datetime

    @classmethod
    def of(cls, page: Page) -> "PageContext":
        visit = page.visit
        return cls(
            visit_id=visit.pk,
            page_id=page.pk,
            url=page.url,
            title=page.title,
            referrer=page.referrer,
            language_code=visit.language_code,
            identity_id=visit.identity_id,
            last_activity=visit.last_activity,
        )


def page_context(*, visit_id: str, page_id: str) -> PageContext:
    page = Page.objects.select_related("visit").filter(pk=page_id, visit_id=visit_id).first()
    if page is None:
        raise ProtocolError(404, "unknown page")
    return PageContext.of(page)


@transaction.atomic
def events_record(
    *, messages: list[EventMessage], context: PageContext | None = None
) -> list[Event]:
    """Store events, all or none. A resent event (same page and client id) is returned
    as first stored, not stored again. `context` saves looking the page up."""
    return [_event_record(message, context) for message in messages]


def event_record(*, message: EventMessage, context: PageContext | None = None) -> Event:
    """One event. In the caller's transaction when there is one (the group commit gives each
    write a savepoint: gwe/commits.py), with no savepoint of its own: what may refuse the
    event (an unknown page, a server's event, an expired visit) is found before it writes."""
    if transaction.get_connection().in_atomic_block:
        return _event_record(message, context)
    return events_record(messages=[message], context=context)[0]


def _event_record(message: EventMessage, context: PageContext | None) -> Event:
    if context is None or context.page_id != message.page_id:
        try:
            context = page_context(visit_id=message.visit_id, page_id=message.page_id)
        except ProtocolError as exc:
            exc.event_id = message.client_id
            raise
    _check_event_type(message)
    _keep_visit_alive(context, message)
    url, title = message.url or context.url, message.title or context.title
    event = Event(
        event_type=message.event_type,
        event_name=message.event_name,
        visit_id=context.visit_id,
        page_id=context.page_id,
        timestamp=message.timestamp,
        url=url,
        title=title,
        referrer=context.referrer,
        category=engine.categories_of_page(url=url, title=title),
        language_code=context.language_code,
        data=message.data,
        client_event_id=message.client_id,
    )
    if not message.client_time and (stored := _stored_before(event)):
        return stored
    if not sql.insert_unless_there(event, ("page", "client_event_id", "timestamp")):
        # Sent before and stored: the acknowledgement was lost (reconnect, beacon).
        return Event.objects.get(
            page_id=event.page_id, client_event_id=event.client_event_id, timestamp=event.timestamp
        )
    if message.event_name == "PageExited":
        Page.objects.filter(pk=context.page_id, end_time__isnull=True).update(
            end_time=message.timestamp
        )
    if message.event_name in IDENTITY_EVENTS:
        identity = identity_link(visit_id=context.visit_id, attributes=message.data)
        context.identity_id = identity.pk if identity else context.identity_id
    engine.on_event(event)
    return event


def _stored_before(event: Event) -> Event | None:
    """The event of the same page and client id stored before, whatever its time."""
    earlier = Event.objects.filter(page_id=event.page_id, client_event_id=event.client_event_id)
    return earlier.first()


def _keep_visit_alive(context: PageContext, message: EventMessage) -> None:
    """Refuse events of an expired visit (410); otherwise record its activity, at most
    every few seconds: touching the visit on every event would double the writes."""
    now = timezone.now()
    since = now - context.last_activity
    if since <= _touch_interval():
        return
    timeout = timedelta(seconds=settings.GWE_VISIT_TIMEOUT_SECONDS)
    touched = Visit.objects.filter(
        pk=context.visit_id, end_time__isnull=True, last_activity__gt=now - timeout
    ).update(last_activity=now)
    if not touched:
        raise ProtocolError(
            410, "the visit has expired; start a new page", event_id=message.client_id
        )
    transaction.on_commit(lambda: setattr(context, "last_activity", now))


def _touch_interval() -> timedelta:
    return timedelta(seconds=min(15.0, settings.GWE_VISIT_TIMEOUT_SECONDS / 10))


def _check_event_type(message: EventMessage) -> None:
    if message.event_type != EventType.SYSTEM:
        return
    if message.event_name in CLIENT_SYSTEM_EVENTS or message.event_name in timer_event_names():
        return
    raise ProtocolError(
        400,
        f"{message.event_name} is not a SYSTEM event a page may send",
        event_id=message.client_id,
    )


def identity_link(*, visit_id: str, attributes: dict) -> Identity | None:
    """Tie the visit to the identity the site names in a SignIn/UserInfo event."""
    key = next((attributes[k] for k in IDENTITY_KEYS if attributes.get(k)), None)
    if key is None:
        return None
    now = timezone.now()
    identity, created = Identity.objects.get_or_create(
        pk=str(key)[:190], defaults={"attributes": attributes, "first_seen": now, "last_seen": now}
    )
    if not created:
        identity.attributes = {**identity.attributes, **attributes}
        identity.last_seen = now
        identity.save(update_fields=["attributes", "last_seen"])
    Visit.objects.filter(pk=visit_id).exclude(identity=identity).update(identity=identity)
    return identity


def visits_close_expired(*, now: datetime | None = None) -> int:
    """Record the end of every visit that has been inactive past the timeout."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.GWE_VISIT_TIMEOUT_SECONDS)
    expired = Visit.objects.filter(end_time__isnull=True, last_activity__lte=cutoff)
    return expired.update(end_time=F("last_activity"))
