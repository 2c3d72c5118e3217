"""Rules are indexed by the event that can trigger them: an event is looked at only by the
rules that name it and those that name none, in priority order."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invitations.config import configuration
from invitations.facts import Trigger, VisitFacts
from invitations.models import EngagementRule
from invitations.rules import CONDITIONS, SETS, conditions_set
from tests.support.factories import record_event, rule, start_page

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_other_rules():
    EngagementRule.objects.all().delete()


def test_an_event_is_looked_at_by_its_own_rules_and_those_of_any_event_by_priority():
    cart = rule("Cart", event_name="AddToCart", priority=5)
    anything = rule("Anything on pricing", url_pattern="/pricing", priority=7)
    dwell = rule("Dwell", event_name="PricingDwell", priority=1)
    late_cart = rule("Late cart", event_name="AddToCart", priority=2)

    config = configuration()

    assert config.rules_for("AddToCart") == [anything, cart, late_cart]
    assert config.rules_for("PricingDwell") == [anything, dwell]
    assert config.rules_for("PageEntered") == [anything]


def test_an_event_no_rule_can_match_reads_nothing_for_the_rules():
    rule("Cart", event_name="AddToCart", url_pattern="/checkout")
    started = start_page("https://shop.example/checkout")
    record_event(started, "Warmup")

    with CaptureQueriesContext(connection) as scrolled:
        record_event(started, "Scrolled")
    with CaptureQueriesContext(connection) as added:
        record_event(started, "AddToCart")

    # Without the socket's memory of the page, the event looks it up once; then its insert.
    assert [q["sql"].split()[0] for q in scrolled if "SAVEPOINT" not in q["sql"]] == [
        "SELECT",
        "INSERT",
    ]
    assert len(added) > len(scrolled)  # the rule that names it looks at the visit


def test_a_rule_is_asked_only_the_conditions_it_sets():
    started = start_page("https://shop.example/pricing")
    now = started.page.start_time
    trigger = Trigger("AddToCart", [], started.page.url, "", now)
    facts = VisitFacts(visit=started.visit, page=started.page, trigger=trigger, now=now)
    made = [
        rule("Nothing set"),
        rule("Some", url_pattern="/pricing", device="mobile", min_seconds_on_page=0),
        rule("Others", languages=" , fr", visitor="returning", sequence="A > B"),
        rule("Events", event_name="AddToCart", min_pages_viewed=2, identity="known"),
        rule("Times", min_seconds_on_site=5, referrer_pattern="partner", sequence=" > "),
    ]

    assert set(SETS) == set(CONDITIONS)
    for each in made:
        answering = [c for c in CONDITIONS if c(each, facts, {}) is not None]
        assert conditions_set(each) == answering, each.name
    assert [len(conditions_set(r)) for r in made] == [0, 3, 3, 3, 2]
