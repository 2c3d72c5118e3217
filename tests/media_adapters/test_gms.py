"""The GMS adapter against a fake GMS: a real HTTP server on 127.0.0.1 that records what it
is sent and answers as GMS does (including 400, 503, a slow reply and a closed port)."""

import threading
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
    gms.reply(Reply(200, {"_action": "DialNumber", "_tel_url": "tel:+1800", "_access_code": "42"}))
    made = adapter(gms)

    engagement = start(made, "VOICE-NOW-USERORIG")
    with_code = start(made, "VOICE-WAIT-USERORIG")

    assert engagement.url == "tel:+18005550100"
    assert engagement.text == "Please call us at +18005550100."
    assert with_code.text == "Please call us at +1800 and enter the code 42."


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


def test_a_400_is_a_permanent_error_in_the_visitors_words_with_gms_words_kept(gms):
    exception = "com.genesyslab.gsg.services.callback.CallbackExceptionvalidation"
    gms.reply(Reply(400, {"exception": exception, "message": "_desired_time is in the past"}))

    with pytest.raises(AdapterError) as raised:
        start(adapter(gms, retries=2), "VOICE-SCHEDULED-USERTERM")

    assert raised.value.permanent is True
    assert raised.value.message == (
        "We could not take your request: please check the time you want us to call."
    )
    assert raised.value.detail == f"GMS 400 {exception}: _desired_time is in the past"
    assert len(gms.received) == 1  # refused: sending it again would be refused again


def test_a_400_about_nothing_the_visitor_filled_asks_to_check_the_form(gms):
    gms.reply(Reply(400, {"exception": "ServiceException", "message": "unknown service"}))

    with pytest.raises(AdapterError) as raised:
        start(adapter(gms))

    assert raised.value.message.startswith("We could not take your request. Please check")
    assert "ServiceException: unknown service" in raised.value.detail


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


def test_a_gateway_timeout_is_retried_as_often_as_the_settings_say(gms):
    gms.reply(*[Reply(504, "gateway timeout")] * 3, confirmation())

    with pytest.raises(AdapterError) as raised:
        start(adapter(gms, retries=2))

    assert raised.value.permanent is False
    assert "not answering" in raised.value.message
    assert "504" in raised.value.detail
    assert len(gms.received) == 3


def test_no_retries_when_the_settings_say_none(gms):
    gms.reply(Reply(502, "bad gateway"), confirmation())

    with pytest.raises(AdapterError, match="not answering"):
        start(adapter(gms, retries=0))

    assert len(gms.received) == 1


def test_a_server_error_is_transient_and_not_retried(gms):
    gms.reply(Reply(500, {"exception": "NullPointerException"}), confirmation())

    with pytest.raises(AdapterError) as raised:
        start(adapter(gms, retries=2))

    assert raised.value.permanent is False
    assert raised.value.message.startswith("Our contact center is not answering")
    assert "500" in raised.value.detail
    assert len(gms.received) == 1  # GMS may have booked it before failing


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
    assert raised.value.message.startswith("Our contact center is not answering")
    assert "could not connect" in raised.value.detail
    assert "after 2 attempt(s)" in raised.value.detail


def test_a_refused_connection_is_sent_again_to_a_gms_that_came_back(gms):
    made = adapter(gms, retries=1)
    gms.close()
    back: list[FakeHttpServer] = []

    def come_back() -> None:
        back.append(FakeHttpServer(port=gms.port).reply(confirmation("Booked.")))

    timer = threading.Timer(0.02, come_back)  # the retry waits 0.2 s: GMS is back well before
    timer.start()
    try:
        engagement = start(made)
    finally:
        timer.join()
        for server in back:
            server.close()

    assert engagement.text == "Booked."
    [request] = back[0].received  # the first attempt never reached GMS: booked once
    assert request.path == CALLBACK


def test_an_action_gwe_cannot_show_is_a_clear_error(gms):
    gms.reply(Reply(200, {"_action": "PlayVideo", "_id": "svc-2"}))
    gms.reply(Reply(200, {"_action": "StartChat", "_id": "svc-3"}))  # with no chat URL

    for _ in range(2):
        with pytest.raises(AdapterError) as raised:
            start(adapter(gms))
        assert raised.value.message == "Sorry, we cannot connect you this way right now."
        assert raised.value.permanent is True
    assert "StartChat" in raised.value.detail


def test_a_created_service_with_nothing_to_show_is_confirmed(gms):
    gms.reply(Reply(200, {"_id": "svc-4"}))

    engagement = start(adapter(gms))

    assert (engagement.text, engagement.reference) == (
        "Thank you: your request has been received.",
        "svc-4",
    )


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


def test_a_scheduled_callback_without_a_time_asks_for_it(gms):
    with pytest.raises(AdapterError) as raised:
        start(adapter(gms), "VOICE-SCHEDULED-USERTERM", fields={"_customer_number": "+15550100"})

    assert raised.value.message == "Please give the time you want us to call."
    assert raised.value.permanent is True
    assert raised.value.detail == "VOICE-SCHEDULED-USERTERM needs _desired_time"
    assert gms.received == []


@pytest.mark.parametrize(
    ("scenario", "needed"),
    [
        ("VOICE-WAIT-USERTERM", "_customer_number"),
        ("REQUEST-CHAT", "_customer_number"),
        ("REQUEST-INTERACTION", "_phone_number"),
    ],
)
def test_what_calls_the_visitor_needs_their_number(gms, scenario, needed):
    with pytest.raises(AdapterError, match="your phone number") as raised:
        start(adapter(gms), scenario, fields={"first_name": "Ada", needed: "  "})

    assert raised.value.detail == f"{scenario} needs {needed}"
    assert gms.received == []


def test_availability_is_asked_of_gms_and_kept_for_a_few_seconds(gms):
    gms.reply(Reply(200, {"available": True}), Reply(200, {"available": False}))
    made = adapter(
        gms, availability_path="/genesys/1/service/availability", availability_cache_seconds=0.3
    )
    options = made.template_options({})

    assert made.is_available(options) is True
    assert made.is_available(options) is True  # kept: GMS asked once
    [request] = gms.received
    assert (request.method, request.path) == ("GET", "/genesys/1/service/availability")
    time.sleep(0.35)

    assert made.is_available(options) is False
    assert len(gms.received) == 2


def test_while_availability_is_asked_again_the_last_answer_is_given(gms):
    gms.reply(Reply(200, {}), Reply(200, {"available": False}, delay=0.5))
    made = adapter(gms, availability_path="/availability", availability_cache_seconds=0.05)
    assert made.is_available({}) is True
    time.sleep(0.1)
    asking = threading.Thread(target=made.is_available, args=({},))
    asking.start()
    gms.wait_for(2)

    began = time.monotonic()
    assert made.is_available({}) is True  # not kept waiting by a slow GMS
    assert time.monotonic() - began < 0.2
    asking.join()
    assert made.is_available({}) is False


@pytest.mark.parametrize("reply", [Reply(500, {}), Reply(200, "<html>"), Reply(200, delay=1.5)])
def test_availability_is_no_when_gms_cannot_say(gms, reply):
    made = adapter(gms, availability_path="/availability")
    gms.reply(reply)

    assert made.is_available(made.template_options({})) is False


def test_availability_is_no_when_gms_is_down(gms):
    made = adapter(gms, availability_path="/availability")
    gms.close()

    assert made.is_available(made.template_options({})) is False


def test_without_an_availability_check_someone_is_assumed(gms):
    made = adapter(gms)

    assert made.is_available(made.template_options({})) is True
    assert gms.received == []


def test_cancel_deletes_the_gms_service(gms):
    adapter(gms, gms_user="web-engagement").cancel("svc/1")

    [request] = gms.received
    assert (request.method, request.path) == ("DELETE", "/genesys/1/service/svc%2F1")
    assert request.headers["gms_user"] == "web-engagement"


def test_cancel_never_raises(gms, caplog):
    gms.reply(Reply(404, {"exception": "ServiceNotFound"}))
    adapter(gms).cancel("svc-gone")
    gms.close()
    adapter(gms).cancel("svc-1")

    assert len(gms.received) == 1
    warnings = [r.getMessage() for r in caplog.records if r.name == "media_adapters.gms"]
    assert warnings[0] == "GMS could not cancel svc-gone: 404 Not Found"
    assert warnings[1].startswith("GMS could not cancel svc-1: could not connect")


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"base_url": "gms.example"},
        {"base_url": "http://gms", "timeout": 0},
        {"base_url": "http://gms", "retries": -1},
        {"base_url": "http://gms", "availability_path": "availability"},
        {"base_url": "http://gms", "scenario": "CHAT-NOW"},  # a template's option
    ],
)
def test_wrong_settings_stop_it_at_start_up(options):
    with pytest.raises(ImproperlyConfigured, match="'gms'"):
        GmsAdapter(alias="gms", **options)


def test_an_unknown_scenario_is_refused_with_the_known_ones(gms):
    with pytest.raises(ValidationError) as raised:
        adapter(gms).template_options({"scenario": "CHAT-LATER"})

    assert "'CHAT-LATER' is not a GMS scenario" in raised.value.messages[0]
    assert all(name in raised.value.messages[0] for name in SCENARIOS)


def test_the_default_templates_options_are_accepted(gms):
    made = adapter(gms)

    for scenario in ("CHAT-NOW", "VOICE-NOW-USERTERM"):
        options = made.template_options({"scenario": scenario, "service_name": "samples_new"})
        assert options == {"scenario": scenario, "service_name": "samples_new", "open": "popup"}
    with pytest.raises(ValidationError, match="popup or embed"):
        made.template_options({"open": "sideways"})
