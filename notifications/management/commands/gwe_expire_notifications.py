from django.core.management.base import BaseCommand

from notifications.services import notifications_expire


class Command(BaseCommand):
    help = (
        "Mark notifications that expired before any page received them. Each server process "
        "also does this every minute; the command is for set-ups that want it on a schedule."
    )

    def handle(self, *args, **options):
        expired = notifications_expire()
        self.stdout.write(f"Marked {expired} expired notification{'s' if expired != 1 else ''}.")
