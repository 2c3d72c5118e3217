"""A visitor's data under control (SPEC §9): everything held of an identity exported, and
erased, visit by visit or all of it; old visits purged by the retention, newer ones kept."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.utils import timezone

from gwe import partitions, privacy
from gwe.models import Event, Identity, Page, Visit
from invitations import services as invitations
from invitations.models import EngagementDecision, Invitation, InvitationTemplate
from media_adapters.gwe_chat import left_messages
from media_adapters.gwe_chat.models import Chat, ChatMessage, LeftMessage
from notifications.models import Delivery, Notification
from notifications.services import NotifyMessage, deliveries_record, notify
from tests.media_adapters.test_gwe_chat import make_agent
from tests.support.asgi import AsgiClient
from tests.support.factories import record_event, start_page

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
EMAIL = "grace@example.com"
TABLES = [Visit, Page, Event, Invitation, EngagementDecision, Notification, Delivery]
TABLES += [Chat, ChatMessage, LeftMessage, Identity]


def privacy_desk(*codenames: str) -> AsgiClient:
    user = User.objects.create_user("privacy-desk", password="desk-pass-1")
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return AsgiClient.basic("privacy-desk", "desk-pass-1")


def a_known_visitor(email: str = EMAIL) -> dict:
    """An identity with two visits, an invitation, a chat with messages, a message left and
    notifications delivered; the ids of all of it."""
    first = start_page("https://shop.example/", title="Shop")
    record_event(first, "SignIn", data={"email": email, "name": "Grace"})
    second = start_page("https://shop.example/pricing", title="Pricing")
    record_event(second, "SignIn", data={"email": email})
    record_event(second, "AddToCart", data={"sku": "SHOE-1"})
    invitation = invitations.invitation_offer(
        page=second.page, template=InvitationTemplate.objects.get(slug="invite"), rule=None
    )
    [notification] = notify(visit_id=second.visit.pk, messages=[NotifyMessage(channel="offers")])
    deliveries_record(receipts={(second.visit.pk, second.page.pk): [notification.pk]})
    chat = Chat.objects.create(
        visit_id=second.visit.pk,
        page_id=second.page.pk,
        global_visit_id=second.visit.global_visit_id,
        agent=make_agent("ann"),
    )
    ChatMessage.objects.create(chat=chat, seq=1, sender="visitor", text="Do you ship to Oslo?")
    left = left_messages.message_leave(
        visit_id=second.visit.pk,
        page_id=second.page.pk,
        alias="gwe-chat",
        name="Grace",
        email=email,
        text="Call me",
    )
    return {
        "visits": [first.visit.pk, second.visit.pk],
        "pages": [first.page.pk, second.page.pk],
        "invitation": invitation.pk,
        "notification": notification.pk,
        "chat": chat.pk,
        "left": left.pk,
    }


def test_an_export_holds_everything_of_the_identity_and_an_erasure_leaves_nothing():
    held = a_known_visitor()
    someone_else = start_page("https://shop.example/", title="Shop")
    desk = privacy_desk("view_visit", "delete_visit", "view_notification")

    exported = desk.get(f"/server/data/identities/{EMAIL}/export")
    erased = desk.request("DELETE", f"/server/data/identities/{EMAIL}", b"", {})

    assert exported.status_code == 200
    data = exported.json()
    assert data["identity"]["attributes"]["name"] == "Grace"
    assert sorted(v["visitID"] for v in data["visits"]) == sorted(held["visits"])
    assert {p["pageID"] for v in data["visits"] for p in v["pages"]} == set(held["pages"])
    assert "AddToCart" in [e["eventName"] for e in data["events"]]
    assert [i["invitationID"] for i in data["invitations"]] == [held["invitation"]]
    assert isinstance(data["decisions"], list)
    assert held["notification"] in [n["notificationID"] for n in data["notifications"]]
    assert data["chats"][0]["messages"][0]["text"] == "Do you ship to Oslo?"
    assert [m["messageID"] for m in data["leftMessages"]] == [held["left"]]

    assert erased.status_code == 200
    deleted = erased.json()["deleted"]
    assert deleted["visits"] == 2
    assert deleted["chats"] == 1
    assert deleted["leftMessages"] == 1
    assert deleted["identities"] == 1
    for path in (
        f"/server/data/visits/{held['visits'][0]}",
        f"/server/data/visits/{held['visits'][1]}/events",
        f"/server/data/pages/{held['pages'][1]}/events",
        f"/server/data/identities/{EMAIL}/visits",
        f"/server/data/identities/{EMAIL}/export",
        f"/server/data/notification/{held['notification']}",
    ):
        assert desk.get(path).status_code == 404, path
    counts = {model.__name__: model.objects.count() for model in TABLES}
    assert counts["Visit"] == counts["Page"] == 1  # someone else's
    assert Visit.objects.get().pk == someone_else.visit.pk
    assert {k: v for k, v in counts.items() if k not in ("Visit", "Page", "Event")} == {
        name: 0 for name in counts if name not in ("Visit", "Page", "Event")
    }
    assert set(Event.objects.values_list("visit_id", flat=True)) == {someone_else.visit.pk}


def test_one_anonymous_visit_is_erased_by_its_id():
    kept, gone = start_page(), start_page()
    notify(visit_id=gone.visit.pk, messages=[NotifyMessage(channel="x")])
    desk = privacy_desk("view_visit", "delete_visit")

    erased = desk.request("DELETE", f"/server/data/visits/{gone.visit.pk}", b"", {})
    again = desk.request("DELETE", f"/server/data/visits/{gone.visit.pk}", b"", {})

    assert erased.status_code == 200
    assert erased.json()["deleted"]["visits"] == 1
    assert erased.json()["deleted"]["notifications"] == 1
    assert again.status_code == 404
    assert list(Visit.objects.values_list("pk", flat=True)) == [kept.visit.pk]


def test_an_account_without_the_permissions_erases_and_exports_nothing():
    a_known_visitor()
    reader = privacy_desk("view_visit")  # may read the history, not erase it
    nobody = AsgiClient.basic("nobody", "x")
    User.objects.create_user("nobody", password="x")

    refused = [
        reader.request("DELETE", f"/server/data/identities/{EMAIL}", b"", {}),
        reader.request("DELETE", f"/server/data/visits/{'A' * 22}", b"", {}),
        nobody.get(f"/server/data/identities/{EMAIL}/export"),
        AsgiClient().get(f"/server/data/identities/{EMAIL}/export"),
    ]

    assert [answer.status_code for answer in refused] == [403, 403, 403, 401]
    assert Visit.objects.count() == 2
    assert reader.get(f"/server/data/identities/{EMAIL}/export").status_code == 200
    assert reader.get("/server/data/identities/nobody@example.com/export").status_code == 404
    assert reader.request("DELETE", "/server/data/visits/not-an-id", b"", {}).status_code == 403


def aged(started, days: float) -> None:
    """The visit as if it happened `days` ago, its events too."""
    then = timezone.now() - timedelta(days=days)
    Visit.objects.filter(pk=started.visit.pk).update(start_time=then, last_activity=then)
    Event.objects.filter(visit_id=started.visit.pk).update(timestamp=then)


def test_the_retention_purges_visits_older_than_its_days_and_keeps_the_rest(settings):
    settings.GWE_RETENTION_DAYS = 30
    old, recent = start_page(title="Old"), start_page(title="Recent")
    notify(visit_id=old.visit.pk, messages=[NotifyMessage(channel="x")])
    aged(old, 45)
    aged(recent, 10)

    deleted = privacy.visits_purge()

    assert deleted["visits"] == 1
    assert deleted["notifications"] == 1
    assert list(Visit.objects.values_list("pk", flat=True)) == [recent.visit.pk]
    assert set(Event.objects.values_list("visit_id", flat=True)) == {recent.visit.pk}
    assert privacy.visits_purge() == {}  # nothing older left


def test_no_retention_keeps_everything(settings):
    settings.GWE_RETENTION_DAYS = 0
    aged(start_page(), 4000)

    assert privacy.visits_purge() == {}
    assert Visit.objects.count() == 1


def test_the_purge_command_shows_its_progress_and_says_what_went():
    for _ in range(3):
        aged(start_page(), 100)
    out = io.StringIO()

    call_command("gwe_purge", "--days", "90", stdout=out)

    said = out.getvalue()
    assert "3/3 visits" in said
    assert "Purged what was older than 90 days:" in said
    assert "3 visits" in said
    assert not Visit.objects.exists()


def test_on_postgresql_whole_weeks_of_old_events_are_dropped(settings):
    if not partitions.partitioned():
        pytest.skip("the events table is partitioned on PostgreSQL only (make test-db)")
    settings.GWE_RETENTION_DAYS = 30
    old = start_page(title="Old")
    long_ago = timezone.now() - timedelta(days=120)
    partitions.events_partitions_ensure(now=long_ago, ahead=0)
    aged(old, 120)
    recent = start_page(title="Recent")

    deleted = privacy.visits_purge()

    assert deleted["eventPartitions"] >= 1
    assert partitions.partition_for(partitions.week_of(long_ago)) not in (
        partitions.events_partitions()
    )
    assert list(Visit.objects.values_list("pk", flat=True)) == [recent.visit.pk]
    assert Event.objects.filter(visit_id=recent.visit.pk).exists()


def test_a_business_user_exports_and_erases_an_identity_in_the_admin(client):
    held = a_known_visitor()
    clerk = User.objects.create_user("clerk", password="clerk-pass-1", is_staff=True)
    clerk.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_identity", "view_visit", "delete_visit"])
    )
    client.force_login(clerk)
    url = "/admin/gwe/identity/"
    chosen = {"_selected_action": [EMAIL]}

    exported = client.post(url, {**chosen, "action": "export_selected"})
    asked = client.post(url, {**chosen, "action": "erase_selected"})
    still_there = Visit.objects.count()
    erased = client.post(
        url, {**chosen, "action": "erase_selected", "confirmed": "yes"}, follow=True
    )

    assert exported["Content-Disposition"] == 'attachment; filename="gwe-export.json"'
    assert sorted(v["visitID"] for v in exported.json()["visits"]) == sorted(held["visits"])
    assert "Erase for good?" in asked.content.decode()
    assert "2 visits" in asked.content.decode()
    assert still_there == 2  # asked, not yet erased
    assert "Erased:" in erased.content.decode()
    assert not Visit.objects.exists()
    assert not Identity.objects.exists()
    assert not Chat.objects.exists()


def test_a_user_who_may_only_read_is_not_offered_to_erase(client):
    a_known_visitor()
    reader = User.objects.create_user("reader", password="reader-pass-1", is_staff=True)
    reader.user_permissions.add(*Permission.objects.filter(codename__in=["view_visit"]))
    client.force_login(reader)

    page = client.get("/admin/gwe/visit/").content.decode()
    refused = client.post(
        "/admin/gwe/visit/",
        {
            "_selected_action": list(Visit.objects.values_list("pk", flat=True)),
            "action": "erase_selected",
            "confirmed": "yes",
        },
    )

    assert "Export everything held of the selected" in page
    assert "erase_selected" not in page
    assert refused.status_code in (200, 302)
    assert Visit.objects.count() == 2
