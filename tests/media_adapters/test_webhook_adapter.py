"""The webhook adapter (third-party media) against a real receiving server that checks the
signature, answers, fails and is slow as tests line up."""

import time

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from media_adapters.base import AdapterError
from media_adapters.webhook import WebhookAdapter
from tests.media_adapters.harness import context
from tests.support.fake_http import FakeHttpServer, Reply

SECRET = "third-party-secret"


@pytest.fixture
def service():
    server = FakeHttpServer(secret=SECRET)
    yield server
    server.close()


def adapter(service, **options) -> WebhookAdapter:
    settings = {"url": service.url + "/engage", "secret": SECRET, "timeout": 0.5, "backoff": 0.01}
    return WebhookAdapter(alias="webhook", **{**settings, **options})


def start(made: WebhookAdapter, **template_options):
    return made.start(context(options=made.template_options(template_options)))


def test_the_context_is_posted_as_signed_json(service):
    service.reply(Reply(200, {"url": "https://widget.example/c/9", "reference": "c-9"}))

    engagement = start(adapter(service))

    [request] = service.received
    assert service.signed(request)
    body = request.json()
    assert body["attached_data"] == {"visitID": "V" * 22, "pageID": "P" * 22, "webengagement": ""}
    assert body["fields"] == {"first_name": "Ada", "_customer_number": "+15550100"}
    assert body["invitation"] == {"id": "I" * 22, "template": "invite", "rule": "Demo rule"}
    assert (engagement.url, engagement.open, engagement.reference) == (
        "https://widget.example/c/9",
        "popup",
        "c-9",
    )


def test_the_reply_or_the_template_says_how_the_url_opens(service):
    service.reply(Reply(200, {"url": "https://w.example/"}))
    service.reply(Reply(200, {"url": "https://w.example/", "open": "popup"}))
    made = adapter(service)

    assert start(made, open="embed").open == "embed"
    assert start(made, open="embed").open == "popup"


def test_words_alone_are_shown(service):
    service.reply(Reply(200, {"text": "We will email you within the hour."}))

    engagement = start(adapter(service))

    assert (engagement.text, engagement.url) == ("We will email you within the hour.", "")


def test_server_errors_and_timeouts_are_retried(service):
    service.reply(Reply(500), Reply(200, {"url": "https://w.example/"}, delay=1.0))
    service.reply(Reply(200, {"url": "https://w.example/ok"}))

    engagement = start(adapter(service, attempts=3))

    assert engagement.url == "https://w.example/ok"
    received = service.wait_for(3)
    assert len(received) == 3
    assert all(service.signed(r) for r in received)
    assert len({r.body for r in received}) == 1  # the same body: the service can tell a repeat


def test_retries_wait_longer_each_time(service):
    service.reply(Reply(502), Reply(502), Reply(200, {"text": "Done."}))

    began = time.monotonic()
    start(adapter(service, attempts=3, backoff=0.1))

    assert time.monotonic() - began >= 0.1 + 0.2
    assert len(service.received) == 3


def test_an_unreachable_service_is_tried_every_time_then_reported(service):
    service.close()

    with pytest.raises(AdapterError) as raised:
        start(adapter(service, attempts=2))

    assert raised.value.permanent is False
    assert raised.value.message.startswith("The service is not answering")
    assert "could not connect" in raised.value.detail
    assert "after 2 attempt(s)" in raised.value.detail


def test_a_slow_service_is_given_up_after_the_last_attempt(service):
    service.reply(*[Reply(200, {"text": "late"}, delay=0.8)] * 2)

    with pytest.raises(AdapterError) as raised:
        start(adapter(service, attempts=2, timeout=0.3))

    assert raised.value.permanent is False
    assert "no answer in time" in raised.value.detail
    assert len(service.wait_for(2)) == 2


def test_a_refusal_is_never_retried(service):
    service.reply(Reply(422, {"error": "unknown visitor"}))

    with pytest.raises(AdapterError) as raised:
        start(adapter(service))

    assert raised.value.permanent is True
    assert "422" in raised.value.detail
    assert len(service.received) == 1


def test_giving_up_is_a_transient_error(service):
    service.reply(*[Reply(503)] * 3)

    with pytest.raises(AdapterError) as raised:
        start(adapter(service, attempts=3))

    assert raised.value.permanent is False
    assert "after 3 attempt(s)" in raised.value.detail


def test_a_wrong_secret_is_refused_by_the_service(service):
    with pytest.raises(AdapterError) as raised:
        start(adapter(service, secret="not-shared"))

    assert "401" in raised.value.detail


@pytest.mark.parametrize("body", [{"ok": True}, "<html>", ["https://w.example/"]])
def test_a_reply_without_url_or_text_is_an_error(service, body):
    service.reply(Reply(200, body))

    with pytest.raises(AdapterError, match="not answering") as raised:
        start(adapter(service))

    assert raised.value.permanent is True
    assert len(service.received) == 1


def test_availability_is_assumed_without_a_url(service):
    assert adapter(service).is_available({}) is True
    assert service.received == []


def test_availability_can_be_asked_of_the_service_and_is_kept_a_moment(service):
    service.reply(Reply(200, {"available": False}), path="/available")
    made = adapter(
        service, availability_url=service.url + "/available", availability_cache_seconds=0.2
    )

    assert made.is_available({}) is False
    assert made.is_available({}) is False  # kept
    time.sleep(0.25)
    assert made.is_available({}) is True  # the next answer: 200 {}
    assert [(r.method, r.path) for r in service.received] == [("GET", "/available")] * 2


@pytest.mark.parametrize("reply", [Reply(404), Reply(200, "yes"), Reply(200, delay=0.8)])
def test_nobody_is_available_when_the_service_cannot_say(service, reply):
    service.reply(reply, path="/available")
    made = adapter(service, availability_url=service.url + "/available")

    assert made.is_available({}) is False


def test_a_template_chooses_popup_or_embed(service):
    made = adapter(service)

    assert made.template_options({}) == {"open": "popup"}
    with pytest.raises(ValidationError, match="popup or embed"):
        made.template_options({"open": "sideways"})


@pytest.mark.parametrize(
    "options",
    [
        {"secret": "s"},
        {"url": "ftp://x", "secret": "s"},
        {"url": "http://x"},
        {"url": "http://x", "secret": "s", "attempts": 0},
        {"url": "http://x", "secret": "s", "availability_url": "/available"},
    ],
)
def test_wrong_settings_stop_it_at_start_up(options):
    with pytest.raises(ImproperlyConfigured, match="'webhook'"):
        WebhookAdapter(alias="webhook", **options)
