"""Visits, pages and events made the way the tracker makes them: through the services."""

import itertools

from gwe import services
from gwe.protocol import parse_event, parse_page

_client_ids = itertools.count(1)


def start_page(url: str = "https://shop.example/", **fields) -> services.PageStarted:
    return services.page_start(message=parse_page({"type": "page", "url": url, **fields}))


def record_event(started: services.PageStarted, name: str = "AddToCart", **fields):
    message = {
        "type": "event",
        "token": started.token,
        "id": f"c-{next(_client_ids)}",
        "eventName": name,
        **fields,
    }
    return services.event_record(message=parse_event(message))
