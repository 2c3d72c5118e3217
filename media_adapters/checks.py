"""`manage.py check` (and every server start) reports a wrong GWE_MEDIA_ADAPTERS entry."""

from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from media_adapters.registry import adapters


@register()
def media_adapters_configured(app_configs, **kwargs) -> list[Error]:
    adapters.cache_clear()
    try:
        adapters()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="See docs/adapters.md.", id="media_adapters.E001")]
    return []
