"""What notifications keep of visits, for an export (gwe/privacy.py). They go with a visit by
cascade when it is erased."""

from typing import Any

from notifications.models import Notification


def notifications_export(visit_ids: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "notificationID": n.pk,
            "visitID": n.visit_id,
            "pageID": n.page_id,
            "channel": n.channel,
            "data": n.data,
            "createdAt": n.created_at,
            "deliveredCount": n.delivered_count,
        }
        for n in Notification.objects.filter(visit_id__in=visit_ids).order_by("created_at")
    ]


def by_cascade(visit_ids: list[str]) -> dict[str, int]:
    return {}
