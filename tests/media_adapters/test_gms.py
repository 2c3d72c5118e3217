"""The GMS adapter against a fake GMS: a real HTTP server on 127.0.0.1 that records what it
is sent and answers as GMS does (including 400, 503, a slow reply and a closed port)."""

import time

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from media_adapters.base import AdapterError
from media_adapters.gms import SCENARIOS, GmsAdapter
from tests.media_adapters.harness import context
from tests.support.fake_http import FakeHttpServer, Reply

CALLBACK = "/genesys/1/service/callback/samples_new"


@pytest.fixture
def gms():
    server = FakeHttpServer()
    yield server
    server.close()


def adapter(gms, **options) -> GmsAdapter:
    return GmsAdapter(alias="gms", base_url=gms.url, **{"timeout": 1.0, **options})


def start(made: GmsAdapter, scenario="CHAT-NOW", fields=None, **template_options):
    options = made.template_options({"scenario": scenario, **template_options})
    values = {"_customer_number": "+15550100", "first_name": "Ada", "_desired_time": "x"}
    return made.start(context(options=options, fields=values if fields is None else fields))


def confirmation(text="We will call you.", **extra) -> Reply:
    return Reply(200, {"_action": "ConfirmationDialog", "_text": text, "_id": "svc-1", **extra})


@pytest.mark.parametrize(
    ("scenario", "path", "expected"),
    [
        (
            "CHAT-NOW",
            CALLBACK,
            {
                "_media_type": "chat",
                "_call_direction": "USERORIGINATED",
                "_wait_for_agent": "false",
            },
        ),
        (
            "CHAT-WAIT",
            CALLBACK,
            {"_media_type": "chat", "_call_direction": "USERORIGINATED", "_wait_for_agent": "true"},
        ),
        (
            "VOICE-NOW-USERTERM",
            CALLBACK,
            {
                "_media_type": "voice",
                "_call_direction": "USERTERMINATED",
                "_wait_for_agent": "false",
            },
        ),
        (
            "VOICE-WAIT-USERTERM",
            CALLBACK,
            {
                "_media_type": "voice",
                "_call_direction": "USERTERMINATED",
                "_wait_for_agent": "true",
            },
        ),
        (
            "VOICE-SCHEDULED-USERTERM",
            CALLBACK,
            {"_media_type": "voice", "_call_direction": "USERTERMINATED", "_desired_time": "x"},
        ),
        (
            "VOICE-NOW-USERORIG",
            CALLBACK,
            {
                "_media_type": "voice",
                "_call_direction": "USERORIGINATED",
                "_wait_for_agent": "false",
            },
        ),
        (
            "VOICE-WAIT-USERORIG",
            CALLBACK,
            {
                "_media_type": "voice",
                "_call_direction": "USERORIGINATED",
                "_wait_for_agent": "true",
            },
        ),
        ("REQUEST-CHAT", "/genesys/1/service/request-chat", {"_customer_number": "+15550100"}),
        (
            "REQUEST-INTERACTION",
            "/genesys/1/service/request-interaction",
            {"_phone_number": "+15550199"},
        ),
    ],
)
def test_each_scenario_posts_gms_fields_to_its_service(gms, scenario, path, expected):
    gms.reply(confirmation())
    fields = {"_customer_number": "+15550100", "_phone_number": "+15550199", "_desired_time": "x"}

    start(adapter(gms), scenario, {**fields, "first_name": "Ada"})

    [request] = gms.received
    form = request.form()
    assert (request.method, request.path) == ("POST", path)
    assert expected.items() <= form.items()
    assert form["first_name"] == "Ada"
    assert (form["visitID"], form["pageID"], form["webengagement"]) == ("V" * 22, "P" * 22, "")
    assert request.headers["gms_user"] == "G" * 22  # the visitor's globalVisitID by default


def test_every_scenario_of_gms_sample_is_known():
    assert set(SCENARIOS) == {
        "CHAT-NOW",
        "CHAT-WAIT",
        "VOICE-NOW-USERTERM",
        "VOICE-WAIT-USERTERM",
        "VOICE-SCHEDULED-USERTERM",
        "VOICE-NOW-USERORIG",
        "VOICE-WAIT-USERORIG",
        "REQUEST-CHAT",
        "REQUEST-INTERACTION",
    }


def test_the_service_and_gms_user_come_from_the_options(gms):
    gms.reply(confirmation())

    start(adapter(gms, gms_user="web-engagement"), service_name="sales_callback")

    [request] = gms.received
    assert request.path == "/genesys/1/service/callback/sales_callback"
    assert request.headers["gms_user"] == "web-engagement"


def test_the_visitors_form_cannot_overwrite_gwes_keys(gms):
    gms.reply(confirmation())

    start(adapter(gms), fields={"visitID": "forged", "_media_type": "voice", "bad name": "x"})

    form = gms.received[0].form()
    assert (form["visitID"], form["_media_type"]) == ("V" * 22, "chat")
    assert "bad name" not in form


def test_a_confirmation_is_shown_as_gms_words_it(gms):
    gms.reply(confirmation("We will call you at 14:00."))

    engagement = start(adapter(gms), "VOICE-NOW-USERTERM")

    assert engagement.text == "We will call you at 14:00."
    assert (engagement.url, engagement.reference) == ("", "svc-1")


def test_start_chat_opens_gms_chat_as_the_template_says(gms):
    gms.reply(Reply(200, {"_action": "StartChat", "_start_chat_url": "https://gms.example/c/1"}))

    engagement = start(adapter(gms), open="embed")

    assert (engagement.url, engagement.open) == ("https://gms.example/c/1", "embed")
    assert engagement.text


def test_dial_number_gives_a_telephone_link(gms):
    gms.reply(Reply(200, {"_action": "DialNumber", "_tel_url": "tel:+18005550100"}))

    engagement = start(adapter(gms), "VOICE-NOW-USERORIG")

    assert engagement.url == "tel:+18005550100"
    assert "+18005550100" in engagement.text


def test_display_menu_lists_its_choices(gms):
    menu = {
        "_action": "DisplayMenu",
        "_label": "How can we help?",
        "_content": [
            {"_group_name": "Sales", "_content": [{"_label": "New order"}, {"_label": "Prices"}]},
            {"_label": "Support"},
        ],
    }
    gms.reply(Reply(200, menu))

    engagement = start(adapter(gms))

    assert engagement.text == "How can we help?"
    assert engagement.choices == ("New order", "Prices", "Support")


def test_a_400_is_a_permanent_error_with_gms_message(gms):
    body = {"exception": "com.genesyslab.gsg.services.callback.InvalidParameter", "message": "bad"}
    gms.reply(Reply(400, {**body, "message": "_desired_time is in the past"}))

    with pytest.raises(AdapterError) as raised:
        start(adapter(gms), "VOICE-SCHEDULED-USERTERM")

    assert raised.value.permanent is True
    assert raised.value.message == "We could not take your request: _desired_time is in the past"
    assert "InvalidParameter" in raised.value.detail


def test_a_503_means_nobody_can_answer_now_and_is_not_retried(gms):
    gms.reply(Reply(503, {"message": "no agents"}), confirmation())

    with pytest.raises(AdapterError) as raised:
        start(adapter(gms, retries=2))

    assert raised.value.permanent is False
    assert "No agent is available" in raised.value.message
    assert len(gms.received) == 1


def test_a_gateway_error_is_retried_and_then_answered(gms):
    gms.reply(Reply(502, "bad gateway"), confirmation("Booked."))

    engagement = start(adapter(gms, retries=1))

    assert engagement.text == "Booked."
    assert len(gms.received) == 2


def test_a_slow_gms_is_a_clear_transient_error_and_is_not_sent_twice(gms):
    gms.reply(Reply(200, {"_action": "ConfirmationDialog"}, delay=1.0))

    began = time.monotonic()
    with pytest.raises(AdapterError) as raised:
        start(adapter(gms, timeout=0.3, retries=2))

    assert time.monotonic() - began < 0.9
    assert raised.value.permanent is False
    assert "not answering" in raised.value.message
    assert "in time" in raised.value.detail
    gms.wait_for(1)
    time.sleep(0.2)
    assert len(gms.received) == 1  # the callback may exist: booking it again would be worse


def test_a_closed_port_is_tried_again_then_reported(gms):
    gms.close()

    with pytest.raises(AdapterError) as raised:
        start(adapter(gms, retries=1))

    assert raised.value.permanent is False
    assert "could not connect" in raised.value.detail


def test_an_answer_gwe_cannot_read_is_reported(gms):
    gms.reply(Reply(200, "<html>login</html>"))

    with pytest.raises(AdapterError, match="not answering") as raised:
        start(adapter(gms))

    assert "login" in raised.value.detail


def test_a_callback_without_a_phone_number_asks_for_it_before_calling_gms(gms):
    with pytest.raises(AdapterError) as raised:
        start(adapter(gms), "VOICE-NOW-USERTERM", fields={"first_name": "Ada"})

    assert raised.value.message == "Please give your phone number."
    assert raised.value.permanent is True
    assert gms.received == []


def test_availability_is_asked_of_gms_and_kept_for_a_few_seconds(gms):
    gms.reply(Reply(200, {"available": True}), Reply(200, {"available": False}))
    made = adapter(gms, availability_path="/genesys/1/service/availability")
    options = made.template_options({})

    assert made.is_available(options) is True
    assert made.is_available(options) is True  # cached: GMS asked once
    assert len(gms.received) == 1
    made._availability = None  # the cache ran out

    assert made.is_available(options) is False


def test_availability_is_no_when_gms_cannot_say(gms):
    made = adapter(gms, availability_path="/availability")
    gms.reply(Reply(500, {}))

    assert made.is_available(made.template_options({})) is False


def test_without_an_availability_check_someone_is_assumed(gms):
    made = adapter(gms)

    assert made.is_available(made.template_options({})) is True
    assert gms.received == []


def test_cancel_deletes_the_gms_service(gms):
    adapter(gms).cancel("svc-1")

    [request] = gms.received
    assert (request.method, request.path) == ("DELETE", "/genesys/1/service/svc-1")


@pytest.mark.parametrize(
    "options",
    [{}, {"base_url": "gms.example"}, {"base_url": "http://gms", "timeout": 0}],
)
def test_wrong_settings_stop_it_at_start_up(options):
    with pytest.raises(ImproperlyConfigured, match="'gms'"):
        GmsAdapter(alias="gms", **options)


def test_an_unknown_scenario_is_refused_with_the_known_ones(gms):
    with pytest.raises(ValidationError, match="CHAT-NOW"):
        adapter(gms).template_options({"scenario": "CHAT-LATER"})
