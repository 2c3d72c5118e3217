"""Visits, pages and events made the way the tracker makes them, through the services; and
engagement rules as the admin saves them."""

import itertools

from django.utils import timezone

from gwe import services
from gwe.protocol import parse_event, parse_page
from gwe.tokens import visit_token
from invitations.config import forget_configuration
from invitations.models import EngagementRule, InvitationTemplate

_client_ids = itertools.count(1)


def start_page(
    url: str = "https://shop.example/", *, live: bool = True, **fields
) -> services.PageStarted:
    """A page as the tracker's socket starts it (live: GWE can push to it at once). Given a
    `visitID`, it holds the visit's token as the browser's cookie would."""
    if fields.get("visitID") and "visitToken" not in fields:
        fields["visitToken"] = visit_token(fields["visitID"])
    return services.page_start(
        message=parse_page({"type": "page", "url": url, **fields}), live=live
    )


def record_event(started: services.PageStarted, name: str = "AddToCart", **fields):
    message = {
        "type": "event",
        "token": started.token,
        "id": f"c-{next(_client_ids)}",
        "eventName": name,
        "timestamp": timezone.now().timestamp() * 1000,  # as the tracker sends it
        **fields,
    }
    return services.event_record(message=parse_event(message))


def rule(name: str | None = None, *, template: str = "invite", **conditions) -> EngagementRule:
    """An enabled rule offering `template`; the engine sees it at once."""
    made = EngagementRule.objects.create(
        name=name or f"rule {EngagementRule.objects.count() + 1}",
        template=InvitationTemplate.objects.get(slug=template),
        **conditions,
    )
    forget_configuration()
    return made
