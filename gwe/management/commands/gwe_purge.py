import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from gwe.privacy import counts_said, visits_purge


class Command(BaseCommand):
    help = (
        "Erase the visits older than GWE_RETENTION_DAYS, with all that hangs on them (pages, "
        "events, decisions, invitations, notifications, chats, messages left). The server's "
        "own sweep does the same every hour; run it from cron where the server does not."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            help="keep this many days instead of GWE_RETENTION_DAYS",
        )

    def handle(self, *args, days=None, **options):
        days = settings.GWE_RETENTION_DAYS if days is None else days
        if days < 0:
            raise CommandError("--days must be 0 (keep everything) or more")
        if days == 0:
            self.stdout.write("Retention is off (0 days): nothing purged.")
            return
        deleted = visits_purge(days, progress=self.progress)
        if self.shown:
            self.stdout.write("")
        if not deleted:
            self.stdout.write(f"No visit is older than {days} days.")
            return
        said = counts_said(deleted)
        self.stdout.write(f"Purged what was older than {days} days: {said}.")

    shown = False

    def progress(self, done: int, total: int) -> None:
        """A bar on a terminal; a line per batch in a log."""
        self.shown = True
        width = 30
        filled = width * done // max(total, 1)
        bar = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total} visits"
        if sys.stdout.isatty():
            self.stdout.write(f"\r{bar}", ending="")
            self.stdout.flush()
        else:
            self.stdout.write(bar)
