"""A rule's tests (what the engine asks on every event) answer exactly what its conditions'
checks (what the admin explains) answer, for any rule and any visit."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from invitations import rules
from invitations.models import EngagementRule

NAMES = ["AddToCart", "Pricing", "Search"]
STEP_TEXTS = ["", "AddToCart > Pricing", " > ", "Search > AddToCart > Search"]


@dataclass
class Facts:
    """What VisitFacts answers, given outright."""

    trigger: SimpleNamespace
    page: SimpleNamespace
    is_mobile: bool
    language: str
    identity_known: bool
    seconds_on_page: float
    seconds_on_site: float
    returning: bool
    pages_viewed: int
    counts: dict = field(default_factory=dict)
    timeline: list = field(default_factory=list)
    now: datetime = datetime(2026, 12, 1, 10, tzinfo=UTC)

    def event_count(self, name, within):
        return self.counts.get((name, within), 0)

    def steps_done(self, steps):
        return rules.steps_done(steps, self.timeline)


class Schedule:
    def __init__(self, open_now: bool) -> None:
        self.open_now = open_now

    def is_open(self, now) -> bool:
        return self.open_now


SCHEDULES: dict = {1: Schedule(True), 2: Schedule(False)}

optional_seconds = st.one_of(st.none(), st.integers(0, 120))
FIELDS = dict(
    url_pattern=st.sampled_from(["", "/checkout", r"^https://shop\.example/p/\d+$"]),
    device=st.sampled_from(["", "mobile", "desktop"]),
    languages=st.sampled_from(["", "fr", "fr, de", " , en", "EN-gb"]),
    identity=st.sampled_from(["", "known", "anonymous"]),
    referrer_pattern=st.sampled_from(["", "partner", r"^https://search\."]),
    min_seconds_on_page=optional_seconds,
    min_seconds_on_site=optional_seconds,
    business_hours_id=st.sampled_from([None, 1, 2, 3]),
    visitor=st.sampled_from(["", "new", "returning"]),
    min_pages_viewed=st.one_of(st.none(), st.integers(0, 5)),
    event_name=st.sampled_from(["", *NAMES]),
    event_min_count=st.integers(1, 3),
    event_within_seconds=st.sampled_from([None, 60]),
    sequence=st.sampled_from(STEP_TEXTS),
)
a_rule = st.builds(EngagementRule, **FIELDS)
# Rules that set one or two conditions: most of them then reach the tests they share.
EVENT_FIELDS = ("event_name", "event_min_count", "event_within_seconds")


def _sparse(names: list[str]):
    if "event_name" in names:
        names = [*names, *EVENT_FIELDS]
    return st.builds(EngagementRule, **{name: FIELDS[name] for name in set(names)})


sparse_rule = st.lists(st.sampled_from(list(FIELDS)), min_size=1, max_size=2).flatmap(_sparse)
facts = st.builds(
    Facts,
    trigger=st.builds(
        SimpleNamespace,
        event_name=st.sampled_from(NAMES),
        categories=st.lists(st.sampled_from(["Shoes", "Sale", "Help"]), max_size=2),
        url=st.sampled_from(["", "https://shop.example/checkout", "https://shop.example/p/12"]),
    ),
    page=st.builds(
        SimpleNamespace,
        referrer=st.sampled_from([None, "", "https://partner.example/", "https://search.x/"]),
    ),
    is_mobile=st.booleans(),
    language=st.sampled_from(["", "fr", "fr-ca", "fro", "de", "en-gb", "en", "english"]),
    identity_known=st.booleans(),
    seconds_on_page=st.floats(0, 200),
    seconds_on_site=st.floats(0, 200),
    returning=st.booleans(),
    pages_viewed=st.integers(0, 6),
    counts=st.dictionaries(
        st.tuples(st.sampled_from(NAMES), st.sampled_from([None, 60])), st.integers(0, 4)
    ),
    timeline=st.lists(st.sets(st.sampled_from(NAMES), min_size=1, max_size=2), max_size=6),
)


@settings(max_examples=1500)
@given(
    rule=a_rule,
    categories=st.frozensets(st.sampled_from(["Shoes", "Sale", "Help"]), max_size=2),
    seen=facts,
)
def test_a_rules_tests_answer_what_its_checks_say(rule, categories, seen):
    rule.category_names = categories

    checked = [check.holds for check in rules.checks(rule, seen, SCHEDULES)]

    assert [test(seen, SCHEDULES) for test in rules.compiled(rule)] == checked  # one by one
    assert rules.matches(rule, seen, SCHEDULES) == all(checked)


@settings(max_examples=500)
@given(
    some_rules=st.lists(st.one_of(a_rule, sparse_rule), min_size=1, max_size=8),
    categories=st.frozensets(st.sampled_from(["Shoes", "Sale", "Help"]), max_size=2),
    seen=facts,
)
def test_rules_that_share_conditions_answer_as_each_would_alone(some_rules, categories, seen):
    shared: dict = {}
    for rule in some_rules:
        rule.category_names = categories
        rule.tests = rules.compiled(rule, shared)
    answered: dict = {}

    together = [rules.matches(rule, seen, SCHEDULES, answered) for rule in some_rules]

    alone = [all(c.holds for c in rules.checks(rule, seen, SCHEDULES)) for rule in some_rules]
    assert together == alone
    assert len(shared) <= sum(len(rule.tests) for rule in some_rules)


def test_rules_alike_but_for_a_threshold_are_told_apart():
    seen: Any = Facts(
        trigger=SimpleNamespace(event_name="AddToCart", categories=[], url=""),
        page=SimpleNamespace(referrer=""),
        is_mobile=False,
        language="",
        identity_known=False,
        seconds_on_page=30,
        seconds_on_site=30,
        returning=False,
        pages_viewed=2,
        counts={("AddToCart", None): 2},
    )
    shared: dict = {}
    made: list[Any] = [
        EngagementRule(event_name="AddToCart", event_min_count=2),
        EngagementRule(event_name="AddToCart", event_min_count=3),
        EngagementRule(min_seconds_on_page=20),
        EngagementRule(min_seconds_on_page=40),
    ]
    for rule in made:
        rule.category_names = frozenset()
        rule.tests = rules.compiled(rule, shared)
    answered: dict = {}

    assert [rules.matches(r, seen, SCHEDULES, answered) for r in made] == [True, False, True, False]
