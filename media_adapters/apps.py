from django.apps import AppConfig
from django.core.signals import setting_changed


class MediaAdaptersConfig(AppConfig):
    name = "media_adapters"
    verbose_name = "Media adapters"

    def ready(self) -> None:
        from media_adapters import checks  # noqa: F401  (registers the system check)
        from media_adapters.registry import adapters

        def forget(*, setting: str, **kwargs) -> None:
            if setting == "GWE_MEDIA_ADAPTERS":
                adapters.cache_clear()

        setting_changed.connect(forget, weak=False)
