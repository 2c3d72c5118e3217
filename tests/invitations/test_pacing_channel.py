"""Pacing on a real channel: the built-in chat reports its agents' capacity, offers pending
reserve it, the rules and the engage gateway obey it, and the Pacing API shows it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone
from rest_framework.test import APIClient

from invitations.explain import explain
from invitations.models import ChannelPacing, EngagementDecision, Invitation, PacingSample
from invitations.pacing_state import last_hour, pacing_sampled
from invitations.reporting import NO_RULE, invitation_report
from media_adapters.gwe_chat.models import AgentStatus, Chat
from media_adapters.registry import adapter_capacity
from tests.support.factories import rule, start_page
from tests.support.fake_http import FakeHttpServer, Reply

pytestmark = pytest.mark.django_db
CHAT = {"gwe-chat": {"BACKEND": "media_adapters.gwe_chat.GweChatAdapter"}}


@pytest.fixture
def real_chat(settings):
    settings.GWE_MEDIA_ADAPTERS = {**settings.GWE_MEDIA_ADAPTERS, **CHAT}


def agent(name: str = "ada", *, max_chats: int = 1) -> User:
    user = User.objects.create_user(name, password="agent-pass-1")
    user.groups.add(Group.objects.get_or_create(name="agents")[0])
    AgentStatus.objects.create(
        user=user, available=True, max_chats=max_chats, last_seen=timezone.now()
    )
    return user


def api(*codenames: str) -> APIClient:
    user = User.objects.create_user(f"api-{len(codenames)}", password="api-pass-1")
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = APIClient()
    client.force_authenticate(user)
    return client


def pacing_of(client: APIClient, channel: str = "gwe-chat") -> dict:
    response = client.get(f"/server/data/pacing/{channel}")
    assert response.status_code == 200, response.content
    return response.json()


def test_one_free_agent_gets_only_as_many_invitations_as_pacing_allows(real_chat):
    agent(max_chats=1)
    rule("Everyone", event_name="PageEntered")
    reader = api("view_channelpacing")
    before = pacing_of(reader)

    visitors = [start_page(f"https://shop.example/p/{n}") for n in range(4)]

    after = pacing_of(reader)
    assert before == {
        "channel": "gwe-chat",
        "algorithm": "progressive",
        "agentsReady": 1,
        "freeCapacity": 1,
        "pendingOffers": 0,
        "acceptanceRate": 0.3,
        "allowedOffers": 1,
        "optimizationTarget": "ABANDONMENT_RATE",
        "optimizationGoal": 0.03,
    }
    assert Invitation.objects.count() == 1
    assert (after["pendingOffers"], after["allowedOffers"]) == (1, 0)
    held = EngagementDecision.objects.filter(
        invitation__isnull=True, visit__in=[v.visit for v in visitors]
    )
    reasons = [d.reasons[0]["why"] for d in held]
    assert len(reasons) == 3
    assert all(r.startswith("pacing: 1 offer pending for 1 free slot on gwe-chat") for r in reasons)


def test_an_offer_answered_frees_what_it_reserved(real_chat):
    agent(max_chats=1)
    rule("Everyone", event_name="PageEntered")
    start_page()
    Invitation.objects.update(state="rejected", ended_at=timezone.now())

    start_page("https://shop.example/next")

    assert Invitation.objects.filter(state="offered").count() == 1


def test_the_engage_gateway_is_refused_past_pacing(real_chat):
    agent(max_chats=1)
    strategy = api("add_invitation", "change_invitation")
    first, second = start_page(), start_page()

    offered = strategy.post(
        "/server/data/gateway/engage",
        {"visitID": first.visit.pk, "invitation": "invite"},
        format="json",
    )
    refused = strategy.post(
        "/server/data/gateway/engage",
        {"visitID": second.visit.pk, "invitation": "invite"},
        format="json",
    )

    assert offered.status_code == 202, offered.content
    assert refused.status_code == 409
    assert refused.json()["reason"].startswith("pacing: 1 offer pending for 1 free slot")
    [decision] = EngagementDecision.objects.filter(visit=second.visit)
    assert (decision.event_name, decision.invitation) == ("engage", None)
    assert decision.reasons[0]["why"] == refused.json()["reason"]
    today = timezone.localdate()
    [row] = [r for r in invitation_report(since=today, until=today).rows if r.tally.held_back]
    assert (row.template, row.rule, row.tally.held_back) == ("invite", NO_RULE, 1)


def test_a_busy_factor_goal_set_by_a_business_user_is_what_the_api_shows(real_chat):
    agent("ada", max_chats=3)
    agent("bob", max_chats=3)
    ChannelPacing.objects.create(
        channel="gwe-chat", optimization_target="BUSY_FACTOR", optimization_goal=80
    )

    shown = pacing_of(api("view_channelpacing"))

    assert (shown["optimizationTarget"], shown["optimizationGoal"]) == ("BUSY_FACTOR", 0.8)
    assert (shown["agentsReady"], shown["freeCapacity"]) == (2, 6)
    assert shown["allowedOffers"] > 6  # 30 % accept: more offers than free slots


def test_a_channel_that_cannot_say_is_paced_by_the_slots_set_for_it():
    reader = api("view_channelpacing")
    assert pacing_of(reader, "gms")["allowedOffers"] is None  # not paced

    ChannelPacing.objects.create(channel="gms", slots=2, handle_seconds=600)
    set_up = pacing_of(reader, "gms")

    assert (set_up["agentsReady"], set_up["freeCapacity"]) == (2, 2)
    assert set_up["allowedOffers"] >= 2


def test_a_channel_whose_availability_check_reports_capacity_is_paced_by_it(settings):
    service = FakeHttpServer()
    service.reply(Reply(200, {"slots": 4, "busy": 3, "agentsReady": 2}), path="/available")
    service.reply(Reply(200, {"available": True}), path="/available")
    settings.GWE_MEDIA_ADAPTERS = {
        **settings.GWE_MEDIA_ADAPTERS,
        "crm": {
            "BACKEND": "media_adapters.webhook.WebhookAdapter",
            "OPTIONS": {
                "url": service.url + "/engage",
                "secret": "s",
                "availability_url": service.url + "/available",
                "availability_cache_seconds": 0,
            },
        },
    }
    ChannelPacing.objects.create(channel="crm", slots=10)  # what it reports comes first
    reader = api("view_channelpacing")
    try:
        reported = pacing_of(reader, "crm")
        configured = pacing_of(reader, "crm")  # the next answer reports none
    finally:
        service.close()

    assert (reported["agentsReady"], reported["freeCapacity"]) == (2, 1)
    assert (configured["agentsReady"], configured["freeCapacity"]) == (10, 10)


def test_nobody_ready_lets_no_visitor_initiated_engagement_through(real_chat):
    reader = api("view_channelpacing")
    assert reader.get("/server/data/pacing/gwe-chat/reactiveState").json() == {
        "channel": "gwe-chat",
        "probability": 0.0,
    }
    agent()

    assert reader.get("/server/data/pacing/gwe-chat/reactiveState").json()["probability"] == 1.0


def test_the_pacing_api_says_what_is_wrong():
    anonymous = APIClient()
    nobody = api()
    reader = api("view_channelpacing")

    assert anonymous.get("/server/data/pacing/gwe-chat").status_code == 401
    assert nobody.get("/server/data/pacing/gwe-chat").status_code == 403
    unknown = reader.get("/server/data/pacing/sms")
    assert unknown.status_code == 404
    assert "gwe-chat" in unknown.json()["error"]
    assert reader.get("/server/data/pacing/bad%20name").status_code == 400
    assert reader.get("/server/data/pacing/sms/reactiveState").status_code == 404


def test_a_chat_ended_lately_teaches_the_channel_its_handle_time(real_chat):
    ada = agent(max_chats=2)
    now = timezone.now()
    Chat.objects.create(
        visit_id="V" * 22,
        global_visit_id="G" * 22,
        agent=ada,
        state="ended",
        created_at=now - timedelta(minutes=11),
        answered_at=now - timedelta(minutes=10),
        ended_at=now - timedelta(minutes=6),
    )
    Chat.objects.create(  # left the queue after 2 minutes, nobody having answered
        visit_id="W" * 22,
        global_visit_id="H" * 22,
        state="ended",
        created_at=now - timedelta(minutes=5),
        ended_at=now - timedelta(minutes=3),
    )
    capacity = adapter_capacity("gwe-chat")

    assert capacity is not None
    assert capacity.handle_seconds == pytest.approx(240, abs=1)
    assert capacity.abandonment == 0.5
    assert capacity.busy_factor == pytest.approx(300 / (2 * 3600), abs=0.001)  # an agent's


def test_a_business_user_sees_each_channel_pacing_now_and_sets_its_goal(real_chat, staff_client):
    agent(max_chats=2)
    client = staff_client("view_channelpacing", "change_channelpacing")

    listed = client.get("/admin/invitations/channelpacing/")
    row = ChannelPacing.objects.get(channel="gwe-chat")
    saved = client.post(
        f"/admin/invitations/channelpacing/{row.pk}/change/",
        {
            "channel": "gwe-chat",
            "enabled": "on",
            "algorithm": "predictive",
            "optimization_target": "BUSY_FACTOR",
            "optimization_goal": "85",
            "slots": "",
            "handle_seconds": "",
        },
    )

    assert listed.status_code == 200
    text = listed.content.decode()
    assert "gwe-chat" in text
    assert "abandonment ≤ 3%" in text
    assert "May offer now" in text
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert pacing_of(api("view_channelpacing"))["optimizationGoal"] == 0.85
    page = client.get(f"/admin/invitations/channelpacing/{row.pk}/change/").content.decode()
    assert "more may be offered now" in page


def test_try_on_a_visit_says_when_pacing_holds_an_offer_back(real_chat):
    agent(max_chats=1)
    rule("Everyone", event_name="PageEntered")
    start_page()  # offered: the one free slot is reserved
    second = start_page("https://shop.example/other")

    _, [verdict] = explain(visit=second.visit, event_name="PageEntered")

    assert verdict.matches
    assert not verdict.would_offer
    assert verdict.summary.startswith(
        "Matched, but pacing holds it back: 1 offer pending for 1 free slot on gwe-chat"
    )


def test_the_report_counts_the_offers_pacing_held_back_per_day(real_chat):
    agent(max_chats=1)
    rule("Everyone", event_name="PageEntered")
    for n in range(3):
        start_page(f"https://shop.example/p/{n}")
    today = timezone.localdate()

    [row] = invitation_report(since=today, until=today).rows

    assert (row.rule, row.tally.offered, row.tally.held_back) == ("Everyone", 1, 2)


def test_each_minute_a_channel_s_figures_are_kept_and_drawn_for_its_last_hour(
    real_chat, staff_client
):
    agent(max_chats=2)
    now = timezone.now()
    for minutes_ago in (50, 20, 0):
        pacing_sampled(now=now - timedelta(minutes=minutes_ago))
    pacing_sampled(now=now)  # this minute is sampled once, whoever sweeps
    pacing_sampled(now=now - timedelta(days=2))  # too old: gone at the next sweep
    pacing_sampled(now=now)

    samples = last_hour("gwe-chat", now)
    row, _ = ChannelPacing.objects.get_or_create(channel="gwe-chat")
    page = staff_client("view_channelpacing").get(
        f"/admin/invitations/channelpacing/{row.pk}/change/"
    )

    assert [(s.free, s.pending, s.allowed) for s in samples] == [(2, 0, 2)] * 3
    assert PacingSample.objects.filter(at__lt=now - timedelta(days=1)).count() == 0
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<polyline") == 3
    assert "offers pending" in html
