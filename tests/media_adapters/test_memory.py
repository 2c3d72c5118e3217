"""The in-memory adapter keeps what it was asked, like Django's locmem mail backend."""

from media_adapters import memory
from media_adapters.base import Engagement
from tests.media_adapters.harness import context


def test_it_keeps_each_engagement_in_its_outbox():
    adapter = memory.InMemoryAdapter(alias="m", text="Hello", url="/chat", open="embed")

    engagement = adapter.start(context(visit_id="v1"))

    assert [c.visit_id for c in memory.outbox] == ["v1"]
    assert engagement == Engagement(text="Hello", url="/chat", open="embed", reference="memory-1")
