"""The configured media adapters (GWE_MEDIA_ADAPTERS), by alias."""

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from media_adapters.base import MediaAdapter


@cache
def adapters() -> dict[str, MediaAdapter]:
    return {
        alias: import_string(entry["BACKEND"])(alias=alias, options=entry.get("OPTIONS", {}))
        for alias, entry in settings.GWE_MEDIA_ADAPTERS.items()
    }


def adapter_available(alias: str) -> bool:
    """Whether the adapter says someone can answer; assumed for an alias that is not
    configured (its accept then tells the visitor the service is not set up)."""
    adapter = adapters().get(alias)
    return adapter is None or adapter.is_available()
