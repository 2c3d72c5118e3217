"""The agent's workspace: the visitors on the site now, as the console lists them, and the
invitations an agent offers by hand (through the policy and pacing, routed back to them)."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from gwe.models import Event, Page, Visit
from gwe.services import identity_link
from invitations import workspace
from invitations.models import ChannelPacing, EngagementDecision, Invitation
from invitations.workspace import VisitorFilter, visitors_on_site
from media_adapters.gwe_chat.models import Chat
from tests.media_adapters.test_gwe_chat import GWE_ORIGIN, Socket, make_agent, make_chat
from tests.support.factories import record_event, rule, start_page

CHAT = {"gwe-chat": {"BACKEND": "media_adapters.gwe_chat.GweChatAdapter"}}
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) AppleWebKit/605 Mobile/15E148 Safari/604.1"


def listed(**wanted) -> list[dict]:
    return visitors_on_site(VisitorFilter(**wanted))["rows"]


@pytest.mark.django_db
def test_the_list_shows_who_is_on_the_site_and_what_they_do():
    grace = start_page("https://shop.example/", title="Home", languageCode="nb")
    record_event(grace, "AddToCart")
    record_event(grace, "Search")
    now_on = start_page(
        "https://shop.example/pricing", title="Pricing", visitID=grace.page.visit_id
    )
    identity_link(
        visit_id=grace.page.visit_id, attributes={"email": "grace@example.com", "name": "Grace"}
    )
    Page.objects.filter(pk=grace.page.pk).update(seen_at=None)  # the first tab closed
    phone = start_page("https://shop.example/")
    Visit.objects.filter(pk=phone.page.visit_id).update(user_agent=PHONE)

    rows = listed()

    assert len(rows) == 2
    row = next(r for r in rows if r["visitID"] == grace.page.visit_id)
    assert (row["url"], row["title"], row["pageID"]) == (
        "https://shop.example/pricing",
        "Pricing",
        now_on.page.pk,
    )
    assert (row["pagesViewed"], row["language"], row["returning"]) == (2, "nb", False)
    assert row["lastEvents"] == ["Search", "AddToCart"]
    assert row["identity"] == {
        "id": "grace@example.com",
        "name": "Grace",
        "email": "grace@example.com",
    }
    assert (row["inChat"], row["rule"], row["invitationOut"]) == (False, None, False)
    assert [r["device"] for r in rows if r["visitID"] != row["visitID"]] == ["phone, Safari"]


@pytest.mark.django_db
def test_a_visitor_who_left_is_not_listed_and_one_who_came_back_is_returning():
    gone = start_page("https://shop.example/")
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Page.objects.filter(pk=gone.page.pk).update(seen_at=an_hour_ago)
    first = start_page("https://shop.example/", globalVisitID="G" * 22)
    Page.objects.filter(pk=first.page.pk).update(seen_at=None)
    Visit.objects.filter(pk=first.page.visit_id).update(end_time=timezone.now())
    again = start_page("https://shop.example/", globalVisitID="G" * 22)

    rows = listed()

    assert [r["visitID"] for r in rows] == [again.page.visit_id]
    assert rows[0]["returning"] is True


@pytest.mark.django_db
def test_search_and_filters_narrow_the_list_and_it_is_read_a_page_at_a_time():
    pricing = start_page("https://shop.example/pricing", title="Pricing")
    identity_link(visit_id=pricing.page.visit_id, attributes={"email": "ada@example.com"})
    for n in range(4):
        start_page(f"https://shop.example/p/{n}", title=f"Product {n}")

    assert [r["title"] for r in listed(page="/pricing")] == ["Pricing"]
    assert [r["title"] for r in listed(search="ada@")] == ["Pricing"]
    assert [r["title"] for r in listed(search="product 3")] == ["Product 3"]
    assert [r["title"] for r in listed(identified=True)] == ["Pricing"]
    assert len(listed(identified=False)) == 4
    assert listed(returning=True) == []
    second = visitors_on_site(VisitorFilter(offset=2, limit=2))
    assert (second["total"], second["offset"]) == (5, 2)
    assert [r["title"] for r in second["rows"]] == ["Product 1", "Product 0"]  # newest first


@pytest.mark.django_db
def test_the_list_says_whether_a_rule_offered_and_whether_the_visitor_is_chatting(settings):
    settings.GWE_MEDIA_ADAPTERS = {**settings.GWE_MEDIA_ADAPTERS, **CHAT}
    cart = rule("Cart", event_name="AddToCart")
    make_agent("ada")
    started = start_page("https://shop.example/cart")
    record_event(started, "AddToCart")
    Chat.objects.create(visit_id=started.page.visit_id, global_visit_id="G" * 22)

    [row] = listed()

    assert row["rule"] == {"rule": cart.name, "offered": True, "why": "offered invite"}
    assert row["inChat"] is True


@pytest.mark.django_db
def test_an_agent_invites_by_hand_and_the_chat_comes_back_to_them(settings, client):
    settings.GWE_MEDIA_ADAPTERS = {**settings.GWE_MEDIA_ADAPTERS, **CHAT}
    ada, bob = make_agent("ada"), make_agent("bob")
    started = start_page("https://shop.example/pricing")

    invitation = workspace.invite_by_agent(
        visit_id=started.page.visit_id, template="invite", agent=bob
    )
    out = listed()[0]["invitationOut"]
    from invitations import services

    services.invitation_step(
        invitation_id=invitation.pk,
        token=services.invitation_token(invitation.pk),
        step="accepted",
    )
    engaged = services.invitation_engage(invitation=Invitation.objects.get(pk=invitation.pk))

    assert (out, listed()[0]["invitationOut"]) == (True, False)  # answered: no longer out
    assert engaged["status"] == "started"
    assert ada.username < bob.username  # as free as bob, and first in line but for that
    assert Chat.objects.get().agent == bob
    offered = Event.objects.get(event_name="InvitationOffered")
    assert offered.data["agent"] == "bob"


@pytest.mark.django_db
def test_an_invite_by_hand_obeys_pacing_and_is_recorded_when_refused(settings):
    settings.GWE_MEDIA_ADAPTERS = {**settings.GWE_MEDIA_ADAPTERS, **CHAT}
    ada = make_agent("ada", max_chats=1)
    ChannelPacing.objects.create(channel="gwe-chat")
    first, second = start_page("https://shop.example/"), start_page("https://shop.example/")
    workspace.invite_by_agent(visit_id=first.page.visit_id, template="invite", agent=ada)

    with pytest.raises(workspace.InviteRefused, match="Not offered: pacing: 1 offer pending"):
        workspace.invite_by_agent(visit_id=second.page.visit_id, template="invite", agent=ada)
    with pytest.raises(workspace.InviteRefused, match="no enabled invitation 'nope'"):
        workspace.invite_by_agent(visit_id=second.page.visit_id, template="nope", agent=ada)
    Page.objects.filter(visit_id=second.page.visit_id).update(seen_at=None)
    with pytest.raises(workspace.InviteRefused, match="not on the site any more"):
        workspace.invite_by_agent(visit_id=second.page.visit_id, template="invite", agent=ada)

    [decision] = EngagementDecision.objects.filter(visit_id=second.page.visit_id)
    assert decision.reasons[0]["rule"] == "agent ada"
    assert decision.reasons[0]["why"].startswith("pacing:")
    assert Invitation.objects.count() == 1


# ---- the socket ----------------------------------------------------------------------------

sockets = pytest.mark.django_db(transaction=True, serialized_rollback=True)


async def visitors_socket(user: User | None) -> Socket:
    headers = list(GWE_ORIGIN)
    if user is not None:
        client = Client()
        await sync_to_async(client.force_login)(user)
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    socket = Socket("/server/ws/agent/visitors", headers=headers)
    await socket.open()
    return socket


@sockets
async def test_the_console_is_sent_the_list_again_only_when_it_changed(settings):
    settings.GWE_VISITORS_REFRESH_SECONDS = 1
    ada = await sync_to_async(make_agent)("ada")
    socket = await visitors_socket(ada)

    templates = await socket.until("templates")
    empty = await socket.until("visitors")
    started = await sync_to_async(start_page)("https://shop.example/pricing", title="Pricing")
    arrived = await socket.until("visitors", timeout=3)
    unchanged = await socket.communicator.receive_nothing(timeout=1.5)
    await socket.send({"type": "filter", "page": "/nothing-like-it"})
    filtered = await socket.until("visitors")
    await socket.send({"type": "filter", "offset": -1})
    refused = await socket.until("error")
    await socket.close()

    assert "invite" in [t["slug"] for t in templates["templates"]]
    assert (empty["total"], empty["rows"]) == (0, [])
    assert [r["visitID"] for r in arrived["rows"]] == [started.page.visit_id]
    assert unchanged is True
    assert filtered["total"] == 0
    assert refused["status"] == 400


@sockets
async def test_an_invite_from_the_socket_is_offered_or_says_why_not(settings):
    settings.GWE_MEDIA_ADAPTERS = {**settings.GWE_MEDIA_ADAPTERS, **CHAT}
    ada = await sync_to_async(make_agent)("ada", max_chats=1)
    await sync_to_async(make_chat)(ada)  # busy: nobody is free for another chat
    started = await sync_to_async(start_page)("https://shop.example/")
    socket = await visitors_socket(ada)
    await socket.until("visitors")

    await socket.send({"type": "invite", "visit": started.page.visit_id, "template": "invite"})
    refused = await socket.until("error")
    await socket.send({"type": "invite", "visit": 3})
    malformed = await socket.until("error")
    await socket.close()

    assert (refused["status"], refused["message"]) == (
        409,
        "Not offered: nobody is available (gwe-chat).",
    )
    assert malformed["status"] == 400


@sockets
async def test_only_an_agent_may_watch_the_visitors():
    clerk = await sync_to_async(User.objects.create_user)("clerk", password="x-pass")

    for user in (None, clerk):
        socket = await visitors_socket(user)
        assert await socket.closed() == 4403
