from django.apps import AppConfig


class MediaAdaptersConfig(AppConfig):
    name = "media_adapters"
    verbose_name = "Media adapters"
