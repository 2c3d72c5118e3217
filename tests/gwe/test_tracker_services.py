import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from gwe import services
from gwe.ids import is_valid_id
from gwe.models import BusinessEventDefinition, Event, Identity, Page, Visit
from gwe.protocol import ProtocolError, parse_event, parse_page
from tests.support.factories import record_event, start_page

pytestmark = pytest.mark.django_db
DAY = 24 * 3600 * 1000


def event_names(visit_id):
    return list(Event.objects.filter(visit_id=visit_id).values_list("event_name", flat=True))


def test_a_first_page_starts_a_visit_with_unguessable_ids():
    started = start_page("https://shop.example/shoes", title="Shoes", languageCode="fr-FR")

    assert started.new_visit
    assert is_valid_id(started.visit.pk)
    assert is_valid_id(started.visit.global_visit_id)
    assert is_valid_id(started.page.pk)
    assert len({started.visit.pk, started.visit.global_visit_id, started.page.pk}) == 3
    assert event_names(started.visit.pk) == ["VisitStarted", "PageEntered"]
    entered = Event.objects.get(event_name="PageEntered")
    assert (entered.url, entered.title, entered.language_code) == (
        "https://shop.example/shoes",
        "Shoes",
        "fr-FR",
    )


def test_a_page_of_an_active_visit_joins_it():
    first = start_page()
    second = start_page("https://shop.example/cart", visitID=first.visit.pk)

    assert not second.new_visit
    assert second.visit.pk == first.visit.pk
    assert second.page.pk != first.page.pk
    assert event_names(first.visit.pk) == ["VisitStarted", "PageEntered", "PageEntered"]


def test_a_page_of_an_expired_visit_starts_a_new_one_and_ends_the_old(settings):
    first = start_page()
    idle_since = timezone.now() - timedelta(seconds=settings.GWE_VISIT_TIMEOUT_SECONDS + 1)
    Visit.objects.filter(pk=first.visit.pk).update(last_activity=idle_since)

    second = start_page(visitID=first.visit.pk, globalVisitID=first.visit.global_visit_id)

    assert second.new_visit
    assert second.visit.pk != first.visit.pk
    assert second.visit.global_visit_id == first.visit.global_visit_id
    assert Visit.objects.get(pk=first.visit.pk).end_time == idle_since


def test_an_unknown_visit_id_starts_a_new_visit():
    started = start_page(visitID="A" * 22)

    assert started.new_visit
    assert started.visit.pk != "A" * 22


def test_a_reconnecting_page_resumes_without_recording_anything():
    first = start_page()

    again = start_page(pageID=first.page.pk, token=first.token, visitID=first.visit.pk)

    assert again.resumed
    assert again.page.pk == first.page.pk
    assert Page.objects.count() == 1
    assert event_names(first.visit.pk) == ["VisitStarted", "PageEntered"]


def test_a_business_event_is_stored_with_its_page_context():
    started = start_page("https://shop.example/p/1", title="Blue shoes")

    event = record_event(started, "AddToCart", data={"sku": "SHOE-1"})

    stored = Event.objects.get(pk=event.pk)
    assert stored.event_type == "BUSINESS"
    assert stored.page_id == started.page.pk
    assert stored.visit_id == started.visit.pk
    assert stored.data == {"sku": "SHOE-1"}
    assert (stored.url, stored.title) == ("https://shop.example/p/1", "Blue shoes")


def test_a_resent_event_is_stored_once():
    started = start_page()
    message = {"type": "event", "token": started.token, "id": "c-1", "eventName": "AddToCart"}

    first = services.event_record(message=parse_event(message))
    again = services.event_record(message=parse_event(message))

    assert again.pk == first.pk
    assert Event.objects.filter(event_name="AddToCart").count() == 1


def test_a_resent_event_is_stored_once_whatever_time_it_carries():
    started = start_page()
    sent = int(timezone.now().timestamp() * 1000)
    message = {
        "type": "event",
        "token": started.token,
        "id": "c-2",
        "eventName": "AddToCart",
        "timestamp": sent,
    }

    first = services.event_record(message=parse_event(message))
    again = services.event_record(message=parse_event(message))
    # Resent two days on: too old a time to keep, so the server gives it its own.
    late = services.event_record(message=parse_event({**message, "timestamp": sent - 2 * DAY}))

    assert first.pk == again.pk == late.pk
    assert Event.objects.filter(event_name="AddToCart").count() == 1


def test_a_time_that_is_no_number_is_refused_and_a_clock_that_is_off_is_not():
    started = start_page()
    event = {"type": "event", "token": started.token, "id": "c-3", "eventName": "AddToCart"}
    page = {"type": "page", "url": "https://shop.example/"}

    off = parse_event({**event, "timestamp": 1})  # 1970: the server's time is taken
    refused = []
    for message in ({**event, "timestamp": [1]}, {**page, "timestamp": "now"}):
        with pytest.raises(ProtocolError) as wrong:
            (parse_event if message["type"] == "event" else parse_page)(message)
        refused.append((wrong.value.status, str(wrong.value)))

    assert abs(off.timestamp - timezone.now()) < timedelta(minutes=1)
    said = "timestamp must be a number: milliseconds since the epoch"
    assert refused == [(400, said), (400, said)]


def test_page_exited_ends_the_page():
    started = start_page()

    record_event(started, "PageExited", eventType="SYSTEM")

    assert Page.objects.get(pk=started.page.pk).end_time is not None


def test_a_page_may_report_the_timer_events_but_not_the_servers_own():
    BusinessEventDefinition.objects.get_or_create(
        name="Timeout-30", defaults={"trigger": "timer", "delay_seconds": 30}
    )
    started = start_page()

    record_event(started, "Timeout-30", eventType="SYSTEM")
    with pytest.raises(ProtocolError) as refused:
        record_event(started, "VisitStarted", eventType="SYSTEM")

    assert refused.value.status == 400
    assert event_names(started.visit.pk).count("VisitStarted") == 1


def test_an_event_for_an_expired_visit_is_refused_as_gone(settings):
    started = start_page()
    idle_since = timezone.now() - timedelta(seconds=settings.GWE_VISIT_TIMEOUT_SECONDS + 1)
    Visit.objects.filter(pk=started.visit.pk).update(last_activity=idle_since)

    with pytest.raises(ProtocolError) as refused:
        record_event(started, "AddToCart")

    assert refused.value.status == 410
    assert "AddToCart" not in event_names(started.visit.pk)


def test_events_keep_the_visit_alive(settings):
    started = start_page()
    a_while_ago = timezone.now() - timedelta(seconds=settings.GWE_VISIT_TIMEOUT_SECONDS - 5)
    Visit.objects.filter(pk=started.visit.pk).update(last_activity=a_while_ago)

    record_event(started, "AddToCart")

    assert Visit.objects.get(pk=started.visit.pk).last_activity > a_while_ago + timedelta(seconds=4)


def test_sign_in_ties_the_visit_to_an_identity_that_later_visits_share():
    first = start_page()
    record_event(first, "SignIn", data={"email": "ada@example.com", "firstName": "Ada"})
    second = start_page()
    record_event(second, "UserInfo", data={"email": "ada@example.com", "lastName": "Lovelace"})

    identity = Identity.objects.get(pk="ada@example.com")
    assert identity.attributes == {
        "email": "ada@example.com",
        "firstName": "Ada",
        "lastName": "Lovelace",
    }
    assert set(identity.visits.values_list("pk", flat=True)) == {first.visit.pk, second.visit.pk}


def test_sign_out_keeps_the_visits_identity():
    started = start_page()
    record_event(started, "SignIn", data={"userId": "u-42"})

    record_event(started, "SignOut")

    assert Visit.objects.get(pk=started.visit.pk).identity_id == "u-42"


def test_a_batch_with_one_bad_event_stores_none():
    started = start_page()
    good = {"type": "event", "token": started.token, "id": "c-1", "eventName": "AddToCart"}
    bad = {**good, "id": "c-2", "eventName": "1-not-a-name"}

    with pytest.raises(ProtocolError):
        services.events_record(messages=[parse_event(good), parse_event(bad)])

    assert "AddToCart" not in event_names(started.visit.pk)


def test_expired_visits_are_closed_in_bulk(settings):
    stale, fresh = start_page(), start_page()
    idle_since = timezone.now() - timedelta(seconds=settings.GWE_VISIT_TIMEOUT_SECONDS + 60)
    Visit.objects.filter(pk=stale.visit.pk).update(last_activity=idle_since)

    assert services.visits_close_expired() == 1

    assert Visit.objects.get(pk=stale.visit.pk).end_time == idle_since
    assert Visit.objects.get(pk=fresh.visit.pk).end_time is None


def test_a_malformed_page_message_is_refused_before_anything_is_stored():
    for bad in (
        {"url": "javascript:alert(1)"},
        {"url": "https://x.example/", "visitID": "short"},
        {"url": "https://x.example/", "title": 42},
        {"url": "https://x.example/" + "a" * 2100},
    ):
        with pytest.raises(ProtocolError) as refused:
            parse_page({"type": "page", **bad})
        assert refused.value.status == 400
    assert not Visit.objects.exists()


def test_the_close_visits_command_reports_what_it_closed(settings):
    stale = start_page()
    idle_since = timezone.now() - timedelta(seconds=settings.GWE_VISIT_TIMEOUT_SECONDS + 60)
    Visit.objects.filter(pk=stale.visit.pk).update(last_activity=idle_since)
    out = io.StringIO()

    call_command("gwe_close_visits", stdout=out)

    assert out.getvalue().strip() == "Closed 1 expired visit."
    assert Visit.objects.get(pk=stale.visit.pk).end_time == idle_since
