"""The life of an invitation: offered → shown → accepted | rejected | timed out | expired |
cancelled. The page reports each step; the server enforces the order and the deadline, and
records every step on the invitation and as a SYSTEM event in the visit's history."""

import logging
import re
from datetime import timedelta
from urllib.parse import urlencode

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from gwe.models import Event, EventType, Page
from invitations.models import (
    PENDING_STATES,
    EngagementRule,
    EngagementStatus,
    Invitation,
    InvitationState,
    InvitationTemplate,
)
from media_adapters.base import AdapterError, Engagement, EngagementContext, MediaAdapter
from media_adapters.registry import adapter
from notifications.models import Notification
from notifications.services import NotifyMessage, notify

logger = logging.getLogger(__name__)

_signer = signing.Signer(salt="gwe.invitation")
CANNOT_CONNECT = gettext_lazy("Sorry, we cannot connect you right now. Please try again later.")
# What an adapter may ask the visitor's browser to open: web pages, telephone links, GWE's own.
SAFE_URL = re.compile(r"^(https?://|tel:|/(?!/))", re.IGNORECASE)
# The page may report a little after the visitor's own timeout (network, a busy tab).
GRACE = timedelta(seconds=15)

EVENT_NAMES: dict[str, str] = {
    InvitationState.OFFERED: "InvitationOffered",
    InvitationState.SHOWN: "InvitationShown",
    InvitationState.ACCEPTED: "InvitationAccepted",
    InvitationState.REJECTED: "InvitationRejected",
    InvitationState.TIMED_OUT: "InvitationTimedOut",
    InvitationState.EXPIRED: "InvitationExpired",
    InvitationState.CANCELLED: "InvitationCancelled",
}
# What may follow what; the steps a page may report.
NEXT: dict[str, set[str]] = {
    InvitationState.OFFERED: {
        InvitationState.SHOWN,
        InvitationState.ACCEPTED,
        InvitationState.REJECTED,
        InvitationState.TIMED_OUT,
    },
    InvitationState.SHOWN: {
        InvitationState.ACCEPTED,
        InvitationState.REJECTED,
        InvitationState.TIMED_OUT,
    },
}
PAGE_STEPS = {
    "shown": InvitationState.SHOWN,
    "accepted": InvitationState.ACCEPTED,
    "rejected": InvitationState.REJECTED,
    "timedout": InvitationState.TIMED_OUT,
}


class StepRefused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def invitation_token(invitation_id: str) -> str:
    return _signer.sign(invitation_id)


def invitation_token_names(token: str, invitation_id: str) -> bool:
    """Whether `token` is the one GWE gave with the invitation (in the page's address)."""
    try:
        return _signer.unsign(token) == invitation_id
    except signing.BadSignature:
        return False


def invitation_offer(
    *,
    page: Page,
    template: InvitationTemplate,
    rule: EngagementRule | None,
    data: dict | None = None,
) -> Invitation:
    """Offer a template to a page: stored, recorded in the history, pushed to the page."""
    now = timezone.now()
    visit = page.visit
    with transaction.atomic():
        invitation = Invitation.objects.create(
            visit=visit,
            page=page,
            global_visit_id=visit.global_visit_id,
            template=template,
            rule=rule,
            offered_at=now,
            expires_at=now + timedelta(seconds=template.timeout_seconds) + GRACE,
            data=data or {},
        )
        by_agent = {"agent": invitation.data["agent"]} if "agent" in invitation.data else {}
        _history(invitation, InvitationState.OFFERED, now, **by_agent)
        query = {"invitation": invitation.pk, "token": invitation_token(invitation.pk)}
        if visit.language_code:
            query["lang"] = visit.language_code
        message = NotifyMessage(
            channel="gpe.appendContent",
            page_id=page.pk,
            data={
                "url": f"/server/resources/{template.slug}.html?{urlencode(query)}",
                "engagement": invitation.pk,  # the page shows one frame per engagement
            },
            ttl_seconds=template.timeout_seconds,
        )
        [notification] = notify(visit_id=visit.pk, messages=[message])
        invitation.notification_id = notification.pk
        invitation.save(update_fields=["notification_id"])
    return invitation


def invitation_step(
    *, invitation_id: str, token: str, step: str, fields: dict | None = None
) -> Invitation:
    """A step the page reports. Raises StepRefused (403 bad token, 404, 409 out of order,
    410 expired)."""
    state = PAGE_STEPS.get(step)
    if state is None:
        raise StepRefused(400, f"unknown step {step!r}; one of {', '.join(PAGE_STEPS)}")
    try:
        signed_id = _signer.unsign(token or "")
    except signing.BadSignature:
        raise StepRefused(403, "the invitation token is not valid") from None
    if signed_id != invitation_id:
        raise StepRefused(403, "the token is for another invitation")
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("template", "rule")
            .filter(pk=invitation_id)
            .first()
        )
        if invitation is None:
            raise StepRefused(404, "unknown invitation")
        if invitation.state in PENDING_STATES and now >= invitation.expires_at:
            # Kept, even though the step is refused: the refusal is raised after commit.
            _end(invitation, InvitationState.EXPIRED, now, reason="answered after its deadline")
        if invitation.state == InvitationState.EXPIRED:
            refusal = StepRefused(410, "this invitation has expired")
        elif invitation.state == state:
            return invitation  # reported twice (a retry): nothing more to do
        elif state not in NEXT.get(invitation.state, ()):
            refusal = StepRefused(409, f"the invitation is already {invitation.state}")
        else:
            refusal = None
            if state == InvitationState.SHOWN:
                invitation.state, invitation.shown_at = state, now
                invitation.save(update_fields=["state", "shown_at"])
                _history(invitation, state, now)
            else:
                if fields:
                    invitation.data = {**invitation.data, "fields": fields}
                _end(invitation, state, now)
    if refusal is not None:
        raise refusal
    return invitation


def invitation_engage(*, invitation: Invitation) -> dict:
    """After an accept: the template's media adapter starts the engagement, the outcome is
    recorded (on the invitation and in the visit's history), and what the visitor sees next
    is returned. Started once, however often the page reports the accept."""
    with transaction.atomic():
        locked = Invitation.objects.select_for_update(of=("self",)).get(pk=invitation.pk)
        if locked.state != InvitationState.ACCEPTED:
            return {"status": "failed", "error": gettext("This invitation was not accepted.")}
        if locked.engagement:
            return locked.data.get("engagement") or {"status": locked.engagement}
        locked.engagement = EngagementStatus.STARTING
        locked.save(update_fields=["engagement"])
    alias = invitation.template.adapter
    try:
        found = adapter(alias)
        options = _template_options(found, invitation.template)
        engagement = openable(found.start(engagement_context(invitation, options)))
    except AdapterError as failure:
        return _engaged(invitation, failure=failure)
    except Exception as exc:  # an adapter's bug must not leave the visitor without an answer
        return _engaged(invitation, failure=adapter_bug(alias, exc))
    return _engaged(invitation, engagement=engagement)


def openable(engagement: Engagement) -> Engagement:
    """The engagement, if the page may open its URL; AdapterError otherwise."""
    if engagement.url and not SAFE_URL.match(engagement.url):
        raise AdapterError(
            CANNOT_CONNECT,
            permanent=True,
            detail=f"the adapter answered with a URL the page may not open: {engagement.url!r}",
        )
    return engagement


def adapter_bug(alias: str, exc: Exception) -> AdapterError:
    """An adapter's bug as the failure the visitor is told of (its traceback logged)."""
    logger.exception("media adapter %r failed", alias)
    return AdapterError(CANNOT_CONNECT, permanent=False, detail=f"{type(exc).__name__}: {exc}")


def failure_shown(failure: AdapterError, *, instead: Engagement | None = None) -> dict:
    """What the visitor sees of an engagement that failed: why, and what they may do instead
    (the adapter's offer, else `instead`), if the page may open it."""
    shown: dict = {"status": EngagementStatus.FAILED.value, "error": failure.message}
    offered = failure.instead or instead
    if offered is not None and offered.url and SAFE_URL.match(offered.url):
        shown["instead"] = offered.for_visitor()
    return shown


def engagement_context(invitation: Invitation, options: dict) -> EngagementContext:
    """What the adapter is told about the visitor who accepted (SPEC §5)."""
    return page_context(
        invitation.page,
        options,
        invitation_id=invitation.pk,
        template=invitation.template.slug,
        rule=invitation.rule.name if invitation.rule else None,
        fields=dict(invitation.data.get("fields") or {}),
        agent=str(invitation.data.get("agent") or ""),
    )


def page_context(
    page: Page,
    options: dict,
    *,
    invitation_id: str = "",
    template: str = "",
    rule: str | None = None,
    fields: dict[str, str] | None = None,
    agent: str = "",
    proactive: bool = True,
) -> EngagementContext:
    """What an adapter is told of the visitor on `page` (SPEC §5); without an invitation for
    a chat the visitor asked for (`proactive=False`)."""
    visit = page.visit
    identity = visit.identity
    return EngagementContext(
        visit_id=visit.pk,
        page_id=page.pk,
        global_visit_id=visit.global_visit_id,
        identity_id=identity.pk if identity else None,
        identity=dict(identity.attributes) if identity else {},
        invitation_id=invitation_id,
        template=template,
        rule=rule,
        url=page.url,
        title=page.title,
        language=visit.language_code or "",
        fields=fields or {},
        options=options,
        agent=agent,
        proactive=proactive,
    )


def _template_options(found: MediaAdapter, template: InvitationTemplate) -> dict:
    try:
        return found.template_options(template.adapter_options or {})
    except ValidationError as exc:
        raise AdapterError(
            "This service is not set up correctly on this site.",
            permanent=True,
            detail=f"template {template.slug}: {'; '.join(exc.messages)}",
        ) from None


def _engaged(
    invitation: Invitation,
    *,
    engagement: Engagement | None = None,
    failure: AdapterError | None = None,
) -> dict:
    if engagement is not None:
        shown = {"status": EngagementStatus.STARTED.value, **engagement.for_visitor()}
        detail = engagement.text or engagement.url
        name, reason = "EngagementStarted", ""
    else:
        assert failure is not None
        shown = failure_shown(failure)
        detail, name, reason = failure.detail, "EngagementFailed", failure.detail
    now = timezone.now()
    with transaction.atomic():
        invitation.engagement = shown["status"]
        invitation.engagement_reference = engagement.reference[:128] if engagement else ""
        invitation.engagement_detail = detail[:512]
        invitation.data = {
            **invitation.data,
            "engagement": shown,
            **({"adapter": engagement.details} if engagement and engagement.details else {}),
        }
        invitation.save(
            update_fields=["engagement", "engagement_reference", "engagement_detail", "data"]
        )
        _history(
            invitation,
            name,
            now,
            adapter=invitation.template.adapter,
            **({"reference": invitation.engagement_reference} if engagement else {}),
            **({"reason": reason, "permanent": failure.permanent} if failure else {}),
        )
    return shown


FOLLOW_TTL_SECONDS = 60  # a page that has not subscribed within a minute is gone


def engagements_follow(*, page: Page) -> list[Notification]:
    """On a new page of a visit, what was embedded in an earlier page and is still going (a
    chat) is embedded again: the page's content, asked of the adapter that started it."""
    embedded = (
        Invitation.objects.filter(
            visit_id=page.visit_id,
            state=InvitationState.ACCEPTED,
            engagement=EngagementStatus.STARTED,
            data__engagement__open=Engagement.Open.EMBED,
        )
        .exclude(page_id=page.pk)
        .select_related("template")
    )
    messages = []
    for invitation in embedded:
        try:
            going = adapter(invitation.template.adapter).resume(invitation.engagement_reference)
        except Exception:  # an adapter's bug must not stop the page
            logger.exception("media adapter %r: resume failed", invitation.template.adapter)
            continue
        if going is not None and going.url and SAFE_URL.match(going.url):
            messages.append(
                NotifyMessage(
                    channel="gpe.appendContent",
                    page_id=page.pk,
                    data={"url": going.url, "engagement": invitation.pk},
                    ttl_seconds=FOLLOW_TTL_SECONDS,
                )
            )
    if not messages:
        return []
    return notify(visit_id=page.visit_id, messages=messages)


def invitations_cancel(*, visit_id: str, reason: str = "") -> list[Invitation]:
    """Withdraw the visit's pending invitations (noengage): ended, and removed from the page."""
    now = timezone.now()
    with transaction.atomic():
        pending = list(
            Invitation.objects.select_for_update(of=("self",))
            .select_related("template", "rule")
            .filter(visit_id=visit_id, state__in=PENDING_STATES)
        )
        for invitation in pending:
            _end(invitation, InvitationState.CANCELLED, now, reason=reason[:256])
        messages = [
            NotifyMessage(
                channel="gpe.removeContent",
                page_id=i.page_id,
                data={"notificationID": i.notification_id},
                ttl_seconds=60,
            )
            for i in pending
            if i.notification_id
        ]
        if messages:
            notify(visit_id=visit_id, messages=messages)
    return pending


def invitations_expire(*, now=None) -> int:
    """Mark the invitations whose deadline passed with no answer from the page."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = list(
            Invitation.objects.select_for_update(of=("self",))
            .select_related("template", "rule")
            .filter(state__in=PENDING_STATES, expires_at__lte=now)[:1000]
        )
        for invitation in stale:
            _end(invitation, InvitationState.EXPIRED, now, reason="no answer from the page")
    return len(stale)


def _end(invitation: Invitation, state: str, when, *, reason: str = "") -> None:
    invitation.state, invitation.ended_at = state, when
    invitation.reason = reason or invitation.reason
    invitation.save(update_fields=["state", "ended_at", "reason", "data"])
    _history(invitation, state, when)


def _history(invitation: Invitation, state: str, when, **extra) -> None:
    page = invitation.page
    Event.objects.create(
        event_type=EventType.SYSTEM,
        event_name=EVENT_NAMES.get(state, state),
        visit_id=invitation.visit_id,
        page_id=invitation.page_id,
        timestamp=when,
        url=page.url,
        title=page.title,
        data={
            "invitationID": invitation.pk,
            "template": invitation.template.slug,
            "rule": invitation.rule.name if invitation.rule else None,
            **({"reason": invitation.reason} if invitation.reason else {}),
            **extra,
        },
    )
