"""Why a rule did or did not invite a visitor: every rule tried on a visit as it is now, with
each condition's verdict, what the policy says and whether anyone is available. Reads only:
nothing is offered and no decision is recorded."""

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.db.models import Q
from django.utils import timezone

from gwe.models import Event, Page, Visit
from invitations.config import Configuration, configuration
from invitations.facts import Trigger, VisitFacts
from invitations.models import EngagementPolicy, EngagementRule
from invitations.pacing_state import pacing_said
from invitations.policy import limits_for, refusal
from invitations.rules import Check, checks
from media_adapters.registry import adapter_available


@dataclass(frozen=True)
class RuleVerdict:
    rule: EngagementRule
    checks: list[Check]
    refusal: str | None  # what the policy says, when every condition holds
    available: bool
    external: bool = False  # an external strategy decides (the policy's mode)
    paced: str | None = None  # why pacing holds an offer on its channel back now
    preempted_by: str | None = None  # a rule of higher priority that would be offered first

    @property
    def in_effect(self) -> bool:
        return self.rule.enabled and self.rule.template.enabled

    @property
    def matches(self) -> bool:
        return all(check.holds for check in self.checks)

    @property
    def would_offer(self) -> bool:
        return (
            self.in_effect
            and self.matches
            and not self.external
            and self.preempted_by is None
            and self.refusal is None
            and self.available
            and self.paced is None
        )

    @property
    def summary(self) -> str:
        if not self.rule.enabled:
            return "This rule is disabled."
        if not self.rule.template.enabled:
            return f"Its invitation {self.rule.template.slug} is disabled."
        if not self.matches:
            failed = sum(not check.holds for check in self.checks)
            if failed == 1:
                return "Not matched: 1 condition does not hold."
            return f"Not matched: {failed} conditions do not hold."
        if self.external:
            return "Matched; an external strategy decides (webhook)."
        if self.preempted_by:
            return f"Matched, but {self.preempted_by} comes first (higher priority)."
        if self.refusal:
            return f"Matched, but the policy says no: {self.refusal}."
        if not self.available:
            return f"Matched, but nobody is available ({self.rule.template.adapter})."
        if self.paced:
            return f"Matched, but pacing holds it back: {self.paced.removeprefix('pacing: ')}."
        return f"Would offer {self.rule.template.slug} now."


class SimulatedFacts(VisitFacts):
    """The visit as if the trigger, which was not stored, had just happened."""

    def event_count(self, name: str, within_seconds: int | None) -> int:
        return super().event_count(name, within_seconds) + (name == self.trigger.event_name)

    @cached_property
    def timeline(self) -> list[set[str]]:
        return [*super().timeline, {self.trigger.event_name, *self.trigger.categories}]


def trigger_of(page: Page, event_name: str, now: datetime) -> Trigger:
    """The page's latest event (GWE's own invitation steps aside, which trigger nothing), or
    the named event as if it happened now."""
    own = Q(event_name__startswith="Invitation") | Q(event_name__startswith="Engagement")
    latest = Event.objects.filter(page_id=page.pk).exclude(own).order_by("-timestamp").first()
    if event_name or latest is None:
        return Trigger(
            event_name=event_name or "PageEntered",
            categories=list(latest.category or []) if latest else [],
            url=page.url,
            title=page.title,
            timestamp=now,
        )
    return Trigger(
        event_name=latest.event_name,
        categories=list(latest.category or []),
        url=latest.url or page.url,
        title=latest.title or page.title,
        timestamp=latest.timestamp,
    )


def explain(
    *,
    visit: Visit,
    page: Page | None = None,
    rules: list[EngagementRule] | None = None,
    event_name: str = "",
    now: datetime | None = None,
) -> tuple[Trigger, list[RuleVerdict]]:
    """Each rule (the enabled ones by default, highest priority first) tried on the visit's
    page (its latest by default)."""
    now = now or timezone.now()
    page = page or visit.pages.order_by("-start_time").first()
    if page is None:
        return Trigger("", [], "", "", now), []
    config = configuration()
    trigger = trigger_of(page, event_name, now)
    facts_of = SimulatedFacts if event_name else VisitFacts
    facts = facts_of(visit=visit, page=page, trigger=trigger, now=now)
    # As the engine does: every enabled rule by priority, the first it may offer wins.
    tried: list[RuleVerdict] = []
    for rule in config.rules:
        first = next((v.rule.name for v in tried if v.would_offer), None)
        tried.append(verdict_of(rule, facts, config, preempted_by=first))
    if rules is None:
        return trigger, tried
    known = {v.rule.pk: v for v in tried}
    return trigger, [known.get(rule.pk) or verdict_of(rule, facts, config) for rule in rules]


def verdict_of(
    rule: EngagementRule,
    facts: VisitFacts,
    config: Configuration,
    *,
    preempted_by: str | None = None,
) -> RuleVerdict:
    template = rule.template
    return RuleVerdict(
        rule=rule,
        checks=checks(rule, facts, config.schedules),
        refusal=refusal(limits_for(rule, config.policy), facts),
        available=adapter_available(template.adapter, template.adapter_options),
        external=config.mode == EngagementPolicy.Mode.EXTERNAL,
        preempted_by=preempted_by,
        paced=pacing_said(template.adapter),
    )
