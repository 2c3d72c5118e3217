"""An agent reads in the transcript when the visitor of an open chat leaves the site and when
they come back; a chat whose visitor stays away GWE_CHAT_ABANDONED_SECONDS ends, and both
sides read why."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gwe.models import Page
from media_adapters.gwe_chat import live, services
from media_adapters.gwe_chat.adapter import chats_watch_visitors
from media_adapters.gwe_chat.models import Chat, ChatState
from notifications import push
from tests.media_adapters.test_gwe_chat import CHAT_ADAPTER, make_agent
from tests.support.factories import start_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def told(settings, monkeypatch):
    """The topics pushed to, as each transaction commits."""
    settings.GWE_MEDIA_ADAPTERS = CHAT_ADAPTER
    settings.GWE_PRESENCE_GRACE_SECONDS = 30
    settings.GWE_CHAT_ABANDONED_SECONDS = 120
    topics: list[str] = []
    monkeypatch.setattr(push, "_push", lambda items: topics.extend(i.topic for i in items))
    return topics


def a_chat() -> Chat:
    page = start_page().page  # the visitor, on the site
    return Chat.objects.create(
        visit_id=page.visit_id,
        page_id=page.pk,
        global_visit_id=page.visit.global_visit_id,
        agent=make_agent("ann"),
        state=ChatState.ACTIVE,
        created_at=timezone.now() - timedelta(minutes=5),
    )


def visitor_seen_ago(chat: Chat, seconds: float) -> None:
    Page.objects.filter(visit_id=chat.visit_id).update(
        seen_at=timezone.now() - timedelta(seconds=seconds)
    )


def transcript(chat: Chat) -> list[str]:
    return list(chat.messages.order_by("seq").values_list("text", flat=True))


def test_the_agent_reads_when_the_visitor_leaves_and_comes_back(
    told, django_capture_on_commit_callbacks
):
    chat = a_chat()

    with django_capture_on_commit_callbacks(execute=True):
        assert chats_watch_visitors() == 0  # on the site: nothing to say
        visitor_seen_ago(chat, 31)  # the tab closed past the grace period
        assert chats_watch_visitors() == 1
        assert chats_watch_visitors() == 0  # said once
        visitor_seen_ago(chat, 0)
        assert chats_watch_visitors() == 1

    chat.refresh_from_db()
    assert transcript(chat) == [services.VISITOR_AWAY, services.VISITOR_BACK]
    assert chat.state == ChatState.ACTIVE
    assert chat.visitor_left_at is None
    assert chat.agent_id is not None
    assert told.count(live.agent_topic(chat.agent_id)) == 2  # the console's list shows it


def test_a_chat_whose_visitor_stays_away_ends_and_both_read_why(
    told, django_capture_on_commit_callbacks
):
    chat = a_chat()
    visitor_seen_ago(chat, 31)
    with django_capture_on_commit_callbacks(execute=True):
        chats_watch_visitors()
        Chat.objects.filter(pk=chat.pk).update(
            visitor_left_at=timezone.now() - timedelta(seconds=121)
        )
        assert chats_watch_visitors() == 1

    chat.refresh_from_db()
    assert chat.state == ChatState.ENDED
    assert transcript(chat)[-1] == services.VISITOR_LEFT
    assert live.chat_topic(chat.pk) in told  # the visitor's side too, if they come back
