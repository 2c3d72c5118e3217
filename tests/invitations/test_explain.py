"""“Why did (or didn't) it fire for this visit?”: every rule tried on a visit, condition by
condition, with the policy's answer, and nothing written."""

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gwe.models import Event
from invitations.explain import explain
from invitations.models import (
    EngagementDecision,
    EngagementPolicy,
    Invitation,
)
from tests.support.factories import record_event, rule, start_page

pytestmark = pytest.mark.django_db


def test_each_condition_says_whether_it_holds():
    rule("Cart on checkout", event_name="AddToCart", url_pattern="/checkout", device="desktop")
    started = start_page("https://shop.example/product/1", userAgent="Mozilla/5.0 (X11; Linux)")
    record_event(started, "AddToCart")
    Invitation.objects.all().delete()

    _, [verdict] = explain(visit=started.visit)

    assert [(c.condition, c.holds) for c in verdict.checks] == [
        ("URL matches /checkout", False),
        ("on desktop", True),
        ("AddToCart seen 1 times", True),
    ]
    assert verdict.matches is False
    assert verdict.summary == "Not matched: 1 condition(s) do not hold."


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
def business_user(client):
    user = User.objects.create_user("bu", password="bu-pass", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_engagementrule"))
    client.force_login(user)
    return client


def test_the_admin_shows_each_rule_with_its_conditions_and_the_decisions(business_user):
    rule("Cart", event_name="AddToCart")
    rule("Checkout only", url_pattern="/checkout")
    started = start_page()
    record_event(started, "AddToCart")

    page = business_user.get(TRY, {"visit": started.visit.pk})

    html = page.content.decode()
    assert page.status_code == 200
    assert '<span class="holds">✓</span> AddToCart seen 1 times' in html
    assert '<span class="fails">✗</span> URL matches /checkout' in html
    assert "Cart: offered invite" in html  # the decision GWE recorded


def test_the_admin_says_what_the_policy_answers_even_when_no_condition_holds(business_user):
    rule("Checkout only", url_pattern="/checkout")
    started = start_page()
    record_event(started, "AddToCart")

    html = business_user.get(TRY, {"visit": started.visit.pk}).content.decode()

    assert "Not matched: 1 condition(s) do not hold." in html
    assert "Engagement policy: would allow an invitation now." in html
    assert "Answering (gwe-chat): someone is available." in html


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
