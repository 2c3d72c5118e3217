from django.apps import AppConfig


class GweChatConfig(AppConfig):
    name = "media_adapters.gwe_chat"
    label = "gwe_chat"
    verbose_name = "GWE chat"
    default_auto_field = "django.db.models.BigAutoField"
