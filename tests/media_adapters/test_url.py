"""The URL adapter opens a third-party widget with the visit and page in its query, and may
ask a URL whether anyone is there to answer in it."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from media_adapters.url import UrlAdapter
from tests.media_adapters.harness import context
from tests.support.fake_http import FakeHttpServer, Reply

WIDGET = "https://widget.example/indexGPE.html?lang=en"


@pytest.fixture
def widget():
    server = FakeHttpServer()
    yield server
    server.close()


def started(made: UrlAdapter, **template_options):
    return made.start(context(options=made.template_options(template_options)))


def query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_the_widget_gets_the_visit_the_page_and_the_templates_parameters():
    engagement = started(UrlAdapter(alias="url", url=WIDGET), params={"gmsScenario": "CHAT-NOW"})

    assert urlsplit(engagement.url).netloc == "widget.example"
    assert query(engagement.url) == {
        "lang": ["en"],
        "gmsScenario": ["CHAT-NOW"],
        "visitID": ["V" * 22],
        "pageID": ["P" * 22],
        "webengagement": [""],
    }
    assert (engagement.open, engagement.reference) == ("popup", "I" * 22)
    assert engagement.text


def test_the_templates_parameters_replace_the_widgets_and_never_gwes_own():
    made = UrlAdapter(alias="url", url=WIDGET + "&visitID=stale&gmsScenario=CHAT-WAIT")

    engagement = started(made, params={"lang": "fr", "visitID": "forged", "n": 1})

    assert query(engagement.url) == {
        "lang": ["fr"],
        "gmsScenario": ["CHAT-WAIT"],
        "n": ["1"],
        "visitID": ["V" * 22],
        "pageID": ["P" * 22],
        "webengagement": [""],
    }


def test_a_template_may_open_another_widget_embedded():
    made = UrlAdapter(alias="url", url=WIDGET)

    engagement = started(made, url="https://other.example/chat", open="embed")

    assert engagement.url.startswith("https://other.example/chat?visitID=")
    assert engagement.open == "embed"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"url": "javascript:alert(1)"}, "http"),
        ({"params": ["gmsScenario"]}, "params"),
        ({"open": "sideways"}, "popup or embed"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_wrong_template_option_is_refused(options, message):
    with pytest.raises(ValidationError, match=message):
        UrlAdapter(alias="url", url=WIDGET).template_options(options)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"url": "widget.example/chat"},
        {"url": WIDGET, "open": "tab"},
        {"url": WIDGET, "availability_url": "ftp://widget.example/"},
    ],
)
def test_wrong_settings_stop_it_at_start_up(options):
    with pytest.raises(ImproperlyConfigured, match="'url'"):
        UrlAdapter(alias="url", **options)


def test_someone_is_assumed_available_unless_the_settings_say_otherwise():
    assert UrlAdapter(alias="url", url=WIDGET).is_available({}) is True
    assert UrlAdapter(alias="url", url=WIDGET, available=False).is_available({}) is False


def test_availability_can_be_asked_of_the_widgets_service_and_is_kept_a_moment(widget):
    widget.reply(Reply(200, {"available": False}), Reply(200, {"agents": 2}), path="/available")
    made = UrlAdapter(
        alias="url",
        url=WIDGET,
        availability_url=widget.url + "/available",
        availability_cache_seconds=0.2,
    )

    assert made.is_available({}) is False
    assert made.is_available({}) is False
    time.sleep(0.25)
    assert made.is_available({}) is True
    assert len(widget.received) == 2


def test_nobody_is_available_when_the_widgets_service_is_down(widget):
    made = UrlAdapter(alias="url", url=WIDGET, availability_url=widget.url + "/available")
    widget.close()

    assert made.is_available({}) is False
