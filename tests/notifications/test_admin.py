import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from notifications.models import Notification
from notifications.services import NotifyMessage, deliveries_record, notify
from tests.support.factories import start_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_notifications():
    started = start_page()
    queued, delivered, expired = notify(
        visit_id=started.visit.pk,
        messages=[NotifyMessage(channel=c) for c in ("queued", "delivered", "expired")],
    )
    deliveries_record(receipts={(started.visit.pk, started.page.pk): [delivered.pk]})
    Notification.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    return queued, delivered, expired


@pytest.mark.parametrize("status", ["queued", "delivered", "expired"])
def test_the_admin_filters_notifications_by_status(admin_client, three_notifications, status):
    response = admin_client.get("/admin/notifications/notification/", {"status": status})

    assert response.status_code == 200
    shown = [n.channel for n in response.context["cl"].result_list]
    assert shown == [status]


def test_a_notification_page_shows_its_status_and_deliveries(admin_client, three_notifications):
    _, delivered, _ = three_notifications

    response = admin_client.get(f"/admin/notifications/notification/{delivered.pk}/change/")

    assert response.status_code == 200
    assert b"Delivered" in response.content
    assert delivered.deliveries.get().page_id.encode() in response.content


def test_notifications_cannot_be_added_or_edited_in_the_admin(admin_client):
    assert admin_client.get("/admin/notifications/notification/add/").status_code == 403


def test_the_expire_command_marks_what_expired(three_notifications):
    out = io.StringIO()

    call_command("gwe_expire_notifications", stdout=out)

    assert out.getvalue().strip() == "Marked 1 expired notification."
    assert Notification.objects.get(channel="expired").expired_at is not None
    assert Notification.objects.get(channel="queued").expired_at is None
