"""What every media adapter does, whatever it talks to (the harness gives each its far side:
memory, a local fake GMS, a local webhook receiver, the built-in chat)."""

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from media_adapters.base import AdapterError, Engagement
from tests.media_adapters.harness import context


def start(harness, **overrides) -> Engagement:
    options = harness.adapter.template_options(harness.template_options)
    return harness.adapter.start(context(options=options, **overrides))


def test_it_starts_an_engagement_and_says_what_the_visitor_sees(harness):
    engagement = start(harness)

    assert isinstance(engagement, Engagement)
    assert engagement.text or engagement.url
    assert engagement.open in (Engagement.Open.POPUP, Engagement.Open.EMBED)


def test_the_far_side_gets_the_visit_and_page_and_the_web_engagement_mark(harness):
    start(harness, visit_id="visit-123", page_id="page-456")

    assert harness.attached() == {
        "visitID": "visit-123",
        "pageID": "page-456",
        "webengagement": "",
    }


def test_it_says_whether_someone_is_available(harness):
    options = harness.adapter.template_options(harness.template_options)
    assert harness.adapter.is_available(options) is True

    harness.make_unavailable()

    assert harness.adapter.is_available(options) is False


def test_a_failure_is_one_error_with_words_for_the_visitor(harness):
    if not harness.can_fail:
        pytest.skip(f"{type(harness.adapter).__name__} has no far side that could fail")
    harness.make_failing()

    with pytest.raises(AdapterError) as raised:
        start(harness)

    assert raised.value.message.strip()
    assert isinstance(raised.value.permanent, bool)


def test_an_unknown_template_option_is_refused_with_its_name(harness):
    with pytest.raises(ValidationError, match="colour"):
        harness.adapter.template_options({**harness.template_options, "colour": "red"})


def test_a_wrong_setting_stops_it_at_start_up(harness):
    with pytest.raises(ImproperlyConfigured, match="contract"):
        type(harness.adapter)(alias="contract", **harness.bad_options)


def test_cancelling_what_it_does_not_know_is_harmless(harness):
    harness.adapter.cancel("no-such-reference")


def test_nothing_follows_the_visitor_for_what_it_does_not_know(harness):
    assert harness.adapter.resume("no-such-reference") is None
