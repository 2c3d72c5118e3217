"""Engagement rules: does a rule's every condition hold for this visit now? Each condition
says, in words, what the rule needs and what was seen, so that the admin can say why a rule
did or did not fire."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

from invitations.facts import VisitFacts
from invitations.models import EngagementRule
from invitations.schedule import WeeklySchedule


@dataclass(frozen=True)
class Check:
    holds: bool
    # What the rule needs and what was seen, in words: made only when asked (the engine,
    # which asks every rule on every event, never does).
    said: Callable[[], tuple[str, str]] = field(repr=False, compare=False)

    @cached_property
    def _words(self) -> tuple[str, str]:
        return self.said()

    @property
    def condition(self) -> str:
        return self._words[0]

    @property
    def seen(self) -> str:
        return self._words[1]


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
    found = facts.trigger.categories
    return Check(
        bool(wanted & set(found)),
        lambda: (
            f"page in {' or '.join(sorted(wanted))}",
            f"the page is in {', '.join(found)}" if found else "the page is in no category",
        ),
    )


def _url(rule, facts, schedules):
    if not rule.url_pattern:
        return None
    url = facts.trigger.url
    return Check(
        bool(pattern(rule.url_pattern).search(url)),
        lambda: (f"URL matches {rule.url_pattern}", f"the URL was {url or 'not given'}"),
    )


def _device(rule, facts, schedules):
    if not rule.device:
        return None
    mobile = facts.is_mobile
    return Check(
        mobile == (rule.device == "mobile"),
        lambda: (f"on {rule.device}", "on mobile" if mobile else "on desktop"),
    )


def _language(rule, facts, schedules):
    languages = [code.strip().lower() for code in rule.languages.split(",") if code.strip()]
    if not languages:
        return None
    language = facts.language
    return Check(
        any(language == code or language.startswith(code + "-") for code in languages),
        lambda: (
            f"language {' or '.join(languages)}",
            f"the visitor's language is {language}" if language else "no language was given",
        ),
    )


def _identity(rule, facts, schedules):
    if not rule.identity:
        return None
    known = facts.identity_known
    return Check(
        known == (rule.identity == "known"),
        lambda: (
            "identity known" if rule.identity == "known" else "anonymous visitor",
            "the identity is known" if known else "the visitor is anonymous",
        ),
    )


def _referrer(rule, facts, schedules):
    if not rule.referrer_pattern:
        return None
    referrer = facts.page.referrer or ""
    return Check(
        bool(pattern(rule.referrer_pattern).search(referrer)),
        lambda: (
            f"referrer matches {rule.referrer_pattern}",
            f"the referrer was {referrer}" if referrer else "there was no referrer",
        ),
    )


def _time_on_page(rule, facts, schedules):
    if rule.min_seconds_on_page is None:
        return None
    spent = facts.seconds_on_page
    return Check(
        spent >= rule.min_seconds_on_page,
        lambda: (
            f"at least {rule.min_seconds_on_page} s on the page",
            f"{int(spent)} s on the page so far",
        ),
    )


def _time_on_site(rule, facts, schedules):
    if rule.min_seconds_on_site is None:
        return None
    spent = facts.seconds_on_site
    return Check(
        spent >= rule.min_seconds_on_site,
        lambda: (
            f"at least {rule.min_seconds_on_site} s on the site",
            f"{int(spent)} s on the site so far",
        ),
    )


def _business_hours(rule, facts, schedules):
    if rule.business_hours_id is None:
        return None
    schedule = schedules.get(rule.business_hours_id)
    return Check(
        schedule is not None and schedule.is_open(facts.now),
        lambda: ("within business hours", _local_time(schedule, facts)),
    )


def _local_time(schedule: WeeklySchedule | None, facts: VisitFacts) -> str:
    if schedule is None:
        return "its business hours are not found"
    local = facts.now.astimezone(ZoneInfo(schedule.time_zone))
    holiday = ", a holiday" if local.date() in schedule.holidays else ""
    return f"it was {local:%A %H:%M} in {schedule.time_zone}{holiday}"


def _visitor(rule, facts, schedules):
    if not rule.visitor:
        return None
    returning = facts.returning
    return Check(
        returning == (rule.visitor == "returning"),
        lambda: (
            f"{rule.visitor} visitor",
            "a returning visitor" if returning else "a new visitor",
        ),
    )


def _pages_viewed(rule, facts, schedules):
    if rule.min_pages_viewed is None:
        return None
    viewed = facts.pages_viewed
    return Check(
        viewed >= rule.min_pages_viewed,
        lambda: (
            f"at least {_count(rule.min_pages_viewed, 'page')} viewed",
            f"{_count(viewed, 'page')} viewed",
        ),
    )


def _event(rule, facts, schedules):
    if not rule.event_name:
        return None
    name, least = rule.event_name, rule.event_min_count
    within = f" within {rule.event_within_seconds} s" if rule.event_within_seconds else ""
    needed = f"{name} {'at least once' if least == 1 else f'at least {least} times'}{within}"
    tried = facts.trigger.event_name
    if tried != name:  # a rule fires on its event only
        return Check(
            False,
            lambda: (needed, f"the event tried was {tried} (the rule fires on {name} only)"),
        )
    count = facts.event_count(name, rule.event_within_seconds)
    lately = f" in the last {rule.event_within_seconds} s" if rule.event_within_seconds else ""
    return Check(count >= least, lambda: (needed, f"seen {_count(count, 'time')}{lately}"))


def _sequence(rule, facts, schedules):
    steps = sequence_steps(rule.sequence)
    if not steps:
        return None
    done = steps_done(steps, facts.timeline)
    return Check(
        done == len(steps),
        lambda: (f"went through {' > '.join(steps)}", _how_far(steps, done)),
    )


def _how_far(steps: list[str], done: int) -> str:
    if done == len(steps):
        return "went through them in order"
    if done == 0:
        return f"no {steps[0]} yet"
    return f"went through {' > '.join(steps[:done])}, then no {steps[done]}"


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def sequence_steps(text: str) -> list[str]:
    return [step.strip() for step in text.split(">") if step.strip()]


def steps_done(steps: list[str], timeline: list[set[str]]) -> int:
    """How many of the steps the timeline passes through, in order (others may come
    between)."""
    remaining = iter(timeline)
    done = 0
    for step in steps:
        if not any(step in moment for moment in remaining):
            break
        done += 1
    return done


def in_order(steps: list[str], timeline: list[set[str]]) -> bool:
    """Whether the timeline passes through every step, in order (others may come between)."""
    return steps_done(steps, timeline) == len(steps)


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
