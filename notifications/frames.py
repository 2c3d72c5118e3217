"""What a page receives for a notification, encoded once for all its pages."""

import json

from notifications.bus import Published
from notifications.models import Notification
from notifications.topics import visit_topic


def frame(notification: Notification) -> str:
    message = {
        "type": "notification",
        "id": notification.pk,
        "seq": notification.seq,
        "channel": notification.channel,
        "data": notification.data,
        "timestamp": notification.created_at.isoformat(),
    }
    if notification.page_id:
        message["pageID"] = notification.page_id
    return json.dumps(message, separators=(",", ":"))


def published(notification: Notification) -> Published:
    return Published(
        topic=visit_topic(notification.visit_id),
        seq=notification.seq,
        frame=frame(notification),
        page_id=notification.page_id,
        id=notification.pk,
    )
