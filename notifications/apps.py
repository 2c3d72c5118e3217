from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from gwe.privacy import holding
        from notifications import privacy

        holding("notifications", export=privacy.notifications_export, erase=privacy.by_cascade)
