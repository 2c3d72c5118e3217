"""Engagement: when an event arrives, which rule (if any) invites the visitor now.

Rules matching the event are taken by priority; the first the policy allows, and whose
media adapter has someone available, is offered. The decision and every rule's reason are
recorded (EngagementDecision), and the engagement webhook, if set, is told."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from gwe import sql
from gwe.models import Event, Page
from invitations import webhook
from invitations.config import Configuration, configuration
from invitations.facts import Trigger, VisitFacts
from invitations.memory import memories
from invitations.models import (
    GATEWAY,
    EngagementDecision,
    EngagementPolicy,
    EngagementRule,
    Invitation,
    InvitationTemplate,
)
from invitations.pacing_state import pacing_refusal
from invitations.policy import limits_for, refusal
from invitations.rules import matches
from invitations.services import invitation_offer
from media_adapters.registry import adapter_available


@dataclass(frozen=True)
class Reason:
    rule: str
    offered: bool
    why: str

    def as_json(self) -> dict:
        return {"rule": self.rule, "offered": self.offered, "why": self.why}


def categories_of_page(*, url: str, title: str) -> list[str]:
    return configuration().categories_of_page(url, title)


def on_event(event: Event) -> Invitation | None:
    """Look at the rules again after an event was stored (in its transaction)."""
    config = configuration()
    rules = config.rules_for(event.event_name)
    if not rules:
        return None
    page = sql.page_with_visit(event.page_id or "")
    trigger = Trigger(
        event_name=event.event_name,
        categories=list(event.category or []),
        url=event.url or page.url,
        title=event.title or page.title,
        timestamp=event.timestamp,
    )
    facts = memories.facts(event, page=page, trigger=trigger, now=timezone.now())
    answered: dict = {}  # rules that share a condition ask it once
    matched = [rule for rule in rules if matches(rule, facts, config.schedules, answered)]
    if not matched:
        return None
    return decide(matched, facts, config, event_name=event.event_name)


def external_refusal(*, page: Page, template: InvitationTemplate) -> str | None:
    """Why the policy refuses what an external strategy asks (engage API), or None."""
    now = timezone.now()
    trigger = Trigger(
        event_name="engage", categories=[], url=page.url, title=page.title, timestamp=now
    )
    facts = VisitFacts(visit=page.visit, page=page, trigger=trigger, now=now)
    return refusal(limits_for(None, configuration().policy), facts) or channel_refusal(template)


def channel_refusal(template: InvitationTemplate) -> str | None:
    """Why the template's channel cannot take an offer now: nobody is available, or pacing
    holds it back (the channel then locked until the offer is stored)."""
    if not adapter_available(template.adapter, template.adapter_options):
        return f"nobody is available ({template.adapter})"
    return pacing_refusal(template.adapter)


def gateway_refused(
    *, page: Page, template: InvitationTemplate, why: str, by: str = GATEWAY
) -> None:
    """Record why an offer from outside the rules (the engage API, an agent) was refused, as
    the rules' decisions are."""
    EngagementDecision.objects.create(
        visit_id=page.visit_id,
        page=page,
        event_name="engage",
        reasons=[{"rule": by, "template": template.slug, "offered": False, "why": why}],
    )


def decide(
    matched: list[EngagementRule], facts: VisitFacts, config: Configuration, *, event_name: str
) -> Invitation | None:
    offered: Invitation | None = None
    reasons = []
    for rule in matched:
        if offered is not None:
            reasons.append(Reason(rule.name, False, "a rule of higher priority was offered"))
            continue
        if config.mode == EngagementPolicy.Mode.EXTERNAL:
            reasons.append(Reason(rule.name, False, "an external strategy decides (webhook)"))
            continue
        why = refusal(limits_for(rule, config.policy), facts) or channel_refusal(rule.template)
        if why is not None:
            reasons.append(Reason(rule.name, False, why))
            continue
        offered = invitation_offer(page=facts.page, template=rule.template, rule=rule)
        reasons.append(Reason(rule.name, True, f"offered {rule.template.slug}"))
    EngagementDecision.objects.create(
        visit=facts.visit,
        page=facts.page,
        event_name=event_name,
        invitation=offered,
        reasons=[r.as_json() for r in reasons],
    )
    if config.webhook_url:
        payload = webhook.rule_matched(facts, matched, offered)
        transaction.on_commit(lambda: webhook.send(config.webhook_url, payload))
    return offered
