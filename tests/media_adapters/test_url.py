"""The URL adapter opens a third-party widget with the visit and page in its query."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError

from media_adapters.url import UrlAdapter
from tests.media_adapters.harness import context

WIDGET = "https://widget.example/indexGPE.html?lang=en"


def started(made: UrlAdapter, **template_options):
    return made.start(context(options=made.template_options(template_options)))


def test_the_widget_gets_the_visit_the_page_and_the_templates_parameters():
    engagement = started(UrlAdapter(alias="url", url=WIDGET), params={"gmsScenario": "CHAT-NOW"})

    parts = urlsplit(engagement.url)
    assert parts.netloc == "widget.example"
    assert parse_qs(parts.query, keep_blank_values=True) == {
        "lang": ["en"],
        "gmsScenario": ["CHAT-NOW"],
        "visitID": ["V" * 22],
        "pageID": ["P" * 22],
        "webengagement": [""],
    }
    assert engagement.open == "popup"


def test_a_template_may_open_another_widget_embedded():
    made = UrlAdapter(alias="url", url=WIDGET)

    engagement = started(made, url="https://other.example/chat", open="embed")

    assert engagement.url.startswith("https://other.example/chat?visitID=")
    assert engagement.open == "embed"


def test_a_template_url_must_be_a_web_address():
    with pytest.raises(ValidationError, match="http"):
        UrlAdapter(alias="url", url=WIDGET).template_options({"url": "javascript:alert(1)"})
