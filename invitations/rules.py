"""Engagement rules: does a rule's every condition hold for this visit now? Each condition
answers with a sentence, so that the admin can say why a rule did or did not fire."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from invitations.facts import VisitFacts
from invitations.models import EngagementRule
from invitations.schedule import WeeklySchedule


@dataclass(frozen=True)
class Check:
    condition: str  # what the rule asks, in words
    holds: bool


Condition = Callable[[EngagementRule, VisitFacts, dict], Check | None]


def checks(
    rule: EngagementRule, facts: VisitFacts, schedules: dict[int, WeeklySchedule]
) -> list[Check]:
    """Every condition the rule sets, with whether it holds (cheapest first; all evaluated)."""
    found = (condition(rule, facts, schedules) for condition in CONDITIONS)
    return [check for check in found if check is not None]


def matches(rule: EngagementRule, facts: VisitFacts, schedules: dict[int, WeeklySchedule]) -> bool:
    """Whether all hold, stopping at the first that does not."""
    for condition in CONDITIONS:
        check = condition(rule, facts, schedules)
        if check is not None and not check.holds:
            return False
    return True


# re keeps only 512 compiled patterns: past that, with many rules, every search would compile
# its pattern again (100 times slower, measured in tests/bench/engagement.py).
pattern = lru_cache(maxsize=8192)(re.compile)


def category_names(rule: EngagementRule) -> frozenset[str]:
    """The names of the rule's categories: compiled with the configuration
    (invitations/config.py), or read now for a rule loaded elsewhere."""
    compiled = getattr(rule, "category_names", None)
    if compiled is None:
        compiled = frozenset(c.name for c in rule.categories.all())
    return compiled


def _categories(rule, facts, schedules):
    wanted = category_names(rule)
    if not wanted:
        return None
    return Check(
        f"page in {' or '.join(sorted(wanted))}", bool(wanted & set(facts.trigger.categories))
    )


def _url(rule, facts, schedules):
    if not rule.url_pattern:
        return None
    return Check(
        f"URL matches {rule.url_pattern}", bool(pattern(rule.url_pattern).search(facts.trigger.url))
    )


def _device(rule, facts, schedules):
    if not rule.device:
        return None
    return Check(f"on {rule.device}", facts.is_mobile == (rule.device == "mobile"))


def _language(rule, facts, schedules):
    languages = [code.strip().lower() for code in rule.languages.split(",") if code.strip()]
    if not languages:
        return None
    language = facts.language
    holds = any(language == code or language.startswith(code + "-") for code in languages)
    return Check(f"language {', '.join(languages)}", holds)


def _identity(rule, facts, schedules):
    if not rule.identity:
        return None
    return Check(f"visitor {rule.identity}", facts.identity_known == (rule.identity == "known"))


def _referrer(rule, facts, schedules):
    if not rule.referrer_pattern:
        return None
    referrer = facts.page.referrer or ""
    return Check(
        f"referrer matches {rule.referrer_pattern}",
        bool(pattern(rule.referrer_pattern).search(referrer)),
    )


def _time_on_page(rule, facts, schedules):
    if rule.min_seconds_on_page is None:
        return None
    return Check(
        f"{rule.min_seconds_on_page} s on the page",
        facts.seconds_on_page >= rule.min_seconds_on_page,
    )


def _time_on_site(rule, facts, schedules):
    if rule.min_seconds_on_site is None:
        return None
    return Check(
        f"{rule.min_seconds_on_site} s on the site",
        facts.seconds_on_site >= rule.min_seconds_on_site,
    )


def _business_hours(rule, facts, schedules):
    if rule.business_hours_id is None:
        return None
    schedule = schedules.get(rule.business_hours_id)
    return Check("within business hours", schedule is not None and schedule.is_open(facts.now))


def _visitor(rule, facts, schedules):
    if not rule.visitor:
        return None
    return Check(f"{rule.visitor} visitor", facts.returning == (rule.visitor == "returning"))


def _pages_viewed(rule, facts, schedules):
    if rule.min_pages_viewed is None:
        return None
    return Check(
        f"{rule.min_pages_viewed} pages viewed", facts.pages_viewed >= rule.min_pages_viewed
    )


def _event(rule, facts, schedules):
    if not rule.event_name:
        return None
    within = f" within {rule.event_within_seconds} s" if rule.event_within_seconds else ""
    said = f"{rule.event_name} seen {rule.event_min_count} times{within}"
    if facts.trigger.event_name != rule.event_name:
        return Check(f"{said} (on {rule.event_name})", False)  # fires on that event only
    count = facts.event_count(rule.event_name, rule.event_within_seconds)
    return Check(said, count >= rule.event_min_count)


def _sequence(rule, facts, schedules):
    steps = sequence_steps(rule.sequence)
    if not steps:
        return None
    return Check(f"went through {' > '.join(steps)}", in_order(steps, facts.timeline))


def sequence_steps(text: str) -> list[str]:
    return [step.strip() for step in text.split(">") if step.strip()]


def in_order(steps: list[str], timeline: list[set[str]]) -> bool:
    """Whether the timeline passes through every step, in order (others may come between)."""
    remaining = iter(timeline)
    return all(any(step in moment for moment in remaining) for step in steps)


# Cheapest first: those that read nothing from the database come before those that do.
CONDITIONS: list[Condition] = [
    _categories,
    _url,
    _device,
    _language,
    _identity,
    _referrer,
    _time_on_page,
    _time_on_site,
    _business_hours,
    _visitor,
    _pages_viewed,
    _event,
    _sequence,
]
