"""A chat the visitor asks for (`_gt.push(['chat'])`, or the launcher button): reactive, so
the attached data has no `webengagement` (SPEC §5). It is let through with the channel's
`reactiveState` probability (pacing, SPEC §8); when it is not, or nobody can answer, the
visitor is offered to leave a message. Recorded in the visit's history as an invitation's
engagement is (`EngagementStarted` / `EngagementFailed`, with `reactive: true`)."""

import random
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy

from gwe.models import Event, EventType, Page
from gwe.tokens import BadToken, page_token_read
from invitations.pacing_state import UnknownChannel, channel_pace
from invitations.services import adapter_bug, failure_shown, openable, page_context
from media_adapters.base import AdapterError, Engagement
from media_adapters.gwe_chat import left_messages
from media_adapters.registry import adapter

BUSY = gettext_lazy("Every adviser is busy right now.")


class ChatRefused(Exception):
    """The request itself is wrong (a token not ours, a page that does not exist)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def visitor_chat_start(*, token: str, draw=random.random) -> dict[str, Any]:
    """What the visitor's chat frame opens: `{"status": "started", "url", ...}`, or
    `{"status": "failed", "error", "instead"?}`."""
    try:
        visit_id, page_id = page_token_read(token)
    except BadToken as exc:
        raise ChatRefused(403, str(exc)) from None
    page = Page.objects.filter(pk=page_id, visit_id=visit_id).select_related("visit").first()
    if page is None:
        raise ChatRefused(404, "no such page")
    channel = settings.GWE_VISITOR_CHAT_CHANNEL
    try:
        if draw() >= _probability(channel):
            raise AdapterError(BUSY, permanent=False, detail="held back by reactiveState")
        found = adapter(channel)
        context = page_context(page, found.template_options({}), proactive=False)
        engagement = openable(found.start(context))
    except AdapterError as failure:
        return _recorded(page, channel, failure=failure)
    except Exception as exc:  # an adapter's bug must not leave the visitor without an answer
        return _recorded(page, channel, failure=adapter_bug(channel, exc))
    return _recorded(page, channel, engagement=engagement)


def _probability(channel: str) -> float:
    try:
        return channel_pace(channel).reactive_probability
    except UnknownChannel:
        return 1.0


def _recorded(
    page: Page,
    channel: str,
    *,
    engagement: Engagement | None = None,
    failure: AdapterError | None = None,
) -> dict[str, Any]:
    if engagement is not None and engagement.url:
        shown: dict[str, Any] = {"status": "started", **engagement.for_visitor()}
        name, extra = "EngagementStarted", {"reference": engagement.reference}
    else:
        failure = failure or AdapterError(
            "Sorry, we cannot connect you right now.", permanent=True, detail="no URL to open"
        )
        shown = failure_shown(failure, instead=_leave_a_message(page, channel))
        name, extra = "EngagementFailed", {"reason": failure.detail}
    Event.objects.create(
        event_type=EventType.SYSTEM,
        event_name=name,
        visit_id=page.visit_id,
        page_id=page.pk,
        timestamp=timezone.now(),
        url=page.url,
        title=page.title,
        data={"adapter": channel, "reactive": True, **extra},
    )
    return shown


def _leave_a_message(page: Page, channel: str) -> Engagement:
    """The built-in chat's *leave a message* form, for a chat held back before it started."""
    url = left_messages.message_page(
        visit_id=page.visit_id, page_id=page.pk, alias=channel, language=get_language()
    )
    return Engagement(text=str(BUSY), url=url, open=Engagement.Open.EMBED)
