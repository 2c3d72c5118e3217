import json

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token

from notifications.models import Notification
from notifications.services import NotifyMessage, deliveries_record, notify
from tests.support.asgi import AsgiClient
from tests.support.factories import start_page

# Requests go through the ASGI application, as under daphne (tests/support/asgi.py).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def notify_url(visit_id):
    return f"/server/data/notification/notify/{visit_id}"


def post(client, visit_id, body):
    return client.post(notify_url(visit_id), body)


def test_it_stores_each_message_in_order_and_answers_202_with_ids(api):
    visit = start_page().visit

    response = post(
        api,
        visit.pk,
        [
            {"channel": "offers", "data": {"text": "10% off"}},
            {"channel": "offers", "data": {"text": "free shipping"}, "ttl": 60},
        ],
    )

    assert response.status_code == 202
    ids = response.json()["ids"]
    stored = list(Notification.objects.filter(visit=visit).order_by("seq"))
    assert [n.pk for n in stored] == ids
    assert [n.seq for n in stored] == [1, 2]
    assert [n.data["text"] for n in stored] == ["10% off", "free shipping"]
    assert round((stored[1].expires_at - stored[1].created_at).total_seconds()) == 60


def test_sequence_numbers_continue_per_visit(api):
    first, other = start_page().visit, start_page().visit

    post(api, first.pk, [{"channel": "a"}])
    post(api, other.pk, [{"channel": "a"}])
    post(api, first.pk, [{"channel": "b"}])

    assert list(
        Notification.objects.filter(visit=first).order_by("seq").values_list("seq", "channel")
    ) == [
        (1, "a"),
        (2, "b"),
    ]
    assert Notification.objects.get(visit=other).seq == 1


def test_a_message_can_name_the_one_tab_it_is_for(api):
    started = start_page()

    response = post(api, started.visit.pk, [{"page": started.page.pk, "channel": "x"}])

    assert response.status_code == 202
    assert Notification.objects.get().page_id == started.page.pk


def test_token_authentication_works_too(token_api):
    visit = start_page().visit

    assert post(token_api, visit.pk, [{"channel": "x"}]).status_code == 202


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("{not json", "malformed JSON"),
        ("[]", "at least one message"),
        ([{"data": {}}], "channel"),
        ([{"channel": "has space"}], "channel"),
        ([{"channel": 0}], "Not a valid string"),  # the schema says a string: no number
        ([{"channel": "x", "data": "not an object"}], "data"),
        ([{"channel": "x", "page": "not-an-id"}], "page"),
        ([{"channel": "x", "ttl": 0}], "ttl"),
        ([{"channel": "gpe.appendContent", "data": {}}], "data.url"),
        (
            [{"channel": "gpe.appendContent", "data": {"url": "https://evil.example/x.html"}}],
            "allowed origin",
        ),
    ],
)
def test_malformed_bodies_are_refused_whole(api, body, fragment):
    visit = start_page().visit

    response = post(api, visit.pk, [{"channel": "ok"}, *body] if isinstance(body, list) else body)

    assert response.status_code == 400
    assert fragment in json.dumps(response.json())
    assert not Notification.objects.exists()


def test_append_content_takes_gwe_urls_and_allowed_origins(api, settings):
    settings.GWE_ALLOWED_ORIGINS = ["https://shop.example"]
    visit = start_page().visit

    response = post(
        api,
        visit.pk,
        [
            {"channel": "gpe.appendContent", "data": {"url": "/server/resources/invite.html"}},
            {"channel": "gpe.appendContent", "data": {"url": "http://testserver/x.html"}},
            {"channel": "gpe.appendContent", "data": {"url": "https://shop.example/x.html"}},
        ],
    )

    assert response.status_code == 202


def test_a_malformed_visit_id_is_400_and_an_unknown_one_404(api):
    assert post(api, "nope", [{"channel": "x"}]).status_code == 400
    response = post(api, "A" * 22, [{"channel": "x"}])
    assert response.status_code == 404
    assert "unknown visit" in response.json()["error"]


def test_a_page_of_another_visit_is_refused(api):
    mine, theirs = start_page(), start_page()

    response = post(api, mine.visit.pk, [{"channel": "x", "page": theirs.page.pk}])

    assert response.status_code == 404
    assert "is not a page of visit" in response.json()["error"]
    assert not Notification.objects.exists()


def test_oversized_bodies_and_too_many_messages_are_413(api, settings):
    visit = start_page().visit
    huge = [{"channel": "x", "data": {"blob": "x" * settings.GWE_NOTIFY_MAX_BYTES}}]
    many = [{"channel": "x"}] * 101

    assert post(api, visit.pk, huge).status_code == 413
    assert post(api, visit.pk, many).status_code == 413
    assert not Notification.objects.exists()


def test_credentials_are_required_and_checked(notifier):
    visit = start_page().visit
    User.objects.create_user("visitor-support", password="support-pass")
    anonymous = AsgiClient()
    wrong = AsgiClient.basic("contact-center", "wrong")
    no_permission = AsgiClient.basic("visitor-support", "support-pass")

    refused = post(anonymous, visit.pk, [{"channel": "x"}])
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Basic")
    assert "not provided" in refused.json()["error"]
    assert post(wrong, visit.pk, [{"channel": "x"}]).status_code == 401
    assert post(no_permission, visit.pk, [{"channel": "x"}]).status_code == 403
    assert post(AsgiClient(authorization="Token nope"), visit.pk, []).status_code == 401
    assert not Notification.objects.exists()


def test_its_status_goes_from_queued_to_delivered(api):
    started = start_page()
    [notification] = notify(
        visit_id=started.visit.pk, messages=[NotifyMessage(channel="x", data={})]
    )
    url = f"/server/data/notification/{notification.pk}"

    queued = api.get(url).json()
    deliveries_record(receipts={(started.visit.pk, started.page.pk): [notification.pk]})
    delivered = api.get(url).json()

    assert (queued["status"], queued["deliveredTo"]) == ("queued", 0)
    assert (delivered["status"], delivered["deliveredTo"]) == ("delivered", 1)
    assert delivered["firstDeliveredAt"] is not None
    assert api.get(f"/server/data/notification/visit/{started.visit.pk}").json()[0]["seq"] == 1
    assert api.get("/server/data/notification/" + "B" * 22).status_code == 404


def test_a_receipt_for_another_visits_notification_is_ignored():
    mine, theirs = start_page(), start_page()
    [notification] = notify(visit_id=theirs.visit.pk, messages=[NotifyMessage(channel="x")])

    updated = deliveries_record(receipts={(mine.visit.pk, mine.page.pk): [notification.pk]})

    assert updated == 0
    assert Notification.objects.get(pk=notification.pk).delivered_count == 0


def test_only_post_is_allowed(api):
    visit = start_page().visit

    response = api.get(notify_url(visit.pk))

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_a_body_announced_as_oversized_is_refused_before_it_is_read(api, settings):
    visit = start_page().visit

    response = api.post(
        notify_url(visit.pk),
        [{"channel": "x"}],
        headers={"content-length": str(settings.GWE_NOTIFY_MAX_BYTES + 1)},
    )

    assert response.status_code == 413
    assert not Notification.objects.exists()


def test_an_account_without_the_permission_reads_no_notification(notifier, client):
    """Token, Basic or session: an account that was not given `notify` gets 403, not the
    message's data (the History API already answers it so)."""
    started = start_page()
    [notification] = notify(
        visit_id=started.visit.pk, messages=[NotifyMessage(channel="x", data={"card": "4111"})]
    )
    nobody = User.objects.create_user("nobody", password="nobody-pass")
    token = Token.objects.create(user=nobody).key
    client.force_login(nobody)
    paths = [
        f"/server/data/notification/{notification.pk}",
        f"/server/data/notification/visit/{started.visit.pk}",
    ]

    for path in paths:
        answers = [
            AsgiClient(authorization=f"Token {token}").get(path),
            AsgiClient.basic("nobody", "nobody-pass").get(path),
            client.get(path),
        ]
        assert [answer.status_code for answer in answers] == [403, 403, 403], path
        assert all("4111" not in answer.content.decode() for answer in answers)
        assert "view_notification" in answers[0].json()["error"]
        assert AsgiClient.basic("contact-center", "s3cret-pass").get(path).status_code == 200


def test_a_notify_sent_again_with_its_idempotency_key_is_stored_once(api):
    visit = start_page().visit
    other = start_page().visit
    key = {"Idempotency-Key": "crm-7f3a-0001"}

    first = api.post(notify_url(visit.pk), [{"channel": "offers"}], headers=key)
    again = api.post(notify_url(visit.pk), [{"channel": "offers"}], headers=key)
    fresh = api.post(
        notify_url(visit.pk), [{"channel": "offers"}], headers={"Idempotency-Key": "2"}
    )
    elsewhere = api.post(notify_url(other.pk), [{"channel": "offers"}], headers=key)
    bad = api.post(notify_url(visit.pk), [{"channel": "x"}], headers={"Idempotency-Key": "é"})

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["ids"] == first.json()["ids"]
    assert again.headers["idempotent-replayed"] == "true"
    assert fresh.json()["ids"] != first.json()["ids"]
    assert elsewhere.status_code == 409
    assert bad.status_code == 400
    assert Notification.objects.filter(visit=visit).count() == 2
    assert not Notification.objects.filter(visit=other).exists()
