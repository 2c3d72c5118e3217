from django.apps import AppConfig


class InvitationsConfig(AppConfig):
    name = "invitations"
    verbose_name = "Invitations and engagement"

    def ready(self) -> None:
        from gwe.privacy import holding
        from invitations import privacy

        holding("invitations", export=privacy.invitations_export, erase=privacy.by_cascade)
        holding("decisions", export=privacy.decisions_export, erase=privacy.by_cascade)
