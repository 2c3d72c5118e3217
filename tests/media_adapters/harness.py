"""How the contract suite drives one adapter: the adapter, and the far side it talks to."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from media_adapters.base import EngagementContext, MediaAdapter


@dataclass
class Harness:
    adapter: MediaAdapter
    # What the far side received of the last engagement: its attached data (visitID, pageID,
    # webengagement), as that system stores it.
    attached: Callable[[], dict[str, str]]
    # From now on, nobody is available / the far side fails.
    make_unavailable: Callable[[], None]
    make_failing: Callable[[], None]
    template_options: dict[str, Any] = field(default_factory=dict)
    # A settings OPTIONS dict this adapter must refuse at start-up.
    bad_options: dict[str, Any] = field(default_factory=lambda: {"no_such_option": 1})
    close: Callable[[], None] = lambda: None
    # False for an adapter with no far side to fail (it only builds a URL).
    can_fail: bool = True


def context(**overrides) -> EngagementContext:
    values: dict[str, Any] = {
        "visit_id": "V" * 22,
        "page_id": "P" * 22,
        "global_visit_id": "G" * 22,
        "identity_id": None,
        "identity": {},
        "invitation_id": "I" * 22,
        "template": "invite",
        "rule": "Demo rule",
        "url": "https://shop.example/pricing",
        "title": "Pricing",
        "language": "en",
        "fields": {"first_name": "Ada", "_customer_number": "+15550100"},
        "options": {},
    }
    return EngagementContext(**{**values, **overrides})
