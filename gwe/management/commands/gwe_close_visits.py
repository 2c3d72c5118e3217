from django.core.management.base import BaseCommand

from gwe.services import visits_close_expired


class Command(BaseCommand):
    help = (
        "Record the end of visits inactive for longer than GWE_VISIT_TIMEOUT_SECONDS. "
        "Optional: the History API already reports such visits as ended; run it from cron "
        "to keep the stored end times and the admin's filters current."
    )

    def handle(self, *args, **options):
        closed = visits_close_expired()
        self.stdout.write(f"Closed {closed} expired visit{'s' if closed != 1 else ''}.")
