"""Rules decide, the policy limits, every step of an invitation is recorded."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gwe.models import Event
from invitations import services
from invitations.config import forget_configuration
from invitations.models import (
    BusinessHours,
    Category,
    CategoryTag,
    EngagementDecision,
    EngagementPolicy,
    Invitation,
    OpeningHours,
)
from invitations.rules import in_order
from invitations.schedule import WeeklySchedule
from notifications.models import Notification
from tests.support.factories import record_event, rule, start_page

pytestmark = pytest.mark.django_db


def offered(visit) -> list[Invitation]:
    return list(Invitation.objects.filter(visit=visit).order_by("offered_at"))


def last_decision() -> EngagementDecision:
    return EngagementDecision.objects.order_by("-decided_at")[0]


def history(visit) -> list[str]:
    return [
        e.event_name for e in Event.objects.filter(visit=visit, event_name__startswith="Invitation")
    ]


def test_a_matching_event_offers_the_template_to_the_page():
    rule(event_name="AddToCart")
    started = start_page()

    record_event(started, "AddToCart")

    [invitation] = offered(started.visit)
    assert (invitation.template.slug, invitation.page_id) == ("invite", started.page.pk)
    pushed = Notification.objects.get(pk=invitation.notification_id)
    assert pushed.channel == "gpe.appendContent"
    assert pushed.data["url"].startswith(
        f"/server/resources/invite.html?invitation={invitation.pk}"
    )
    assert history(started.visit) == ["InvitationOffered"]


def test_nothing_is_offered_when_no_rule_matches():
    rule(event_name="Checkout")
    started = start_page()

    record_event(started, "AddToCart")

    assert offered(started.visit) == []
    assert not EngagementDecision.objects.exists()


@pytest.mark.parametrize(
    ("conditions", "url", "fires"),
    [
        ({"url_pattern": "/pricing"}, "https://shop.example/pricing", True),
        ({"url_pattern": "/pricing"}, "https://shop.example/cart", False),
        ({"device": "mobile"}, "https://shop.example/", False),
        ({"languages": "fr, de"}, "https://shop.example/", False),
        ({"identity": "anonymous"}, "https://shop.example/", True),
        ({"identity": "known"}, "https://shop.example/", False),
        ({"visitor": "new"}, "https://shop.example/", True),
        ({"visitor": "returning"}, "https://shop.example/", False),
        ({"min_pages_viewed": 1}, "https://shop.example/", True),
        ({"min_pages_viewed": 2}, "https://shop.example/", False),
        ({"min_seconds_on_site": 3600}, "https://shop.example/", False),
        ({"referrer_pattern": "google"}, "https://shop.example/", False),
    ],
)
def test_each_condition_decides(conditions, url, fires):
    rule(event_name="Look", **conditions)
    started = start_page(url)

    record_event(started, "Look")

    assert bool(offered(started.visit)) is fires


def test_categories_stamp_events_and_rules_can_ask_for_them():
    pricing = Category.objects.create(name="Pricing")
    CategoryTag.objects.create(
        category=pricing, field="url", match="wildcard", pattern="*/pricing*"
    )
    made = rule(event_name="Look")
    made.categories.add(pricing)
    forget_configuration()
    elsewhere, there = (
        start_page("https://shop.example/cart"),
        start_page("https://shop.example/pricing"),
    )

    record_event(elsewhere, "Look")
    event = record_event(there, "Look")

    assert event.category == ["Pricing"]
    assert offered(elsewhere.visit) == []
    assert len(offered(there.visit)) == 1


def test_an_event_seen_enough_times_within_the_window_fires():
    rule(event_name="AddToCart", event_min_count=3, event_within_seconds=60)
    started = start_page()

    for _ in range(2):
        record_event(started, "AddToCart")
    assert offered(started.visit) == []
    record_event(started, "AddToCart")

    assert len(offered(started.visit)) == 1


def test_a_sequence_must_be_gone_through_in_order():
    rule(event_name="Checkout", sequence="AddToCart > ViewCart > Checkout")
    wrong, right = start_page(), start_page()

    for name in ["ViewCart", "AddToCart", "Checkout"]:
        record_event(wrong, name)
    for name in ["AddToCart", "Search", "ViewCart", "Checkout"]:
        record_event(right, name)

    assert offered(wrong.visit) == []
    assert len(offered(right.visit)) == 1


@given(
    steps=st.lists(st.sampled_from("abcd"), max_size=4),
    timeline=st.lists(st.sampled_from("abcd"), max_size=8),
)
def test_in_order_is_a_subsequence_test(steps, timeline):
    def subsequence(needle, haystack):
        it = iter(haystack)
        return all(x in it for x in needle)

    assert in_order(steps, [{name} for name in timeline]) == subsequence(steps, timeline)


def test_the_highest_priority_rule_is_offered_and_the_others_are_told_why():
    rule(name="low", event_name="Look", priority=1)
    rule(name="high", event_name="Look", priority=5, template="invite-callback")
    started = start_page()

    record_event(started, "Look")

    [invitation] = offered(started.visit)
    assert invitation.rule is not None
    assert invitation.rule.name == "high"
    decision = EngagementDecision.objects.get()
    assert [(r["rule"], r["offered"]) for r in decision.reasons] == [("high", True), ("low", False)]


def test_one_engagement_at_a_time_and_caps_per_page():
    rule(event_name="Look", max_per_page=5, max_per_visit=5)
    started = start_page()

    record_event(started, "Look")
    record_event(started, "Look")

    assert len(offered(started.visit)) == 1
    assert "one at a time" in last_decision().reasons[0]["why"]


def test_a_rejection_starts_a_cool_down():
    rule(event_name="Look", max_per_page=9, max_per_visit=9, max_per_visitor_day=9)
    started = start_page()
    record_event(started, "Look")
    [first] = offered(started.visit)
    services.invitation_step(
        invitation_id=first.pk, token=services.invitation_token(first.pk), step="rejected"
    )

    record_event(started, "Look")

    assert offered(started.visit) == [first]
    assert "rejected less than 600 s ago" in last_decision().reasons[0]["why"]


def test_a_rule_can_lift_the_global_cap(settings):
    EngagementPolicy.objects.update(cooldown_after_reject=0)
    rule(event_name="Look", max_per_page=3, max_per_visit=3, one_at_a_time=False)
    started = start_page()

    for _ in range(4):
        record_event(started, "Look")

    assert len(offered(started.visit)) == 3


def test_nothing_is_offered_when_the_adapter_has_nobody(settings):
    settings.GWE_MEDIA_ADAPTERS = {
        "gwe-chat": {
            "BACKEND": "media_adapters.memory.InMemoryAdapter",
            "OPTIONS": {"available": False},
        }
    }
    from media_adapters.registry import adapters

    adapters.cache_clear()
    rule(event_name="Look")
    started = start_page()

    record_event(started, "Look")
    adapters.cache_clear()

    assert offered(started.visit) == []
    assert "nobody is available" in EngagementDecision.objects.get().reasons[0]["why"]


def test_business_hours_are_read_in_their_time_zone():
    # Mondays 09:00-17:00 in Paris, except a holiday.
    paris = WeeklySchedule(
        "Europe/Paris", [(0, time(9), time(17))], frozenset({date(2026, 12, 28)})
    )

    assert paris.is_open(datetime(2026, 11, 30, 8, 30, tzinfo=UTC))  # 09:30 in Paris
    assert not paris.is_open(datetime(2026, 11, 30, 7, 30, tzinfo=UTC))  # 08:30 in Paris
    assert not paris.is_open(datetime(2026, 11, 30, 16, 30, tzinfo=UTC))  # 17:30 in Paris
    assert not paris.is_open(datetime(2026, 12, 28, 10, 0, tzinfo=UTC))  # the holiday
    # Sunday 23:30 UTC is already Monday 00:30 in Paris, still closed; 08:00 UTC is open.
    assert not paris.is_open(datetime(2026, 11, 29, 23, 30, tzinfo=UTC))


def test_a_rule_outside_business_hours_does_not_fire():
    closed = BusinessHours.objects.create(name="never", time_zone="Pacific/Auckland")
    OpeningHours.objects.create(schedule=closed, weekday=0, opens=time(0, 0), closes=time(0, 1))
    rule(event_name="Look", business_hours=closed)
    started = start_page()

    record_event(started, "Look")

    assert offered(started.visit) == []


def test_the_life_of_an_accepted_invitation_is_in_the_history():
    rule(event_name="Look")
    started = start_page()
    record_event(started, "Look")
    [invitation] = offered(started.visit)
    token = services.invitation_token(invitation.pk)

    services.invitation_step(invitation_id=invitation.pk, token=token, step="shown")
    services.invitation_step(
        invitation_id=invitation.pk, token=token, step="accepted", fields={"first_name": "Ann"}
    )

    invitation.refresh_from_db()
    assert invitation.state == "accepted"
    assert invitation.data["fields"] == {"first_name": "Ann"}
    assert history(started.visit) == ["InvitationOffered", "InvitationShown", "InvitationAccepted"]
    accepted = Event.objects.get(visit=started.visit, event_name="InvitationAccepted")
    assert accepted.event_type == "SYSTEM"
    assert accepted.data == {"invitationID": invitation.pk, "template": "invite", "rule": "rule 1"}


def test_steps_out_of_order_with_a_bad_token_or_too_late_are_refused():
    rule(event_name="Look")
    started = start_page()
    record_event(started, "Look")
    [invitation] = offered(started.visit)
    token = services.invitation_token(invitation.pk)

    def refused(step, token=token):
        with pytest.raises(services.StepRefused) as caught:
            services.invitation_step(invitation_id=invitation.pk, token=token, step=step)
        return caught.value.status

    assert refused("accepted", token="forged") == 403
    assert refused("dance") == 400
    services.invitation_step(invitation_id=invitation.pk, token=token, step="rejected")
    assert refused("accepted") == 409
    late = Invitation.objects.create(
        visit=started.visit,
        page=started.page,
        global_visit_id=started.visit.global_visit_id,
        template=invitation.template,
        expires_at=invitation.offered_at - timedelta(seconds=1),
    )
    with pytest.raises(services.StepRefused) as caught:
        services.invitation_step(
            invitation_id=late.pk, token=services.invitation_token(late.pk), step="accepted"
        )
    assert caught.value.status == 410
    late.refresh_from_db()
    assert late.state == "expired"


def test_unanswered_invitations_expire():
    rule(event_name="Look")
    started = start_page()
    record_event(started, "Look")
    [invitation] = offered(started.visit)

    assert services.invitations_expire(now=invitation.expires_at + timedelta(seconds=1)) == 1

    invitation.refresh_from_db()
    assert invitation.state == "expired"
    assert history(started.visit)[-1] == "InvitationExpired"


def test_edits_take_effect_without_a_restart(monkeypatch):
    monkeypatch.setattr("invitations.config.configuration_copy.every", 0)  # not a second
    started = start_page()
    record_event(started, "Look")
    made = rule(event_name="Look", enabled=False)
    record_event(started, "Look")
    assert offered(started.visit) == []

    made.enabled = True
    made.save()
    record_event(started, "Look")

    assert len(offered(started.visit)) == 1
