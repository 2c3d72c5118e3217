from django.apps import AppConfig


class GweChatConfig(AppConfig):
    name = "media_adapters.gwe_chat"
    label = "gwe_chat"
    verbose_name = "GWE chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from gwe.privacy import holding
        from media_adapters.gwe_chat import privacy

        holding("chats", export=privacy.chats_export, erase=privacy.chats_erase)
        holding("leftMessages", export=privacy.left_messages_export, erase=privacy.nothing_more)
