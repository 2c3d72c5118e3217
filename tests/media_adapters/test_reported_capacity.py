"""The HTTP adapters (GMS, webhook, URL) report the capacity their availability check
answers, for pacing: a real local server answers as the contact center's service would."""

import pytest

from media_adapters.base import Capacity
from media_adapters.gms import GmsAdapter
from media_adapters.url import UrlAdapter
from media_adapters.webhook import WebhookAdapter
from tests.support.fake_http import FakeHttpServer, Reply


@pytest.fixture
def service():
    server = FakeHttpServer()
    yield server
    server.close()


def gms(server: FakeHttpServer) -> GmsAdapter:
    return GmsAdapter(alias="gms", base_url=server.url, availability_path="/available", timeout=1.0)


def webhook(server: FakeHttpServer) -> WebhookAdapter:
    return WebhookAdapter(
        alias="webhook",
        url=server.url + "/engage",
        secret="s",
        availability_url=server.url + "/available",
        timeout=1.0,
    )


def url(server: FakeHttpServer) -> UrlAdapter:
    return UrlAdapter(
        alias="url", url="https://widget.example/", availability_url=server.url + "/available"
    )


ADAPTERS = pytest.mark.parametrize("made", [gms, webhook, url], ids=["gms", "webhook", "url"])


@ADAPTERS
def test_the_capacity_the_availability_check_answers_is_what_pacing_is_told(service, made):
    said = {"available": True, "agentsReady": 3, "slots": 6, "busy": 4, "waiting": 1}
    service.reply(Reply(200, {**said, "handleSeconds": 240}), path="/available")
    adapter = made(service)
    options = adapter.template_options({})

    assert adapter.is_available(options) is True
    assert adapter.capacity(options) == Capacity(
        agents_ready=3, slots=6, busy=4, waiting=1, handle_seconds=240.0
    )
    assert len(service.received) == 1  # one question answers both, kept a few seconds


@ADAPTERS
def test_agents_ready_default_to_the_slots_and_busy_is_bounded_by_them(service, made):
    service.reply(Reply(200, {"slots": 2, "busy": 5}), path="/available")
    adapter = made(service)

    assert adapter.capacity(adapter.template_options({})) == Capacity(
        agents_ready=2, slots=2, busy=2
    )


@pytest.mark.parametrize(
    "answer",
    [
        {"available": True},  # says nothing of capacity
        {"slots": 3},  # busy missing
        {"slots": "3", "busy": 1},
        {"slots": 3, "busy": -1},
        {"slots": 2.5, "busy": 1},
        {"slots": True, "busy": 0},
        {"slots": 3, "busy": 1, "handleSeconds": 0},
    ],
)
def test_a_capacity_pacing_cannot_use_is_none_and_availability_still_holds(service, answer):
    service.reply(Reply(200, answer), path="/available")
    adapter = webhook(service)

    assert adapter.capacity({}) is None
    assert adapter.is_available({}) is True


@pytest.mark.parametrize("number", ["Infinity", "NaN", "1e400"])
def test_a_count_that_is_not_finite_is_none(service, number):
    service.reply(Reply(200, f'{{"slots": {number}, "busy": 0}}'), path="/available")
    adapter = webhook(service)

    assert adapter.capacity({}) is None
    assert adapter.is_available({}) is True


@pytest.mark.parametrize("reply", [Reply(503, {"slots": 3, "busy": 0}), Reply(200, "<html>")])
def test_an_availability_check_that_fails_reports_nobody_and_no_capacity(service, reply):
    service.reply(reply, path="/available")
    adapter = webhook(service)

    assert adapter.is_available({}) is False
    assert adapter.capacity({}) is None


def test_without_an_availability_check_nothing_is_reported():
    adapter = WebhookAdapter(alias="webhook", url="https://crm.example/engage", secret="s")

    assert adapter.is_available({}) is True
    assert adapter.capacity({}) is None
