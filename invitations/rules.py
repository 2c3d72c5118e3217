"""Engagement rules: does a rule's every condition hold for this visit now? Each condition
says, in words, what the rule needs and what was seen, so that the admin can say why a rule
did or did not fire."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from invitations.facts import VisitFacts
from invitations.models import EngagementRule
from invitations.schedule import WeeklySchedule


# Slotted and not frozen: the engine makes one for every condition of every rule, each event.
@dataclass(slots=True)
class Check:
    holds: bool
    # What the rule needs and what was seen, in words: said(*given), made only when asked
    # (the engine never does). A condition makes no closure: its cells would cost each call,
    # even of a condition the rule does not set.
    said: Callable[..., tuple[str, str]] = field(repr=False, compare=False)
    given: tuple = field(default=(), repr=False, compare=False)

    @property
    def condition(self) -> str:
        return self.said(*self.given)[0]

    @property
    def seen(self) -> str:
        return self.said(*self.given)[1]


Condition = Callable[[EngagementRule, VisitFacts, dict], Check | None]


def checks(
    rule: EngagementRule, facts: VisitFacts, schedules: dict[int, WeeklySchedule]
) -> list[Check]:
    """Every condition the rule sets, with whether it holds (cheapest first; all evaluated)."""
    found = (condition(rule, facts, schedules) for condition in CONDITIONS)
    return [check for check in found if check is not None]


def matches(
    rule: EngagementRule,
    facts: VisitFacts,
    schedules: dict[int, WeeklySchedule],
    answered: dict | None = None,
) -> bool:
    """Whether all hold, stopping at the first that does not: the rule's tests (`compiled`),
    which answer what its conditions' checks answer, without the words. `answered` keeps
    what the tests said for this event: rules that share a condition ask it once."""
    made = getattr(rule, "tests", None)
    for test in compiled(rule) if made is None else made:
        if answered is None:
            holds = test(facts, schedules)
        elif (holds := answered.get(test)) is None:
            holds = answered[test] = test(facts, schedules)
        if not holds:
            return False
    return True


Test = Callable[[VisitFacts, dict], bool]


def compiled(rule: EngagementRule, shared: dict | None = None) -> list[Test]:
    """The conditions the rule sets as plain tests, in CONDITIONS' order, each with the rule's
    values read once (compiled with the configuration, invitations/config.py): an event then
    costs a call per condition, nothing made. With `shared`, rules that set a condition to
    the same values get the same test (a key of what `matches` was answered)."""
    made = []
    for condition in conditions_set(rule):
        if shared is None:
            made.append(TESTS[condition](rule))
            continue
        key = (condition, tuple(_value(rule, name) for name in READS[condition]))
        if key not in shared:
            shared[key] = TESTS[condition](rule)
        made.append(shared[key])
    return made


def _value(rule: EngagementRule, name: str):
    return category_names(rule) if name == "category_names" else getattr(rule, name)


def conditions_set(rule: EngagementRule) -> list[Condition]:
    """The conditions the rule sets, in CONDITIONS' order (what `compiled` makes tests of):
    an event asks a rule only what it says."""
    return [condition for condition in CONDITIONS if SETS[condition](rule)]


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
    return Check(bool(wanted & set(found)), _categories_said, (wanted, found))


def _categories_said(wanted: frozenset[str], found: list[str]) -> tuple[str, str]:
    seen = f"the page is in {', '.join(found)}" if found else "the page is in no category"
    return f"page in {' or '.join(sorted(wanted))}", seen


def _url(rule, facts, schedules):
    if not rule.url_pattern:
        return None
    url = facts.trigger.url
    return Check(bool(pattern(rule.url_pattern).search(url)), _url_said, (rule.url_pattern, url))


def _url_said(wanted: str, url: str) -> tuple[str, str]:
    return f"URL matches {wanted}", f"the URL was {url or 'not given'}"


def _device(rule, facts, schedules):
    if not rule.device:
        return None
    mobile = facts.is_mobile
    return Check(mobile == (rule.device == "mobile"), _device_said, (rule.device, mobile))


def _device_said(wanted: str, mobile: bool) -> tuple[str, str]:
    return f"on {wanted}", "on mobile" if mobile else "on desktop"


def _language(rule, facts, schedules):
    languages = [code.strip().lower() for code in rule.languages.split(",") if code.strip()]
    if not languages:
        return None
    language = facts.language
    holds = any(language == code or language.startswith(code + "-") for code in languages)
    return Check(holds, _language_said, (languages, language))


def _language_said(wanted: list[str], language: str) -> tuple[str, str]:
    seen = f"the visitor's language is {language}" if language else "no language was given"
    return f"language {' or '.join(wanted)}", seen


def _identity(rule, facts, schedules):
    if not rule.identity:
        return None
    known = facts.identity_known
    return Check(known == (rule.identity == "known"), _identity_said, (rule.identity, known))


def _identity_said(wanted: str, known: bool) -> tuple[str, str]:
    return (
        "identity known" if wanted == "known" else "anonymous visitor",
        "the identity is known" if known else "the visitor is anonymous",
    )


def _referrer(rule, facts, schedules):
    if not rule.referrer_pattern:
        return None
    referrer = facts.page.referrer or ""
    holds = bool(pattern(rule.referrer_pattern).search(referrer))
    return Check(holds, _referrer_said, (rule.referrer_pattern, referrer))


def _referrer_said(wanted: str, referrer: str) -> tuple[str, str]:
    seen = f"the referrer was {referrer}" if referrer else "there was no referrer"
    return f"referrer matches {wanted}", seen


def _time_on_page(rule, facts, schedules):
    if rule.min_seconds_on_page is None:
        return None
    spent = facts.seconds_on_page
    given = (rule.min_seconds_on_page, spent, "page")
    return Check(spent >= rule.min_seconds_on_page, _time_said, given)


def _time_on_site(rule, facts, schedules):
    if rule.min_seconds_on_site is None:
        return None
    spent = facts.seconds_on_site
    given = (rule.min_seconds_on_site, spent, "site")
    return Check(spent >= rule.min_seconds_on_site, _time_said, given)


def _time_said(least: int, spent: float, where: str) -> tuple[str, str]:
    return f"at least {least} s on the {where}", f"{int(spent)} s on the {where} so far"


def _business_hours(rule, facts, schedules):
    if rule.business_hours_id is None:
        return None
    schedule = schedules.get(rule.business_hours_id)
    holds = schedule is not None and schedule.is_open(facts.now)
    return Check(holds, _business_hours_said, (schedule, facts.now))


def _business_hours_said(schedule: WeeklySchedule | None, now: datetime) -> tuple[str, str]:
    if schedule is None:
        return "within business hours", "its business hours are not found"
    local = now.astimezone(ZoneInfo(schedule.time_zone))
    holiday = ", a holiday" if local.date() in schedule.holidays else ""
    return "within business hours", f"it was {local:%A %H:%M} in {schedule.time_zone}{holiday}"


def _visitor(rule, facts, schedules):
    if not rule.visitor:
        return None
    returning = facts.returning
    holds = returning == (rule.visitor == "returning")
    return Check(holds, _visitor_said, (rule.visitor, returning))


def _visitor_said(wanted: str, returning: bool) -> tuple[str, str]:
    return f"{wanted} visitor", "a returning visitor" if returning else "a new visitor"


def _pages_viewed(rule, facts, schedules):
    if rule.min_pages_viewed is None:
        return None
    viewed = facts.pages_viewed
    given = (rule.min_pages_viewed, viewed)
    return Check(viewed >= rule.min_pages_viewed, _pages_viewed_said, given)


def _pages_viewed_said(least: int, viewed: int) -> tuple[str, str]:
    return f"at least {_count(least, 'page')} viewed", f"{_count(viewed, 'page')} viewed"


def _event(rule, facts, schedules):
    if not rule.event_name:
        return None
    tried = facts.trigger.event_name
    if tried != rule.event_name:  # a rule fires on its event only
        return Check(False, _event_not_tried_said, (rule, tried))
    count = facts.event_count(rule.event_name, rule.event_within_seconds)
    return Check(count >= rule.event_min_count, _event_said, (rule, count))


def _event_not_tried_said(rule: EngagementRule, tried: str) -> tuple[str, str]:
    seen = f"the event tried was {tried} (the rule fires on {rule.event_name} only)"
    return _events_needed(rule), seen


def _event_said(rule: EngagementRule, count: int) -> tuple[str, str]:
    lately = f" in the last {rule.event_within_seconds} s" if rule.event_within_seconds else ""
    return _events_needed(rule), f"seen {_count(count, 'time')}{lately}"


def _events_needed(rule: EngagementRule) -> str:
    least = rule.event_min_count
    times = "at least once" if least == 1 else f"at least {least} times"
    within = f" within {rule.event_within_seconds} s" if rule.event_within_seconds else ""
    return f"{rule.event_name} {times}{within}"


def _sequence(rule, facts, schedules):
    steps = sequence_steps(rule.sequence)
    if not steps:
        return None
    done = facts.steps_done(steps)
    return Check(done == len(steps), _sequence_said, (steps, done))


def _sequence_said(steps: list[str], done: int) -> tuple[str, str]:
    return f"went through {' > '.join(steps)}", _how_far(steps, done)


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
# Whether a rule sets each condition: exactly when the condition answers something (not None).
SETS: dict[Condition, Callable[[EngagementRule], bool]] = {
    _categories: lambda rule: bool(category_names(rule)),
    _url: lambda rule: bool(rule.url_pattern),
    _device: lambda rule: bool(rule.device),
    _language: lambda rule: any(code.strip() for code in rule.languages.split(",")),
    _identity: lambda rule: bool(rule.identity),
    _referrer: lambda rule: bool(rule.referrer_pattern),
    _time_on_page: lambda rule: rule.min_seconds_on_page is not None,
    _time_on_site: lambda rule: rule.min_seconds_on_site is not None,
    _business_hours: lambda rule: rule.business_hours_id is not None,
    _visitor: lambda rule: bool(rule.visitor),
    _pages_viewed: lambda rule: rule.min_pages_viewed is not None,
    _event: lambda rule: bool(rule.event_name),
    _sequence: lambda rule: bool(sequence_steps(rule.sequence)),
}


def _categories_test(rule: EngagementRule) -> Test:
    wanted = category_names(rule)
    return lambda facts, schedules: not wanted.isdisjoint(facts.trigger.categories)


def _url_test(rule: EngagementRule) -> Test:
    search = pattern(rule.url_pattern).search
    return lambda facts, schedules: search(facts.trigger.url) is not None


def _device_test(rule: EngagementRule) -> Test:
    mobile = rule.device == "mobile"
    return lambda facts, schedules: facts.is_mobile == mobile


def _language_test(rule: EngagementRule) -> Test:
    codes = tuple(code.strip().lower() for code in rule.languages.split(",") if code.strip())
    regional = tuple(code + "-" for code in codes)

    def test(facts, schedules):
        language = facts.language
        return language in codes or language.startswith(regional)

    return test


def _identity_test(rule: EngagementRule) -> Test:
    known = rule.identity == "known"
    return lambda facts, schedules: facts.identity_known == known


def _referrer_test(rule: EngagementRule) -> Test:
    search = pattern(rule.referrer_pattern).search
    return lambda facts, schedules: search(facts.page.referrer or "") is not None


def _time_on_page_test(rule: EngagementRule) -> Test:
    least = rule.min_seconds_on_page or 0  # set: a test is made only for what is
    return lambda facts, schedules: facts.seconds_on_page >= least


def _time_on_site_test(rule: EngagementRule) -> Test:
    least = rule.min_seconds_on_site or 0
    return lambda facts, schedules: facts.seconds_on_site >= least


def _business_hours_test(rule: EngagementRule) -> Test:
    hours = rule.business_hours_id

    def test(facts, schedules):
        schedule = schedules.get(hours)
        return schedule is not None and schedule.is_open(facts.now)

    return test


def _visitor_test(rule: EngagementRule) -> Test:
    returning = rule.visitor == "returning"
    return lambda facts, schedules: facts.returning == returning


def _pages_viewed_test(rule: EngagementRule) -> Test:
    least = rule.min_pages_viewed or 0
    return lambda facts, schedules: facts.pages_viewed >= least


def _event_test(rule: EngagementRule) -> Test:
    name, within, least = rule.event_name, rule.event_within_seconds, rule.event_min_count

    def test(facts, schedules):
        return facts.trigger.event_name == name and facts.event_count(name, within) >= least

    return test


def _sequence_test(rule: EngagementRule) -> Test:
    steps = sequence_steps(rule.sequence)
    return lambda facts, schedules: facts.steps_done(steps) == len(steps)


# Each condition as a test that answers what its check's `holds` answers (a property test
# holds them to it: tests/invitations/test_rule_tests.py).
TESTS: dict[Condition, Callable[[EngagementRule], Test]] = {
    _categories: _categories_test,
    _url: _url_test,
    _device: _device_test,
    _language: _language_test,
    _identity: _identity_test,
    _referrer: _referrer_test,
    _time_on_page: _time_on_page_test,
    _time_on_site: _time_on_site_test,
    _business_hours: _business_hours_test,
    _visitor: _visitor_test,
    _pages_viewed: _pages_viewed_test,
    _event: _event_test,
    _sequence: _sequence_test,
}

# What of the rule each test reads: rules equal in these share the test.
READS: dict[Condition, tuple[str, ...]] = {
    _categories: ("category_names",),
    _url: ("url_pattern",),
    _device: ("device",),
    _language: ("languages",),
    _identity: ("identity",),
    _referrer: ("referrer_pattern",),
    _time_on_page: ("min_seconds_on_page",),
    _time_on_site: ("min_seconds_on_site",),
    _business_hours: ("business_hours_id",),
    _visitor: ("visitor",),
    _pages_viewed: ("min_pages_viewed",),
    _event: ("event_name", "event_within_seconds", "event_min_count"),
    _sequence: ("sequence",),
}

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
