"""“Why did (or didn't) it fire for this visit?”: every rule tried on a visit, condition by
condition, with the policy's answer, and nothing written."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from gwe.models import Event
from invitations import rules
from invitations.explain import explain
from invitations.facts import Trigger, VisitFacts
from invitations.models import (
    BusinessHours,
    Category,
    EngagementDecision,
    EngagementPolicy,
    Invitation,
)
from tests.support.factories import record_event, rule, start_page

pytestmark = pytest.mark.django_db


def said(verdict) -> list[tuple[str, str, bool]]:
    """Each condition: what the rule needs, what was seen, whether it holds."""
    return [(c.condition, c.seen, c.holds) for c in verdict.checks]


def test_each_condition_says_what_it_needs_what_was_seen_and_whether_it_holds():
    rule("Cart on checkout", event_name="AddToCart", url_pattern="/checkout", device="desktop")
    started = start_page("https://shop.example/product/1", userAgent="Mozilla/5.0 (X11; Linux)")
    record_event(started, "AddToCart")
    Invitation.objects.all().delete()

    _, [verdict] = explain(visit=started.visit)

    assert said(verdict) == [
        ("URL matches /checkout", "the URL was https://shop.example/product/1", False),
        ("on desktop", "on desktop", True),
        ("AddToCart at least once", "seen 1 time", True),
    ]
    assert verdict.matches is False
    assert verdict.summary == "Not matched: 1 condition does not hold."


def test_a_rule_tried_on_another_event_says_which_event_it_fires_on():
    rule("Pricing", event_name="PricingDwell", device="mobile")
    started = start_page()  # on a desktop; its latest event: PageEntered

    _, [verdict] = explain(visit=started.visit)

    assert said(verdict) == [
        ("on mobile", "on desktop", False),
        (
            "PricingDwell at least once",
            "the event tried was PageEntered (the rule fires on PricingDwell only)",
            False,
        ),
    ]
    assert verdict.summary == "Not matched: 2 conditions do not hold."


def test_an_event_count_says_how_often_it_was_seen_in_the_window():
    rule("Hesitant", event_name="AddToCart", event_min_count=3, event_within_seconds=60)
    started = start_page()
    record_event(started, "AddToCart")

    _, [once] = explain(visit=started.visit)
    record_event(started, "AddToCart")
    _, [twice] = explain(visit=started.visit)

    assert said(once) == [
        ("AddToCart at least 3 times within 60 s", "seen 1 time in the last 60 s", False)
    ]
    assert said(twice)[0][1] == "seen 2 times in the last 60 s"


def test_the_visitor_and_the_visit_are_said_as_they_were():
    Category.objects.create(name="Pricing")
    tried = rule(
        "Picky",
        languages="fr, de",
        identity="known",
        visitor="returning",
        min_pages_viewed=2,
        min_seconds_on_site=600,
        referrer_pattern="google",
        sequence="PageEntered > AddToCart > Checkout",
    )
    tried.categories.add(Category.objects.get(name="Pricing"))
    started = start_page(languageCode="en-US", referrer="https://bing.example/")
    record_event(started, "AddToCart")

    _, [verdict] = explain(visit=started.visit, rules=[tried])

    assert said(verdict) == [
        ("page in Pricing", "the page is in no category", False),
        ("language fr or de", "the visitor's language is en-us", False),
        ("identity known", "the visitor is anonymous", False),
        ("referrer matches google", "the referrer was https://bing.example/", False),
        ("at least 600 s on the site", "0 s on the site so far", False),
        ("returning visitor", "a new visitor", False),
        ("at least 2 pages viewed", "1 page viewed", False),
        (
            "went through PageEntered > AddToCart > Checkout",
            "went through PageEntered > AddToCart, then no Checkout",
            False,
        ),
    ]


def test_business_hours_say_what_time_it_was_where_they_are_kept():
    closed = BusinessHours.objects.create(name="Never open", time_zone="Europe/Paris")
    rule("Office hours", business_hours=closed)
    started = start_page()
    monday_morning = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)

    _, [verdict] = explain(visit=started.visit, now=monday_morning)

    assert said(verdict) == [
        ("within business hours", "it was Monday 10:05 in Europe/Paris", False)
    ]


def test_the_engine_never_has_the_words_made(monkeypatch):
    tried = rule("Cart", event_name="AddToCart", url_pattern="/checkout", device="desktop")
    started = start_page("https://shop.example/checkout")
    record_event(started, "AddToCart")
    made = []

    class Counted(rules.Check):
        def __init__(self, holds, said, given=()):
            def saying(*given):
                made.append(said)
                return said(*given)

            super().__init__(holds, saying, given)

    monkeypatch.setattr(rules, "Check", Counted)
    trigger = Trigger("AddToCart", [], started.page.url, "", started.page.start_time)
    facts = VisitFacts(visit=started.visit, page=started.page, trigger=trigger, now=timezone.now())

    assert rules.matches(tried, facts, {}) is True  # as the engine asks, on every event
    assert made == []
    assert [c.condition for c in rules.checks(tried, facts, {})] == [
        "URL matches /checkout",
        "on desktop",
        "AddToCart at least once",
    ]
    assert len(made) == 3


def test_a_matching_rule_reports_what_the_policy_says():
    rule("Cart", event_name="AddToCart")
    started = start_page()
    record_event(started, "AddToCart")  # offered: one invitation at a time now

    _, [verdict] = explain(visit=started.visit)

    assert verdict.matches is True
    assert verdict.refusal == "another invitation is on screen (one at a time)"
    assert verdict.would_offer is False
    assert verdict.summary.startswith("Matched, but the policy says no")


def test_trying_an_event_that_did_not_happen_offers_nothing_and_records_nothing():
    rule("Cart", event_name="AddToCart")
    started = start_page()
    before = (Event.objects.count(), EngagementDecision.objects.count())

    trigger, [verdict] = explain(visit=started.visit, event_name="AddToCart")

    assert trigger.event_name == "AddToCart"
    assert verdict.would_offer is True
    assert verdict.summary == "Would offer invite now."
    assert not Invitation.objects.exists()
    assert (Event.objects.count(), EngagementDecision.objects.count()) == before


def test_explaining_a_rule_that_would_offer_writes_nothing():
    rule("Cart", event_name="AddToCart")
    started = start_page()
    record_event(started, "AddToCart")
    Invitation.objects.all().delete()  # as if it had never been offered: it would be now

    with CaptureQueriesContext(connection) as queries:
        _, [verdict] = explain(visit=started.visit)

    assert verdict.would_offer is True
    writes = [q["sql"] for q in queries if q["sql"].split()[0].upper() != "SELECT"]
    assert writes == []


def test_only_the_highest_priority_rule_that_may_be_offered_would_be():
    first = rule("Everyone, first", priority=10)
    second = rule("Everyone, second")
    started = start_page()
    Invitation.objects.all().delete()

    _, verdicts = explain(visit=started.visit)
    _, [alone] = explain(visit=started.visit, rules=[second])

    assert [(v.rule.pk, v.would_offer) for v in verdicts] == [(first.pk, True), (second.pk, False)]
    assert verdicts[1].summary == "Matched, but Everyone, first comes first (higher priority)."
    assert alone.summary == verdicts[1].summary


def test_a_disabled_rule_is_tried_but_would_offer_nothing():
    off = rule("Switched off", enabled=False)
    started = start_page()

    _, [verdict] = explain(visit=started.visit, rules=[off])

    assert verdict.matches is True
    assert (verdict.would_offer, verdict.summary) == (False, "This rule is disabled.")


def test_an_external_strategy_decides_instead_of_the_rules():
    EngagementPolicy.objects.update(mode=EngagementPolicy.Mode.EXTERNAL)  # the one row
    rule("Everyone")
    started = start_page()

    _, [verdict] = explain(visit=started.visit)

    assert verdict.would_offer is False
    assert verdict.summary == "Matched; an external strategy decides (webhook)."


def test_nobody_available_is_said(settings):
    settings.GWE_MEDIA_ADAPTERS = {
        "gwe-chat": {
            "BACKEND": "media_adapters.memory.InMemoryAdapter",
            "OPTIONS": {"available": False},
        }
    }
    rule("Anything")
    started = start_page()

    _, [verdict] = explain(visit=started.visit)

    assert verdict.summary == "Matched, but nobody is available (gwe-chat)."


# ---- the admin ---------------------------------------------------------------------------------

TRY = "/admin/invitations/engagementrule/try/"


@pytest.fixture
def business_user(staff_client):
    return staff_client("view_engagementrule")


def test_the_admin_shows_each_rule_with_its_conditions_and_the_decisions(business_user):
    rule("Cart", event_name="AddToCart")
    rule("Checkout only", url_pattern="/checkout")
    started = start_page()
    record_event(started, "AddToCart")

    page = business_user.get(TRY, {"visit": started.visit.pk})

    html = page.content.decode()
    assert page.status_code == 200
    assert (
        '<li class="holds"><img src="/static/admin/img/icon-yes.svg" alt="✓"> '
        '<span class="needed">AddToCart at least once</span> <span class="seen">— seen 1 time'
        "</span></li>" in html
    )
    assert (
        '<li class="fails"><img src="/static/admin/img/icon-no.svg" alt="✗"> '
        '<span class="needed">URL matches /checkout</span> '
        '<span class="seen">— the URL was https://shop.example/</span></li>' in html
    )
    assert "Cart: offered invite" in html  # the decision GWE recorded


def test_the_admin_says_what_the_policy_answers_even_when_no_condition_holds(business_user):
    rule("Checkout only", url_pattern="/checkout")
    started = start_page()
    record_event(started, "AddToCart")

    html = business_user.get(TRY, {"visit": started.visit.pk}).content.decode()

    assert "Not matched: 1 condition does not hold." in html
    assert "Engagement policy: would allow an invitation now." in html
    assert "Answering (gwe-chat): someone is available." in html
    assert "Nobody is available" not in html


def test_the_admin_says_what_to_do_when_nobody_would_answer(business_user, settings):
    settings.GWE_MEDIA_ADAPTERS = {
        "gwe-chat": {"BACKEND": "media_adapters.gwe_chat.adapter.GweChatAdapter"}
    }
    rule("Anything")
    started = start_page()

    html = business_user.get(TRY, {"visit": started.visit.pk}).content.decode()

    assert "Answering (gwe-chat): nobody is available." in html
    assert 'opens the <a href="/agent/">agent console (/agent/)</a> and clicks Available.' in html


def test_the_visit_id_input_holds_a_whole_id(business_user):
    html = business_user.get(TRY).content.decode()

    assert 'name="visit" size="26"' in html


def test_a_rule_and_a_visit_link_to_trying_them(admin_client):
    tried = rule("Cart", event_name="AddToCart")
    started = start_page()

    rule_page = admin_client.get(f"/admin/invitations/engagementrule/{tried.pk}/change/")
    visit_page = admin_client.get(f"/admin/gwe/visit/{started.visit.pk}/change/")

    assert f'href="{TRY}?rule={tried.pk}"' in rule_page.content.decode()
    assert f'href="{TRY}?visit={started.visit.pk}"' in visit_page.content.decode()


def test_an_unknown_visit_is_a_clear_error(business_user):
    page = business_user.get(TRY, {"visit": "AAAAAAAAAAAAAAAAAAAAAA"})

    assert "There is no visit" in page.content.decode()


def test_staff_without_the_permission_cannot_try_rules(client):
    client.force_login(User.objects.create_user("x", password="x-pass", is_staff=True))

    assert client.get(TRY).status_code == 403
