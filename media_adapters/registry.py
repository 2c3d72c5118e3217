"""The configured media adapters (GWE_MEDIA_ADAPTERS), by alias, built once per process."""

import logging
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from media_adapters.base import AdapterError, Capacity, MediaAdapter

logger = logging.getLogger(__name__)


@cache
def adapters() -> dict[str, MediaAdapter]:
    return {alias: build(alias, entry) for alias, entry in settings.GWE_MEDIA_ADAPTERS.items()}


def build(alias: str, entry: Any) -> MediaAdapter:
    if not isinstance(entry, dict) or "BACKEND" not in entry:
        raise ImproperlyConfigured(
            f'GWE_MEDIA_ADAPTERS[{alias!r}] must be {{"BACKEND": "dotted.path", "OPTIONS": {{}}}}'
        )
    try:
        backend = import_string(entry["BACKEND"])
    except ImportError as exc:
        raise ImproperlyConfigured(f"GWE_MEDIA_ADAPTERS[{alias!r}]: {exc}") from None
    if not (isinstance(backend, type) and issubclass(backend, MediaAdapter)):
        raise ImproperlyConfigured(
            f"GWE_MEDIA_ADAPTERS[{alias!r}]: {entry['BACKEND']} is not a MediaAdapter"
        )
    return backend(alias=alias, **entry.get("OPTIONS", {}))


def adapter(alias: str) -> MediaAdapter:
    """The adapter of that alias; AdapterError (permanent) when none is configured."""
    found = adapters().get(alias)
    if found is None:
        raise AdapterError(
            "This service is not available on this site.",
            permanent=True,
            detail=f"no media adapter {alias!r} in GWE_MEDIA_ADAPTERS",
        )
    return found


def adapter_available(alias: str, options: dict[str, Any] | None = None) -> bool:
    """Whether the alias's adapter says someone can answer; never for an alias that is not
    configured (its accept could only fail)."""
    found = adapters().get(alias)
    if found is None:
        return False
    try:
        return found.is_available(found.template_options(options or {}))
    except Exception:  # an adapter that cannot say is a no, never an error for the visitor
        logger.exception("media adapter %r could not say whether someone is available", alias)
        return False


def adapter_capacity(alias: str, options: dict[str, Any] | None = None) -> Capacity | None:
    """What the alias's adapter says it can take now; None when it cannot say (or fails to)."""
    found = adapters().get(alias)
    if found is None:
        return None
    try:
        return found.capacity(found.template_options(options or {}))
    except Exception:  # pacing by what a business user set, never an error for the visitor
        logger.exception("media adapter %r could not say how much it can take", alias)
        return None
