"""Which pages are open: while their live channel is (a tracker socket subscribed to its
visit), and for the grace period after it closes; a process vouches for the pages it holds;
a page gone past the grace period ends, and its visit is off the site. Nothing is offered
to a page that has no live channel."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from gwe.models import Page, Visit
from invitations.models import EngagementDecision, Invitation
from invitations.policy import NO_LIVE_CHANNEL
from notifications.presence import pages_close_gone, presence, presence_heartbeat
from tests.notifications.test_delivery import Tab
from tests.support.factories import record_event, rule, start_page


def seen_ago(page_id: str, seconds: float) -> None:
    Page.objects.filter(pk=page_id).update(seen_at=timezone.now() - timedelta(seconds=seconds))


@pytest.mark.django_db
def test_a_page_the_tracker_socket_starts_is_open_and_one_started_otherwise_is_not():
    live = start_page()
    beacon_only = start_page(live=False)

    assert live.page.is_live()
    assert live.visit.is_on_site()
    assert not beacon_only.page.is_live()
    assert set(Visit.objects.on_site()) == {live.visit}


@pytest.mark.django_db
def test_a_page_stays_open_for_the_grace_period_then_it_is_gone_and_ends(settings):
    settings.GWE_PRESENCE_GRACE_SECONDS = 30
    started = start_page()
    seen_ago(started.page.pk, 29)

    assert started.visit.is_on_site()
    assert pages_close_gone() == 0

    seen_ago(started.page.pk, 31)
    assert not started.visit.is_on_site()
    assert pages_close_gone() == 1
    page = Page.objects.get(pk=started.page.pk)
    assert page.end_time == page.seen_at  # it ended when it was last seen
    assert not Visit.objects.on_site().exists()
    assert Visit.objects.active().exists()  # the visit goes on: the visitor may come back


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_a_process_vouches_for_the_pages_whose_sockets_it_holds(settings):
    settings.GWE_PRESENCE_GRACE_SECONDS = 30
    tab = await Tab().open()
    await tab.subscribe()
    page_id = tab.ids["pageID"]
    await database_sync_to_async(seen_ago)(page_id, 300)  # the last word was long ago

    assert page_id in presence.pages()
    assert await database_sync_to_async(presence_heartbeat)() >= 1
    assert (await Page.objects.aget(pk=page_id)).is_live()

    await tab.close()  # closed: open for the grace period from now, no longer vouched for
    closed = await Page.objects.aget(pk=page_id)
    assert page_id not in presence.pages()
    assert closed.is_live()
    assert closed.is_live(timezone.now() + timedelta(seconds=31)) is False


@pytest.mark.django_db
def test_nothing_is_offered_to_a_page_without_a_live_channel_and_the_decision_says_why():
    rule("Cart", event_name="AddToCart")
    started = start_page(live=False)  # an old tracker over HTTP: nothing can reach it

    record_event(started, "AddToCart")

    assert not Invitation.objects.exists()
    [reason] = EngagementDecision.objects.get().reasons
    assert reason == {"rule": "Cart", "offered": False, "why": NO_LIVE_CHANNEL}


@pytest.mark.django_db
def test_the_engage_gateway_refuses_a_page_that_is_gone(client, django_user_model):
    admin = django_user_model.objects.create_superuser("crm", "", "crm-pass-1")
    client.force_login(admin)
    started = start_page()
    seen_ago(started.page.pk, 3600)

    response = client.post(
        "/server/data/gateway/engage",
        {"visitID": started.visit.pk, "invitation": "invite"},
        content_type="application/json",
    )

    assert response.status_code == 409
    assert response.json()["reason"] == NO_LIVE_CHANNEL
